"""Issue 19 item 6: Whoosh's own multiprocess writer against our builder (not a test).

    nice -n 10 .venv/bin/python bench/whoosh_writer_bench.py --size 100000 --which whoosh
    nice -n 10 .venv/bin/python bench/whoosh_writer_bench.py --size 10000 --which both

`whoosh`: `ix.writer(procs=N, multisegment=True, limitmb=…)` fed with the same fields our
rebuild indexes (backend.to_fields) of the `varied` corpus of bench/search_bench.py; `ours`:
`WhooshBackend.rebuild` (marketplace/search/building.py). Prints progress lines with the
elapsed time and the load average, so a run stopped early still says how far it got.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from whoosh import index  # noqa: E402

from bench.search_bench import CORPORA  # noqa: E402
from marketplace.search.backend import WhooshBackend, schema, to_fields  # noqa: E402


def load():
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def whoosh_writer(folder, docs, procs, limitmb, every):
    ix = index.create_in(folder, schema())
    started = time.perf_counter()
    writer = ix.writer(procs=procs, multisegment=True, limitmb=limitmb)
    count = 0
    for doc in docs:
        writer.add_document(**to_fields(doc))
        count += 1
        if count % every == 0:
            print(f"  whoosh writer: {count:,} added after {time.perf_counter() - started:.1f} s (load {load()})",
                  flush=True)
    added = time.perf_counter() - started
    writer.commit()
    total = time.perf_counter() - started
    print(f"  whoosh writer: all added in {added:.1f} s, commit {total - added:.1f} s", flush=True)
    return count, total


def ours(folder, docs):
    backend = WhooshBackend(str(Path(folder) / "index"))
    started = time.perf_counter()
    count = backend.rebuild(docs)
    return count, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100000)
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="varied")
    parser.add_argument("--which", choices=["whoosh", "ours", "both"], default="both")
    parser.add_argument("--procs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--limitmb", type=int, default=256)
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, {args.size:,} {args.corpus} listings, "
          f"{os.cpu_count()} CPUs, load {load()}", flush=True)
    make = CORPORA[args.corpus]
    if args.which in ("ours", "both"):
        with tempfile.TemporaryDirectory() as folder:
            count, seconds = ours(folder, make(args.size))
        print(f"ours (building.py): {count:,} in {seconds:.1f} s ({count / seconds:,.0f}/s), load {load()}",
              flush=True)
    if args.which in ("whoosh", "both"):
        with tempfile.TemporaryDirectory() as folder:
            count, seconds = whoosh_writer(folder, make(args.size), args.procs, args.limitmb,
                                           max(1000, args.size // 20))
        print(f"whoosh writer(procs={args.procs}, multisegment=True): {count:,} in {seconds:.1f} s "
              f"({count / seconds:,.0f}/s), load {load()}", flush=True)


if __name__ == "__main__":
    main()
