"""A decision that needs a second operator: asked by one, carried out when another approves."""
import enum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.i18n import N_


class ApprovalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"  # and carried out
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


STATUS_LABELS = {"pending": N_("Waiting for a second operator"), "approved": N_("Approved and carried out"),
                 "rejected": N_("Rejected"), "withdrawn": N_("Withdrawn")}


class Approval(db.Model):
    __tablename__ = "approvals"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected', 'withdrawn')", name="status"),
        Index("ix_approvals_status_requested", "status", "requested_at"),
        Index("ix_approvals_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(40))  # a key of approvals.services.ACTIONS
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # what the handler is called with
    summary: Mapped[dict] = mapped_column(JSON, default=dict)  # {"message": msgid, "params": {...}} for the pages
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=ApprovalStatus.PENDING)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)

    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]
