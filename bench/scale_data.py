"""Load a marketplace-sized data set on top of the demo data (issue 18). From the repository root:

    DATABASE_URL=sqlite:////tmp/big.sqlite3 SEARCH_INDEX_DIR=/tmp/big-index .venv/bin/python bench/scale_data.py \
        [--listings 100000] [--organisations 10000] [--transfers 1000000] [--orders 1000]

or `--database URL` (SQLite or PostgreSQL). The database must be migrated and hold the demo data
(`flask db upgrade`, `flask seed demo`). Loads, each through the application's own bulk path:

* organisations: half enterprises, half providers (approved, admitted to the provider register),
  bulk-inserted with valid credit codes;
* listings: a CSV of generated services (bench/search_bench.py's generator) through the catalogue
  importer (`import_listings`, as `flask catalog import` does), spread over the new providers and,
  one row in 50, the demo testing centre (its provider page grows too); then the search index is
  rebuilt;
* ledger transfers: a program `SCALE` (created and opened by the vouchers service), vouchers
  issued to the new enterprises through `issue_vouchers` (2 % of the transfers, one ledger batch
  per 5,000), holds from the vouchers to the providers' receivables through `ledger.batch`
  (pending), and `--resolved` (10 %) of the transfers posting or voiding the first holds, half and
  half, through `ledger.post` / `ledger.void` (5,000 per transaction; these have no batch path and
  cost ≈1 ms each, so the share is kept small). One hold in 50 is on the demo enterprise's 2026
  voucher, so its statement and ledger account grow;
* orders: the demo enterprise buying from the demo testing centre through `checkout.place_order`
  (order list and voucher holds grow on both sides).

Then runs `ledger.verify` and prints what it loaded and how long each part took.
"""
import argparse
import csv
import io
import os
import random
import sys
import time
import uuid
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import func, insert, select  # noqa: E402

DEMO_BUYER = "ent1@demo.torch.cn"
DEMO_PROVIDER = "lab@demo.torch.cn"
ISSUE_BATCH = 5_000
HOLD_BATCH = 10_000
RESOLVE_PER_TRANSACTION = 5_000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL"), help="database URL (default: $DATABASE_URL)")
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--organisations", type=int, default=10_000)
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=1_000)
    parser.add_argument("--resolved", type=float, default=0.1,
                        help="share of the transfers that post or void a hold (one statement each; the rest go in batches)")
    options = parser.parse_args()
    if not options.database:
        raise SystemExit("give --database or set DATABASE_URL")
    from marketplace import create_app

    app = create_app({"DATABASE_URL": options.database, "SECRET_KEY": os.environ.get("SECRET_KEY", "bench"),
                      "PAGE_CACHE": False})
    with app.app_context():
        load(options.listings, options.organisations, options.transfers, options.orders, options.resolved)


def load(listings, organisations, transfers, orders, resolved=0.1, log=print):
    """Load everything (in the current app context) and return {part: (count, seconds)}."""
    started = time.perf_counter()
    done = {}

    def step(name, function, *args):
        if not args[0]:
            return 0
        began = time.perf_counter()
        count = function(*args)
        done[name] = (count, time.perf_counter() - began)
        log(f"{name}: {count:,} in {done[name][1]:.1f} s")
        return count

    step("organisations", add_organisations, organisations)
    step("listings (catalogue import)", import_listings, listings)
    step("search index rebuilt (listings)", rebuild_index, listings)
    step("ledger transfers", add_transfers, transfers, resolved)
    step("orders (checkout with voucher holds)", place_orders, orders)
    step("ledger verified (transfers)", verify_ledger, True)
    log(f"total {time.perf_counter() - started:.1f} s")
    return done


def admin():
    from marketplace.seed import demo_admin

    return demo_admin()


