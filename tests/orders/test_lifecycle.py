from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.catalog import uploads
from marketplace.database import utcnow
from marketplace.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.orders import services
from marketplace.orders.models import OrderEvent, Review
from marketplace.worker import run_job
from tests.catalog.conftest import PDF
from tests.orders.conftest import package_of
from tests.vouchers.fixtures import assert_reconciled


@pytest.fixture
def paid_order(funded_buyer, listing, pay_order):
    """An order whose cash share is paid through localstripe."""
    buyer, program, voucher = funded_buyer
    order = services.place_order(buyer, services.offer_for(listing.id, package_of(listing).id), "paid-order")
    db.session.commit()
    return pay_order(order)


def report(user):
    return uploads.store_document(user.organisation, uploads.Upload("report.pdf", PDF), "order")


def receivable_balance(order):
    account = ledger.find_account(db.session, f"program:{order.program.code}:receivable:{order.provider_id}")
    return ledger.balance(db.session, account.id)


def test_full_journey_posts_the_voucher_share_to_the_provider(paid_order, seller, funded_buyer):
    buyer, program, voucher = funded_buyer
    services.accept(paid_order, seller)
    services.deliver(paid_order, seller, "报告见附件", report(seller))
    services.complete(paid_order, buyer)
    db.session.commit()
    assert paid_order.status == "completed" and paid_order.completed_at is not None
    assert receivable_balance(paid_order).posted == paid_order.voucher_fen
    assert ledger.balance(db.session, voucher.account_id).pending == 0
    actions = db.session.scalars(select(OrderEvent.action).where(OrderEvent.order_id == paid_order.id)
                                 .order_by(OrderEvent.id)).all()
    assert actions == ["place", "pay", "accept", "deliver", "complete"]
    assert_reconciled(program)


def test_accepting_delivery_twice_is_refused(paid_order, seller, funded_buyer):
    buyer = funded_buyer[0]
    services.accept(paid_order, seller)
    services.deliver(paid_order, seller, "", report(seller))
    services.complete(paid_order, buyer)
    with pytest.raises(InvalidState) as refused:
        services.complete(paid_order, buyer)
    assert "“Completed”" in str(refused.value)


@pytest.mark.parametrize("action", ["accept", "reject", "deliver"])
def test_the_buyer_cannot_do_the_providers_part(paid_order, funded_buyer, action):
    buyer = funded_buyer[0]
    with pytest.raises(PermissionDenied):
        if action == "deliver":
            services.accept(paid_order, buyer)
        elif action == "reject":
            services.reject(paid_order, buyer, "no")
        else:
            services.accept(paid_order, buyer)


def test_another_provider_cannot_see_or_act_on_the_order(paid_order, make_user):
    stranger = make_user("provider")
    with pytest.raises(NotFound):
        services.get_order(paid_order.number, stranger)
    with pytest.raises(PermissionDenied):
        services.accept(paid_order, stranger)


def test_another_enterprise_cannot_see_the_order(paid_order, make_user):
    with pytest.raises(NotFound):
        services.get_order(paid_order.number, make_user("enterprise"))


def test_rejection_releases_the_vouchers(paid_order, seller, funded_buyer):
    buyer, program, voucher = funded_buyer
    with pytest.raises(ValidationFailed):
        services.reject(paid_order, seller, "")
    services.reject(paid_order, seller, "档期已满")
    db.session.commit()
    assert paid_order.status == "rejected"
    assert ledger.balance(db.session, voucher.account_id).available == 10_000_000
    assert_reconciled(program)


def test_cancel_before_payment_voids_the_hold(funded_buyer, listing):
    buyer, program, voucher = funded_buyer
    order = services.place_order(buyer, services.offer_for(listing.id, package_of(listing).id), "to-cancel")
    services.cancel(order, buyer, "买错了")
    db.session.commit()
    assert order.status == "cancelled"
    assert ledger.balance(db.session, voucher.account_id).available == 10_000_000
    with pytest.raises(InvalidState):
        services.cancel(order, buyer)


def test_delivery_needs_a_report(paid_order, seller):
    services.accept(paid_order, seller)
    with pytest.raises(ValidationFailed):
        services.deliver(paid_order, seller, "done", None)


def test_dispute_then_partial_post_by_admin(paid_order, seller, funded_buyer, admin):
    buyer, program, voucher = funded_buyer
    services.accept(paid_order, seller)
    services.deliver(paid_order, seller, "", report(seller))
    services.dispute(paid_order, buyer, "报告缺少检测数据")
    with pytest.raises(ValidationFailed):
        services.resolve(paid_order, admin, "post", "部分完成", voucher_fen=paid_order.voucher_fen + 1)
    services.resolve(paid_order, admin, "post", "部分完成", voucher_fen=100_000)
    db.session.commit()
    assert paid_order.status == "completed"
    assert receivable_balance(paid_order).posted == 100_000
    assert ledger.balance(db.session, voucher.account_id).available == 10_000_000 - 100_000
    assert_reconciled(program)


