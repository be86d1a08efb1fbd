import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.errors import InvalidState, NotFound, PermissionDenied
from marketplace.extensions import db
from marketplace.orders import services
from marketplace.orders.models import Order, OrderVoucher
from marketplace.parties.models import Affiliation
from tests.orders.conftest import package_of
from tests.vouchers.fixtures import assert_reconciled


def place(user, listing, key="k1", index=0):
    offer = services.offer_for(listing.id, package_of(listing, index).id)
    order = services.place_order(user, offer, key)
    db.session.commit()
    return order


def test_voucher_share_is_35_percent_rounded_down_and_held(funded_buyer, listing):
    buyer, program, voucher = funded_buyer
    order = place(buyer, listing)
    assert order.price_fen == 680000 and order.voucher_fen == 680000 * 35 // 100 and order.cash_fen == 680000 - 238000
    held = db.session.scalar(select(OrderVoucher))
    assert held.voucher_id == voucher.id and held.amount_fen == 238000
    balance = ledger.balance(db.session, voucher.account_id)
    assert balance.pending == 238000 and balance.available == 10_000_000 - 238000
    assert order.status == "placed" and order.number.startswith("TO")
    assert order.snapshot["title"] == "发明专利申请代理" and order.snapshot["package"] == "标准版"
    assert_reconciled(program)


def test_rounding_down_to_the_fen(make_program, issue, buyer, seller, make_listing):
    from marketplace.catalog import listings
    program = make_program(ratio_bp=3333)
    issue(program, buyer, 1_000_000)
    odd = make_listing(seller, packages=(listings.PackageData("奇数价", 10001, 5, "x"),))
    order = place(buyer, odd)
    assert order.voucher_fen == 10001 * 3333 // 10000 == 3333 and order.cash_fen == 6668


def test_per_order_cap_and_category_ratio(make_program, issue, buyer, seller, make_listing):
    from marketplace.catalog import listings
    program = make_program(order_cap_fen=300_000, category_ratios={"ip": 5000})
    issue(program, buyer, 5_000_000)
    big = make_listing(seller, packages=(listings.PackageData("大单", 2_000_000, 30, "x"),))
    order = place(buyer, big)
    assert order.voucher_fen == 300_000
    reasons = order.voucher_note
    assert "Capped at" in reasons and "50%" in reasons


def test_share_limited_to_available_balance_across_vouchers(make_program, issue, buyer, listing, admin):
    from marketplace.vouchers import services as vouchers
    program = make_program()
    first = issue(program, buyer, 100_000)
    receivable = ledger.open_receivable_account(db.session, program.id, program.code, 999)
    ledger.transfer(db.session, first.account_id, receivable.id, 90_000, kind="adjust", key="use-90%")
    db.session.commit()
    second = issue(program, buyer, 50_000)
    order = place(buyer, listing)
    holds = {h.voucher_id: h.amount_fen for h in db.session.scalars(select(OrderVoucher))}
    assert order.voucher_fen == 60_000 and holds == {first.id: 10_000, second.id: 50_000}


def test_full_cover_below_threshold_pays_at_once(make_program, issue, buyer, seller, make_listing):
    from marketplace.catalog import listings
    program = make_program(full_cover_below_fen=500_000)
    issue(program, buyer, 1_000_000)
    small = make_listing(seller, packages=(listings.PackageData("小额", 300_000, 5, "x"),))
    order = place(buyer, small)
    assert (order.voucher_fen, order.cash_fen, order.status) == (300_000, 0, "paid")


@pytest.mark.parametrize("case", ["not_eligible", "no_vouchers", "category", "related_rep", "affiliation"])
def test_no_voucher_share_and_the_reason(case, make_program, issue, buyer, seller, make_listing):
    program = make_program(eligible_categories=["testing"] if case == "category" else ["ip"])
    if case != "no_vouchers":
        issue(program, buyer, 1_000_000)
    if case == "related_rep":
        buyer.organisation.legal_representative = seller.organisation.legal_representative
    if case == "affiliation":
        low, high = sorted((buyer.organisation_id, seller.organisation_id))
        db.session.add(Affiliation(organisation_a_id=low, organisation_b_id=high, reason="同一集团"))
    db.session.commit()
    item = make_listing(seller, voucher_eligible=case != "not_eligible")
    order = place(buyer, item)
    assert order.voucher_fen == 0 and order.cash_fen == order.price_fen
    expected = {"not_eligible": "not eligible", "no_vouchers": "hold no voucher", "category": "hold no voucher",
                "related_rep": "related parties", "affiliation": "related parties"}[case]
    assert expected in order.voucher_note
    assert db.session.scalar(select(func.count()).select_from(OrderVoucher)) == 0


def test_double_click_places_one_order_with_one_hold(funded_buyer, listing):
    buyer, _, _ = funded_buyer
    first = place(buyer, listing, key="same")
    second = place(buyer, listing, key="same")
    assert first.id == second.id
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert db.session.scalar(select(func.count()).select_from(OrderVoucher)) == 1


def test_unpublished_listing_cannot_be_ordered(funded_buyer, listing, seller):
    from marketplace.catalog import listings
    buyer, _, _ = funded_buyer
    package_id = package_of(listing).id
    listings.unpublish_listing(seller, listing.id)
    db.session.commit()
    with pytest.raises(NotFound):
        services.place_order(buyer, services.offer_for(listing.id, package_id), "late")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


@pytest.mark.parametrize("who", ["provider", "pending_enterprise", "admin"])
def test_only_verified_enterprises_order(who, listing, make_user):
    actor = make_user("enterprise", org_status="pending") if who == "pending_enterprise" else make_user(
        "admin" if who == "admin" else "provider")
    with pytest.raises(PermissionDenied):
        services.place_order(actor, services.offer_for(listing.id, package_of(listing).id), "x")


def test_concurrent_checkouts_never_overspend_a_voucher(make_program, issue, make_user, seller, make_listing, app):
    """Eight threads order at once from one voucher worth two orders' shares."""
    from marketplace.catalog import listings
    buyer = make_user("enterprise")
    program = make_program()
    voucher = issue(program, buyer, 476_000)  # exactly two shares of ¥6,800 × 35%
    item = make_listing(seller, packages=(listings.PackageData("标准版", 680_000, 30, "x"),))
    listing_id, package_id, buyer_id, account_id = item.id, package_of(item).id, buyer.id, voucher.account_id
    db.session.remove()
    results, barrier = [], threading.Barrier(8)

    def checkout(n):
        with app.app_context():
            actor = db.session.get(type(buyer), buyer_id)
            db.session.commit()  # end the read: on SQLite every transaction holds the write lock
            barrier.wait(timeout=30)
            try:
                order = ledger.run_in_transaction(db.session, lambda: services.place_order(
                    actor, services.offer_for(listing_id, package_id), f"thread-{n}"))
                results.append(order.voucher_fen)
            except Exception as error:  # every outcome is asserted below
                results.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=checkout, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, services.VoucherBalanceChanged) for e in errors), errors
    shares = sorted(r for r in results if not isinstance(r, Exception))
    assert sum(shares) <= 476_000 and shares.count(238_000) == 2
    balance = ledger.balance(db.session, account_id)
    assert balance.available >= 0 and balance.pending == sum(shares)
    assert_reconciled(db.session.merge(program))