def add_organisations(count):
    """count // 2 enterprises and count - count // 2 providers, approved (providers admitted)."""
    from marketplace.auth import credit_code
    from marketplace.auth.models import Organisation
    from marketplace.catalog.models import AdmissionStatus, ProviderProfile
    from marketplace.database import utcnow
    from marketplace.extensions import db

    first = (db.session.scalar(select(func.max(Organisation.id))) or 0) + 1
    now, rng = utcnow(), random.Random(3)
    cities = ["厦门", "福州", "泉州", "漳州", "莆田"]
    rows = [{"kind": "enterprise" if n < count // 2 else "provider", "status": "approved",
             "legal_name": f"{rng.choice(cities)}{'规模' if n < count // 2 else '服务'}测试{first + n:06d}有限公司",
             "credit_code": credit_code.complete(f"9135{first + n:013d}"), "legal_representative": "张三",
             "city": rng.choice(cities), "contact_name": "李四", "contact_phone": "0592-5550000",
             "created_at": now, "reviewed_at": now} for n in range(count)]
    ids = []
    for start in range(0, count, 5_000):
        ids += db.session.scalars(insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True),
                                  rows[start:start + 5_000]).all()
    provider_rows = [{"organisation_id": id_, "status": AdmissionStatus.ADMITTED, "description": "规模测试服务机构",
                      "city": "厦门", "created_at": now, "submitted_at": now, "admitted_at": now}
                     for id_, row in zip(ids, rows) if row["kind"] == "provider"]
    if provider_rows:
        db.session.execute(insert(ProviderProfile), provider_rows)
    db.session.commit()
    return count


def provider_ids():
    from marketplace.auth.models import Organisation
    from marketplace.extensions import db

    return db.session.scalars(select(Organisation.id).where(Organisation.kind == "provider",
                                                            Organisation.legal_name.like("%服务测试%"))).all()


def import_listings(count):
    """count generated listings through the catalogue importer, one transaction per 20,000."""
    from bench.search_bench import generate
    from marketplace.auth.models import Organisation, User
    from marketplace.catalog.importer import import_listings as run_import
    from marketplace.catalog.models import Category
    from marketplace.extensions import db

    names = db.session.scalars(select(Organisation.legal_name).where(Organisation.legal_name.like("%服务测试%"))
                               .order_by(Organisation.id)).all()
    demo_provider = db.session.scalar(select(Organisation.legal_name).join(User).where(User.email == DEMO_PROVIDER))
    leaves = db.session.scalars(select(Category.slug).where(Category.parent_id.is_not(None)).order_by(Category.id)).all()
    rng, actor = random.Random(5), admin()
    created = 0
    documents = generate(count)
    for start in range(0, count, 20_000):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow("external_id provider category title description price_yuan voucher_eligible tags".split())
        for n in range(start, min(count, start + 20_000)):
            doc = next(documents)
            provider = demo_provider if n % 50 == 0 or not names else names[n % len(names)]
            price = "" if doc["price_fen"] is None else f"{doc['price_fen'] // 100}.{doc['price_fen'] % 100:02d}"
            writer.writerow([f"SCALE-{n:07d}", provider, rng.choice(leaves), doc["title"][:100],
                             doc["description"], price, "1" if doc["voucher_eligible"] else "0", "规模;测试"])
        report = run_import(out.getvalue().encode(), actor=actor)
        if not report.imported:
            raise SystemExit(f"import refused: {report.errors[:3]}")
        db.session.commit()
        created += report.created
    return created


def rebuild_index(_listings):
    from marketplace.catalog.models import Listing
    from marketplace.extensions import db
    from marketplace.search.indexer import rebuild

    rebuild(reason="bench/scale_data.py")
    return db.session.scalar(select(func.count()).select_from(Listing))


def scale_program():
    """The SCALE program (created and opened on first use), with a budget for any number of vouchers."""
    from marketplace.vouchers import services
    from marketplace.vouchers.models import VoucherProgram
    from marketplace.extensions import db

    program = db.session.scalar(select(VoucherProgram).where(VoucherProgram.code == "SCALE"))
    if program is None:
        data = services.ProgramData(
            code="SCALE", name="规模测试创新券", funder="规模测试资助方", budget_fen=10**14, valid_from=date(2026, 1, 1),
            use_by=date(2026, 12, 31), redeem_by=date(2027, 3, 31), enterprise_cap_fen=10**12,
            eligible_categories=["ip", "testing", "rnd", "consulting", "transfer", "finance", "incubation", "training",
                                 "data"], description="bench/scale_data.py")
        program = services.create_program(data, admin())
        services.open_program(program.id, admin())
        db.session.commit()
    return program


