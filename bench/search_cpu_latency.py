"""Steady search latency in CPU time of the searching process (not a test): on a shared
machine wall-clock percentiles move with other people's load; CPU time much less.

    PYTHONPATH=. .venv/bin/python bench/search_cpu_latency.py [--size 10000] [--old-synonyms]

Builds the `varied` corpus of bench/search_bench.py, reads ahead, runs its query mix once to
warm, then three timed rounds, printing p50 / p95 / p99 in CPU milliseconds. Synonyms: the
first seed's 17 groups plus data/synonyms.txt (or only the 17 with --old-synonyms), read from
the file so the same script runs on an older checkout for a before/after comparison."""
import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search_bench import FILTERS, QUERIES, SearchRequest, WhooshBackend, percentiles, varied  # noqa: E402
from marketplace.search import postings  # noqa: E402
from marketplace.search.models import SEED_SYNONYMS, split_terms  # noqa: E402

SYNONYM_FILE = Path(__file__).resolve().parent.parent / "marketplace" / "search" / "data" / "synonyms.txt"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--old-synonyms", action="store_true")
    parser.add_argument("--synonym-file", default=str(SYNONYM_FILE))
    args = parser.parse_args()
    groups = [split_terms(terms) for terms in SEED_SYNONYMS]
    if not args.old_synonyms:
        groups += [split_terms(line) for line in Path(args.synonym_file).read_text(encoding="utf-8").splitlines()
                   if line.strip() and not line.startswith("#")]
    items = [(q, f) for q in QUERIES for f in FILTERS[:2]] + [(q, f) for q in QUERIES[:10] for f in FILTERS[2:]]
    with tempfile.TemporaryDirectory() as folder:
        backend = WhooshBackend(folder + "/index")
        backend.rebuild(varied(args.size))
        with backend.reading() as searcher:
            postings.warm(searcher, 500)
        search = lambda item: backend.search(SearchRequest(q=item[0], **item[1], per_page=10), groups)  # noqa: E731
        for item in items:
            search(item)
        for _ in range(3):
            samples = []
            for item in items:
                started = time.process_time()
                search(item)
                samples.append((time.process_time() - started) * 1000)
            print(f"{len(items)} searches, {len(groups)} synonym groups, steady CPU ms p50 / p95 / p99: "
                  "%.1f / %.1f / %.1f" % percentiles(samples), flush=True)


if __name__ == "__main__":
    main()
