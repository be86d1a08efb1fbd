"""Four eyes. `ask` records an operator's decision; with the platform setting FOUR_EYES on (the
default in production) it waits until a different operator approves it, and only then is it
carried out; with it off (development, the demo) it is carried out at once, still recorded.
Every step is in the audit log; the other operators are told when something waits for them.

Which decisions: revoking a voucher, extending a program's deadlines, changing its budget,
clawing back a redemption, an exception to the related-party
exclusion for one order (ACTIONS below). Two-step reviews (初审/终审) and batch approvals check
the second operator where they happen (`require_second_operator`)."""
from dataclasses import dataclass
from importlib import import_module

from flask import current_app
from sqlalchemy import select

from marketplace.approvals.models import Approval, ApprovalStatus
from marketplace.audit.services import record
from marketplace.auth.services import require_operator
from marketplace.database import utcnow
from marketplace.errors import InvalidState, NotFound
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.notifications import services as notifications


class SameOperator(InvalidState):
    status_code = 403
    message = N_("A second operator must do this: you asked for it (or did the step before).")


class ApprovalNotFound(NotFound):
    message = N_("This approval request does not exist.")


class AlreadyDecidedApproval(InvalidState):
    message = N_("This request has already been decided.")


@dataclass(frozen=True)
class Action:
    label: str  # msgid
    handler: str  # "module:function", called as handler(params, requested_by, approved_by)


ACTIONS = {
    "voucher.revoke": Action(N_("Revoke a voucher"), "marketplace.vouchers.expiry:revoke_now"),
    "program.extend": Action(N_("Extend a program's deadlines"), "marketplace.vouchers.lifecycle:extend_now"),
    "program.budget": Action(N_("Change a program's budget"), "marketplace.vouchers.lifecycle:change_budget_now"),
    "redemption.clawback": Action(N_("Claw back a redemption"), "marketplace.redemption.clawback:claw_back_now"),
    "related_party.override": Action(N_("Allow vouchers on one order between related parties"),
                                     "marketplace.parties.exceptions:grant_now"),
}


def four_eyes():
    return bool(current_app.config.get("FOUR_EYES"))


def require_second_operator(actor, first_id):
    """With four eyes on, `actor` must not be the operator who did the first step."""
    if four_eyes() and first_id is not None and actor.id == first_id:
        raise SameOperator()


def ask(actor, action, obj, params, reason, summary):
    """An operator's decision on `obj`: carried out now (four eyes off) or when another operator
    approves. Returns (approval, the handler's result or None while pending). Raises
    PermissionDenied, ValidationFailed (no reason), the handler's errors when run at once."""
    from marketplace.orders.actions import reason_required

    require_operator(actor)
    approval = Approval(action=action, object_type=type(obj).__name__, object_id=str(obj.id), params=params,
                        summary=summary, reason=reason_required(reason), requested_by_id=actor.id)
    db.session.add(approval)
    db.session.flush()
    record(actor, "approval.request", approval, after={"action": action, **params}, reason=approval.reason)
    if not four_eyes():
        return approval, carry_out(approval, actor)
    others = [user_id for user_id in notifications.operators(db.session) if user_id != actor.id]
    notifications.notify(db.session, others, "approval_requested", N_("A decision waits for your approval"),
                         N_("%(operator)s asks: %(action)s. Reason: %(reason)s"), link="/admin/approvals",
                         operator=actor.name, action=ACTIONS[action].label, reason=approval.reason)
    return approval, None


def approve(actor, approval_id, note=""):
    """A second operator approves: the decision is carried out. Raises PermissionDenied,
    ApprovalNotFound, AlreadyDecidedApproval, SameOperator, the handler's errors."""
    require_operator(actor)
    approval = pending(approval_id)
    require_second_operator(actor, approval.requested_by_id)
    approval.decision_note = (note or "").strip()[:2000] or None
    result = carry_out(approval, actor)
    tell_requester(approval, N_("Your request was approved and carried out: %(action)s"))
    return result


def reject(actor, approval_id, note):
    """A second operator refuses; nothing is carried out. Raises as approve, ValidationFailed."""
    from marketplace.orders.actions import reason_required

    require_operator(actor)
    approval = pending(approval_id)
    require_second_operator(actor, approval.requested_by_id)
    decide(approval, actor, ApprovalStatus.REJECTED, reason_required(note, field="note"))
    tell_requester(approval, N_("Your request was rejected: %(action)s"))
    return approval


def withdraw(actor, approval_id):
    """The operator who asked takes it back. Raises ApprovalNotFound, AlreadyDecidedApproval, SameOperator."""
    require_operator(actor)
    approval = pending(approval_id)
    if approval.requested_by_id != actor.id:
        raise SameOperator()
    decide(approval, actor, ApprovalStatus.WITHDRAWN, None)
    return approval


def carry_out(approval, approver):
    module, function = ACTIONS[approval.action].handler.split(":")
    result = getattr(import_module(module), function)(approval.params, approval.requested_by, approver)
    decide(approval, approver, ApprovalStatus.APPROVED, approval.decision_note)
    return result


def decide(approval, actor, status, note):
    approval.status, approval.decided_by_id, approval.decided_at = status, actor.id, utcnow()
    approval.decision_note = note
    db.session.flush()
    record(actor, f"approval.{status}", approval, before={"status": "pending"}, after={"status": status},
           reason=note)


def pending(approval_id):
    approval = db.session.get(Approval, approval_id)
    if approval is None:
        raise ApprovalNotFound()
    if approval.status != ApprovalStatus.PENDING:
        raise AlreadyDecidedApproval()
    return approval


def tell_requester(approval, subject):
    notifications.notify(db.session, [approval.requested_by_id], "approval_decided", subject,
                         N_("Open the approvals page to see who decided and when."), link="/admin/approvals",
                         action=ACTIONS[approval.action].label)


def queue(status=ApprovalStatus.PENDING):
    """The approvals with this status, oldest first (pending) or newest first (decided)."""
    order = Approval.requested_at if status == ApprovalStatus.PENDING else Approval.decided_at.desc()
    return select(Approval).where(Approval.status == status).order_by(order, Approval.id)


def for_object(obj):
    """Every approval about `obj`, newest first (its page shows who asked, who decided, when)."""
    return db.session.scalars(select(Approval).where(Approval.object_type == type(obj).__name__,
                                                     Approval.object_id == str(obj.id))
                              .order_by(Approval.requested_at.desc(), Approval.id.desc())).all()
