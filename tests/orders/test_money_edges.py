"""Money where features meet and time passes (issue 14): each test is a sequence that broke the
money rules before, and states the rule that holds now (docs/architecture.md, "Money rules")."""
import threading
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from marketplace import ledger
from marketplace.catalog import listings, providers
from marketplace.catalog.models import ProviderProfile
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.jobs.models import JobFailure
from marketplace.ledger.accounts import program_account_code
from marketplace.orders import services
from marketplace.orders.lifecycle import OrderFrozen
from marketplace.redemption import errors as redemption_errors, services as redemption
from marketplace.vouchers import batch, services as vouchers
from marketplace.vouchers.errors import OverCap
from marketplace.vouchers.models import EnterpriseQuota
from marketplace.vouchers.rules import SHANGHAI, local_date
from marketplace.worker import run_job
from tests.orders.conftest import package_of
from tests.redemption.conftest import claim, complete_order, evidence, program, report  # noqa: F401 (fixtures)
from tests.vouchers.fixtures import assert_reconciled


def place(user, listing, key, now=None, index=0):
    order = services.place_order(user, services.offer_for(listing.id, package_of(listing, index).id), key, now=now)
    db.session.commit()
    return order


def shanghai(day, clock=time(0, 0)):
    return datetime.combine(day, clock, tzinfo=SHANGHAI)


def lapsed_total(program):
    return ledger.balance(db.session, program_account_code(program.code, ledger.AccountKind.LAPSED)).posted


# -- 1. a hold outlives redeem_by --------------------------------------------------------------
@pytest.fixture
def in_progress(funded_buyer, listing, seller, pay_order):
    buyer, program, voucher = funded_buyer
    order = pay_order(place(buyer, listing, "in-progress"))
    services.accept(order, seller)
    db.session.commit()
    return order


def after_redeem_by(program):
    return shanghai(program.redeem_by + timedelta(days=1), time(0, 0, 1))


def test_work_in_progress_goes_on_in_cash_when_redeem_by_passes(in_progress, funded_buyer, seller, pay_order):
    buyer, program, voucher = funded_buyer
    share, cash = in_progress.voucher_fen, in_progress.cash_fen
    outcome = run_job("ledger hold expiry", after_redeem_by(program))
    assert outcome.results == {"lapsed": 1} and outcome.failed == 0
    db.session.refresh(in_progress)
    assert in_progress.status == "accepted"
    assert (in_progress.voucher_fen, in_progress.cash_fen, in_progress.balance_due_fen) == (0, cash + share, share)
    assert ledger.balance(db.session, voucher.account_id).pending == 0
    assert lapsed_total(program) == program.enterprise_cap_fen  # the whole voucher lapsed: it is past use_by
    services.deliver(in_progress, seller, "", report(seller))
    db.session.commit()
    with pytest.raises(services.BalanceDue):
        services.complete(in_progress, buyer)
    db.session.rollback()
    pay_order(in_progress)  # the balance, on the pay page
    services.complete(in_progress, buyer)
    db.session.commit()
    assert in_progress.status == "completed" and in_progress.cash_received_fen == in_progress.price_fen
    assert_reconciled(program)


def test_orders_not_started_are_cancelled_and_refunded_when_redeem_by_passes(funded_buyer, listing, pay_order):
    buyer, program, voucher = funded_buyer
    unpaid = place(buyer, listing, "unpaid")
    paid = pay_order(place(buyer, listing, "paid"))
    assert run_job("ledger hold expiry", after_redeem_by(program)).results == {"lapsed": 2}
    for order in (unpaid, paid):
        db.session.refresh(order)
        assert order.status == "cancelled" and order.voucher_fen == 0 and order.balance_due_fen == 0
        assert order.cash_refunded_fen == order.cash_paid_fen
    assert ledger.balance(db.session, voucher.account_id).available == 0
    assert_reconciled(program)


def test_completing_after_redeem_by_applies_the_rule_before_the_worker_does(in_progress, funded_buyer, seller, clock):
    buyer, program, _voucher = funded_buyer
    services.deliver(in_progress, seller, "", report(seller))
    db.session.commit()
    clock(after_redeem_by(program))  # the worker has not run yet
    with pytest.raises(services.BalanceDue):
        services.complete(in_progress, buyer)


