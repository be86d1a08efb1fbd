"""Search benchmark (not a test): our Whoosh search vs SQLite FTS5 (trigram) on the same corpus.

    .venv/bin/python bench/search_bench.py [--sizes 10000 100000] [--repeat 3] [--corpus repeated varied]
    .venv/bin/python bench/search_bench.py --first-minute --sizes 10000 --corpus varied [--keep DIR]

`--first-minute` (issue 19 item 7): builds the index (or reuses the one kept in DIR), writes the
FTS5 table to a file, then starts a **fresh Python process** per mode and has it answer the query
mix, each query once, for at most its first minute: `ours, no read-ahead`; `ours, background
read-ahead` (what a web process did before: SEARCH_WARM_MIN_DOCS=500, warming in a thread while
it serves); `ours, warm before serving` (WhooshBackend.warm, as gunicorn's post_worker_init now
does; its duration is reported, not counted in the latencies); `fts5` (the file opened fresh).
The index files are in the page cache (just written or read): a cold disk is not measured.

For each corpus and size: generates a catalogue (`repeated`: the 40 fixture services varied in
title, provider, city, price — the corpus of earlier runs; `varied`: the same with mostly
unique titles and unique ~300-character descriptions), measures the full index build
(listings/s), incremental update latency (one listing per commit), the first search after a
commit, and query latency p50/p95/p99 over a mixed query set (Simplified, Traditional, pinyin,
English, mixed, typos, long questions, with and without facet filters): once on empty caches
(first touch), then steady after the read-ahead. Then compares quality (nDCG@10, recall@10) on the judged set of
tests/search/catalogue.py. Figures are recorded in docs/benchmarks.md (## Search).
"""
import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marketplace.search.backend import SearchRequest, WhooshBackend  # noqa: E402
from tests.search.catalogue import JUDGED, SYNONYMS, documents, key_of, scores_by_kind  # noqa: E402

try:  # the frozen set's user-style queries join the latency mix (not its judgements: quality is
    from tests.search.frozen_set import QUERIES as FROZEN  # noqa: E402  reported by quality_report)
except ImportError:  # an older checkout, for a before/after run
    FROZEN = []
try:  # search with the groups a new installation is seeded with (hundreds), as users do
    from marketplace.search.models import seed_synonym_groups  # noqa: E402
    SEEDED = seed_synonym_groups()
except ImportError:
    from marketplace.search.models import SEED_SYNONYMS, split_terms  # noqa: E402
    SEEDED = [split_terms(terms) for terms in SEED_SYNONYMS]

CITIES = ["厦门", "福州", "泉州", "漳州", "莆田", "龙岩", "宁德", "三明"]
MODIFIERS = ["", "（加急）", "（标准版）", "（企业版）", "套餐", "一站式服务", "（含报告）", "（上门服务）"]
FILLER = ["经验丰富的团队为科技型中小企业提供专业服务。", "流程透明，按节点交付，支持创新券抵扣。",
          "已服务高新区 300 余家企业，客户满意度高。", "提供线上咨询与现场对接，响应迅速。",
          "Experienced engineers, bilingual reports, fast turnaround.", "严格保密，签订保密协议。"]
QUERIES = ([q for _, q, _ in JUDGED] + ["检测", "认证", "培训", "融资", "设计", "report", "testing", "gaoqi"]
           + [q for _, q, _ in FROZEN])
FILTERS = [{}, {"category": "testing"}, {"voucher": True}, {"city": "福州"}, {"min_price": 100000, "max_price": 499999},
           {"category": "ip", "voucher": True}]


def generate(count, seed=7):
    """`count` listing documents varied from the fixture catalogue's services."""
    rng, base = random.Random(seed), documents()
    for number in range(1, count + 1):
        doc = dict(rng.choice(base))
        provider = f"{rng.choice(CITIES)}{rng.choice(['科创', '鹭岛', '海峡', '火炬', '创研'])}{number % 997}号服务机构"
        doc.update(id=number, external_id=f"g{number}", title=doc["title"] + rng.choice(MODIFIERS),
                   description=doc["summary"] + " ".join(rng.sample(FILLER, 3)), provider=provider,
                   city=rng.choice(CITIES), price_fen=None if rng.random() < 0.05 else rng.randrange(20000, 8000000, 100),
                   voucher_eligible=rng.random() < 0.6, verified=rng.random() < 0.7,
                   rating=round(rng.uniform(0, 5), 1), published=1_700_000_000 + number)
        yield doc


