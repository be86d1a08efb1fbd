"""Registration, authentication and organisation review. Services flush; callers commit."""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from marketplace.audit.services import record
from marketplace.auth import credit_code
from marketplace.auth.models import Organisation, OrganisationReview, OrgKind, OrgStatus, Role, User
from marketplace.database import utcnow
from marketplace.errors import DomainError, Duplicate, InvalidState, NotFound, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_

# A real hash to compare against when the e-mail is unknown, so both paths take the same time.
_DUMMY = User(password_hash="")
_DUMMY.set_password("timing-equaliser")


class InvalidCredentials(DomainError):
    status_code = 401
    message = N_("E-mail or password is incorrect.")


@dataclass(frozen=True)
class OrganisationData:
    kind: str
    legal_name: str
    credit_code: str
    legal_representative: str
    city: str
    contact_name: str
    contact_phone: str
    contact_email: str = ""  # the registering user's e-mail when left blank
    registered_address: str = ""


@dataclass(frozen=True)
class AccountData:
    email: str
    password: str
    name: str


def normalise_email(email):
    return (email or "").strip().lower()


def register(account: AccountData, org: OrganisationData):
    """Create a pending organisation and its first user. Raises Duplicate, ValidationFailed."""
    code = credit_code.normalise(org.credit_code)
    if credit_code.problem(code):
        raise ValidationFailed(credit_code.problem(code), field="credit_code")
    if org.kind not in set(OrgKind):
        raise ValidationFailed(N_("Choose enterprise or service provider."), field="kind")
    email = normalise_email(account.email)
    ensure_unique(email, code)
    organisation = Organisation(**{**org.__dict__, "credit_code": code, "status": OrgStatus.PENDING,
                                   "contact_email": normalise_email(org.contact_email) or email,
                                   "registered_address": (org.registered_address or "").strip()[:200]})
    user = User(email=email, name=account.name.strip(), role=org.kind, organisation=organisation)
    user.set_password(account.password)
    db.session.add_all([organisation, user])
    flush_unique()
    return user


def register_or_tell_owner(account: AccountData, org: OrganisationData):
    """Register, or — when the e-mail already has an account — tell that account's owner by
    e-mail instead, answering the caller the same way. Returns the new user or None.
    Raises Duplicate (credit code), ValidationFailed."""
    from marketplace.notifications.services import notify

    owner = db.session.scalar(select(User).where(User.email == normalise_email(account.email)))
    if owner is not None:
        notify(db.session, [owner.id], "registration_attempt", N_("Someone tried to register with your e-mail"),
               N_("A new registration was submitted with your e-mail address, which already has an account. "
                  "If it was you, log in instead (or change your password if you have forgotten it); "
                  "otherwise you can ignore this message."))
        return None
    user = register(account, org)
    notify(db.session, [user.id], "registration_received", N_("Registration received"),
           N_("Your registration of %(name)s was received. An administrator checks it, usually within two "
              "working days; log in to follow the review."), name=user.organisation.legal_name)
    return user


def ensure_unique(email, code):
    if email and db.session.scalar(select(User.id).where(User.email == email)):
        raise Duplicate(N_("An account with this e-mail already exists. Log in instead."), field="email")
    if code and db.session.scalar(select(Organisation.id).where(Organisation.credit_code == code)):
        raise Duplicate(N_("An organisation with this credit code is already registered."), field="credit_code")


def flush_unique():
    """Flush, turning a unique-constraint race into the same Duplicate a check would raise."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        text = str(error.orig).lower()
        field = "credit_code" if "credit_code" in text else "email"
        raise Duplicate(N_("This e-mail or credit code is already registered."), field=field) from error


def authenticate(email, password):
    """The active user with these credentials. Raises InvalidCredentials whichever part is wrong."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        _DUMMY.check_password(password or "")
        raise InvalidCredentials()
    if not user.check_password(password or "") or not user.active:
        raise InvalidCredentials()
    user.last_login_at = utcnow()
    return user


def user_for_session(session_id):
    """The active user a session belongs to, or None when the session was ended (its version is
    older than the user's) or the user was disabled."""
    from marketplace.inputs import parse_int

    user_id, _sep, version = str(session_id or "").partition(":")
    user_id, version = parse_int(user_id, 1), parse_int(version)
    if user_id is None or version is None:
        return None
    # With its organisation: nearly every page of a logged-in user reads it (can_trade, the menu).
    user = db.session.get(User, user_id, options=[joinedload(User.organisation)])
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def end_sessions(user):
    """Every session of `user` stops working at its next request."""
    user.end_sessions()
    db.session.flush()


def change_password(user, current, new):
    """Raises InvalidCredentials (wrong current password), ValidationFailed (weak new one)."""
    if not user.check_password(current or ""):
        raise InvalidCredentials(N_("The current password is incorrect."), field="current_password")
    problem = password_problem(new)
    if problem:
        raise ValidationFailed(problem, field="new_password")
    user.set_password(new)
    end_sessions(user)
    record(user, "user.password", user)