def test_one_failing_order_is_recorded_and_the_others_still_move(funded_buyer, listing, seller, pay_order,
                                                                 monkeypatch, client, auth, admin):
    buyer, program, _voucher = funded_buyer
    first, second = (pay_order(place(buyer, listing, key)) for key in ("first", "second"))
    real = services.lapse_overdue_holds

    def broken(order, now=None):
        if order.id == first.id:
            raise RuntimeError("disk on fire")
        return real(order, now)

    monkeypatch.setattr("marketplace.orders.expiry.lapse_overdue_holds", broken)
    outcome = run_job("ledger hold expiry", after_redeem_by(program))
    assert (outcome.done, outcome.failed) == (1, 1)
    db.session.refresh(second)
    assert second.status == "cancelled"
    failure = db.session.scalar(select(JobFailure))
    assert (failure.job, failure.item, failure.resolved_at) == ("ledger hold expiry", f"order:{first.id}", None)
    auth.login(admin)
    page = client.get("/admin/").get_data(as_text=True)
    assert f"order:{first.id}" in page and "disk on fire" in page
    monkeypatch.undo()
    assert run_job("ledger hold expiry", after_redeem_by(program)).results == {"lapsed": 1}
    db.session.refresh(failure)
    assert failure.resolved_at is not None and f"order:{first.id}" not in client.get("/admin/").get_data(as_text=True)


# -- 2. every usable program, not the first one only ----------------------------------------
def test_the_share_combines_programs_highest_ratio_then_earliest_expiry(make_program, issue, buyer, listing, admin):
    today = local_date(utcnow())
    soon = make_program(use_by=today + timedelta(days=10), redeem_by=today + timedelta(days=40))
    later = make_program(use_by=today + timedelta(days=200), redeem_by=today + timedelta(days=300))
    issue(soon, buyer, 1)  # ¥0.01 left in the program that expires first
    issue(later, buyer, 10_000_000)
    quote = services.quote(buyer, services.offer_for(listing.id, package_of(listing).id))
    assert [(part.program.id, part.share, part.price_part) for part in quote.parts] == \
        [(soon.id, 1, 3), (later.id, 237_998, 679_995)]  # 35% of the other ¥6,799.97, the least price it needs
    assert quote.voucher == 237_999  # each part rounded down to the fen: ≤ 1 fen less than one program alone
    order = place(buyer, listing, "two-programs")
    holds = {held.voucher.program_id: held.amount_fen for held in order.holds}
    assert holds == {soon.id: 1, later.id: 237_998} and order.voucher_fen == 237_999
    assert [part["program"] for part in order.terms["parts"]] == [soon.code, later.code]


def test_a_higher_ratio_program_covers_first_and_each_keeps_its_cap(make_program, issue, buyer, listing):
    low = make_program(ratio_bp=3000)
    high = make_program(ratio_bp=5000, order_cap_fen=100_000)
    issue(low, buyer, 5_000_000)
    issue(high, buyer, 5_000_000)
    quote = services.quote(buyer, services.offer_for(listing.id, package_of(listing).id))
    # high: 50% of the price capped at ¥1,000 (its part ¥2,000); low: 30% of the other ¥4,800
    assert [(part.program.id, part.share, part.price_part) for part in quote.parts] == \
        [(high.id, 100_000, 200_000), (low.id, 144_000, 480_000)]


def test_the_quote_page_shows_each_program_on_its_own_line(make_program, issue, buyer, listing, client, auth):
    first, second = make_program(name="甲项目", order_cap_fen=50_000), make_program(name="乙项目")
    issue(first, buyer, 1_000_000)
    issue(second, buyer, 1_000_000)
    auth.login(buyer)
    page = client.get(f"/orders/new?listing={listing.id}&package={package_of(listing).id}").get_data(as_text=True)
    assert page.count('data-testid="voucher-part"') == 2 and "甲项目" in page and "乙项目" in page


# -- 3. the enterprise cap on every issuance path ----------------------------------------------
def test_a_batch_confirmed_after_an_approval_cannot_pass_the_cap(make_program, enterprise, admin):
    program = make_program(enterprise_cap_fen=10_000_000)
    code = enterprise.organisation.credit_code
    preview = batch.preview(program.id, "b.csv", f"credit_code,amount_yuan,memo\n{code},100000,批量\n".encode(), admin)
    db.session.commit()
    assert preview.rows_ok == 1  # nothing issued yet when it was checked
    application = vouchers.apply(program.id, enterprise, 10_000_000, "研发")
    vouchers.approve(application.id, admin)
    db.session.commit()
    with pytest.raises(OverCap):
        batch.confirm(preview.id, admin)
    db.session.rollback()
    assert db.session.get(EnterpriseQuota, (program.id, enterprise.organisation_id)).issued_fen == 10_000_000


