"""Provider profiles and admission to the provider register (入库). Services flush; callers commit."""
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select

from marketplace.auth.models import Organisation, OrgKind
from marketplace.auth.services import require_operator
from marketplace.catalog import uploads
from marketplace.catalog.models import QUALIFICATION_KINDS, AdmissionEvent, AdmissionStatus, Category, \
    Listing, ListingStatus, OutboxAction, ProviderProfile, Qualification
from marketplace.catalog.outbox import record_change
from marketplace.database import utcnow
from marketplace.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_

ZONE = ZoneInfo("Asia/Shanghai")
EXPIRY_WARNING_DAYS = 30


def today():
    """The date in the zone's time zone, where certificates expire."""
    return utcnow().astimezone(ZONE).date()


@dataclass(frozen=True)
class ProfileData:
    description: str
    city: str
    website: str
    category_slugs: tuple


@dataclass(frozen=True)
class QualificationData:
    kind: str
    number: str
    issuer: str
    valid_until: date


def provider_organisation(actor):
    """The actor's provider organisation. Raises PermissionDenied for anyone else."""
    if actor is None or not actor.is_authenticated or actor.role != OrgKind.PROVIDER or actor.organisation is None:
        raise PermissionDenied(N_("Only service providers can do this."))
    return actor.organisation


def profile_of(organisation):
    return db.session.scalar(select(ProviderProfile).where(ProviderProfile.organisation_id == organisation.id))


def own_profile(actor, create=False):
    """The actor's own profile (created on first use). Raises PermissionDenied, InvalidState."""
    organisation = provider_organisation(actor)
    profile = profile_of(organisation)
    if profile is None and create:
        if not organisation.is_approved:
            raise InvalidState(N_("Your organisation must be approved before it can apply for admission."))
        profile = ProviderProfile(organisation=organisation, city=organisation.city)
        db.session.add(profile)
        db.session.flush()
    return profile


def editable_profile(actor):
    """The actor's own profile (created on first use) unless suspended. Raises PermissionDenied, InvalidState."""
    profile = own_profile(actor, create=True)
    if profile.status == AdmissionStatus.SUSPENDED:
        raise InvalidState(N_("A suspended provider cannot change its profile; contact the administrators."))
    return profile


def save_profile(actor, data: ProfileData):
    """Update the actor's own profile. Raises PermissionDenied, InvalidState, ValidationFailed."""
    profile = editable_profile(actor)
    categories = list(db.session.scalars(select(Category).where(
        Category.slug.in_(data.category_slugs), Category.parent_id.is_(None))))
    if len(categories) != len(set(data.category_slugs)):
        raise ValidationFailed(N_("Choose categories from the list."), field="categories")
    if data.website and not data.website.lower().startswith(("http://", "https://")):
        raise ValidationFailed(N_("Enter a web address starting with http:// or https://."), field="website")
    profile.description, profile.city, profile.website = data.description, data.city, data.website
    profile.categories = categories
    db.session.flush()
    return profile


def add_qualification(actor, data: QualificationData, upload):
    """Add a qualification with its scanned certificate to the actor's own profile.
    Raises PermissionDenied, InvalidState, ValidationFailed."""
    if data.kind not in QUALIFICATION_KINDS:
        raise ValidationFailed(N_("Choose a qualification type from the list."), field="kind")
    profile = editable_profile(actor)
    stored = uploads.store_document(profile.organisation, upload, "qualification", field="file")
    qualification = Qualification(profile=profile, kind=data.kind, number=data.number, issuer=data.issuer,
                                  valid_until=data.valid_until, file_id=stored.id)
    db.session.add(qualification)
    db.session.flush()
    return qualification


def set_logo(actor, upload):
    """Replace the logo of the actor's own profile (an image, re-encoded with its variants).
    Raises PermissionDenied, InvalidState, ValidationFailed."""
    profile = editable_profile(actor)
    profile.logo = uploads.store_image(profile.organisation, upload, "logo", field="logo")
    db.session.flush()
    return profile


