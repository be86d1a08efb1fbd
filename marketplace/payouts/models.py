"""Providers' bank details (a change is a new row, verified by an operator) and payout batches:
a line per provider, items per order (an order's cash, or a refund made after it was paid out)."""
import enum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.i18n import N_


class BankStatus(enum.StrEnum):
    PENDING = "pending"  # entered by the provider, not yet checked
    VERIFIED = "verified"  # the one payouts go to
    SUPERSEDED = "superseded"  # an older verified account, replaced
    REJECTED = "rejected"


class PayoutStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    EXPORTED = "exported"
    PAID = "paid"


BANK_LABELS = {"pending": N_("Waiting for verification"), "verified": N_("Verified"),
               "superseded": N_("Replaced"), "rejected": N_("Rejected")}
PAYOUT_LABELS = {"draft": N_("Draft"), "approved": N_("Approved"), "exported": N_("Exported"), "paid": N_("Paid")}


class BankAccount(db.Model):
    __tablename__ = "provider_bank_accounts"
    __table_args__ = (CheckConstraint("status IN ('pending', 'verified', 'superseded', 'rejected')", name="status"),
                      Index("ix_provider_bank_accounts_org_status", "organisation_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    account_name: Mapped[str] = mapped_column(String(100))  # 开户名, the payee
    bank_name: Mapped[str] = mapped_column(String(100))  # 开户行
    branch: Mapped[str] = mapped_column(String(100), default="")  # 支行
    account_number: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default=BankStatus.PENDING)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[object | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)

    organisation = relationship("Organisation")

    @property
    def status_label(self):
        return BANK_LABELS[self.status]

    @property
    def masked_number(self):
        return "•••• " + self.account_number[-4:]


class PayoutBatch(db.Model):
    __tablename__ = "payout_batches"
    __table_args__ = (CheckConstraint("status IN ('draft', 'approved', 'exported', 'paid')", name="status"),
                      CheckConstraint("(status = 'paid') = (bank_reference IS NOT NULL)", name="paid_has_reference"))

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default=PayoutStatus.DRAFT, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[object | None] = mapped_column(UTCDateTime)
    exported_at: Mapped[object | None] = mapped_column(UTCDateTime)
    bank_reference: Mapped[str | None] = mapped_column(String(60), unique=True)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[object | None] = mapped_column(UTCDateTime)

    lines = relationship("PayoutLine", back_populates="batch", order_by="PayoutLine.id", cascade="all, delete-orphan")
    created_by = relationship("User", foreign_keys=[created_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    paid_by = relationship("User", foreign_keys=[paid_by_id])

    @property
    def status_label(self):
        return PAYOUT_LABELS[self.status]

    @property
    def total_fen(self):
        return sum(line.amount_fen for line in self.lines)

    @property
    def number(self):
        return f"PO{self.id:06d}"


class PayoutLine(db.Model):
    """One provider's payment in a batch, to the bank account verified when it was made."""

    __tablename__ = "payout_lines"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),
                      UniqueConstraint("batch_id", "provider_id", name="uq_payout_lines_batch_provider"))

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("provider_bank_accounts.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)

    batch = relationship("PayoutBatch", back_populates="lines")
    provider = relationship("Organisation")
    bank_account = relationship("BankAccount")
    items = relationship("PayoutItem", back_populates="line", order_by="PayoutItem.id", cascade="all, delete-orphan")


class PayoutItem(db.Model):
    """An order's cash paid in a line (positive), or a refund made after that cash was paid out
    (negative: the provider's debt, netted against what the line pays)."""

    __tablename__ = "payout_items"
    __table_args__ = (CheckConstraint("amount_fen <> 0", name="amount_not_zero"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("payout_lines.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)

    line = relationship("PayoutLine", back_populates="items")
    order = relationship("Order")
