"""The to-do lists behind each role's workspace. Each list is read by one set-based query (the
rows a user must act on are few); the operator's queues are counted in a single UNION query."""
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, exists, func, literal, select, union_all

from marketplace.auth.models import Organisation, OrgStatus
from marketplace.catalog.models import (QUALIFICATION_KINDS, AdmissionStatus, ListingRevision, ProviderProfile,
                                       Qualification, RevisionState)
from marketplace.database import built_once
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.ledger.models import Account, AccountKind
from marketplace.notifications.models import Notification
from marketplace.orders.models import CLOSED_STATES, DONE_STATES, Order, OrderStatus, OrderVoucher, Quote
from marketplace.vouchers.models import ApplicationStatus, Voucher, VoucherApplication, VoucherProgram
from marketplace.vouchers.rules import local_date

EXPIRY_WARNING_DAYS = 30
SHOWN = 5  # rows listed under a task; the rest are behind its link


@dataclass(frozen=True)
class Row:
    """One item to act on. `when_label` is a msgid with %(date)s; `href` wins over `endpoint`."""

    title: str
    subtitle: str
    when_label: str
    when: object  # an aware datetime (shown in Beijing time) or a date
    endpoint: str
    args: dict = field(default_factory=dict)
    amount_fen: int | None = None
    href: str = ""


@dataclass(frozen=True)
class Task:
    """One kind of thing to do (`title` a msgid), linking to the page where it is done."""

    key: str
    title: str
    endpoint: str
    rows: list

    @property
    def count(self):
        return len(self.rows)

    @property
    def shown(self):
        return self.rows[:SHOWN]


def _order_row(order, when_label, amount_fen=None):
    return Row(order.number, order.snapshot.get("title", ""), when_label, order.due_at, "orders.detail",
               {"number": order.number}, amount_fen)


# --- enterprise -------------------------------------------------------------------------------

def enterprise_tasks(user, now):
    organisation_id = user.organisation_id
    orders = _open_orders(Order.enterprise_id == organisation_id)
    to_pay = [o for o in orders if o.status == OrderStatus.PLACED or o.balance_due_fen > 0]
    to_accept = [o for o in orders if o.status == OrderStatus.DELIVERED]
    return [task for task in (
        Task("vouchers_expiring", N_("Vouchers expiring soon"), "vouchers.wallet", _expiring_vouchers(organisation_id, now)),
        Task("orders_to_pay", N_("Orders awaiting payment"), "orders.index",
             [_order_row(o, N_("Pay by %(date)s"), o.balance_due_fen or o.cash_fen) for o in to_pay]),
        Task("orders_to_accept", N_("Deliveries awaiting your acceptance"), "orders.index",
             [_order_row(o, N_("Accepted automatically on %(date)s")) for o in to_accept]),
        Task("unread_messages", N_("Unread messages"), "notifications.index", _unread_messages(user.id)),
        Task("applications_pending", N_("Voucher applications under review"), "vouchers.applications",
             _pending_applications(organisation_id)),
    ) if task.rows]


def _open_orders(condition):
    return db.session.scalars(select(Order).where(condition, Order.status.not_in(CLOSED_STATES | DONE_STATES))
                              .order_by(Order.due_at.is_(None), Order.due_at, Order.id)).all()


def _expiring_vouchers(organisation_id, now):
    today = local_date(now)
    available = Account.credits_posted - Account.debits_posted - Account.debits_pending
    rows = db.session.execute(
        select(Voucher.number, VoucherProgram.name, available, VoucherProgram.use_by)
        .join(VoucherProgram, VoucherProgram.id == Voucher.program_id).join(Account, Account.id == Voucher.account_id)
        .where(Voucher.organisation_id == organisation_id, Voucher.revoked_at.is_(None), Voucher.lapsed_at.is_(None),
               VoucherProgram.use_by >= today, VoucherProgram.use_by <= today + timedelta(days=EXPIRY_WARNING_DAYS),
               available > 0)
        .order_by(VoucherProgram.use_by, Voucher.id)).all()
    return [Row(number, name, N_("Use by %(date)s"), use_by, "vouchers.voucher", {"number": number}, amount)
            for number, name, amount, use_by in rows]


def _unread_messages(user_id):
    notes = db.session.scalars(select(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None), Notification.kind == "order_message")
        .order_by(Notification.created_at.desc(), Notification.id.desc())).all()
    return [Row(note.subject, note.body, N_("Sent %(date)s"), note.created_at, "notifications.index",
                href=note.link or "") for note in notes]