def test_two_operators_approving_at_once_stay_within_the_cap(make_program, enterprise, admin, make_user, app):
    program = make_program(enterprise_cap_fen=10_000_000)
    first = vouchers.apply(program.id, enterprise, 6_000_000, "研发")
    db.session.commit()
    # the second application is filed directly: the apply-time check would refuse it, the race does not
    second = type(first)(program_id=program.id, organisation_id=enterprise.organisation_id,
                         applicant_id=enterprise.id, amount_fen=6_000_000, purpose="测试")
    db.session.add(second)
    other = make_user("admin")
    db.session.commit()
    ids, operators, program_id, organisation_id = [first.id, second.id], [admin.id, other.id], program.id, \
        enterprise.organisation_id
    db.session.remove()  # on SQLite an open transaction would hold the write lock
    barrier, outcomes = threading.Barrier(2), []

    def approve(application_id, operator_id):
        from marketplace.auth.models import User

        with app.app_context():
            operator = db.session.get(User, operator_id)
            db.session.commit()
            barrier.wait(timeout=30)
            try:
                ledger.run_in_transaction(db.session, lambda: vouchers.approve(application_id, operator))
                outcomes.append("issued")
            except Exception as error:  # every outcome is asserted below
                outcomes.append("over cap" if isinstance(error, OverCap) else repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=pair) for pair in zip(ids, operators)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["issued", "over cap"]
    assert db.session.get(EnterpriseQuota, (program_id, organisation_id)).issued_fen == 6_000_000


# -- 4. a partial dispute splits both shares -----------------------------------------------------
def test_a_partial_dispute_posts_part_of_the_voucher_and_refunds_part_of_the_cash(in_progress, funded_buyer, seller,
                                                                                  admin):
    buyer, program, voucher = funded_buyer
    services.deliver(in_progress, seller, "", report(seller))
    services.dispute(in_progress, buyer, "只完成了一半")
    services.resolve(in_progress, admin, "post", "各承担一半", voucher_fen=100_000, cash_refund_fen=150_000)
    db.session.commit()
    assert in_progress.status == "completed"
    assert in_progress.voucher_fen == 100_000 and in_progress.cash_refunded_fen == 150_000
    assert in_progress.cash_fen == in_progress.cash_paid_fen - 150_000 == 442_000 - 150_000
    receivable = ledger.find_account(db.session, f"program:{program.code}:receivable:{in_progress.provider_id}")
    assert ledger.balance(db.session, receivable.id).posted == 100_000
    assert ledger.balance(db.session, voucher.account_id).available == 10_000_000 - 100_000
    payable = ledger.balance(db.session, f"cash:payable:{in_progress.provider_id}").posted
    assert payable == 442_000 - 150_000
    assert_reconciled(program)


# -- 5. a revoked voucher's released hold lapses ----------------------------------------------
def test_money_released_to_a_revoked_voucher_lapses_at_once(funded_buyer, listing, admin):
    buyer, program, voucher = funded_buyer
    order = place(buyer, listing, "revoked")
    vouchers.revoke(voucher.id, admin, "串通")
    db.session.commit()
    services.cancel(order, buyer, "不要了")
    db.session.commit()
    balance = ledger.balance(db.session, voucher.account_id)
    assert (balance.available, balance.pending) == (0, 0)
    assert lapsed_total(program) == 10_000_000
    assert_reconciled(program)


def test_money_a_partial_post_releases_to_an_expired_voucher_lapses(in_progress, funded_buyer, seller, admin,
                                                                   clock):
    buyer, program, voucher = funded_buyer
    services.deliver(in_progress, seller, "", report(seller))
    services.dispute(in_progress, buyer, "部分完成")
    db.session.commit()
    clock(shanghai(program.use_by + timedelta(days=1), time(9)))
    vouchers.expire_vouchers()
    services.resolve(in_progress, admin, "post", "部分", voucher_fen=1_000)
    db.session.commit()
    assert ledger.balance(db.session, voucher.account_id).available == 0
    assert lapsed_total(program) == 10_000_000 - 1_000
    assert_reconciled(program)


# -- 6. a suspension holds --------------------------------------------------------------------------
def suspend(admin, seller):
    profile = db.session.scalar(select(ProviderProfile).where(ProviderProfile.organisation_id == seller.organisation_id))
    providers.suspend_provider(admin, profile.id, "资质过期")
    db.session.commit()
    return profile


def test_a_suspended_providers_orders_freeze_and_thaw(funded_buyer, listing, seller, admin, pay_order, app):
    buyer, program, _voucher = funded_buyer
    paid = pay_order(place(buyer, listing, "frozen"))
    profile = suspend(admin, seller)
    for attempt in (lambda: services.accept(paid, seller), lambda: services.cancel(paid, buyer)):
        with pytest.raises(OrderFrozen):
            attempt()
        db.session.rollback()
    late = utcnow() + timedelta(days=app.config["ORDER_ACCEPT_DAYS"] + 1)
    assert run_job("order timeouts", late).done == 0  # no deadline runs while frozen
    providers.reinstate_provider(admin, profile.id)
    db.session.commit()
    db.session.refresh(paid)
    assert paid.due_at > utcnow() + timedelta(days=app.config["ORDER_ACCEPT_DAYS"] - 1)  # the deadline restarted
    services.accept(paid, seller)
    db.session.commit()
    assert paid.status == "accepted"


