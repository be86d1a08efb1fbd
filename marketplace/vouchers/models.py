"""Voucher programs, enterprises' applications, issued vouchers and batch-issuance uploads.

Balances are never stored here: a voucher's money lives in its ledger account."""
import enum

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.i18n import N_


EVIDENCE_CHECKLIST = {"contract": N_("Contract"), "invoice": N_("Invoice"), "acceptance": N_("Acceptance report")}

class ProgramStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PAUSED = "paused"  # no applications or issuance for now; vouchers stay usable
    CLOSED = "closed"  # no more applications or issuance; vouchers usable until use_by
    FINAL = "final"  # closed for the year after redeem_by: its final account kept, read-only


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


PROGRAM_STATUS_LABELS = {"draft": N_("Draft"), "open": N_("Open for applications"), "paused": N_("Paused"),
                         "closed": N_("Closed"), "final": N_("Closed for the year (final account)")}
ISSUANCE_MODES = {"reviewed": N_("Reviewed: an operator decides each application"),
                  "fcfs": N_("First come, first served (先到先得): an eligible application within the budget and caps is issued at once")}
CLAWBACK_TARGETS = {"voucher": N_("back to the enterprise's voucher (if it is still valid)"),
                    "lapse": N_("lapses to the program")}
APPLICATION_STATUS_LABELS = {"pending": N_("Pending review"), "approved": N_("Approved"),
                             "rejected": N_("Rejected")}
ENTERPRISE_FLAGS = {"high_tech": N_("National high-tech enterprise"), "sme": N_("Technology-based SME")}


