"""Demo orders in every state, paid through the real payment gateway (localstripe in the demo).

Run by `flask --app wsgi seed orders` once the emulator is up (`make run` does it); skipped with
a message when no payment gateway is reachable, so `seed demo` never depends on one."""
from sqlalchemy import func, select

from marketplace.auth.models import User
from marketplace.catalog import uploads
from marketplace.catalog.models import Listing, ListingStatus
from marketplace.extensions import db
from marketplace.orders import services
from marketplace.orders.models import Order

REPORT = b"%PDF-1.4\n% demo delivery report\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
# (buyer e-mail, provider e-mail, how far the order goes)
PLAN = (
    ("ent3@demo.torch.cn", "ip@demo.torch.cn", "placed"),
    ("ent1@demo.torch.cn", "lab@demo.torch.cn", "paid"),
    ("ent2@demo.torch.cn", "design@demo.torch.cn", "accepted"),
    ("ent1@demo.torch.cn", "ip@demo.torch.cn", "delivered"),
    ("ent1@demo.torch.cn", "lab@demo.torch.cn", "completed"),
    ("ent2@demo.torch.cn", "ip@demo.torch.cn", "completed"),
    ("ent2@demo.torch.cn", "consult@demo.torch.cn", "cancelled"),
    ("ent3@demo.torch.cn", "design@demo.torch.cn", "rejected"),
    ("ent1@demo.torch.cn", "consult@demo.torch.cn", "disputed"),
    ("ent2@demo.torch.cn", "lab@demo.torch.cn", "refunded"),
    # Past their deadlines, so the worker's first pass after `make run` visibly acts on them:
    ("ent3@demo.torch.cn", "lab@demo.torch.cn", "overdue_unpaid"),  # cancelled, vouchers released
    ("ent3@demo.torch.cn", "ip@demo.torch.cn", "overdue_delivered"),  # accepted automatically
)
REVIEWS = ("检测周期比预期短，报告专业，沟通顺畅。", "代理师经验丰富，答复审查意见很及时。")


def user(email):
    return db.session.scalar(select(User).where(User.email == email))


def first_listing(provider):
    return db.session.scalar(select(Listing).where(Listing.provider_id == provider.organisation_id,
                                                   Listing.status == ListingStatus.PUBLISHED)
                             .order_by(Listing.id))


def seed_orders(admin):
    """Create the demo orders if there are none yet (all or none: the caller commits); returns
    how many were made."""
    if db.session.scalar(select(func.count()).select_from(Order)):
        return 0
    for index, (buyer_email, provider_email, goal) in enumerate(PLAN):
        buyer, provider = user(buyer_email), user(provider_email)
        listing = first_listing(provider)
        if listing is None or not listing.published_revision.packages:
            continue
        order = services.place_order(buyer, services.offer_for(listing.id, listing.published_revision.packages[0].id),
                                     f"demo-order-{index}")
        advance(order, goal, buyer, provider, admin, index)
    db.session.flush()
    seed_paid_payout(admin)
    return len(PLAN)


def seed_paid_payout(admin):
    """The completed orders' providers get verified bank details and are paid in one batch, as if
    the orders had been completed three weeks ago (past the payout holding period; demo data
    only). Skipped where two operators are required (FOUR_EYES): the demo has one."""
    from datetime import timedelta

    from flask import current_app

    from marketplace.database import utcnow
    from marketplace.payouts import services as payouts

    if current_app.config.get("FOUR_EYES"):
        return
    completed = db.session.scalars(select(Order).where(Order.status == "completed")).all()
    for order in completed:
        order.completed_at = utcnow() - timedelta(days=21)
    for provider_id in sorted({order.provider_id for order in completed}):
        member = db.session.scalar(select(User).where(User.organisation_id == provider_id).order_by(User.id))
        account = payouts.submit_bank_account(member, payouts.BankData(
            member.organisation.legal_name, "中国银行厦门分行", "火炬园支行", f"40{provider_id:06d}12345678"))
        payouts.verify_bank_account(admin, account.id)
    batch = payouts.create_batch(admin, "演示：首批服务机构付款")
    payouts.approve_batch(admin, batch.id)
    payouts.mark_exported(admin, batch.id)
    payouts.mark_paid(admin, batch.id, "BOC-DEMO-20261205-001")


def overdue(order):
    """The deadline of the order's current state passed an hour ago (demo data only)."""
    from datetime import timedelta

    from marketplace.database import utcnow

    order.due_at = utcnow() - timedelta(hours=1)


def pay(order, buyer):
    from marketplace.payments import services as payments

    if order.status == "placed":
        payments.pay_with_test_method(payments.start_payment(order, buyer), "success", buyer)


def advance(order, goal, buyer, provider, admin, index):
    if goal in ("placed", "overdue_unpaid"):
        return overdue(order) if goal == "overdue_unpaid" else None
    pay(order, buyer)
    services.post_message(order, buyer, "您好，资料已准备好，请问什么时候可以开始？")
    if goal == "cancelled":
        return services.cancel(order, buyer, "项目计划调整")
    if goal == "rejected":
        return services.reject(order, provider, "本月排期已满，抱歉")
    if goal == "paid":
        return
    services.accept(order, provider)
    services.post_message(order, provider, "已收到，本周内安排。")
    if goal == "accepted":
        return
    report = uploads.store_document(provider.organisation, uploads.Upload("交付报告.pdf", REPORT), "order")
    services.deliver(order, provider, "报告已上传，请查收。", report)
    if goal in ("delivered", "overdue_delivered"):
        return overdue(order) if goal == "overdue_delivered" else None
    if goal in ("disputed", "refunded"):
        services.dispute(order, buyer, "报告缺少约定的测试项目")
        if goal == "refunded":
            services.resolve(order, admin, "refund", "服务未按约定完成，全额退款")
        return
    services.complete(order, buyer)
    services.review(order, buyer, 5 - index % 2, REVIEWS[index % 2])
    services.reply(order, provider, "感谢您的认可，期待再次合作！")