def test_only_an_operator_ends_a_frozen_order(in_progress, funded_buyer, seller, admin):
    buyer, program, voucher = funded_buyer
    suspend(admin, seller)
    with pytest.raises(OrderFrozen):
        services.deliver(in_progress, seller, "", report(seller))
    db.session.rollback()
    services.annul(in_progress, admin, "服务机构被暂停")
    db.session.commit()
    assert in_progress.status == "cancelled" and in_progress.cash_refunded_fen == in_progress.cash_paid_fen
    assert ledger.balance(db.session, voucher.account_id).pending == 0
    assert_reconciled(program)


def test_a_suspended_provider_cannot_request_redemption(complete_order, seller, admin, program):
    order = complete_order()
    suspend(admin, seller)
    with pytest.raises(redemption_errors.ProviderSuspended):
        redemption.submit(seller, program.id, [claim(order, program)], [evidence()])


# -- 7. the last day of use_by and redeem_by, in Asia/Shanghai -----------------------------------
@pytest.mark.parametrize("clock, covered", [(time(23, 59, 59), True), (None, False)])
def test_use_by_is_the_last_day_vouchers_are_held_on_an_order(funded_buyer, listing, clock, covered):
    buyer, program, _voucher = funded_buyer
    now = shanghai(program.use_by, clock) if clock else shanghai(program.use_by + timedelta(days=1))
    order = place(buyer, listing, f"use-by-{covered}", now=now)
    assert (order.voucher_fen > 0) is covered


@pytest.mark.parametrize("clock, open_", [(time(0, 0), True), (None, False)])
def test_valid_from_is_the_first_day_vouchers_are_held(make_program, issue, buyer, listing, clock, open_):
    program = make_program(valid_from=local_date(utcnow()) - timedelta(days=10))  # the provider was admitted before
    issue(program, buyer, 1_000_000)
    now = shanghai(program.valid_from, clock) if clock else shanghai(program.valid_from) - timedelta(seconds=1)
    assert (place(buyer, listing, f"from-{open_}", now=now).voucher_fen > 0) is open_


@pytest.mark.parametrize("clock, accepted", [(time(23, 59, 59), True), (None, False)])
def test_redeem_by_is_the_last_day_a_request_is_accepted(complete_order, seller, program, clock, accepted):
    order = complete_order()
    now = shanghai(program.redeem_by, clock) if clock else shanghai(program.redeem_by + timedelta(days=1))
    claims, files = [claim(order, program)], [evidence()]
    if accepted:
        assert redemption.submit(seller, program.id, claims, files, now=now).status == "submitted"
    else:
        with pytest.raises(redemption_errors.RedemptionClosed):
            redemption.submit(seller, program.id, claims, files, now=now)


@pytest.mark.parametrize("seconds_after, lapses", [(-1, False), (0, True)])
def test_a_hold_lapses_exactly_at_the_end_of_redeem_by(in_progress, funded_buyer, seconds_after, lapses):
    program = funded_buyer[1]
    end = shanghai(program.redeem_by + timedelta(days=1)) + timedelta(seconds=seconds_after)
    assert bool(services.lapse_overdue_holds(in_progress, end)) is lapses


@pytest.mark.parametrize("day_offset, expired", [(0, False), (1, True)])
def test_vouchers_expire_the_day_after_use_by(funded_buyer, day_offset, expired):
    program, voucher = funded_buyer[1], funded_buyer[2]
    now = shanghai(program.use_by + timedelta(days=day_offset), time(12))
    from marketplace.vouchers.expiry import vouchers_to_expire

    assert (voucher.id in vouchers_to_expire(now)) is expired


# -- 8. rounding down, where rounding to the nearest fen would differ -----------------------------
def test_the_share_is_rounded_down_where_nearest_would_round_up(make_program, issue, buyer, seller, make_listing):
    program = make_program(ratio_bp=3500)
    issue(program, buyer, 1_000_000)
    odd = make_listing(seller, packages=(listings.PackageData("零头", 999, 5, "x"),))
    order = place(buyer, odd, "round")
    assert 999 * 35 / 100 == 349.65 and order.voucher_fen == 349 and order.cash_fen == 650


# -- 9. an order is judged by the terms it was priced under -------------------------------------
def test_the_order_keeps_its_terms_when_the_program_changes(funded_buyer, listing, admin):
    buyer, program, _voucher = funded_buyer
    order = place(buyer, listing, "terms")
    program.ratio_bp = 1000
    db.session.commit()
    [part] = order.terms["parts"]
    assert (part["ratio_bp"], part["price_part_fen"], part["share_fen"]) == (3500, 680_000, 238_000)
    from marketplace.audit import anomalies

    assert anomalies.share_above_ratio() == []