INDUSTRIES = ["智能家居", "新能源汽车", "医疗器械", "集成电路", "光伏组件", "锂电储能", "工业机器人", "无人机", "生物医药",
              "智能穿戴", "LED 照明", "家用电器", "通信模块", "精密模具", "新材料", "食品包装", "纺织服装", "跨境电商",
              "软件平台", "物联网终端", "audio equipment", "IoT gateways", "medical devices", "EV chargers"]
SENTENCES = ["针对{industry}行业的{need}需求，我们提供从方案评估到结果交付的全流程服务。",
             "项目团队由{years}年以上经验的工程师组成，已完成{count}个同类项目。",
             "服务周期通常为{days}个工作日，加急可缩短至{fast}个工作日。",
             "可出具中英文报告，支持{industry}企业申报高新技术企业与科技项目。",
             "我们在{city}设有实验室和服务网点，可上门对接。",
             "收费按节点结算，可使用火炬创新券抵扣{ratio}%合同金额。",
             "曾为{count}家{industry}企业解决{need}问题，客户复购率高。",
             "We support {english} makers with {need_en} within {days} working days.",
             "配套提供{need}培训与整改建议，帮助企业一次通过。",
             "严格执行保密制度，样品与资料全程可追溯。"]
NEEDS = ["检测", "认证", "专利布局", "知识产权保护", "可靠性验证", "结构设计", "软件著作权登记", "电磁兼容整改", "失效分析",
         "成本优化", "融资对接", "技术转移", "标准制定", "数据分析"]
NEEDS_EN = ["testing", "certification", "patent filing", "design reviews", "failure analysis", "EMC pre-compliance"]


def varied(count, seed=11):
    """`count` listings like `generate`'s, but with mostly unique titles and unique ~300-character
    descriptions (a real catalogue repeats providers and tags, rarely whole texts)."""
    rng = random.Random(seed)
    for doc in generate(count, seed):
        industry = rng.choice(INDUSTRIES)
        fill = lambda text: text.format(  # noqa: E731
            industry=industry, need=rng.choice(NEEDS), need_en=rng.choice(NEEDS_EN), english=rng.choice(INDUSTRIES[-4:]),
            years=rng.randrange(3, 25), count=rng.randrange(20, 900), days=rng.randrange(3, 40),
            fast=rng.randrange(1, 5), city=doc["city"], ratio=rng.choice([30, 35, 40, 50]))
        doc["title"] = f"{industry}{doc['title']}"
        doc["description"] = doc["summary"] + "".join(fill(text) for text in rng.sample(SENTENCES, rng.randrange(4, 8)))
        yield doc


CORPORA = {"repeated": generate, "varied": varied}


def percentiles(samples):
    ordered = sorted(samples)
    pick = lambda p: ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]  # noqa: E731
    return pick(50), pick(95), pick(99)


def timed(function, items, repeat):
    samples = []
    for _ in range(repeat):
        for item in items:
            started = time.perf_counter()
            function(item)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


# -- ours -----------------------------------------------------------------------------------
def whoosh_build(folder, docs):
    backend = WhooshBackend(str(Path(folder) / "index"))
    started = time.perf_counter()
    count = backend.rebuild(docs)
    return backend, count, time.perf_counter() - started


def whoosh_query(backend):
    return lambda item: backend.search(SearchRequest(q=item[0], **item[1], per_page=10), SEEDED)