def _pending_applications(organisation_id):
    rows = db.session.execute(
        select(VoucherApplication.id, VoucherProgram.name, VoucherApplication.amount_fen, VoucherApplication.created_at)
        .join(VoucherProgram, VoucherProgram.id == VoucherApplication.program_id)
        .where(VoucherApplication.organisation_id == organisation_id,
               VoucherApplication.status == ApplicationStatus.PENDING)
        .order_by(VoucherApplication.created_at)).all()
    return [Row(name, "", N_("Applied %(date)s"), created_at, "vouchers.applications", amount_fen=amount)
            for _id, name, amount, created_at in rows]


# --- provider ---------------------------------------------------------------------------------

def provider_tasks(user, now):
    organisation_id = user.organisation_id
    orders = _open_orders(Order.provider_id == organisation_id)
    return [task for task in (
        Task("orders_to_accept", N_("New orders to accept"), "orders.index",
             [_order_row(o, N_("Accept or decline by %(date)s"), o.price_fen) for o in orders
              if o.status == OrderStatus.PAID]),
        Task("quotes_to_answer", N_("Quote requests to answer"), "orders.quotes", _quotes_to_answer(organisation_id)),
        Task("deliveries_due", N_("Deliveries due"), "orders.index",
             [_order_row(o, N_("Deliver by %(date)s")) for o in orders if o.status == OrderStatus.ACCEPTED]),
        Task("redemption_deadlines", N_("Voucher shares to claim before the deadline"), "redemption.index",
             _redemption_deadlines(organisation_id, now)),
        Task("qualifications_expiring", N_("Qualifications expiring or expired"), "catalog.profile",
             _expiring_qualifications(organisation_id, now)),
    ) if task.rows]


def _quotes_to_answer(organisation_id):
    rows = db.session.execute(
        select(Quote.id, Organisation.legal_name, Quote.request, Quote.created_at)
        .join(Organisation, Organisation.id == Quote.enterprise_id)
        .where(Quote.provider_id == organisation_id, Quote.status == "requested").order_by(Quote.created_at)).all()
    return [Row(name, request, N_("Asked %(date)s"), created_at, "orders.quotes") for _id, name, request, created_at in rows]


def _redemption_deadlines(organisation_id, now):
    """Per program: posted voucher shares of done orders in no live redemption request."""
    from marketplace.redemption.models import RedemptionItem

    share = OrderVoucher.posted_fen - OrderVoucher.clawed_back_fen
    claimed = exists().where(RedemptionItem.live_order_id == Order.id, RedemptionItem.program_id == Voucher.program_id)
    rows = db.session.execute(
        select(VoucherProgram.id, VoucherProgram.name, VoucherProgram.redeem_by,
               func.count(func.distinct(Order.id)), func.sum(share))
        .select_from(OrderVoucher).join(Order, Order.id == OrderVoucher.order_id)
        .join(Voucher, Voucher.id == OrderVoucher.voucher_id).join(VoucherProgram, VoucherProgram.id == Voucher.program_id)
        .where(Order.provider_id == organisation_id, Order.status.in_([OrderStatus.COMPLETED, OrderStatus.REDEEMED]),
               share > 0, ~claimed, VoucherProgram.redeem_by >= local_date(now))
        .group_by(VoucherProgram.id, VoucherProgram.name, VoucherProgram.redeem_by)
        .order_by(VoucherProgram.redeem_by)).all()
    return [Row(name, orders, N_("Claim by %(date)s"), redeem_by, "redemption.new", {"program_id": program_id}, amount)
            for program_id, name, redeem_by, orders, amount in rows]


def _expiring_qualifications(organisation_id, now):
    today = local_date(now)
    rows = db.session.execute(
        select(Qualification.kind, Qualification.number, Qualification.valid_until)
        .join(ProviderProfile, ProviderProfile.id == Qualification.profile_id)
        .where(ProviderProfile.organisation_id == organisation_id,
               Qualification.valid_until <= today + timedelta(days=EXPIRY_WARNING_DAYS))
        .order_by(Qualification.valid_until)).all()
    return [Row(QUALIFICATION_KINDS.get(kind, QUALIFICATION_KINDS["other"]), number,
                N_("Expired on %(date)s") if valid_until < today else N_("Valid until %(date)s"), valid_until,
                "catalog.profile") for kind, number, valid_until in rows]


def provider_admitted(organisation_id):
    return db.session.scalar(select(ProviderProfile.status).where(
        ProviderProfile.organisation_id == organisation_id)) == AdmissionStatus.ADMITTED


