"""Search benchmark (not a test): our Whoosh search vs SQLite FTS5 (trigram) on the same corpus.

    .venv/bin/python bench/search_bench.py [--sizes 10000 100000] [--repeat 3]

For each size: generates a realistic catalogue, measures the full index build (listings/s),
incremental update latency (one listing per commit), and query latency p50/p95/p99 over a
mixed query set (Simplified, Traditional, pinyin, English, mixed, typos, long questions, with
and without facet filters). Then compares quality (nDCG@10, recall@10) on the judged set of
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

CITIES = ["厦门", "福州", "泉州", "漳州", "莆田", "龙岩", "宁德", "三明"]
MODIFIERS = ["", "（加急）", "（标准版）", "（企业版）", "套餐", "一站式服务", "（含报告）", "（上门服务）"]
FILLER = ["经验丰富的团队为科技型中小企业提供专业服务。", "流程透明，按节点交付，支持创新券抵扣。",
          "已服务高新区 300 余家企业，客户满意度高。", "提供线上咨询与现场对接，响应迅速。",
          "Experienced engineers, bilingual reports, fast turnaround.", "严格保密，签订保密协议。"]
QUERIES = [q for _, q, _ in JUDGED] + ["检测", "认证", "培训", "融资", "设计", "report", "testing", "gaoqi"]
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
    return lambda item: backend.search(SearchRequest(q=item[0], **item[1], per_page=10), SYNONYMS)


# -- SQLite FTS5 trigram ---------------------------------------------------------------------
def fts_build(docs):
    connection = sqlite3.connect(":memory:")
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
def run_size(size, repeat):
    items = [(q, f) for q in QUERIES for f in FILTERS[:2]] + [(q, f) for q in QUERIES[:10] for f in FILTERS[2:]]
    with tempfile.TemporaryDirectory() as folder:
        backend, count, seconds = whoosh_build(folder, generate(size))
        print(f"\n== {size:,} listings")
        print(f"ours  build: {seconds:7.1f} s  ({count / seconds:,.0f} listings/s)")
        updates = list(generate(20, seed=99))
        for doc in updates:
            doc["id"] = random.Random(doc["id"]).randrange(1, size)
        update_ms = timed(lambda doc: backend.apply([doc], []), updates, 1)
        print(f"ours  incremental update: p50 {statistics.median(update_ms):.0f} ms, max {max(update_ms):.0f} ms")
        backend.search(SearchRequest(q="专利"), SYNONYMS)  # warm caches
        ours = percentiles(timed(whoosh_query(backend), items, repeat))
        connection, fcount, fseconds = fts_build(generate(size))
        print(f"fts5  build: {fseconds:7.1f} s  ({fcount / fseconds:,.0f} listings/s)")
        theirs = percentiles(timed(lambda item: fts_search(connection, *item), items, repeat))
        print(f"query latency over {len(items)} queries x {repeat} (ms)   p50 / p95 / p99")
        print(f"ours  {ours[0]:7.1f} / {ours[1]:7.1f} / {ours[2]:7.1f}")
        print(f"fts5  {theirs[0]:7.1f} / {theirs[1]:7.1f} / {theirs[2]:7.1f}")
        print(f"ratio ours/fts5  p50 {ours[0] / theirs[0]:.2f}  p95 {ours[1] / theirs[1]:.2f}  p99 {ours[2] / theirs[2]:.2f}")


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    quality()
    for size in args.sizes:
        run_size(size, args.repeat)


if __name__ == "__main__":
    main()
