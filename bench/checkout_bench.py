"""Checkout benchmark against PostgreSQL (not a test). From the repository root:

    .venv/bin/python bench/checkout_bench.py [--server postgresql+psycopg://root@127.0.0.1:5432] [--orders 400]

Places orders through the real service (`orders.services.place_order`: quote, order row, voucher
hold in the ledger, timeline event, one transaction via `run_in_transaction`) with 1 and 4
client threads, and in the same run measures the baseline of a bare voucher hold
(`ledger.hold` alone, same accounts, same clients), printing both rates and the ratio
checkout/hold — what the order around the hold costs. The database it creates is dropped.
"""
import argparse
import os
import sys
import threading
import time
import uuid
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.ledger_bench import Databases  # noqa: E402
from marketplace import create_app, ledger  # noqa: E402
from marketplace.extensions import db  # noqa: E402

CLIENTS = (1, 4)


def build(url, buyers):
    """A migrated database with one admitted provider, one listing and `buyers` funded enterprises."""
    from flask_migrate import upgrade

    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "RATELIMIT_STORAGE_URI": "memory://",
                      "SEARCH_INDEX_DIR": f"/tmp/checkout-bench-{uuid.uuid4().hex}"})
    with app.app_context():
        upgrade(directory="migrations")
        listing_id, package_id, buyer_ids, program_id = seed(buyers)
    return app, listing_id, package_id, buyer_ids, program_id


def seed(buyers):
    from marketplace.auth.models import Organisation, User
    from marketplace.auth.credit_code import complete
    from marketplace.catalog import listings, moderation
    from marketplace.catalog.models import AdmissionStatus, ProviderProfile
    from marketplace.database import utcnow
    from marketplace.vouchers import services as vouchers
    from marketplace.vouchers.issuance import IssueItem

    def org(kind, n):
        code = complete(f"91350200{n:09d}")
        return Organisation(kind=kind, status="approved", legal_name=f"基准{kind}{n}", credit_code=code,
                            legal_representative=f"代表{n}", city="厦门", contact_name="联系人", contact_phone="0592-5555555")

    admin = User(email="bench-admin@example.com", name="admin", role="admin")
    admin.set_password("bench-pass-123")
    seller_org = org("provider", 0)
    seller = User(email="seller@example.com", name="seller", role="provider", organisation=seller_org)
    seller.set_password("bench-pass-123")
    db.session.add_all([admin, seller, ProviderProfile(organisation=seller_org, status=AdmissionStatus.ADMITTED,
                                                       admitted_at=utcnow() - timedelta(days=30), city="厦门")])
    buyers_users = []
    for n in range(1, buyers + 1):
        user = User(email=f"buyer{n}@example.com", name="buyer", role="enterprise", organisation=org("enterprise", n))
        user.set_password("bench-pass-123")
        buyers_users.append(user)
    db.session.add_all(buyers_users)
    db.session.flush()
    item = listings.create_listing(seller, listings.ListingData(
        title="发明专利申请代理", category_slug="ip", summary="基准", description="基准", tags="专利", city="厦门",
        voucher_eligible=True, packages=(listings.PackageData("标准版", 680000, 30, "撰写与提交"),)))
    listings.submit_listing(seller, item.id)
    moderation.approve_revision(admin, item.working_revision_id)
    today = date.today()
    program = vouchers.create_program(vouchers.ProgramData(
        code="BENCH", name="基准项目", funder="基准", budget_fen=10**12, valid_from=today - timedelta(days=1),
        use_by=today + timedelta(days=90), redeem_by=today + timedelta(days=180), enterprise_cap_fen=10**10,
        eligible_categories=["ip"]), admin)
    vouchers.open_program(program.id, admin)
    vouchers.issue_vouchers(program, [IssueItem(u.organisation_id, 10**9, f"bench:{u.id}") for u in buyers_users], admin)
    db.session.commit()
    package_id = item.published_revision.packages[0].id
    return item.id, package_id, [u.id for u in buyers_users], program.id


def run_clients(app, clients, per_client, work):
    """Each client thread runs `work(client_index, i)` per_client times in its own app context."""
    errors, barrier = [], threading.Barrier(clients)

    def client(index):
        with app.app_context():
            barrier.wait()
            for i in range(per_client):
                try:
                    work(index, i)
                except Exception as error:  # counted and reported
                    errors.append(error)
            db.session.remove()

    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, errors


def checkout_work(app, listing_id, package_id, buyer_ids, tag):
    from marketplace.auth.models import User
    from marketplace.auth.services import user_for_session
    from marketplace.orders import services

    with app.app_context():
        session_ids = [db.session.get(User, user_id).get_id() for user_id in buyer_ids]
        db.session.remove()

    def work(client, i):
        actor = user_for_session(session_ids[client % len(session_ids)])  # what a request's login does
        ledger.run_in_transaction(db.session, lambda: services.place_order(
            actor, services.offer_for(listing_id, package_id), f"{tag}-{client}-{i}"))
    return work


def hold_work(app, buyer_ids, program_id, tag):
    """The baseline: the same voucher hold the checkout writes, alone."""
    from marketplace.auth.models import User
    from marketplace.vouchers.models import Voucher

    with app.app_context():
        accounts = [db.session.query(Voucher.account_id).filter_by(
            organisation_id=db.session.get(User, user_id).organisation_id).scalar() for user_id in buyer_ids]
        receivable = ledger.open_receivable_account(db.session, program_id, "BENCH", 1).id
        db.session.commit()

    def work(client, i):
        ledger.run_in_transaction(db.session, lambda: ledger.hold(
            db.session, accounts[client % len(accounts)], receivable, 238000, key=f"{tag}-{client}-{i}"))
    return work


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="postgresql+psycopg://root@127.0.0.1:5432")
    parser.add_argument("--orders", type=int, default=400, help="orders per client count")
    args = parser.parse_args()
    databases = Databases(args.server)
    try:
        app, listing_id, package_id, buyer_ids, program_id = build(databases.create(f"checkout_bench_{os.getpid()}"), 4)
        print(f"checkout vs bare voucher hold, PostgreSQL, {args.orders} operations per run")
        for clients in CLIENTS:
            per_client = args.orders // clients
            total = per_client * clients
            hold_seconds, hold_errors = run_clients(app, clients, per_client, hold_work(app, buyer_ids, program_id, f"h{clients}"))
            order_seconds, order_errors = run_clients(app, clients, per_client,
                                                      checkout_work(app, listing_id, package_id, buyer_ids, f"o{clients}"))
            holds, orders = total / hold_seconds, total / order_seconds
            print(f"  {clients} client(s): checkouts {orders:7.1f}/s   bare holds {holds:7.1f}/s   "
                  f"ratio {orders / holds:4.2f}   errors {len(order_errors)}+{len(hold_errors)}")
        with app.app_context():
            result = ledger.verify(db.engine)
            print(f"  ledger verify after the run: {'intact' if result.ok else 'BROKEN'}, {result.transfers_checked} transfers")
            db.engine.dispose()
    finally:
        databases.drop_all()


if __name__ == "__main__":
    main()
