"""Affiliations between organisations and approved one-order exceptions to the exclusion."""
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.i18n import N_

AFFILIATION_KINDS = {
    "shareholding": N_("Shareholding or control (控股/参股)"),
    "group": N_("Same group of companies (同一集团)"),
    "management": N_("Shared directors or managers (高管交叉任职)"),
    "family": N_("Family ties of owners or managers (亲属关系)"),
    "declared": N_("Declared by the organisations"),
    "other": N_("Other"),
}
ACTIVE = text("ended_at IS NULL")


class Affiliation(db.Model):
    """A related-party relationship declared or recorded by an admin: blocks vouchers between the
    two while it is active. Ended affiliations stay (with who ended it, when and why)."""

    __tablename__ = "affiliations"
    __table_args__ = (
        CheckConstraint("organisation_a_id < organisation_b_id", name="ordered_pair"),
        CheckConstraint("kind IN (" + ", ".join(f"'{kind}'" for kind in AFFILIATION_KINDS) + ")", name="kind"),
        CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="ended_with_reason"),
        # One active affiliation per pair; any number of ended ones (a partial index on both databases).
        Index("uq_affiliations_active_pair", "organisation_a_id", "organisation_b_id", unique=True,
              sqlite_where=ACTIVE, postgresql_where=ACTIVE),
        Index("ix_affiliations_organisation_b_id", "organisation_b_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_a_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    organisation_b_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(String(20), default="other", server_default="other")
    reason: Mapped[str] = mapped_column(Text)
    evidence_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[object | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    end_reason: Mapped[str | None] = mapped_column(Text)

    organisation_a = relationship("Organisation", foreign_keys=[organisation_a_id])
    organisation_b = relationship("Organisation", foreign_keys=[organisation_b_id])
    evidence_file = relationship("StoredFile")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    ended_by = relationship("User", foreign_keys=[ended_by_id])

    @property
    def is_active(self):
        return self.ended_at is None

    @property
    def kind_label(self):
        return AFFILIATION_KINDS.get(self.kind, AFFILIATION_KINDS["other"])


class PartyException(db.Model):
    """An approved exception to the related-party exclusion: the enterprise's next order with the
    provider may use vouchers. Used up by that order (`used_order_id`, set once)."""

    __tablename__ = "party_exceptions"
    __table_args__ = (Index("ix_party_exceptions_pair", "enterprise_id", "provider_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    used_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), unique=True)
    used_at: Mapped[object | None] = mapped_column(UTCDateTime)

    enterprise = relationship("Organisation", foreign_keys=[enterprise_id])
    provider = relationship("Organisation", foreign_keys=[provider_id])
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    used_order = relationship("Order")
