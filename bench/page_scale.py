"""Pages at the demo size and at scale, in one run (issue 18; not a test). From the repository root:

    .venv/bin/python bench/page_scale.py [--workdir /tmp/page-scale] [--repeat 30] [--pages home,wallet] [--sizes demo]

In-process (Flask test client, APP_ENV=production, a generated SECRET_KEY, CSRF and rate limits
off so the bench can log in): for each page, median and p95 server time over --repeat requests
(after two warm-up requests) and the number of SQL statements one request sends, on two SQLite
databases, then the ratio big / demo per page and whether the statement count changed.

* demo: `flask db upgrade`, `flask seed demo` and three orders of the demo enterprise at the demo
  testing centre (bench/scale_data.py's `place_orders`);
* big: a copy of demo with bench/scale_data.py's data set on top (100,000 listings, 10,000
  organisations, 1,000,000 ledger transfers, 1,000 orders; several minutes).

Both are kept in --workdir and reused by later runs (delete them to rebuild). The page cache is
off for every page ("cold": every figure computed, every page rendered); the public pages are
also measured with it on, signed in ("signed in": rendered, but figures kept per cache
generation are read from the cache) and anonymous ("warm": a hit). The
machine is shared: the load average is printed with the figures, and only ratios within one
run mean anything.
"""
import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

FLASK = [os.path.join(REPO, ".venv", "bin", "flask"), "--app", "wsgi"]
BUYER, PROVIDER, ADMIN = "ent1@demo.torch.cn", "lab@demo.torch.cn", "admin@demo.torch.cn"


def pages(ids):
    """(name, who, URL); who is None for an anonymous visitor."""
    return [
        ("home", None, "/"),
        ("category", None, "/categories/testing"),
        ("category ?page=50", None, "/categories/testing?page=50"),
        ("listing", None, f"/listings/{ids['listing']}"),
        ("provider", None, f"/providers/{ids['provider']}"),
        ("search", None, "/search?q=检测"),
        ("wallet", BUYER, "/vouchers/"),
        ("voucher statement", BUYER, f"/vouchers/{ids['voucher']}"),
        ("order detail", BUYER, f"/orders/{ids['order']}"),
        ("provider orders", PROVIDER, "/orders/"),
        ("admin dashboard", ADMIN, "/admin/"),
        ("ledger explorer", ADMIN, "/admin/ledger"),
        ("ledger account", ADMIN, f"/admin/ledger/accounts/{ids['account']}"),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", default="/tmp/page-scale")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--pages", default="", help="comma-separated page names (default: all)")
    parser.add_argument("--scale", default="", help="extra arguments for bench/scale_data.py")
    parser.add_argument("--sizes", default="demo,big", help="demo,big (default) or demo alone (no big build)")
    options = parser.parse_args()
    os.makedirs(options.workdir, exist_ok=True)
    demo, big = (os.path.join(options.workdir, name) for name in ("demo", "big"))
    if not os.path.exists(os.path.join(demo, "db.sqlite3")):
        build_demo(demo)
    folders = [demo] + [big] * ("big" in options.sizes.split(","))
    if big in folders and not os.path.exists(os.path.join(big, "db.sqlite3")):
        build_big(demo, big, options.scale.split())
    wanted = set(filter(None, options.pages.split(",")))
    print(f"load average before: {' / '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    report(measure(options.repeat, wanted, folders))


def environment(folder):
    return {**os.environ, "APP_ENV": "production", "SECRET_KEY": "bench-" + "x" * 32,
            "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3", "SEARCH_INDEX_DIR": f"{folder}/index",
            "UPLOAD_DIR": f"{folder}/uploads", "RATELIMIT_STORAGE_URI": "memory://", "PYTHONPATH": REPO,
            "LOG_LEVEL": "WARNING"}


def build_demo(folder):
    os.makedirs(folder, exist_ok=True)
    env = environment(folder)
    for command in (["db", "upgrade"], ["seed", "demo"]):
        subprocess.run(FLASK + command, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, os.path.join(REPO, "bench", "scale_data.py"), "--listings", "0",
                    "--organisations", "0", "--transfers", "0", "--orders", "3"],
                   cwd=REPO, env=env, check=True)
    checkpoint(folder)


def build_big(demo, folder, extra):
    os.makedirs(folder, exist_ok=True)
    shutil.copy(os.path.join(demo, "db.sqlite3"), os.path.join(folder, "db.sqlite3"))
    shutil.copytree(os.path.join(demo, "index"), os.path.join(folder, "index"), dirs_exist_ok=True)
    subprocess.run([sys.executable, os.path.join(REPO, "bench", "scale_data.py"), *extra],
                   cwd=REPO, env=environment(folder), check=True)
    checkpoint(folder)


def checkpoint(folder):
    import sqlite3

    with sqlite3.connect(os.path.join(folder, "db.sqlite3")) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def make_app(folder, page_cache):
    from marketplace import create_app

    env = environment(folder)
    return create_app({"APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": env["DATABASE_URL"],
                       "SEARCH_INDEX_DIR": env["SEARCH_INDEX_DIR"], "UPLOAD_DIR": env["UPLOAD_DIR"],
                       "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                       "PAGE_CACHE": page_cache, "LOG_LEVEL": "WARNING",
                       "PAGE_CACHE_GENERATION_FILE": f"{folder}/page-cache.generation"})


