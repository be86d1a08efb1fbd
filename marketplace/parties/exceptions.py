"""One-order exceptions to the related-party voucher exclusion: asked by one operator with a
reason, approved by another (four eyes, `marketplace.approvals`: action `related_party.override`);
the enterprise's next order with the provider uses it up."""
from sqlalchemy import select, update

from marketplace.approvals import services as approvals
from marketplace.approvals.models import Approval, ApprovalStatus
from marketplace.audit.services import record
from marketplace.auth.models import OrgKind
from marketplace.auth.services import get_organisation, require_operator
from marketplace.database import utcnow
from marketplace.errors import InvalidState, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.parties.models import PartyException
from marketplace.parties.services import related_parties

ACTION = "related_party.override"


class NotRelated(InvalidState):
    message = N_("These organisations are not related parties: vouchers can already be used between them.")


class ExceptionAlreadyOpen(InvalidState):
    message = N_("An exception for this enterprise and provider is already waiting for approval or for its order.")


class ExceptionUsed(InvalidState):
    message = N_("The approved exception was used by another order a moment ago. Review the new quote and confirm again.")


def request_exception(actor, enterprise_id, provider_id, reason):
    """Ask that the enterprise's next order with the provider may use vouchers although they are
    related. Returns (approval, the exception or None while it waits for a second operator).
    Raises PermissionDenied, NotFound, ValidationFailed, NotRelated, ExceptionAlreadyOpen."""
    require_operator(actor)
    enterprise, provider = get_organisation(enterprise_id), get_organisation(provider_id)
    if enterprise.kind != OrgKind.ENTERPRISE or provider.kind != OrgKind.PROVIDER:
        raise ValidationFailed(N_("Choose an enterprise and a service provider."), field="enterprise")
    if not related_parties(enterprise, provider):
        raise NotRelated()
    if unused_exception(enterprise.id, provider.id) is not None or pending_request(enterprise.id, provider.id):
        raise ExceptionAlreadyOpen()
    summary = {"message": N_("Let %(enterprise)s use vouchers on its next order with %(provider)s (related parties)"),
               "params": {"enterprise": enterprise.legal_name, "provider": provider.legal_name}}
    params = {"enterprise_id": enterprise.id, "provider_id": provider.id, "reason": (reason or "").strip()}
    return approvals.ask(actor, ACTION, provider, params, reason, summary)


def grant_now(params, requested_by, approved_by):
    """Carry an approved exception out (the approvals handler). Returns the PartyException."""
    require_operator(approved_by)
    if unused_exception(params["enterprise_id"], params["provider_id"]) is not None:
        raise ExceptionAlreadyOpen()
    exception = PartyException(enterprise_id=params["enterprise_id"], provider_id=params["provider_id"],
                               reason=params["reason"], requested_by_id=requested_by.id,
                               approved_by_id=approved_by.id, approved_at=utcnow())
    db.session.add(exception)
    db.session.flush()
    record(approved_by, "related_party.override", exception,
           after={"enterprise_id": exception.enterprise_id, "provider_id": exception.provider_id,
                  "requested_by": requested_by.id}, reason=exception.reason)
    return exception


def unused_exception(enterprise_id, provider_id):
    """The approved exception the pair's next order may use, or None."""
    return db.session.scalar(select(PartyException).where(
        PartyException.enterprise_id == enterprise_id, PartyException.provider_id == provider_id,
        PartyException.used_order_id.is_(None)).order_by(PartyException.id).limit(1))


def pending_request(enterprise_id, provider_id):
    asked = db.session.scalars(select(Approval).where(Approval.action == ACTION,
                                                      Approval.status == ApprovalStatus.PENDING,
                                                      Approval.object_id == str(provider_id))).all()
    return any(approval.params.get("enterprise_id") == enterprise_id for approval in asked)


def use_exception(exception_id, order):
    """Mark the exception used by `order` — a conditional update, so of two checkouts at once only
    one gets it. Raises ExceptionUsed for the other."""
    taken = db.session.execute(update(PartyException)
                               .where(PartyException.id == exception_id, PartyException.used_order_id.is_(None))
                               .values(used_order_id=order.id, used_at=utcnow())
                               .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise ExceptionUsed()


def listing(status="open"):
    """Exceptions, newest first: `open` (approved, not used yet), `used` or `all`."""
    query = select(PartyException).order_by(PartyException.approved_at.desc(), PartyException.id.desc())
    if status == "open":
        query = query.where(PartyException.used_order_id.is_(None))
    elif status == "used":
        query = query.where(PartyException.used_order_id.is_not(None))
    return query


def waiting_requests():
    return db.session.scalars(select(Approval).where(Approval.action == ACTION, Approval.status == ApprovalStatus.PENDING)
                              .order_by(Approval.requested_at)).all()


def request_between(actor, enterprise_text, provider_text, reason):
    """request_exception for an enterprise and a provider named by credit code or legal name."""
    from marketplace.parties.services import find_organisation

    enterprise, provider = find_organisation(enterprise_text, "enterprise"), find_organisation(provider_text, "provider")
    return request_exception(actor, enterprise.id, provider.id, reason)
