"""Payment attempts (one Stripe PaymentIntent each), refunds, and every webhook event received once."""
import enum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db


class PaymentStatus(enum.StrEnum):
    CREATED = "created"  # our row exists; the PaymentIntent may not yet
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_ACTION = "requires_action"  # 3-D Secure
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Payment(db.Model):
    """One attempt to collect an order's cash share. Its id makes the Stripe idempotency key."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),
                      CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refund_within_amount"),
                      UniqueConstraint("order_id", "attempt", name="uq_payments_order_attempt"))

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="cny")
    status: Mapped[str] = mapped_column(String(30), default=PaymentStatus.CREATED, index=True)
    intent_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    client_secret: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    succeeded_at: Mapped[object | None] = mapped_column(UTCDateTime)

    order = relationship("Order")

    @property
    def idempotency_key(self):
        return f"payment-attempt-{self.id}"


class RefundStatus(enum.StrEnum):
    PENDING = "pending"  # recorded and posted to the cash ledger; Stripe not yet asked
    SENT = "sent"  # Stripe accepted it (succeeded, or pending at the bank)
    FAILED = "failed"  # Stripe refused it: an operator must look (shown on the dashboard)


class Refund(db.Model):
    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),
                      CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text, default="")
    stripe_refund_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=RefundStatus.PENDING, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    payment = relationship("Payment")


class StripeEvent(db.Model):
    """Every webhook event id, stored once: a duplicate delivery finds its row and is ignored."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(100), index=True)
    received_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[object | None] = mapped_column(UTCDateTime)