def ids_of_pages():
    from sqlalchemy import select

    from marketplace.auth.models import User
    from marketplace.extensions import db
    from marketplace.orders.models import Order
    from marketplace.vouchers.models import Voucher, VoucherProgram

    buyer = db.session.scalar(select(User).where(User.email == BUYER))
    provider = db.session.scalar(select(User.organisation_id).where(User.email == PROVIDER))
    voucher = db.session.execute(select(Voucher.number, Voucher.account_id).join(VoucherProgram)
                                 .where(Voucher.organisation_id == buyer.organisation_id, VoucherProgram.code == "HJ2026")
                                 ).one()
    order = db.session.scalar(select(Order).where(Order.buyer_id == buyer.id).order_by(Order.id))
    return {"listing": order.listing_id, "provider": provider, "voucher": voucher.number, "account": voucher.account_id,
            "order": order.number}


class HttpsClient:
    """The test client over https: production session cookies are Secure."""

    def __init__(self, client):
        self.client = client

    def get(self, url):
        return self.client.get(url, base_url="https://localhost")

    def post(self, url, data):
        return self.client.post(url, data=data, base_url="https://localhost")


class Site:
    """One app on one database, with its own test client and its own logged-in visitor."""

    def __init__(self, folder, page_cache):
        self.name, self.page_cache = os.path.basename(folder), page_cache
        self.app = make_app(folder, page_cache)
        with self.app.app_context():
            self.ids = ids_of_pages()
        self.client, self.logged_in = HttpsClient(self.app.test_client()), None

    def log_in(self, who):
        if who != self.logged_in:
            self.client.post("/auth/logout", data={})
            if who is not None:
                answer = self.client.post("/auth/login", data={"email": who, "password": "demo-pass-2026"})
                assert answer.status_code == 302, (who, answer.status_code)
            self.logged_in = who

    def timed_get(self, url):
        """(milliseconds, CPU milliseconds of this thread, statements, status) of one GET started
        with an empty session. The CPU time is what the request itself cost, whatever else the
        machine runs: on a shared machine it is the steadier figure."""
        from marketplace.extensions import db
        from tests.perf.queries import counting_statements

        with self.app.app_context():
            db.session.remove()
            with counting_statements() as statements:
                started, cpu_started = time.perf_counter(), time.thread_time()
                response = self.client.get(url)
                elapsed, cpu = (time.perf_counter() - started) * 1000, (time.thread_time() - cpu_started) * 1000
            return elapsed, cpu, len(statements), response.status_code


# (mode, page cache): "" is cold (no page cache: every figure computed, every page rendered); "signed in"
# is the public pages as a signed-in visitor sees them (never from the page cache, but the figures kept
# per cache generation are); "warm" is an anonymous visitor's cache hit.
MODES = (("", False), ("signed in", True), ("warm", True))


def measure(repeat, wanted, folders):
    """{size: {page: figures}}. The sizes take turns request by request (demo, big, demo, big …), so
    the machine's drift weighs on both alike."""
    results = {os.path.basename(folder): {} for folder in folders}
    for mode, page_cache in MODES:
        sites = [Site(folder, page_cache) for folder in folders]
        for index, (name, who, _) in enumerate(pages(sites[0].ids)):
            if (wanted and name not in wanted) or (mode and who is not None):
                continue
            who = BUYER if mode == "signed in" else who
            label = f"{name} ({mode})" if mode else name
            samples = {site.name: ([], [], set(), set()) for site in sites}
            for site in sites:
                site.log_in(who)
                for _ in range(2):
                    site.timed_get(pages(site.ids)[index][2])
            for _ in range(repeat):
                for site in sites:
                    elapsed, cpu, statements, status = site.timed_get(pages(site.ids)[index][2])
                    samples[site.name][0].append(elapsed)
                    samples[site.name][1].append(cpu)
                    samples[site.name][2].add(statements)
                    samples[site.name][3].add(status)
            for site in sites:
                times, cpu, counts, statuses = samples[site.name]
                times.sort()
                row = results[site.name][label] = {
                    "median": statistics.median(times), "p95": times[max(0, int(len(times) * 0.95) - 1)],
                    "cpu": statistics.median(cpu), "statements": max(counts), "status": sorted(statuses),
                    "load": os.getloadavg()}
                print(f"  {site.name:4} {label:26} {row['median']:8.2f} ms median {row['p95']:8.2f} p95 "
                      f"{row['cpu']:6.2f} CPU {row['statements']:3} statements  HTTP {row['status']}", flush=True)
        for site in sites:
            with site.app.app_context():
                from marketplace.extensions import db

                db.session.remove()
                db.engine.dispose()
    return results


def report(results):
    demo, big = results["demo"], results.get("big")
    loads = [row["load"][0] for size in results.values() for row in size.values()]
    print(f"\nload average (1 min) during the run: {min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} cores")
    if big is None:
        print("| page | demo median ms | demo p95 | demo CPU median ms | statements |\n|---|---|---|---|---|")
        for name, row in demo.items():
            print(f"| {name} | {row['median']:.1f} | {row['p95']:.1f} | {row['cpu']:.1f} | {row['statements']} |")
        return
    print("| page | demo median ms | demo p95 | demo statements | big median ms | big p95 | big statements "
          "| ratio big/demo (median) | within 2× | statements constant |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in demo:
        if name not in big:
            continue
        a, b = demo[name], big[name]
        ratio = b["median"] / a["median"]
        print(f"| {name} | {a['median']:.1f} | {a['p95']:.1f} | {a['statements']} | {b['median']:.1f} | {b['p95']:.1f} "
              f"| {b['statements']} | {ratio:.2f} | {'✔' if ratio <= 2 else '✘'} "
              f"| {'✔' if a['statements'] >= b['statements'] else '✘'} |")


if __name__ == "__main__":
    main()