def add_transfers(total, resolved):
    """≈2 % issuances, `resolved` posts and voids (half and half), holds for the rest."""
    from marketplace import ledger
    from marketplace.auth.models import Organisation, User
    from marketplace.extensions import db
    from marketplace.ledger.accounts import account_values, receivable_account_code
    from marketplace.vouchers.issuance import IssueItem
    from marketplace.vouchers.models import Voucher
    from marketplace.vouchers.services import issue_vouchers

    before = db.session.scalar(select(func.count()).select_from(ledger.Transfer))
    program, actor, rng = scale_program(), admin(), random.Random(9)
    enterprises = db.session.scalars(select(Organisation.id).where(Organisation.kind == "enterprise",
                                                                   Organisation.legal_name.like("%规模测试%"))).all()
    providers = provider_ids()
    vouchers_wanted = max(1, total // 50)
    items = [IssueItem(enterprises[n % len(enterprises)], 1_000_000, f"scale:{uuid.uuid4().hex}", memo="规模测试")
             for n in range(vouchers_wanted)]
    vouchers = []
    for start in range(0, len(items), ISSUE_BATCH):
        vouchers += [v.account_id for v in issue_vouchers(program, items[start:start + ISSUE_BATCH], actor)]
        db.session.commit()
    receivables = ledger.open_accounts(db.session, [
        account_values(receivable_account_code(program.code, provider), ledger.AccountKind.PROVIDER_RECEIVABLE,
                       program_id=program.id, organisation_id=provider) for provider in providers])
    db.session.commit()
    # The demo enterprise's 2026 voucher holds for the demo testing centre: its statement grows.
    demo_voucher = db.session.scalar(select(Voucher).join(Organisation, Organisation.id == Voucher.organisation_id)
                                     .join(User, User.organisation_id == Organisation.id)
                                     .where(User.email == DEMO_BUYER).order_by(Voucher.id))
    demo_provider = db.session.scalar(select(User.organisation_id).where(User.email == DEMO_PROVIDER))
    demo_receivable = ledger.open_receivable_account(db.session, demo_voucher.program_id, demo_voucher.program.code,
                                                     demo_provider).id
    db.session.commit()
    resolutions_wanted = int(total * resolved)
    holds_wanted = total - vouchers_wanted - resolutions_wanted
    holds = []
    while len(holds) < holds_wanted:
        size = min(HOLD_BATCH, holds_wanted - len(holds))
        requests = []
        for n in range(len(holds), len(holds) + size):
            if n % 50 == 0:
                requests.append(ledger.TransferRequest(demo_voucher.account_id, demo_receivable, rng.randint(1, 100),
                                                       ledger.TransferKind.HOLD, pending=True, memo="规模测试"))
            else:
                requests.append(ledger.TransferRequest(vouchers[n % len(vouchers)], receivables[n % len(receivables)],
                                                       rng.randint(100, 2_000), ledger.TransferKind.HOLD, pending=True,
                                                       memo="规模测试"))
        holds += [record.id for record in ledger.run_in_transaction(db.session, lambda: ledger.batch(db.session, requests))]
    done = 0
    while done < resolutions_wanted:
        chunk = holds[done:min(resolutions_wanted, done + RESOLVE_PER_TRANSACTION)]

        def resolve(chunk=chunk, offset=done):
            for n, hold_id in enumerate(chunk, offset):
                if n % 2:
                    ledger.void(db.session, hold_id, memo="规模测试")
                else:
                    ledger.post(db.session, hold_id)
        ledger.run_in_transaction(db.session, resolve)
        done += len(chunk)
    return db.session.scalar(select(func.count()).select_from(ledger.Transfer)) - before


def place_orders(count):
    """count orders of the demo enterprise at the demo testing centre (its cheapest priced package)."""
    from marketplace.auth.models import User
    from marketplace.catalog.models import Listing
    from marketplace.extensions import db
    from marketplace.orders import checkout

    buyer = db.session.scalar(select(User).where(User.email == DEMO_BUYER))
    provider = db.session.scalar(select(User.organisation_id).where(User.email == DEMO_PROVIDER))
    listings = db.session.scalars(select(Listing).where(Listing.provider_id == provider, Listing.status == "published")
                                  .order_by(Listing.id).limit(20)).all()
    offers = []
    for listing in listings:
        for package in listing.published_revision.packages:
            if package.price_fen:
                offers.append((package.price_fen, listing.id, package.id))
    offers.sort()
    placed = 0
    for n in range(count):
        _, listing_id, package_id = offers[n % min(3, len(offers))]
        buyer = db.session.get(User, buyer.id)
        checkout.place_order(buyer, checkout.offer_for(listing_id, package_id), f"scale:{uuid.uuid4().hex}")
        db.session.commit()
        placed += 1
    return placed


def verify_ledger(_):
    from marketplace import ledger
    from marketplace.extensions import db

    db.session.remove()
    result = ledger.verify(db.engine)
    if not result.ok:
        raise SystemExit(result.summary())
    return result.transfers_checked


if __name__ == "__main__":
    main()