# --- operator ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Queue:
    key: str
    title: str  # msgid
    endpoint: str
    endpoint_args: dict
    count: int
    oldest_at: object


@built_once
def _queue_sources():
    """(key, title, endpoint, args, SELECT count, min(waiting since) FROM …) per operator queue."""
    from marketplace.approvals.models import Approval, ApprovalStatus
    from marketplace.payouts.models import BankAccount, BankStatus, PayoutBatch, PayoutStatus
    from marketplace.redemption.models import BatchStatus, RedemptionRequest, RequestStatus, SettlementBatch

    def counted(column, *where):
        return select(func.count(), func.min(column)).where(*where)

    R = RedemptionRequest
    return [
        ("registrations", N_("Registrations to review"), "admin.organisations", {"status": "pending"},
         counted(Organisation.created_at, Organisation.status == OrgStatus.PENDING)),
        ("admissions", N_("Provider admissions"), "admin.catalog_providers", {},
         counted(ProviderProfile.submitted_at, ProviderProfile.status == AdmissionStatus.PENDING)),
        ("listings", N_("Listings to review"), "admin.catalog_listings", {},
         counted(ListingRevision.submitted_at, ListingRevision.state == RevisionState.PENDING)),
        ("applications", N_("Voucher applications to review"), "admin.applications", {},
         counted(VoucherApplication.created_at, VoucherApplication.status == ApplicationStatus.PENDING)),
        ("redemption_first", N_("Redemptions awaiting first review"), "admin.redemptions", {"status": "submitted"},
         counted(R.submitted_at, R.status == RequestStatus.SUBMITTED)),
        ("redemption_final", N_("Redemptions awaiting final review"), "admin.redemptions", {"status": "first_approved"},
         counted(R.first_reviewed_at, R.status == RequestStatus.FIRST_APPROVED)),
        ("settlement_ready", N_("Approved redemptions to batch"), "admin.settlements", {},
         counted(R.final_reviewed_at, R.status == RequestStatus.APPROVED, R.batch_id.is_(None))),
        ("settlement_batches", N_("Settlement batches to pay"), "admin.settlements", {},
         counted(SettlementBatch.created_at, SettlementBatch.status != BatchStatus.PAID)),
        ("payout_batches", N_("Payout batches to approve or pay"), "admin.payouts_page", {},
         counted(PayoutBatch.created_at, PayoutBatch.status != PayoutStatus.PAID)),
        ("bank_accounts", N_("Bank details to verify"), "admin.bank_accounts", {},
         counted(BankAccount.created_at, BankAccount.status == BankStatus.PENDING)),
        ("approvals", N_("Decisions awaiting a second operator"), "admin.approvals_page", {},
         counted(Approval.requested_at, Approval.status == ApprovalStatus.PENDING)),
    ]


@built_once
def _queues_query():
    return union_all(*[select(literal(index).label("queue"), *inner.subquery().c)
                       for index, (*_, inner) in enumerate(_queue_sources())])


def operator_queues():
    """Every queue with its count and its oldest item's waiting-since time, in one query."""
    sources = _queue_sources()
    found = {row[0]: (row[1], row[2]) for row in db.session.execute(_queues_query())}
    return [Queue(key, title, endpoint, args, *found.get(index, (0, None)))
            for index, (key, title, endpoint, args, _inner) in enumerate(sources)]


@dataclass(frozen=True)
class BudgetBurn:
    program: VoucherProgram
    budget_fen: int
    left_fen: int

    @property
    def committed_fen(self):
        return self.budget_fen - self.left_fen

    @property
    def percent(self):
        return round(100 * self.committed_fen / self.budget_fen) if self.budget_fen else 0


def budget_burn():
    """Live programs (open, paused, closed) with how much of their budget is issued."""
    rows = db.session.execute(
        select(VoucherProgram, Account.credits_posted - Account.debits_posted - Account.debits_pending)
        .join(Account, and_(Account.program_id == VoucherProgram.id, Account.kind == AccountKind.PROGRAM_BUDGET))
        .where(VoucherProgram.status.in_(["open", "paused", "closed"])).order_by(VoucherProgram.use_by)).all()
    return [BudgetBurn(program, program.budget_fen, left) for program, left in rows]


def open_anomaly_count():
    from marketplace.audit import anomalies

    return len(anomalies.flags())



def tasks_for(user, now):
    """The workspace to-do list of an enterprise or provider user (empty for others)."""
    if user.organisation_id is None:
        return []
    return {"enterprise": enterprise_tasks, "provider": provider_tasks}.get(user.role, lambda *_: [])(user, now)