# -- SQLite FTS5 trigram ---------------------------------------------------------------------
def fts_build(docs, path=":memory:"):
    connection = sqlite3.connect(path)
    connection.execute("CREATE VIRTUAL TABLE fts USING fts5(title, tags, summary, description, provider, "
                       "tokenize='trigram')")
    connection.execute("CREATE TABLE meta (id INTEGER PRIMARY KEY, category TEXT, category_top TEXT, city TEXT, "
                       "price INTEGER, voucher INTEGER, verified INTEGER)")
    started, count = time.perf_counter(), 0
    for doc in docs:
        connection.execute("INSERT INTO fts(rowid, title, tags, summary, description, provider) VALUES (?,?,?,?,?,?)",
                           (doc["id"], doc["title"], " ".join(doc["tags"]), doc["summary"], doc["description"],
                            doc["provider"]))
        connection.execute("INSERT INTO meta VALUES (?,?,?,?,?,?,?)",
                           (doc["id"], doc["category"], doc["category_top"], doc["city"], doc["price_fen"],
                            int(doc["voucher_eligible"]), int(doc["verified"])))
        count += 1
    connection.commit()
    return connection, count, time.perf_counter() - started


def fts_where(text):
    """Words of 3+ characters through MATCH (trigram), shorter ones through LIKE (a scan)."""
    clauses, params, match = [], [], []
    for word in text.split():
        if len(word) >= 3:
            match.append('"' + word.replace('"', '""') + '"')
        else:
            clauses.append("(fts.title || fts.tags || fts.summary || fts.description) LIKE ?")
            params.append(f"%{word}%")
    if match:
        clauses.insert(0, "fts MATCH ?")
        params.insert(0, " AND ".join(match))
    return clauses, params


def fts_search(connection, text, filters, limit=10):
    clauses, params = fts_where(text)
    for name, column in (("category", "meta.category_top"), ("city", "meta.city")):
        if filters.get(name):
            clauses.append(f"{column} = ?")
            params.append(filters[name])
    if "voucher" in filters:
        clauses.append("meta.voucher = ?")
        params.append(int(filters["voucher"]))
    if "min_price" in filters:
        clauses.append("meta.price BETWEEN ? AND ?")
        params += [filters["min_price"], filters["max_price"]]
    where = " AND ".join(clauses) or "1"
    base = f"FROM fts JOIN meta ON meta.id = fts.rowid WHERE {where}"
    order = "bm25(fts, 6, 4, 2.5, 1, 0.6)" if any("MATCH" in c for c in clauses) else "meta.id DESC"
    rows = connection.execute(f"SELECT fts.rowid {base} ORDER BY {order} LIMIT ?", params + [limit]).fetchall()
    for column in ("meta.category_top", "meta.city", "meta.voucher", "meta.verified"):
        connection.execute(f"SELECT {column}, count(*) {base} GROUP BY {column}", params).fetchall()
    return [row[0] for row in rows]


# -- run ----------------------------------------------------------------------------------------
def query_items():
    return [(q, f) for q in QUERIES for f in FILTERS[:2]] + [(q, f) for q in QUERIES[:10] for f in FILTERS[2:]]


