"""A program's life (issue 15): pause and resume, later deadlines (holds follow), budget changes,
the year-end close after redeem_by — receivables lapse, budget and lapsed money return to the
funder, the program freezes with its final account (决算) — and a clone for next year."""
from datetime import date, datetime, time, timedelta

import pytest

from marketplace import ledger
from marketplace.errors import InvalidState, ValidationFailed
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.orders import services as orders
from marketplace.vouchers import lifecycle, services as vouchers
from marketplace.vouchers.errors import ProgramPaused
from marketplace.vouchers.rules import SHANGHAI
from tests.orders.conftest import package_of
from tests.redemption.conftest import claim, evidence
from tests.vouchers.fixtures import assert_reconciled


def after(day):
    return datetime.combine(day + timedelta(days=1), time(9), tzinfo=SHANGHAI)


def test_a_paused_program_takes_no_applications_but_its_vouchers_still_pay(funded_buyer, listing, admin, enterprise):
    buyer, program, _voucher = funded_buyer
    lifecycle.pause(program.id, admin, "预算复核")
    db.session.commit()
    with pytest.raises(ProgramPaused):
        vouchers.apply(program.id, enterprise, 100_000, "研发")
    order = orders.place_order(buyer, orders.offer_for(listing.id, package_of(listing).id), "paused")
    assert order.voucher_fen > 0
    lifecycle.resume(program.id, admin)
    assert vouchers.apply(program.id, enterprise, 100_000, "研发").status == "pending"


def test_deadlines_move_only_later_and_open_holds_follow(funded_buyer, listing, admin):
    buyer, program, _voucher = funded_buyer
    order = orders.place_order(buyer, orders.offer_for(listing.id, package_of(listing).id), "held")
    db.session.commit()
    with pytest.raises(ValidationFailed):
        lifecycle.request_extension(program.id, admin, program.use_by - timedelta(days=1), None, "提前")
    new_redeem_by = program.redeem_by + timedelta(days=30)
    lifecycle.request_extension(program.id, admin, None, new_redeem_by, "疫情顺延")
    db.session.commit()
    assert program.redeem_by == new_redeem_by
    [held] = order.holds
    hold = db.session.get(ledger.Transfer, held.hold_id)
    assert hold.timeout_at == datetime.combine(new_redeem_by + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    assert orders.lapse_overdue_holds(order, after(new_redeem_by - timedelta(days=10))) == 0  # not at the old end
    assert_reconciled(program)


def test_the_budget_grows_from_the_funder_and_shrinks_back_to_it(funded_buyer, admin):
    program = funded_buyer[1]
    lifecycle.request_budget_change(program.id, admin, program.budget_fen + 5_000_000, "追加预算")
    db.session.commit()
    assert ledger.reconciliation(db.session, program.id).funded == program.budget_fen
    with pytest.raises(ValidationFailed):  # never below what is issued
        lifecycle.request_budget_change(program.id, admin, 10_000_000 - 1, "削减")
    db.session.rollback()
    lifecycle.request_budget_change(program.id, admin, 50_000_000, "削减")
    db.session.commit()
    assert ledger.balance(db.session, f"program:{program.code}:budget").posted == 50_000_000 - 10_000_000
    assert_reconciled(program)


def test_year_end_close_settles_returns_and_freezes(complete_order, seller, program, admin, settle, funded_buyer,
                                                    clock, listing):
    buyer, _program, voucher = funded_buyer
    claimed, unclaimed = complete_order("claimed"), complete_order("unclaimed")
    settle(seller, program, [claimed], admin)
    with pytest.raises(InvalidState):
        lifecycle.close_year(program.id, admin)  # before redeem_by has passed
    clock(after(program.redeem_by))
    lifecycle.close_year(program.id, admin)
    db.session.commit()
    totals = program.final_account["totals"]
    assert totals["issued"] == 10_000_000 and totals["settled"] == claimed.voucher_fen
    assert totals["redeemed"] == claimed.voucher_fen + unclaimed.voucher_fen
    assert totals["lapsed"] == (10_000_000 - totals["redeemed"]) + unclaimed.voucher_fen
    assert totals["returned"] == program.budget_fen - claimed.voucher_fen
    assert totals["held"] == 0 and program.status == "final"
    [row] = program.final_account["providers"]
    assert row[2:] == [totals["redeemed"], claimed.voucher_fen, 0, unclaimed.voucher_fen]
    figures = ledger.reconciliation(db.session, program.id)
    assert (figures.funded, figures.settled, figures.budget_left, figures.lapsed, figures.receivable) == \
        (claimed.voucher_fen, claimed.voucher_fen, 0, 0, 0)  # nothing left but the final state
    assert figures.balanced
    db.session.commit()  # SQLite: the verifier needs the write lock this session may hold
    assert ledger.verify(db.engine).ok
    with pytest.raises(ledger.AccountClosed):
        ledger.transfer(db.session, f"program:{program.code}:funder", f"program:{program.code}:budget", 1,
                        kind="fund", key="after-close")


def test_year_end_close_waits_for_requests_in_review(complete_order, seller, program, admin, clock):
    from marketplace.redemption import services as redemption

    order = complete_order()
    redemption.submit(seller, program.id, [claim(order, program)], [evidence()])
    db.session.commit()
    clock(after(program.redeem_by))
    with pytest.raises(InvalidState) as refused:
        lifecycle.close_year(program.id, admin)
    assert "1" in str(refused.value)


def test_a_clone_for_next_year_invites_last_years_participants(funded_buyer, admin):
    buyer, program, _voucher = funded_buyer
    clone = lifecycle.clone(program.id, admin, "NEXT", "明年的创新券")
    db.session.commit()
    assert clone.status == "draft" and clone.previous_id == program.id
    assert clone.use_by == date(program.use_by.year + 1, program.use_by.month, program.use_by.day) or \
        (clone.use_by - program.use_by).days == 365
    assert clone.ratio_bp == program.ratio_bp and clone.eligible_categories == program.eligible_categories
    invited = db.session.scalars(db.select(Notification.user_id).where(Notification.kind == "program_planned")).all()
    assert buyer.id in invited


def test_the_program_page_closes_the_year_and_shows_the_final_account(funded_buyer, admin, client, auth, clock):
    program = funded_buyer[1]
    clock(after(program.redeem_by))
    auth.login(admin)
    page = client.get(f"/admin/programs/{program.id}").get_data(as_text=True)
    assert 'data-testid="close-year"' in page
    assert client.post(f"/admin/programs/{program.id}/close_year", data={}).status_code == 302
    page = client.get(f"/admin/programs/{program.id}").get_data(as_text=True)
    assert 'data-testid="final-account"' in page and "决算" in page
    export = client.get(f"/admin/programs/{program.id}/final-account.csv")
    assert export.status_code == 200 and "返还" in export.data.decode("utf-8-sig")
    assert "/edit" not in page and "Revoke" not in page and "撤销…" not in page  # frozen: nothing offered


def test_a_program_closed_for_the_year_is_read_only(funded_buyer, admin, clock):
    from marketplace.vouchers import programs
    from marketplace.vouchers.expiry import revoke

    program, voucher = funded_buyer[1], funded_buyer[2]
    clock(after(program.redeem_by))
    lifecycle.close_year(program.id, admin)
    db.session.commit()
    fields = {name: getattr(program, name) for name in programs.ProgramData.__dataclass_fields__}
    data = programs.ProgramData(**{**fields, "description": "改写决算后的项目"})
    with pytest.raises(InvalidState):
        programs.update_program(program.id, data, admin)
    with pytest.raises(InvalidState):
        revoke(voucher.id, admin, "决算后撤销")
