"""Provider payouts (issue 15): cash of completed orders past the holding period, paid in batches
a second operator approves, exported for the bank, marked paid once with the bank reference;
bank details verified before use; a refund after payout carried into the next batch."""
import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from marketplace import ledger
from marketplace.approvals.services import SameOperator
from marketplace.audit.models import AuditEntry
from marketplace.database import SimulatedClock, utcnow
from marketplace.errors import InvalidState, ValidationFailed
from marketplace.extensions import db
from marketplace.payments.services import cash_reconciliation
from marketplace.payouts import services as payouts


@pytest.fixture
def verified_bank(seller, admin):
    account = payouts.submit_bank_account(seller, payouts.BankData("厦门测试服务有限公司", "中国工商银行", "厦门分行",
                                                                   "6222 0210 0101 2345 678"))
    payouts.verify_bank_account(admin, account.id)
    db.session.commit()
    return account


@pytest.fixture
def later(app):
    """later() moves the app's clock past the holding period of what completed until now."""
    def advance():
        SimulatedClock.now = utcnow() + timedelta(days=app.config["PAYOUT_HOLD_DAYS"] + 1)
    yield advance
    SimulatedClock.now = None


def payable(seller):
    return ledger.balance(db.session, f"cash:payable:{seller.organisation_id}").posted


def test_nothing_is_payable_before_the_holding_period(complete_order, seller, admin, verified_bank):
    complete_order()
    assert payouts.outstanding() == {}
    with pytest.raises(InvalidState):
        payouts.create_batch(admin)


def test_a_batch_is_approved_by_a_second_operator_exported_and_paid_once(four_eyes, complete_order, seller, admin,
                                                                         second_admin, verified_bank, later):
    first, second = complete_order("o-1"), complete_order("o-2")
    later()
    batch = payouts.create_batch(admin, "十二月第一批")
    assert [(line.provider_id, line.amount_fen) for line in batch.lines] == \
        [(seller.organisation_id, first.cash_received_fen + second.cash_received_fen)]
    with pytest.raises(SameOperator):
        payouts.approve_batch(admin, batch.id)
    with pytest.raises(InvalidState):
        payouts.mark_paid(admin, batch.id, "ICBC-1")
    payouts.approve_batch(second_admin, batch.id)
    payouts.mark_exported(admin, batch.id)
    payouts.mark_paid(admin, batch.id, "ICBC-1")
    db.session.commit()
    assert payable(seller) == 0 and payouts.outstanding() == {}
    assert payouts.mark_paid(admin, batch.id, "ICBC-1").status == "paid"  # again: nothing changes
    db.session.commit()
    figures = cash_reconciliation()
    assert figures.balanced and figures.paid_out == batch.total_fen
    actions = set(db.session.scalars(db.select(AuditEntry.action)))
    assert {"payout.create", "payout.approve", "payout.export", "payout.paid"} <= actions


def test_a_bank_reference_pays_one_batch_only(complete_order, seller, admin, verified_bank, later, make_provider):
    complete_order("o-1")
    later()
    batch = payouts.create_batch(admin)
    payouts.approve_batch(admin, batch.id)
    payouts.mark_paid(admin, batch.id, "SAME")
    db.session.commit()
    complete_order("o-2")
    SimulatedClock.now += timedelta(days=30)
    other = payouts.create_batch(admin)
    payouts.approve_batch(admin, other.id)
    with pytest.raises(ValidationFailed):
        payouts.mark_paid(admin, other.id, "SAME")


def test_a_refund_after_payout_is_carried_into_the_next_batch(complete_order, seller, admin, second_admin,
                                                              verified_bank, later, client, auth):
    from marketplace.redemption import clawback

    order = complete_order("o-1")
    later()
    batch = payouts.create_batch(admin)
    payouts.approve_batch(admin, batch.id)
    payouts.mark_paid(admin, batch.id, "PAID-1")
    db.session.commit()
    clawback.request_clawback(order.id, admin, "欺诈", cash_refund_fen=100_000)  # the buyer gets ¥1,000 back
    db.session.commit()
    assert payable(seller) == -100_000
    position = payouts.provider_position(seller.organisation_id)
    assert (position["payable"], position["carried"]) == (0, -100_000)
    auth.login(seller)
    assert "-¥1,000.00" in client.get("/payouts/").get_data(as_text=True).replace("−", "-")
    auth.logout()
    new = complete_order("o-2")
    SimulatedClock.now += timedelta(days=30)
    next_batch = payouts.create_batch(admin)
    [line] = next_batch.lines
    assert line.amount_fen == new.cash_received_fen - 100_000
    assert sorted(item.amount_fen for item in line.items) == [-100_000, new.cash_received_fen]
    payouts.approve_batch(admin, next_batch.id)
    payouts.mark_paid(admin, next_batch.id, "PAID-2")
    db.session.commit()
    assert payable(seller) == 0 and cash_reconciliation().balanced


def test_bank_details_are_verified_before_use_and_every_change_is_logged(complete_order, seller, admin, later):
    complete_order("o-1")
    later()
    with pytest.raises(InvalidState):  # no verified bank details: left out
        payouts.create_batch(admin)
    with pytest.raises(ValidationFailed):
        payouts.submit_bank_account(seller, payouts.BankData("名", "银行", "", "１２３４５６７８９"))  # full-width
    account = payouts.submit_bank_account(seller, payouts.BankData("名", "银行", "", "12345678901"))
    assert account.status == "pending"
    with pytest.raises(ValidationFailed):
        payouts.verify_bank_account(admin, account.id, approve=False)
    payouts.verify_bank_account(admin, account.id)
    change = payouts.submit_bank_account(seller, payouts.BankData("名", "另一银行", "", "99998888777766"))
    db.session.commit()
    assert payouts.verified_account(seller.organisation_id).id == account.id  # until the change is verified
    payouts.verify_bank_account(admin, change.id)
    db.session.commit()
    assert payouts.verified_account(seller.organisation_id).id == change.id and account.status == "superseded"
    logged = db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.object_type == "BankAccount")).all()
    assert logged.count("bank_account.submit") == 2 and logged.count("bank_account.verified") == 2


def test_exports_carry_bank_details_and_amounts_as_numbers(complete_order, seller, admin, verified_bank, later,
                                                           client, auth):
    order = complete_order("o-1")
    later()
    batch = payouts.create_batch(admin)
    db.session.commit()
    auth.login(admin)
    raw = client.get(f"/admin/payouts/{batch.id}/export.csv").data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[1][6] == "6222021001012345678" and rows[1][7] == f"{order.cash_received_fen / 100:.2f}"
    book = load_workbook(io.BytesIO(client.get(f"/admin/payouts/{batch.id}/export.xlsx").data))
    cell = book.active.cell(2, 8)
    assert isinstance(cell.value, (int, float)) and round(cell.value * 100) == order.cash_received_fen
    db.session.refresh(batch)
    assert batch.status == "draft"  # downloading changes nothing
