"""Quality of both judged sets, per kind, ours and SQLite FTS5 trigram in the same run:

    PYTHONPATH=. .venv/bin/python -m tests.search.quality_report

The development set (tests/search/catalogue.py, its own fixture synonyms) is the one ranking
changes are tuned on; the frozen set (tests/search/frozen_set.py) is only reported. The frozen
set is searched with the synonym groups a new installation is seeded with (as a user gets)."""
import tempfile

from bench.search_bench import fts_build, fts_search
from marketplace.search.backend import SearchRequest, WhooshBackend
from tests.search import catalogue, frozen_set


def seeded_synonyms():
    from marketplace.search.models import seed_synonym_groups

    return seed_synonym_groups()


def ours(module, synonyms):
    with tempfile.TemporaryDirectory() as folder:
        backend = WhooshBackend(folder + "/index")
        backend.rebuild(module.documents())
        return module.scores_by_kind(lambda q: [module.key_of(h["id"]) for h in
                                                backend.search(SearchRequest(q=q, per_page=10), synonyms).hits])


def fts(module):
    connection, _, _ = fts_build(module.documents())
    return module.scores_by_kind(lambda q: [module.key_of(i) for i in fts_search(connection, q, {})])


def mean(scores, i):
    return sum(v[i] for v in scores.values()) / len(scores)


def all_queries(module, scores, queries):
    """Mean over queries (kinds weighted by their number of queries)."""
    counts = {}
    for kind, _, _ in queries:
        counts[kind] = counts.get(kind, 0) + 1
    total = sum(counts.values())
    return tuple(sum(scores[k][i] * n for k, n in counts.items()) / total for i in (0, 1))


def table(title, module, queries, synonyms):
    mine, theirs = ours(module, synonyms), fts(module)
    lines = [f"### {title}", "", "| kind | queries | nDCG@10 | recall@10 | FTS5 nDCG / recall |", "|---|---|---|---|---|"]
    counts = {}
    for kind, _, _ in queries:
        counts[kind] = counts.get(kind, 0) + 1
    for kind in counts:
        lines.append(f"| {kind} | {counts[kind]} | {mine[kind][0]:.3f} | {mine[kind][1]:.3f} | "
                     f"{theirs[kind][0]:.3f} / {theirs[kind][1]:.3f} |")
    a, b = all_queries(module, mine, queries), all_queries(module, theirs, queries)
    lines.append(f"| **all queries** | {len(queries)} | **{a[0]:.3f}** | **{a[1]:.3f}** | {b[0]:.3f} / {b[1]:.3f} |")
    lines.append(f"| mean of kinds | | {mean(mine, 0):.3f} | {mean(mine, 1):.3f} | {mean(theirs, 0):.3f} / {mean(theirs, 1):.3f} |")
    return "\n".join(lines)


def main():
    print(table("Development set", catalogue, catalogue.JUDGED, catalogue.SYNONYMS))
    print()
    print(table("Frozen set", frozen_set, frozen_set.QUERIES, seeded_synonyms()))


if __name__ == "__main__":
    main()
