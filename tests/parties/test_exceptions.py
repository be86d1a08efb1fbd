import threading

import pytest
from sqlalchemy import select

from marketplace.approvals import services as approvals
from marketplace.approvals.models import Approval
from marketplace.audit import anomalies
from marketplace.audit.models import AuditEntry
from marketplace.extensions import db
from marketplace.orders import services as orders
from marketplace.parties import exceptions, services as parties
from marketplace.parties.models import PartyException
from tests.orders.conftest import package_of


def place(buyer, listing, key):
    order = orders.place_order(buyer, orders.offer_for(listing.id, package_of(listing).id), key)
    db.session.commit()
    return order


@pytest.fixture
def related(operator, funded_buyer, seller):
    buyer = funded_buyer[0]
    parties.record_affiliation(operator, buyer.organisation_id, seller.organisation_id, "group", "同一集团")
    db.session.commit()
    return buyer


def test_exception_with_four_eyes_is_used_by_the_next_order_only(four_eyes, related, seller, listing, operator,
                                                                  second_operator):
    approval, granted = exceptions.request_exception(operator, related.organisation_id, seller.organisation_id,
                                                     "该集团内部采购经区科技局书面同意")
    db.session.commit()
    assert granted is None and approval.action == "related_party.override"
    assert place(related, listing, "before").voucher_fen == 0  # not yet approved
    with pytest.raises(approvals.SameOperator):
        approvals.approve(operator, approval.id)
    db.session.rollback()
    exception = approvals.approve(second_operator, approval.id)
    db.session.commit()
    assert (exception.requested_by_id, exception.approved_by_id) == (operator.id, second_operator.id)
    order = place(related, listing, "with-exception")
    assert order.voucher_fen > 0
    assert order.terms["related_party_exception"] == {"id": exception.id, "reason": "该集团内部采购经区科技局书面同意"}
    assert db.session.get(PartyException, exception.id).used_order_id == order.id
    assert place(related, listing, "after").voucher_fen == 0  # used up
    flags = {f.order_number: f for f, _ in anomalies.flags() if f.rule == "related_party_order"}
    assert order.number in flags and flags[order.number].params["reason"] == "该集团内部采购经区科技局书面同意"
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"approval.request", "related_party.override", "approval.approved"} <= actions


def test_without_four_eyes_it_is_granted_at_once(related, seller, operator):
    approval, granted = exceptions.request_exception(operator, related.organisation_id, seller.organisation_id, "理由")
    db.session.commit()
    assert granted is not None and approval.status == "approved"
    with pytest.raises(exceptions.ExceptionAlreadyOpen):
        exceptions.request_exception(operator, related.organisation_id, seller.organisation_id, "再来一次")


def test_refused_for_unrelated_pairs_and_without_reason(funded_buyer, seller, operator):
    from marketplace.errors import ValidationFailed

    buyer = funded_buyer[0]
    with pytest.raises(exceptions.NotRelated):
        exceptions.request_exception(operator, buyer.organisation_id, seller.organisation_id, "理由")
    parties.record_affiliation(operator, buyer.organisation_id, seller.organisation_id, "group", "同一集团")
    with pytest.raises(ValidationFailed):
        exceptions.request_exception(operator, buyer.organisation_id, seller.organisation_id, " ")
    with pytest.raises(ValidationFailed):  # the enterprise first, then the provider
        exceptions.request_exception(operator, seller.organisation_id, buyer.organisation_id, "理由")


def test_two_checkouts_cannot_both_use_it(related, seller, make_listing, operator, app):
    """Two orders at once with the provider: one gets the exception, the other none of it."""
    from marketplace import ledger
    from marketplace.auth.models import User

    exceptions.request_exception(operator, related.organisation_id, seller.organisation_id, "理由")
    db.session.commit()
    second = make_listing(seller, title="另一项服务")
    offers = [(item.id, package_of(item).id) for item in (second, second)]
    buyer_id = related.id
    db.session.remove()
    results, barrier = [], threading.Barrier(2)

    def checkout(n):
        with app.app_context():
            actor = db.session.get(User, buyer_id)
            db.session.commit()  # end the read: on SQLite every transaction holds the write lock
            barrier.wait(timeout=30)
            try:
                order = ledger.run_in_transaction(db.session, lambda: orders.place_order(
                    actor, orders.offer_for(*offers[n]), f"thread-{n}"))
                results.append(order.voucher_fen)
            except Exception as error:  # every outcome is asserted below
                results.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=checkout, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    shares = [r for r in results if isinstance(r, int)]
    assert len(results) == 2 and sum(1 for r in shares if r > 0) == 1, results
    assert all(isinstance(r, (int, exceptions.ExceptionUsed)) for r in results), results
    used = db.session.scalars(select(PartyException).where(PartyException.used_order_id.is_not(None))).all()
    assert len(used) == 1


def test_a_rejected_request_grants_nothing(four_eyes, related, seller, operator, second_operator, listing):
    approval, _ = exceptions.request_exception(operator, related.organisation_id, seller.organisation_id, "理由")
    approvals.reject(second_operator, approval.id, "证据不足")
    db.session.commit()
    assert db.session.scalar(select(PartyException)) is None
    assert db.session.get(Approval, approval.id).status == "rejected"
    assert place(related, listing, "k").voucher_fen == 0