def run_size(size, repeat, corpus="repeated"):
    items = query_items()
    with tempfile.TemporaryDirectory() as folder:
        make = CORPORA[corpus]
        backend, count, seconds = whoosh_build(folder, make(size))
        print(f"\n== {size:,} listings, {corpus} corpus")
        print(f"ours  build: {seconds:7.1f} s  ({count / seconds:,.0f} listings/s)")
        updates = list(generate(20, seed=99))
        for doc in updates:
            doc["id"] = random.Random(doc["id"]).randrange(1, size)
        update_ms = timed(lambda doc: backend.apply([doc], []), updates, 1)
        print(f"ours  incremental update: p50 {statistics.median(update_ms):.0f} ms, max {max(update_ms):.0f} ms")
        first = timed(whoosh_query(backend), [("专利申请", {})], 1)[0]
        print(f"ours  first search of the process (opens the index, reads the columns): {first:.0f} ms")
        after = [search_after_commit(backend, doc) for doc in updates[:10]]
        print(f"ours  first search after a commit: p50 {statistics.median(after):.0f} ms, max {max(after):.0f} ms")
        ours_cold, warmed, ours = query_latencies(backend, items, repeat)
        connection, fcount, fseconds = fts_build(make(size))
        print(f"fts5  build: {fseconds:7.1f} s  ({fcount / fseconds:,.0f} listings/s)")
        theirs = percentiles(timed(lambda item: fts_search(connection, *item), items, repeat))
        print(f"ours  read-ahead of frequent terms (postings.warm, ≥{WARM_MIN_DOCS} listings): "
              f"{warmed[0]:,} terms in {warmed[1]:.1f} s")
        print(f"query latency over {len(items)} queries (ms)            p50 / p95 / p99")
        print(f"ours, first touch (no read-ahead) x 1 {ours_cold[0]:7.1f} / {ours_cold[1]:7.1f} / {ours_cold[2]:7.1f}")
        print(f"ours, steady x {repeat}                {ours[0]:7.1f} / {ours[1]:7.1f} / {ours[2]:7.1f}")
        print(f"fts5 x {repeat}                        {theirs[0]:7.1f} / {theirs[1]:7.1f} / {theirs[2]:7.1f}")
        print(f"ratio ours steady / fts5  p50 {ours[0] / theirs[0]:.2f}  p95 {ours[1] / theirs[1]:.2f}  "
              f"p99 {ours[2] / theirs[2]:.2f}")


def search_after_commit(backend, doc):
    """ms of the first search after committing one listing (new searcher, new segment read)."""
    backend.apply([doc], [])
    return timed(whoosh_query(backend), [("专利申请", {})], 1)[0]


WARM_MIN_DOCS = 500  # the default of SEARCH_WARM_MIN_DOCS


def query_latencies(backend, items, repeat):
    """(first-touch percentiles, (terms, seconds) of the read-ahead, steady percentiles). First
    touch: every per-process cache emptied, so each query reads its terms' postings from the
    index files, as right after a restart without read-ahead."""
    from marketplace.search import columns, postings

    for cache in (postings._lengths, columns._segment_columns, columns._merged_columns):
        cache.clear()
    postings.posting_cache.clear()
    postings.scored_cache.clear()
    backend.search(SearchRequest(q=""), SYNONYMS)  # opens the searcher and reads the columns
    cold = percentiles(timed(whoosh_query(backend), items, 1))
    postings.posting_cache.clear()
    postings.scored_cache.clear()
    started = time.perf_counter()
    with backend.reading() as searcher:
        terms = postings.warm(searcher, WARM_MIN_DOCS)
    warmed = (terms, time.perf_counter() - started)
    return cold, warmed, percentiles(timed(whoosh_query(backend), items, repeat))


def quality():
    with tempfile.TemporaryDirectory() as folder:
        backend, _, _ = whoosh_build(folder, documents())
        ours = scores_by_kind(lambda q: [key_of(h["id"]) for h in backend.search(SearchRequest(q=q, per_page=10),
                                                                                  SYNONYMS).hits])
    connection, _, _ = fts_build(documents())
    theirs = scores_by_kind(lambda q: [key_of(i) for i in fts_search(connection, q, {})])
    print("\n== quality on the judged set (nDCG@10 / recall@10)")
    print(f"{'kind':12} {'ours':>15} {'fts5 trigram':>15}")
    for kind in ours:
        print(f"{kind:12} {ours[kind][0]:7.3f}/{ours[kind][1]:.3f} {theirs[kind][0]:7.3f}/{theirs[kind][1]:.3f}")
    mean = lambda s, i: sum(v[i] for v in s.values()) / len(s)  # noqa: E731
    print(f"{'all kinds':12} {mean(ours, 0):7.3f}/{mean(ours, 1):.3f} {mean(theirs, 0):7.3f}/{mean(theirs, 1):.3f}")


# -- first minute of a fresh process -----------------------------------------------------------
MODES = ("ours-cold", "ours-background", "ours-warmed", "fts5")
MODE_NAMES = {"ours-cold": "ours, no read-ahead", "ours-background": "ours, background read-ahead",
              "ours-warmed": "ours, warm before serving", "fts5": "fts5 trigram (file)"}


