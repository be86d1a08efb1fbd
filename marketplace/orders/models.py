"""Orders: a snapshot of what was bought, the voucher holds behind it, its timeline, thread and review."""
import enum

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.i18n import N_


class OrderStatus(enum.StrEnum):
    PLACED = "placed"
    PAID = "paid"
    ACCEPTED = "accepted"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    REDEEMED = "redeemed"
    SETTLED = "settled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    DISPUTED = "disputed"
    REFUNDED = "refunded"


STATUS_LABELS = {
    "placed": N_("Awaiting payment"), "paid": N_("Paid, awaiting the provider"), "accepted": N_("In progress"),
    "delivered": N_("Delivered, awaiting acceptance"), "completed": N_("Completed"), "redeemed": N_("Redemption requested"),
    "settled": N_("Settled"), "cancelled": N_("Cancelled"), "rejected": N_("Rejected by the provider"),
    "disputed": N_("In dispute"), "refunded": N_("Refunded"),
}


# Ended without the work being bought: no voucher share, no cash kept.
CLOSED_STATES = frozenset({OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.REFUNDED})
# The work is bought and accepted: the shares are final.
DONE_STATES = frozenset({OrderStatus.COMPLETED, OrderStatus.REDEEMED, OrderStatus.SETTLED})
OPEN_STATES = frozenset(OrderStatus) - CLOSED_STATES - DONE_STATES


def status_check():
    return "status IN (" + ", ".join(f"'{s.value}'" for s in OrderStatus) + ")"


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("price_fen >= 0 AND voucher_fen >= 0 AND cash_fen >= 0 AND cash_paid_fen >= 0 "
                        "AND cash_refunded_fen >= 0", name="amounts_not_negative"),
        CheckConstraint("voucher_fen + cash_fen <= price_fen", name="shares_within_price"),
        CheckConstraint("cash_refunded_fen <= cash_paid_fen", name="refunds_within_payments"),
        CheckConstraint(status_check(), name="status"),
        Index("ix_orders_enterprise_status", "enterprise_id", "status"),
        Index("ix_orders_provider_status", "provider_id", "status"),
        # Each side's order list, newest first, read a page at a time without sorting every order.
        Index("ix_orders_enterprise_created", "enterprise_id", "created_at", "id"),
        Index("ix_orders_provider_created", "provider_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    # The checkout form's one-time key: a double-clicked confirm finds the first order.
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    package_id: Mapped[int | None] = mapped_column(ForeignKey("listing_packages.id"))
    snapshot: Mapped[dict] = mapped_column(JSON)  # title, package, category, provider name, delivery days
    category: Mapped[str] = mapped_column(String(40))
    # Money, each figure kept equal to the ledger and payment rows (checked by `flask simulate`
    # and tests/orders/test_figures.py; orders/figures.py recomputes them):
    price_fen: Mapped[int] = mapped_column(BigInteger)  # the contract price
    voucher_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # held now, or posted to the provider
    cash_fen: Mapped[int] = mapped_column(BigInteger)  # what the enterprise pays in cash, net of dispute refunds
    cash_paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # Σ succeeded payments
    cash_refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # Σ refunds
    # The terms the order was priced under (each program's part, ratio, caps): judged by them.
    terms: Mapped[dict] = mapped_column(JSON, default=dict)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("voucher_programs.id"))  # the main program
    voucher_note: Mapped[str] = mapped_column(Text, default="")  # why the voucher share is what it is
    # active_history: the page cache sees the state an order leaves (marketplace.page_cache)
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.PLACED, active_history=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[object | None] = mapped_column(UTCDateTime, index=True)  # deadline of the current state
    delivered_at: Mapped[object | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    delivery_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    delivery_note: Mapped[str] = mapped_column(Text, default="")

    enterprise = relationship("Organisation", foreign_keys=[enterprise_id])
    provider = relationship("Organisation", foreign_keys=[provider_id])
    buyer = relationship("User")
    program = relationship("VoucherProgram")
    holds = relationship("OrderVoucher", back_populates="order", order_by="OrderVoucher.id")
    events = relationship("OrderEvent", back_populates="order", order_by="OrderEvent.id")

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def cash_received_fen(self):
        return self.cash_paid_fen - self.cash_refunded_fen

    @property
    def balance_due_fen(self):
        """Cash still to pay: the whole cash share before payment, or a voucher share that lapsed
        into cash on an order in progress (see orders/expiry.py)."""
        if self.status in CLOSED_STATES:
            return 0
        return max(0, self.cash_fen - self.cash_received_fen)


class OrderVoucher(db.Model):
    """The part of one voucher held (then posted or voided) for an order."""

    __tablename__ = "order_vouchers"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),
                      UniqueConstraint("order_id", "voucher_id", name="uq_order_vouchers_order_voucher"))

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    hold_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    posted_fen: Mapped[int | None] = mapped_column(BigInteger)  # None while held; what the post moved
    clawed_back_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    order = relationship("Order", back_populates="holds")
    voucher = relationship("Voucher")


class OrderEvent(db.Model):
    """One transition on an order's timeline (append-only)."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    order = relationship("Order", back_populates="events")
    actor = relationship("User")


class OrderMessage(db.Model):
    __tablename__ = "order_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User")
    file = relationship("StoredFile")


class Review(db.Model):
    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    body: Mapped[str] = mapped_column(Text, default="")
    reply: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    replied_at: Mapped[object | None] = mapped_column(UTCDateTime)

    author = relationship("User")


class Quote(db.Model):
    """Price on request: the enterprise asks, the provider quotes, the enterprise accepts (→ an order)."""

    __tablename__ = "quotes"
    __table_args__ = (CheckConstraint("status IN ('requested', 'quoted', 'accepted', 'declined')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    request: Mapped[str] = mapped_column(Text)
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    delivery_days: Mapped[int | None] = mapped_column(Integer)
    provider_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="requested")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    quoted_at: Mapped[object | None] = mapped_column(UTCDateTime)
