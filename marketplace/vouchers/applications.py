"""Enterprises apply for vouchers; admins approve (issuing a voucher) or reject."""
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.audit.services import record
from marketplace.auth.services import require_operator
from marketplace.database import utcnow
from marketplace.errors import PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.money import format_fen
from marketplace.notifications import services as notifications
from marketplace.vouchers import errors
from marketplace.vouchers.issuance import IssueItem, issue_vouchers
from marketplace.vouchers.models import ApplicationStatus, Voucher, VoucherApplication
from marketplace.vouchers.programs import get_program
from marketplace.vouchers.rules import Holding, enterprise_problem, program_problem, reclaim_blocked

MAX_PURPOSE = 2000


def holding(program, organisation_id):
    """The enterprise's vouchers and pending applications in the program, summed."""
    face, available = db.session.execute(
        select(func.coalesce(func.sum(Voucher.face_value_fen), 0),
               func.coalesce(func.sum(ledger.spendable(ledger.Account)), 0))
        .join(ledger.Account, ledger.Account.id == Voucher.account_id)
        .where(Voucher.program_id == program.id, Voucher.organisation_id == organisation_id)).one()
    pending = db.session.scalar(select(func.coalesce(func.sum(VoucherApplication.amount_fen), 0)).where(
        VoucherApplication.program_id == program.id, VoucherApplication.organisation_id == organisation_id,
        VoucherApplication.status == ApplicationStatus.PENDING))
    return Holding(int(face), int(available), int(pending), program.enterprise_cap_fen)


def application_problem(program, organisation, now):
    """Why this enterprise cannot apply in the program now (a DomainError), or None."""
    problem = program_problem(program, now) or enterprise_problem(program, organisation)
    if problem:
        return problem
    if db.session.scalar(select(VoucherApplication.id).where(
            VoucherApplication.program_id == program.id, VoucherApplication.organisation_id == organisation.id,
            VoucherApplication.status == ApplicationStatus.PENDING)):
        return errors.ApplicationPending()
    position = holding(program, organisation.id)
    if reclaim_blocked(position, program.reclaim_threshold_bp):
        return errors.ReclaimBlocked(used=format_fen(position.used), held=format_fen(position.face_value),
                                     threshold=program.reclaim_threshold_bp // 100)
    if position.remaining_cap == 0:
        return errors.OverCap(remaining=format_fen(0), cap=format_fen(program.enterprise_cap_fen))
    return None


def apply(program_id, actor, amount_fen, purpose, now=None):
    """Apply for `amount_fen` of vouchers. Raises ProgramNotOpen/NotStarted/Ended, NotEligible,
    ApplicationPending, ReclaimBlocked, OverCap, ValidationFailed."""
    program = get_program(program_id)
    organisation = actor.organisation
    problem = application_problem(program, organisation, now or utcnow())
    if problem:
        raise problem
    remaining = holding(program, organisation.id).remaining_cap
    if amount_fen <= 0:
        raise ValidationFailed(N_("The amount must be greater than zero."), field="amount")
    if amount_fen > remaining:
        raise errors.OverCap(remaining=format_fen(remaining), cap=format_fen(program.enterprise_cap_fen), field="amount")
    purpose = (purpose or "").strip()
    if not purpose or len(purpose) > MAX_PURPOSE:
        raise ValidationFailed(N_("Describe what the vouchers are for (at most 2,000 characters)."), field="purpose")
    application = VoucherApplication(program_id=program.id, organisation_id=organisation.id, applicant_id=actor.id,
                                     amount_fen=amount_fen, purpose=purpose)
    db.session.add(application)
    db.session.flush()
    if program.issuance_mode == "fcfs":
        issue_at_once(application)
    return application


def issue_at_once(application):
    """先到先得: issue what was applied for now, in this transaction. The budget's ledger account
    and the quota rows are locked while issuing, so a rush of applications is issued in the order
    they reach them until the budget is committed; one beyond it is refused (BudgetExhausted,
    OverCap) and nothing of it is kept."""
    issue_vouchers(application.program, [IssueItem(application.organisation_id, application.amount_fen,
                                                   f"application:{application.id}", application_id=application.id)],
                   None)
    application.status, application.approved_fen, application.decided_at = \
        ApplicationStatus.APPROVED, application.amount_fen, utcnow()
    application.reason = None
    db.session.flush()
    tell_applicant(application, N_("Vouchers issued"),
                   N_("%(amount)s in %(program)s has been issued to your wallet (first come, first served)."),
                   amount=format_fen(application.amount_fen))


def get_application(application_id):
    application = db.session.get(VoucherApplication, application_id)
    if application is None:
        raise errors.ApplicationNotFound()
    return application


def approve(application_id, actor, amount_fen=None, now=None):
    """Approve (possibly a lower amount) and issue the voucher in the same transaction.
    Raises PermissionDenied, ApplicationNotFound, AlreadyDecided, ValidationFailed, program errors,
    BudgetExhausted."""
    require_operator(actor)
    application = pending_application(application_id)
    amount = application.amount_fen if amount_fen is None else amount_fen
    if not 0 < amount <= application.amount_fen:
        raise ValidationFailed(N_("Approve an amount between ¥0.01 and the amount applied for."), field="amount")
    program = application.program
    problem = program_problem(program, now or utcnow()) or enterprise_problem(program, application.organisation)
    if problem:
        raise problem
    issue_vouchers(program, [IssueItem(application.organisation_id, amount, f"application:{application.id}",
                                       application_id=application.id)], actor)
    decide(application, actor, ApplicationStatus.APPROVED, approved_fen=amount)
    tell_applicant(application, N_("Voucher application approved"),
                   N_("Your application in %(program)s is approved: %(amount)s has been issued to your wallet."),
                   amount=format_fen(amount))
    return application


def reject(application_id, actor, reason):
    """Reject with a reason the enterprise sees. Raises PermissionDenied, ApplicationNotFound,
    AlreadyDecided, ValidationFailed."""
    require_operator(actor)
    application = pending_application(application_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(N_("Give a reason so the applicant knows what to fix."), field="reason")
    decide(application, actor, ApplicationStatus.REJECTED, reason=reason)
    tell_applicant(application, N_("Voucher application not approved"),
                   N_("Your application in %(program)s was not approved. Reason: %(reason)s"), reason=reason)
    return application


def pending_application(application_id):
    application = get_application(application_id)
    if application.status != ApplicationStatus.PENDING:
        raise errors.AlreadyDecided()
    return application


def decide(application, actor, status, approved_fen=None, reason=None):
    before = {"status": application.status}
    application.status, application.approved_fen, application.reason = status, approved_fen, reason
    application.decided_by_id, application.decided_at = actor.id, utcnow()
    db.session.flush()
    record(actor, f"application.{status}", application, before=before,
           after={"status": status, "approved_fen": approved_fen}, reason=reason)


def tell_applicant(application, subject, body, **params):
    notifications.notify(db.session, notifications.members(db.session, application.organisation_id),
                         "application_decided", subject, body, link="/vouchers/applications",
                         program=application.program.name, **params)


def applications_of(actor):
    if actor.organisation is None:
        raise PermissionDenied()
    return select(VoucherApplication).where(VoucherApplication.organisation_id == actor.organisation_id) \
        .order_by(VoucherApplication.created_at.desc(), VoucherApplication.id.desc())