def test_dispute_refund_releases_everything(paid_order, seller, funded_buyer, admin):
    buyer, program, voucher = funded_buyer
    services.accept(paid_order, seller)
    services.deliver(paid_order, seller, "", report(seller))
    services.dispute(paid_order, buyer, "未交付")
    with pytest.raises(PermissionDenied):
        services.resolve(paid_order, buyer, "refund", "自己裁决")
    services.resolve(paid_order, admin, "refund", "服务未完成")
    db.session.commit()
    assert paid_order.status == "refunded"
    assert ledger.balance(db.session, voucher.account_id).available == 10_000_000


def test_timeouts_expire_unpaid_and_auto_accept_delivered(funded_buyer, listing, seller, paid_order, app):
    buyer, program, voucher = funded_buyer
    unpaid = services.place_order(buyer, services.offer_for(listing.id, package_of(listing).id), "unpaid")
    services.accept(paid_order, seller)
    services.deliver(paid_order, seller, "", report(seller))
    db.session.commit()
    assert not run_job("order timeouts", utcnow())
    later = utcnow() + timedelta(days=app.config["ORDER_AUTO_ACCEPT_DAYS"] + 1)
    assert run_job("order timeouts", later).results == {"expired": 1, "accepted": 1}
    db.session.commit()
    assert unpaid.status == "cancelled" and paid_order.status == "completed"
    assert ledger.balance(db.session, voucher.account_id).pending == 0
    assert_reconciled(program)


def test_unaccepted_paid_orders_expire(paid_order, app, funded_buyer):
    later = utcnow() + timedelta(days=app.config["ORDER_ACCEPT_DAYS"] + 1)
    run_job("order timeouts", later)
    db.session.refresh(paid_order)
    assert paid_order.status == "cancelled"


def test_messages_notify_the_other_party(paid_order, seller, funded_buyer):
    from marketplace.notifications.models import Notification
    buyer = funded_buyer[0]
    with pytest.raises(ValidationFailed):
        services.post_message(paid_order, buyer, "   ")
    services.post_message(paid_order, buyer, "请问何时开始？", report(buyer))
    db.session.commit()
    note = db.session.scalar(select(Notification).where(Notification.kind == "order_message"))
    assert note.user_id == seller.id and "请问何时开始" in note.body
    assert len(services.messages(paid_order)) == 1


def test_one_review_after_completion_and_one_reply(paid_order, seller, funded_buyer):
    buyer = funded_buyer[0]
    with pytest.raises(InvalidState):
        services.review(paid_order, buyer, 5, "太早了")
    services.accept(paid_order, seller)
    services.deliver(paid_order, seller, "", report(seller))
    services.complete(paid_order, buyer)
    with pytest.raises(ValidationFailed):
        services.review(paid_order, buyer, 6, "")
    services.review(paid_order, buyer, 4, "专业、及时")
    with pytest.raises(InvalidState):
        services.review(paid_order, buyer, 5, "again")
    with pytest.raises(InvalidState):
        services.reply(paid_order, buyer, "not mine")
    services.reply(paid_order, seller, "感谢认可")
    with pytest.raises(InvalidState):
        services.reply(paid_order, seller, "twice")
    db.session.commit()
    assert services.rating_summary(listing_id=paid_order.listing_id) == (400, 1)
    assert db.session.scalar(select(func.count()).select_from(Review)) == 1


def test_reviews_feed_the_search_rating(paid_order, seller, funded_buyer):
    from marketplace.catalog.models import SearchOutbox
    from marketplace.search.documents import ratings

    buyer = funded_buyer[0]
    services.accept(paid_order, seller)
    services.deliver(paid_order, seller, "", report(seller))
    services.complete(paid_order, buyer)
    before = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
    services.review(paid_order, buyer, 3, "一般")
    db.session.commit()
    assert ratings([paid_order.listing_id]) == {paid_order.listing_id: 3.0}
    assert db.session.scalar(select(SearchOutbox.listing_id).where(SearchOutbox.id > before)) == paid_order.listing_id


def test_auditors_see_orders_but_cannot_resolve(paid_order, seller, funded_buyer, make_user, client, auth):
    auditor = make_user("admin")
    auditor.admin_role = "auditor"
    db.session.commit()
    services.accept(paid_order, seller)
    services.deliver(paid_order, seller, "", report(seller))
    services.dispute(paid_order, funded_buyer[0], "有问题")
    db.session.commit()
    assert services.get_order(paid_order.number, auditor) is paid_order
    with pytest.raises(PermissionDenied):
        services.resolve(paid_order, auditor, "refund", "审计员不能裁决")
    auth.login(auditor)
    response = client.post(f"/orders/{paid_order.number}/resolve", data={"outcome": "refund", "reason": "x"})
    assert response.status_code == 403 and paid_order.status == "disputed"
