"""Recording and ending affiliations between organisations, and the related-party test itself.
Plain functions taking the acting operator; they flush, the caller commits."""
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from marketplace.audit.services import record
from marketplace.auth.models import Organisation
from marketplace.auth.services import get_organisation, require_operator
from marketplace.catalog import uploads
from marketplace.database import utcnow
from marketplace.errors import Duplicate, InvalidState, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.notifications import services as notifications
from marketplace.orders.actions import reason_required
from marketplace.parties.models import AFFILIATION_KINDS, Affiliation

STATUSES = ("active", "ended", "all")


class AlreadyAffiliated(Duplicate):
    message = N_("These two organisations already have an active affiliation on record.")


class AffiliationNotFound(NotFound):
    message = N_("This affiliation does not exist.")


class AffiliationEnded(InvalidState):
    message = N_("This affiliation has already ended.")


def ordered(first_id, second_id):
    return tuple(sorted((first_id, second_id)))


def same_representative(first, second):
    """Both name a legal representative and it is the same (blank names relate nobody: imported
    providers have none until an operator fills it in)."""
    name = (first.legal_representative or "").strip()
    return bool(name) and name == (second.legal_representative or "").strip()


def active_affiliation(first_id, second_id):
    low, high = ordered(first_id, second_id)
    return db.session.scalar(select(Affiliation).where(Affiliation.organisation_a_id == low,
                                                       Affiliation.organisation_b_id == high,
                                                       Affiliation.ended_at.is_(None)))


def related_parties(first, second):
    """Same credit code, the same (non-blank) legal representative, or an active affiliation."""
    if first.credit_code == second.credit_code or same_representative(first, second):
        return True
    return active_affiliation(first.id, second.id) is not None


def record_affiliation(actor, first_id, second_id, kind, reason, evidence=None):
    """Record that two organisations are related (vouchers blocked between them from now on),
    with an optional evidence file (`uploads.Upload`); both organisations are told.
    Raises PermissionDenied, NotFound, ValidationFailed, AlreadyAffiliated."""
    require_operator(actor)
    if first_id == second_id:
        raise ValidationFailed(N_("Choose two different organisations."), field="organisation_b")
    first, second = get_organisation(first_id), get_organisation(second_id)
    if kind not in AFFILIATION_KINDS:
        raise ValidationFailed(N_("Choose the kind of relationship."), field="kind")
    reason = reason_required(reason)
    if active_affiliation(first.id, second.id) is not None:
        raise AlreadyAffiliated(field="organisation_b")
    low, high = ordered(first.id, second.id)
    stored = uploads.store_document(first, evidence, "affiliation", field="evidence") if evidence else None
    affiliation = Affiliation(organisation_a_id=low, organisation_b_id=high, kind=kind, reason=reason,
                              evidence_file_id=stored.id if stored else None, recorded_by_id=actor.id)
    db.session.add(affiliation)
    flush_unique(affiliation)
    record(actor, "affiliation.record", affiliation,
           after={"organisations": [low, high], "kind": kind, "evidence": stored.original_name if stored else None},
           reason=reason)
    tell_both(affiliation, N_("A related-party relationship was recorded"),
              N_("The administrators recorded a related-party relationship between %(first)s and %(second)s. "
                 "Innovation vouchers cannot be used on orders between them. Reason: %(reason)s"), reason)
    return affiliation


def flush_unique(affiliation):
    """Flush; a concurrent recording of the same pair loses to the partial unique index."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise AlreadyAffiliated(field="organisation_b") from error


def end_affiliation(actor, affiliation_id, reason):
    """End an active affiliation (vouchers allowed again between the two); a reason is required
    and both organisations are told. Raises PermissionDenied, AffiliationNotFound, AffiliationEnded,
    ValidationFailed."""
    require_operator(actor)
    affiliation = get_affiliation(affiliation_id)
    if not affiliation.is_active:
        raise AffiliationEnded()
    reason = reason_required(reason)
    affiliation.ended_at, affiliation.ended_by_id, affiliation.end_reason = utcnow(), actor.id, reason
    db.session.flush()
    record(actor, "affiliation.end", affiliation, before={"status": "active"}, after={"status": "ended"},
           reason=reason)
    tell_both(affiliation, N_("A related-party relationship was ended"),
              N_("The administrators ended the related-party relationship between %(first)s and %(second)s. "
                 "Reason: %(reason)s"), reason)
    return affiliation


def tell_both(affiliation, subject, body, reason):
    first, second = affiliation.organisation_a or get_organisation(affiliation.organisation_a_id), \
        affiliation.organisation_b or get_organisation(affiliation.organisation_b_id)
    users = [*notifications.members(db.session, first.id), *notifications.members(db.session, second.id)]
    notifications.notify(db.session, users, "affiliation", subject, body, link="/notifications/",
                         first=first.legal_name, second=second.legal_name, reason=reason)


def get_affiliation(affiliation_id):
    affiliation = db.session.get(Affiliation, affiliation_id)
    if affiliation is None:
        raise AffiliationNotFound()
    return affiliation


def search(status="active", text=""):
    """A query of affiliations, newest first: `status` active, ended or all; `text` matches either
    organisation's legal name or credit code."""
    first, second = aliased(Organisation), aliased(Organisation)
    query = (select(Affiliation).join(first, first.id == Affiliation.organisation_a_id)
             .join(second, second.id == Affiliation.organisation_b_id)
             .order_by(Affiliation.created_at.desc(), Affiliation.id.desc()))
    if status == "active":
        query = query.where(Affiliation.ended_at.is_(None))
    elif status == "ended":
        query = query.where(Affiliation.ended_at.is_not(None))
    text = (text or "").strip()[:100]
    if text:
        like = f"%{text}%"
        query = query.where(or_(first.legal_name.like(like), second.legal_name.like(like),
                                first.credit_code == text.upper(), second.credit_code == text.upper()))
    return query


def for_organisation(organisation_id):
    """Every affiliation of one organisation (active first), for its page."""
    return db.session.scalars(select(Affiliation).where(or_(Affiliation.organisation_a_id == organisation_id,
                                                            Affiliation.organisation_b_id == organisation_id))
                              .order_by(Affiliation.ended_at.is_not(None), Affiliation.created_at.desc())).all()


def find_organisation(text, field):
    """The organisation a form names by its credit code or exact legal name. Raises NotFound."""
    from marketplace.auth import credit_code

    text = (text or "").strip()
    organisation = db.session.scalar(select(Organisation).where(or_(
        Organisation.credit_code == credit_code.normalise(text), Organisation.legal_name == text)).limit(1)) if text else None
    if organisation is None:
        raise NotFound(N_("No organisation has this credit code or legal name."), field=field)
    return organisation


def record_between(actor, first_text, second_text, kind, reason, evidence=None):
    """record_affiliation for two organisations named by credit code or legal name."""
    first, second = find_organisation(first_text, "organisation_a"), find_organisation(second_text, "organisation_b")
    return record_affiliation(actor, first.id, second.id, kind, reason, evidence)
