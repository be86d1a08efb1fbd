"""Clawback (issue 15): an operator takes back a posted or settled voucher share with a reason
and a second operator's approval — compensating transfers, never edits; the provider's
receivable or a recovery claim shows what is owed; the voucher gets the money back or it lapses."""
import pytest

from marketplace import ledger
from marketplace.approvals import services as approvals
from marketplace.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.ledger.models import Transfer
from marketplace.redemption import clawback, services as redemption
from tests.redemption.conftest import claim, evidence
from tests.vouchers.fixtures import assert_reconciled


def receivable(program, seller):
    return ledger.balance(db.session, f"program:{program.code}:receivable:{seller.organisation_id}").posted


def test_a_posted_share_is_reversed_back_to_the_voucher(four_eyes, complete_order, seller, program, funded_buyer,
                                                        admin, second_admin):
    voucher = funded_buyer[2]
    order = complete_order()
    share = order.voucher_fen
    approval, result = clawback.request_clawback(order.id, admin, "发现虚假交易")
    db.session.commit()
    assert result is None and receivable(program, seller) == share  # nothing moves before the approval
    approvals.approve(second_admin, approval.id)
    db.session.commit()
    assert order.voucher_fen == 0 and receivable(program, seller) == 0
    assert ledger.balance(db.session, voucher.account_id).available == 10_000_000
    reversal = db.session.scalar(db.select(Transfer).where(Transfer.kind == "reverse", Transfer.order_id == order.id))
    assert reversal.amount == share and reversal.reverses_id is not None
    assert redemption.claimable_orders(seller.organisation_id, program.id) == []
    assert "clawback" in [event.action for event in order.events]
    assert_reconciled(program)


def test_a_settled_share_becomes_a_recovery_claim_until_the_provider_repays(complete_order, seller, program, admin,
                                                                            settle, funded_buyer):
    voucher = funded_buyer[2]
    order = complete_order()
    share = order.voucher_fen
    settle(seller, program, [order], admin)
    assert clawback.request_clawback(order.id, admin, "验收材料伪造")[1] == share
    db.session.commit()
    claim = f"program:{program.code}:recovery:{seller.organisation_id}"
    assert ledger.balance(db.session, claim).posted == share  # the provider owes it back
    assert ledger.balance(db.session, voucher.account_id).available == 10_000_000
    assert ledger.reconciliation(db.session, program.id).recovery == share
    assert_reconciled(program)
    with pytest.raises(ValidationFailed):
        clawback.record_recovery(seller.organisation_id, program, share + 1, "BACK-1", admin)
    db.session.rollback()
    clawback.record_recovery(seller.organisation_id, program, share, "BACK-1", admin)
    clawback.record_recovery(seller.organisation_id, program, share, "BACK-1", admin)  # the same reference: once
    db.session.commit()
    assert ledger.balance(db.session, claim).posted == 0
    assert ledger.balance(db.session, f"program:{program.code}:settled").posted == 0
    assert_reconciled(program)


def test_the_program_may_say_clawed_back_money_lapses(complete_order, program, admin, funded_buyer):
    program.clawback_to = "lapse"
    db.session.commit()
    order = complete_order()
    clawback.request_clawback(order.id, admin, "欺诈")
    db.session.commit()
    assert ledger.balance(db.session, funded_buyer[2].account_id).available == 10_000_000 - order.terms["voucher_fen"]
    assert ledger.balance(db.session, f"program:{program.code}:lapsed").posted == order.terms["voucher_fen"]
    assert_reconciled(program)


def test_a_share_in_a_request_under_review_is_not_clawed_back(complete_order, seller, program, admin):
    order = complete_order()
    redemption.submit(seller, program.id, [claim(order, program)], [evidence()])
    with pytest.raises(clawback.NotClawable):
        clawback.request_clawback(order.id, admin, "欺诈")


def test_the_order_page_offers_the_clawback_to_operators_only(complete_order, admin, client, auth, buyer, make_user):
    order = complete_order()
    auth.login(buyer)
    assert 'data-testid="clawback"' not in client.get(f"/orders/{order.number}").get_data(as_text=True)
    auth.logout()
    auditor = make_user("admin")
    auditor.admin_role = "auditor"
    db.session.commit()
    auth.login(auditor)
    assert client.post(f"/admin/orders/{order.number}/clawback", data={"reason": "x"}).status_code == 403
    auth.logout()
    auth.login(admin)
    assert 'data-testid="clawback"' in client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert client.post(f"/admin/orders/{order.number}/clawback", data={"reason": "查实欺诈"}).status_code == 302
    db.session.expire_all()
    assert order.voucher_fen == 0