def remove_qualification(actor, qualification_id):
    """Remove one of the actor's own qualifications. Raises NotFound, PermissionDenied, InvalidState."""
    qualification = db.session.get(Qualification, qualification_id)
    if qualification is None:
        raise NotFound(N_("This qualification does not exist."))
    if qualification.profile.organisation_id != provider_organisation(actor).id:
        raise PermissionDenied()
    if qualification.profile.status == AdmissionStatus.PENDING:
        raise InvalidState(N_("Qualifications cannot be removed while the application is being reviewed."))
    db.session.delete(qualification)
    db.session.flush()


def admission_problems(profile):
    """English msgids of what is missing before a profile can be sent for admission."""
    problems = []
    if len((profile.description or "").strip()) < 20:
        problems.append(N_("Describe your organisation and services (at least 20 characters)."))
    if not profile.categories:
        problems.append(N_("Choose at least one service category."))
    if not any(q.valid_until >= today() for q in profile.qualifications):
        problems.append(N_("Add at least one qualification that has not expired."))
    return problems


def apply_for_admission(actor):
    """Send the actor's profile to the admission queue. Raises PermissionDenied, InvalidState, ValidationFailed."""
    profile = own_profile(actor, create=True)
    if profile.status not in (AdmissionStatus.DRAFT, AdmissionStatus.REJECTED):
        raise InvalidState(N_("The application has already been sent."))
    problems = admission_problems(profile)
    if problems:
        raise ValidationFailed(problems[0])
    profile.status, profile.status_reason, profile.submitted_at = AdmissionStatus.PENDING, None, utcnow()
    log_event(profile, actor, "applied")
    return profile


def log_event(profile, actor, action, reason=None):
    db.session.add(AdmissionEvent(profile=profile, actor_id=actor.id if actor else None, action=action,
                                  reason=reason))
    db.session.flush()


def get_profile(profile_id):
    profile = db.session.get(ProviderProfile, profile_id)
    if profile is None:
        raise NotFound(N_("This provider does not exist."))
    return profile


def require_reason(reason, message):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(message, field="reason")
    return reason


def decide_admission(actor, profile_id, admit, reason=None):
    """Admit or reject a pending application. Raises PermissionDenied, NotFound, InvalidState, ValidationFailed."""
    require_operator(actor)
    profile = get_profile(profile_id)
    if profile.status != AdmissionStatus.PENDING:
        raise InvalidState(N_("This application has already been decided."))
    if not admit:
        reason = require_reason(reason, N_("Give a reason so the provider knows what to fix."))
    profile.status = AdmissionStatus.ADMITTED if admit else AdmissionStatus.REJECTED
    profile.status_reason = None if admit else reason
    profile.admitted_at = utcnow() if admit else profile.admitted_at
    log_event(profile, actor, "admitted" if admit else "rejected", reason)
    notify_provider(profile, N_("Admission decided"),
                    N_("Your organisation is admitted to the provider register.") if admit else
                    N_("Your application for admission was rejected: %(reason)s"), reason=reason or "")
    return profile


def suspend_provider(actor, profile_id, reason):
    """Suspend an admitted provider: its listings are unpublished and enterprises with open orders
    are told. Raises PermissionDenied, NotFound, InvalidState, ValidationFailed."""
    require_operator(actor)
    profile = get_profile(profile_id)
    if profile.status != AdmissionStatus.ADMITTED:
        raise InvalidState(N_("Only an admitted provider can be suspended."))
    reason = require_reason(reason, N_("Give the reason for the suspension."))
    profile.status, profile.status_reason = AdmissionStatus.SUSPENDED, reason
    unpublish_all(profile.organisation_id, reason)
    log_event(profile, actor, "suspended", reason)
    notify_provider(profile, N_("Provider suspended"), N_("Your organisation is suspended: %(reason)s"), reason=reason)
    notify_enterprises_with_open_orders(profile.organisation, reason)
    return profile