class VoucherProgram(db.Model):
    __tablename__ = "voucher_programs"
    __table_args__ = (
        CheckConstraint("budget_fen > 0", name="budget_positive"),
        CheckConstraint("valid_from <= use_by AND use_by <= redeem_by", name="dates_ordered"),
        CheckConstraint("ratio_bp > 0 AND ratio_bp <= 10000", name="ratio_range"),
        CheckConstraint("reclaim_threshold_bp >= 0 AND reclaim_threshold_bp <= 10000", name="reclaim_range"),
        CheckConstraint("status IN ('draft', 'open', 'paused', 'closed', 'final')", name="status"),
        CheckConstraint("clawback_to IN ('voucher', 'lapse')", name="clawback_to"),
        CheckConstraint("issuance_mode IN ('reviewed', 'fcfs')", name="issuance_mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    funder: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    valid_from: Mapped[object] = mapped_column(Date)
    use_by: Mapped[object] = mapped_column(Date)
    redeem_by: Mapped[object] = mapped_column(Date)
    enterprise_cap_fen: Mapped[int] = mapped_column(BigInteger)
    order_cap_fen: Mapped[int | None] = mapped_column(BigInteger)
    ratio_bp: Mapped[int] = mapped_column(Integer, default=3500)
    category_ratios: Mapped[dict] = mapped_column(JSON, default=dict)
    full_cover_below_fen: Mapped[int | None] = mapped_column(BigInteger)
    eligible_categories: Mapped[list] = mapped_column(JSON, default=list)
    required_flags: Mapped[list] = mapped_column(JSON, default=list)
    # Evidence a redemption request must carry (keys of EVIDENCE_CHECKLIST); empty: any one document.
    required_evidence: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    reclaim_threshold_bp: Mapped[int] = mapped_column(Integer, default=8000)
    status: Mapped[str] = mapped_column(String(10), default=ProgramStatus.DRAFT)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[object | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    issuance_mode: Mapped[str] = mapped_column(String(10), default="reviewed", server_default="reviewed")
    # Where a clawed-back voucher share goes (a voucher already expired or revoked: it lapses anyway).
    clawback_to: Mapped[str] = mapped_column(String(10), default="voucher", server_default="voucher")
    finalised_at: Mapped[object | None] = mapped_column(UTCDateTime)
    final_account: Mapped[dict | None] = mapped_column(JSON)  # 决算, written by the year-end close
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("voucher_programs.id"))  # cloned from

    vouchers = relationship("Voucher", back_populates="program")

    @property
    def status_label(self):
        return PROGRAM_STATUS_LABELS[self.status]

    def ratio_for(self, category):
        """Subsidy ratio in basis points for a service category (override or the default)."""
        return int(self.category_ratios.get(category, self.ratio_bp))

    @property
    def required_evidence_labels(self):
        """The checklist's labels (msgids) in their usual order."""
        return [label for key, label in EVIDENCE_CHECKLIST.items() if key in (self.required_evidence or [])]



class VoucherApplication(db.Model):
    __tablename__ = "voucher_applications"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        Index("ix_voucher_applications_program_org", "program_id", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("voucher_programs.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=ApplicationStatus.PENDING, index=True)
    approved_fen: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    program = relationship("VoucherProgram")
    organisation = relationship("Organisation")
    applicant = relationship("User", foreign_keys=[applicant_id])

    @property
    def status_label(self):
        return APPLICATION_STATUS_LABELS[self.status]


class Voucher(db.Model):
    """One issued voucher: real-name, non-transferable, with its own ledger account."""

    __tablename__ = "vouchers"
    __table_args__ = (
        CheckConstraint("face_value_fen > 0", name="face_value_positive"),
        UniqueConstraint("program_id", "serial", name="uq_vouchers_program_serial"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("voucher_programs.id"))
    serial: Mapped[int] = mapped_column(Integer)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("voucher_applications.id"), unique=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("issue_batches.id"), index=True)
    # "application:<id>" or "batch:<program>:<upload sha>:<credit code>": issuing twice is impossible.
    issue_key: Mapped[str] = mapped_column(String(120), unique=True)
    face_value_fen: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), unique=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    lapsed_at: Mapped[object | None] = mapped_column(UTCDateTime)

    program = relationship("VoucherProgram", back_populates="vouchers")
    organisation = relationship("Organisation")
    account = relationship("Account")


class EnterpriseQuota(db.Model):
    """What one enterprise has been issued in one program: never above the program's
    per-enterprise cap, which the database itself enforces (a CHECK, like the ledger's overdraft
    guard), so no issuance path — an application, a batch, two operators approving at the same
    moment — can exceed it. `cap_fen` copies the program's cap, which is locked once issuing starts."""

    __tablename__ = "enterprise_quotas"
    __table_args__ = (CheckConstraint("issued_fen >= 0 AND issued_fen <= cap_fen", name="within_cap"),)

    program_id: Mapped[int] = mapped_column(ForeignKey("voucher_programs.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    cap_fen: Mapped[int] = mapped_column(BigInteger)
    issued_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class IssueBatch(db.Model):
    """An uploaded issuance CSV: previewed (rows stored), then confirmed once."""

    __tablename__ = "issue_batches"
    __table_args__ = (UniqueConstraint("program_id", "upload_sha256", name="uq_issue_batches_program_upload"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("voucher_programs.id"))
    upload_sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    encoding: Mapped[str] = mapped_column(String(20))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    rows_ok: Mapped[int] = mapped_column(Integer, default=0)
    rows_bad: Mapped[int] = mapped_column(Integer, default=0)
    total_fen: Mapped[int] = mapped_column(BigInteger, default=0)

    program = relationship("VoucherProgram")


class IssueBatchRow(db.Model):
    __tablename__ = "issue_batch_rows"
    __table_args__ = (Index("ix_issue_batch_rows_batch_line", "batch_id", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("issue_batches.id"))
    line: Mapped[int] = mapped_column(Integer)
    credit_code: Mapped[str] = mapped_column(String(40))
    organisation_id: Mapped[int | None] = mapped_column(Integer)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    memo: Mapped[str] = mapped_column(String(200), default="")
    outcome: Mapped[str] = mapped_column(String(20))  # ok, unknown, not_eligible, over_cap, duplicate, bad_amount