def set_active(user_id, actor, active):
    """An operator disables (or re-enables) an account; disabling ends its sessions at once.
    Raises PermissionDenied, NotFound."""
    require_operator(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(N_("This account does not exist."))
    before = {"active": user.active}
    user.active = bool(active)
    if not user.active:
        user.end_sessions()
    db.session.flush()
    record(actor, "user.active", user, before=before, after={"active": user.active})
    return user


def create_admin(email, password, name="管理员"):
    """Create an admin account. Raises Duplicate, ValidationFailed."""
    email = normalise_email(email)
    problem = password_problem(password)
    if problem:
        raise ValidationFailed(problem, field="password")
    ensure_unique(email, None)
    user = User(email=email, name=name, role=Role.ADMIN)
    user.set_password(password)
    db.session.add(user)
    flush_unique()
    return user


def password_problem(password):
    password = password or ""
    if not 10 <= len(password) <= 128:
        return N_("The password must be 10 to 128 characters long.")
    if not (any(c.isalpha() for c in password) and any(c.isascii() and c.isdigit() for c in password)):
        return N_("The password must contain both letters and digits.")
    return None


def require_operator(actor):
    """Admin decisions are for operators: other roles and read-only auditors are refused.
    Raises PermissionDenied."""
    if actor is None or not actor.is_admin or actor.is_auditor:
        raise PermissionDenied()


def get_organisation(organisation_id):
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(N_("This organisation does not exist."))
    return organisation


def decide_organisation(organisation_id, actor, approve, reason=None):
    """Approve or reject a pending organisation, recording the decision.
    Raises NotFound, PermissionDenied, InvalidState, ValidationFailed."""
    require_operator(actor)
    organisation = get_organisation(organisation_id)
    if organisation.status != OrgStatus.PENDING:
        raise InvalidState(N_("This organisation has already been reviewed; the decision stands."))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationFailed(N_("Give a reason so the applicant knows what to fix."), field="reason")
    organisation.status = OrgStatus.APPROVED if approve else OrgStatus.REJECTED
    organisation.status_reason = None if approve else reason
    organisation.reviewed_at = utcnow()
    db.session.add(OrganisationReview(organisation=organisation, actor_id=actor.id,
                                      decision=organisation.status, reason=reason or None))
    db.session.flush()
    record(actor, f"organisation.{organisation.status}", organisation, before={"status": "pending"},
           after={"status": organisation.status}, reason=reason or None)
    tell_registration_decision(organisation)
    return organisation


def tell_registration_decision(organisation):
    from marketplace.notifications import services as notifications

    if organisation.status == OrgStatus.APPROVED:
        subject = N_("Your registration is approved")
        body = (N_("%(name)s is verified. You can now apply for innovation vouchers and order services.")
                if organisation.kind == OrgKind.ENTERPRISE else
                N_("%(name)s is approved. You can now apply for admission to the provider register and list services."))
    else:
        subject = N_("Your registration needs correcting")
        body = N_("The administrators could not approve the registration of %(name)s. Reason: %(reason)s "
                  "Correct it and resubmit on your account page.")
    notifications.notify(db.session, notifications.members(db.session, organisation.id), "registration",
                         subject, body, link="/auth/account", name=organisation.legal_name,
                         reason=organisation.status_reason or "")


def set_attributes(organisation_id, actor, is_high_tech, is_sme):
    """Record the verified attributes voucher programs may require. Raises PermissionDenied, NotFound."""
    require_operator(actor)
    organisation = get_organisation(organisation_id)
    before = {"is_high_tech": organisation.is_high_tech, "is_sme": organisation.is_sme}
    organisation.is_high_tech, organisation.is_sme = bool(is_high_tech), bool(is_sme)
    after = {"is_high_tech": organisation.is_high_tech, "is_sme": organisation.is_sme}
    if after != before:
        db.session.flush()
        record(actor, "organisation.attributes", organisation, before=before, after=after)
    return organisation


def resubmit_organisation(actor, org: OrganisationData):
    """A rejected organisation corrects its details and goes back to the review queue.
    Raises InvalidState, ValidationFailed, Duplicate."""
    organisation = actor.organisation
    if organisation is None or organisation.status != OrgStatus.REJECTED:
        raise InvalidState(N_("Only a rejected registration can be corrected and resubmitted."))
    code = credit_code.normalise(org.credit_code)
    if credit_code.problem(code):
        raise ValidationFailed(credit_code.problem(code), field="credit_code")
    if code != organisation.credit_code:
        ensure_unique(None, code)
    for name in ("legal_name", "legal_representative", "city", "contact_name", "contact_phone"):
        setattr(organisation, name, getattr(org, name))
    if org.registered_address:
        organisation.registered_address = org.registered_address.strip()[:200]
    organisation.credit_code = code
    organisation.status = OrgStatus.PENDING
    db.session.add(OrganisationReview(organisation=organisation, actor_id=actor.id,
                                      decision="resubmitted"))
    flush_unique()
    return organisation


def set_locale(user, locale, languages):
    if locale not in languages:
        raise ValidationFailed(N_("This language is not available."))
    user.locale = locale


def counts_by_status():
    """{kind: {status: organisations}} for every kind, in one statement."""
    counts = {kind: {} for kind in OrgKind}
    query = select(Organisation.kind, Organisation.status, func.count()).group_by(Organisation.kind, Organisation.status)
    for kind, status, count in db.session.execute(query):
        counts.setdefault(kind, {})[status] = count
    return counts