def first_minute_child(mode, path):
    """In a fresh process: each query of the mix once, for at most a minute from the first one."""
    import json

    started, warmed = time.perf_counter(), None
    if mode == "fts5":
        connection = sqlite3.connect(path)
        search = lambda item: fts_search(connection, *item)  # noqa: E731
    else:
        backend = WhooshBackend(path, warm_min_docs=WARM_MIN_DOCS if mode == "ours-background" else 0)
        if mode == "ours-warmed":
            warmed = backend.warm(SEEDED)
        search = whoosh_query(backend)
    ready = time.perf_counter() - started
    samples, began = [], time.perf_counter()
    for item in query_items():
        if time.perf_counter() - began > 60:
            break
        samples.extend(timed(search, [item], 1))
    steady = percentiles(timed(search, query_items()[:len(samples)], 1))  # the same queries again
    print(json.dumps({"mode": mode, "ready_s": ready, "warm": warmed, "count": len(samples),
                      "first_ms": samples[0], "percentiles": percentiles(samples), "steady": steady}))


def run_first_minute(size, corpus, keep=None):
    import json
    import os
    import subprocess

    folder = keep or tempfile.mkdtemp(prefix="first-minute-")
    path, fts_path = str(Path(folder) / f"index-{corpus}-{size}"), str(Path(folder) / f"fts-{corpus}-{size}.sqlite3")
    backend = WhooshBackend(path)
    try:
        count = backend.doc_count()
    except Exception:  # noqa: BLE001 (no index kept yet)
        count = None
    if count != size:
        started = time.perf_counter()
        backend.rebuild(CORPORA[corpus](size))
        print(f"ours  build: {time.perf_counter() - started:7.1f} s")
    if not os.path.exists(fts_path):
        connection, _, seconds = fts_build(CORPORA[corpus](size), fts_path + ".tmp")
        connection.close()
        os.replace(fts_path + ".tmp", fts_path)
        print(f"fts5  build: {seconds:7.1f} s")
    print(f"\n== first minute of a fresh process, {size:,} listings, {corpus} corpus, load {os.getloadavg()[0]:.2f}")
    print(f"{'mode':32} {'ready s':>8} {'queries':>8} {'first ms':>9}   first minute p50 / p95 / p99 ms"
          "   | the same again p95")
    for mode in MODES:
        output = subprocess.run([sys.executable, __file__, "--child", mode, fts_path if mode == "fts5" else path],
                                capture_output=True, text=True, check=True).stdout
        result = json.loads(output.strip().splitlines()[-1])
        p50, p95, p99 = result["percentiles"]
        warm = result["warm"]
        note = f"  (warm-up {warm['seconds']:.1f} s, {warm['terms']:,} terms)" if warm else ""
        print(f"{MODE_NAMES[mode]:32} {result['ready_s']:8.1f} {result['count']:8} {result['first_ms']:9.1f}   "
              f"{p50:.1f} / {p95:.1f} / {p99:.1f}   | {result['steady'][1]:.1f}{note}  load {os.getloadavg()[0]:.2f}",
              flush=True)


def main():
    if sys.argv[1:2] == ["--child"]:
        return first_minute_child(*sys.argv[2:4])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpus", nargs="+", choices=sorted(CORPORA), default=["repeated"],
                        help="repeated: the fixture services varied (as in earlier runs); varied: unique texts")
    parser.add_argument("--first-minute", action="store_true", help="fresh processes, with and without warm-up")
    parser.add_argument("--keep", help="--first-minute: keep (and reuse) the indexes in this folder")
    args = parser.parse_args()
    if args.first_minute:
        for corpus in args.corpus:
            for size in args.sizes:
                run_first_minute(size, corpus, args.keep)
        return
    quality()
    for corpus in args.corpus:
        for size in args.sizes:
            run_size(size, args.repeat, corpus)


if __name__ == "__main__":
    main()
