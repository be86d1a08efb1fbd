"""Redemption requests, their items (one per order) and evidence, and settlement batches."""
import enum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.i18n import N_


class RequestStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # waiting for 初审
    FIRST_APPROVED = "first_approved"  # waiting for 终审
    APPROVED = "approved"  # waiting for a settlement batch
    RETURNED = "returned"  # sent back to the provider with reasons
    REJECTED = "rejected"  # refused for good; its orders are free again
    SETTLED = "settled"


class BatchStatus(enum.StrEnum):
    OPEN = "open"
    EXPORTED = "exported"
    PAID = "paid"


REQUEST_LABELS = {
    "submitted": N_("Awaiting first review"), "first_approved": N_("Awaiting final review"),
    "approved": N_("Approved, awaiting payment"), "returned": N_("Returned for changes"),
    "rejected": N_("Rejected"), "settled": N_("Settled"),
}
BATCH_LABELS = {"open": N_("Open"), "exported": N_("Exported"), "paid": N_("Paid")}
EVIDENCE_KINDS = {"contract": N_("Contract"), "invoice": N_("Invoice"), "acceptance": N_("Acceptance report"),
                  "other": N_("Other")}
# A live request keeps its orders; a rejected one lets them go.
LIVE = frozenset({RequestStatus.SUBMITTED, RequestStatus.FIRST_APPROVED, RequestStatus.APPROVED,
                  RequestStatus.RETURNED, RequestStatus.SETTLED})


def check_in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class SettlementBatch(db.Model):
    __tablename__ = "settlement_batches"
    __table_args__ = (CheckConstraint(check_in("status", [s.value for s in BatchStatus]), name="status"),
                      CheckConstraint("(status = 'paid') = (bank_reference IS NOT NULL)", name="paid_has_reference"))

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default=BatchStatus.OPEN, index=True)
    # The bank's payment reference: the idempotency key of the settle transfers.
    bank_reference: Mapped[str | None] = mapped_column(String(60), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # a second operator (four eyes)
    approved_at: Mapped[object | None] = mapped_column(UTCDateTime)
    exported_at: Mapped[object | None] = mapped_column(UTCDateTime)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[object | None] = mapped_column(UTCDateTime)

    requests = relationship("RedemptionRequest", back_populates="batch", order_by="RedemptionRequest.id")
    created_by = relationship("User", foreign_keys=[created_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    paid_by = relationship("User", foreign_keys=[paid_by_id])

    @property
    def status_label(self):
        return BATCH_LABELS[self.status]

    @property
    def total_fen(self):
        return sum(request.total_fen for request in self.requests)


class RedemptionRequest(db.Model):
    __tablename__ = "redemption_requests"
    __table_args__ = (CheckConstraint(check_in("status", [s.value for s in RequestStatus]), name="status"),
                      Index("ix_redemption_requests_provider_status", "provider_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    program_id: Mapped[int] = mapped_column(ForeignKey("voucher_programs.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.SUBMITTED, index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    first_reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    first_reviewed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    final_reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    final_reviewed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)  # why it was last returned or rejected
    note: Mapped[str] = mapped_column(Text, default="")  # the provider's note
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_batches.id"), index=True)

    provider = relationship("Organisation")
    program = relationship("VoucherProgram")
    created_by = relationship("User", foreign_keys=[created_by_id])
    first_reviewer = relationship("User", foreign_keys=[first_reviewer_id])
    final_reviewer = relationship("User", foreign_keys=[final_reviewer_id])
    items = relationship("RedemptionItem", back_populates="request", order_by="RedemptionItem.id")
    evidence = relationship("RedemptionEvidence", back_populates="request", order_by="RedemptionEvidence.id")
    batch = relationship("SettlementBatch", back_populates="requests")

    @property
    def status_label(self):
        return REQUEST_LABELS[self.status]

    @property
    def total_fen(self):
        return sum(item.amount_fen for item in self.items)

    @property
    def number(self):
        return f"RD{self.id:06d}"


class RedemptionItem(db.Model):
    """One order claimed by a request, with the provider's invoice number for it."""

    __tablename__ = "redemption_items"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),
                      UniqueConstraint("request_id", "order_id", name="uq_redemption_items_request_order"),
                      UniqueConstraint("live_order_id", "program_id", name="uq_redemption_items_live_order_program"),
                      # An invoice backs one live claim per provider (NULL once the request is rejected).
                      UniqueConstraint("provider_id", "live_invoice", name="uq_redemption_items_provider_live_invoice"))

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("redemption_requests.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    # Set while the request is live, NULL once rejected: an order's share in one program sits in
    # one live request at most (an order paid from two programs is claimed once in each).
    live_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("voucher_programs.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    invoice_code: Mapped[str] = mapped_column(String(12), default="", server_default="")  # "" for a 数电发票
    invoice_number: Mapped[str] = mapped_column(String(60))
    invoice_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    live_invoice: Mapped[str | None] = mapped_column(String(40))  # the invoice's key while the request is live
    amount_fen: Mapped[int] = mapped_column(BigInteger)

    request = relationship("RedemptionRequest", back_populates="items")
    order = relationship("Order", foreign_keys=[order_id])

    @property
    def invoice_display(self):
        return f"{self.invoice_code} {self.invoice_number}" if self.invoice_code else self.invoice_number


class RedemptionEvidence(db.Model):
    __tablename__ = "redemption_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("redemption_requests.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    kind: Mapped[str] = mapped_column(String(20))
    uploaded_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    request = relationship("RedemptionRequest", back_populates="evidence")
    file = relationship("StoredFile")

    @property
    def kind_label(self):
        return EVIDENCE_KINDS.get(self.kind, EVIDENCE_KINDS["other"])
