"""Organisations (enterprises and providers), their reviews, and the people who log in."""
import enum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.i18n import N_


class OrgKind(enum.StrEnum):
    ENTERPRISE = "enterprise"
    PROVIDER = "provider"


class OrgStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Role(enum.StrEnum):
    ENTERPRISE = "enterprise"
    PROVIDER = "provider"
    ADMIN = "admin"


class AdminRole(enum.StrEnum):
    OPERATOR = "operator"  # takes decisions
    AUDITOR = "auditor"  # reads, verifies and exports; changes nothing


KIND_LABELS = {OrgKind.ENTERPRISE: N_("Enterprise"), OrgKind.PROVIDER: N_("Service provider")}
STATUS_LABELS = {OrgStatus.PENDING: N_("Pending review"), OrgStatus.APPROVED: N_("Approved"),
                 OrgStatus.REJECTED: N_("Rejected")}


def enum_values(enum_class):
    return ", ".join(f"'{member.value}'" for member in enum_class)


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(f"kind IN ({enum_values(OrgKind)})", name="kind"),
        CheckConstraint(f"status IN ({enum_values(OrgStatus)})", name="status"),
        Index("ix_organisations_kind_status", "kind", "status"),  # the dashboard's counts by kind and status
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    legal_name: Mapped[str] = mapped_column(String(100))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    legal_representative: Mapped[str] = mapped_column(String(50))
    city: Mapped[str] = mapped_column(String(50))
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(30))
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    registered_address: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # A placeholder code given by a catalogue import: operators may replace it with the real one.
    credit_code_provisional: Mapped[bool] = mapped_column(default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(20), default=OrgStatus.PENDING, index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    # Attributes an admin has verified; voucher programs may require them.
    is_high_tech: Mapped[bool] = mapped_column(default=False, server_default=false())
    is_sme: Mapped[bool] = mapped_column(default=False, server_default=false())

    users = relationship("User", back_populates="organisation")
    reviews = relationship("OrganisationReview", back_populates="organisation",
                           order_by="OrganisationReview.id")

    @property
    def is_approved(self):
        return self.status == OrgStatus.APPROVED

    def has_flag(self, flag):
        return {"high_tech": self.is_high_tech, "sme": self.is_sme}.get(flag, False)

    @property
    def kind_label(self):
        return KIND_LABELS[OrgKind(self.kind)]

    @property
    def status_label(self):
        return STATUS_LABELS[OrgStatus(self.status)]


class OrganisationReview(db.Model):
    """Append-only record of every admin decision on an organisation (and each resubmission)."""

    __tablename__ = "organisation_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    organisation = relationship("Organisation", back_populates="reviews")
    actor = relationship("User")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({enum_values(Role)})", name="role"),
        # Admins belong to no organisation; everyone else belongs to exactly one.
        CheckConstraint("(role = 'admin') = (organisation_id IS NULL)", name="admin_has_no_org"),
        CheckConstraint(f"admin_role IN ({enum_values(AdminRole)})", name="admin_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    locale: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[object | None] = mapped_column(UTCDateTime)
    admin_role: Mapped[str] = mapped_column(String(20), default=AdminRole.OPERATOR, server_default="operator")
    # Part of every session's user id: raising it ends all sessions of the user at once
    # (logout, password change, disabling), copied cookies included.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    organisation = relationship("Organisation", back_populates="users")

    def set_password(self, password):
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        """Flask-Login's session id: the user id and the session version."""
        return f"{self.id}:{self.session_version}"

    def end_sessions(self):
        self.session_version = (self.session_version or 1) + 1

    @property
    def is_admin(self):
        return self.role == Role.ADMIN

    @property
    def is_auditor(self):
        """A read-only admin: sees everything an admin sees, changes nothing."""
        return self.is_admin and self.admin_role == AdminRole.AUDITOR

    @property
    def can_trade(self):
        """Only members of approved organisations may buy, sell or apply for vouchers."""
        return self.organisation is not None and self.organisation.is_approved