def reinstate_provider(actor, profile_id):
    """Lift a suspension: its open orders run again (each waiting state's deadline restarts) and
    both sides are told; listings stay unpublished until the provider publishes them again."""
    from marketplace.orders.expiry import thaw

    require_operator(actor)
    profile = get_profile(profile_id)
    if profile.status != AdmissionStatus.SUSPENDED:
        raise InvalidState(N_("Only a suspended provider can be reinstated."))
    profile.status, profile.status_reason = AdmissionStatus.ADMITTED, None
    log_event(profile, actor, "reinstated")
    db.session.flush()
    thaw(profile.organisation_id)
    notify_provider(profile, N_("Provider reinstated"),
                    N_("Your organisation is reinstated. Your open orders continue; publish your services again."))
    enterprises = enterprises_with_open_orders(profile.organisation)
    notify([user.id for enterprise in enterprises for user in enterprise.users], "provider_reinstated",
           N_("A provider of your order is reinstated"),
           N_("%(provider)s is reinstated: your open orders with it continue."),
           provider=profile.organisation.legal_name)
    return profile


def unpublish_all(organisation_id, reason):
    listings = db.session.scalars(select(Listing).where(Listing.provider_id == organisation_id,
                                                        Listing.status == ListingStatus.PUBLISHED))
    for listing in listings:
        listing.status, listing.status_reason, listing.updated_at = ListingStatus.UNPUBLISHED, reason, utcnow()
        record_change(listing, OutboxAction.UNPUBLISH)
    db.session.flush()


OPEN_ORDER_STATES = ("placed", "paid", "accepted", "delivered", "disputed")


def enterprises_with_open_orders(organisation):
    """Enterprises with an order still in progress with this provider (not yet completed,
    cancelled, rejected or refunded): they are told when the provider is suspended."""
    from marketplace.orders.models import Order

    open_orders = select(Order.enterprise_id).where(Order.provider_id == organisation.id,
                                                    Order.status.in_(OPEN_ORDER_STATES))
    return list(db.session.scalars(select(Organisation).where(Organisation.id.in_(open_orders))
                                   .order_by(Organisation.id)))


def notify_enterprises_with_open_orders(organisation, reason):
    enterprises = enterprises_with_open_orders(organisation)
    user_ids = [user.id for enterprise in enterprises for user in enterprise.users]
    if user_ids:
        notify(user_ids, "provider_suspended", N_("A provider of your order is suspended"),
               N_("%(provider)s is suspended: %(reason)s. Your open orders with it are on hold."),
               provider=organisation.legal_name, reason=reason)
    return enterprises


def notify_provider(profile, subject, body, **params):
    notify([user.id for user in profile.organisation.users], "provider_admission", subject, body, **params)


def notify(user_ids, kind, subject, body, **params):
    from marketplace.notifications.services import notify as send

    if user_ids:
        send(db.session, user_ids, kind, subject, body, **params)


def qualification_flags(profile):
    """(expired, expiring within 30 days) qualifications of a profile."""
    now = today()
    expired = [q for q in profile.qualifications if q.valid_until < now]
    expiring = [q for q in profile.qualifications if 0 <= (q.valid_until - now).days <= EXPIRY_WARNING_DAYS]
    return expired, expiring


def profiles_with_expired_qualifications():
    query = (select(ProviderProfile).join(Qualification).where(Qualification.valid_until < today())
             .distinct().order_by(ProviderProfile.id))
    return list(db.session.scalars(query))


def is_suspended(organisation_id):
    """True while the provider is suspended: its open orders are frozen, it claims nothing."""
    return db.session.scalar(select(ProviderProfile.status).where(
        ProviderProfile.organisation_id == organisation_id)) == AdmissionStatus.SUSPENDED


def admitted_provider_ids():
    return select(ProviderProfile.organisation_id).where(ProviderProfile.status == AdmissionStatus.ADMITTED)


def public_profile(organisation_id):
    """An admitted provider's profile for its public page. Raises NotFound."""
    profile = db.session.scalar(select(ProviderProfile).join(Organisation).where(
        ProviderProfile.organisation_id == organisation_id, ProviderProfile.status == AdmissionStatus.ADMITTED))
    if profile is None:
        raise NotFound(N_("This provider is not in the provider register."))
    return profile
