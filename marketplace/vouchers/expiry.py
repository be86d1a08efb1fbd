"""Expiry after use_by, revocation by an admin, and the reminders before expiry."""
from datetime import timedelta

from sqlalchemy import select, update

from marketplace import ledger
from marketplace.audit.services import record
from marketplace.auth.services import require_operator
from marketplace.database import utcnow
from marketplace.errors import InvalidState, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.ledger.accounts import program_account_code
from marketplace.money import format_fen
from marketplace.notifications import services as notifications
from marketplace.vouchers import errors
from marketplace.vouchers.models import Voucher, VoucherProgram
from marketplace.vouchers.rules import local_date

REMINDER_DAYS = (30, 7)


def lapse(voucher, kind, actor=None, memo=""):
    """Move the voucher's available balance to the program's lapsed account; holds are untouched."""
    account = voucher.account
    db.session.refresh(account)
    lapsed = ledger.find_account(db.session, program_account_code(voucher.program.code, ledger.AccountKind.LAPSED))
    request = lapse_request(voucher, account, lapsed.id, kind, actor, memo)
    if request is None:
        return 0
    ledger.batch(db.session, [request])
    return request.amount


def lapse_request(voucher, account, lapsed_id, kind, actor=None, memo=""):
    """The transfer lapsing what is left on `voucher` (None when nothing is). The key names the
    account's totals, so a second run over the same state writes nothing."""
    amount = ledger.spendable(account)
    if amount <= 0:
        return None
    key = f"{kind}:{voucher.id}:{account.credits_posted}:{account.debits_posted}:{account.debits_pending}"
    return ledger.TransferRequest(account.id, lapsed_id, amount, kind, key, voucher_id=voucher.id,
                                  actor_id=getattr(actor, "id", None), memo=memo[:200])


def is_dead(voucher, now=None):
    """Revoked, or past its program's use_by: money on it can no longer be spent."""
    return voucher.revoked_at is not None or voucher.lapsed_at is not None or \
        local_date(now or utcnow()) > voucher.program.use_by


def lapse_if_dead(voucher, actor=None, now=None):
    """Money a hold released back to a revoked or expired voucher lapses in the same transaction:
    expiry never looks at a revoked voucher again, and an expired one's may have run already."""
    if voucher.revoked_at is not None:
        return lapse(voucher, ledger.TransferKind.REVOKE, actor, memo=f"{voucher.number} released after revocation")
    if is_dead(voucher, now):
        return lapse(voucher, ledger.TransferKind.LAPSE, actor, memo=f"{voucher.number} released after expiry")
    return 0


def vouchers_to_expire(now=None, program_id=None):
    """Ids of vouchers whose program's use_by has passed (Asia/Shanghai) and that still have
    money or no lapse date (revoked ones lapse when revoked)."""
    today = local_date(now or utcnow())
    query = (select(Voucher.id).join(VoucherProgram).join(ledger.Account, ledger.Account.id == Voucher.account_id)
             .where(VoucherProgram.use_by < today, Voucher.revoked_at.is_(None),
                    (Voucher.lapsed_at.is_(None)) | (ledger.spendable(ledger.Account) > 0)))
    if program_id is not None:
        query = query.where(VoucherProgram.id == program_id)
    return list(db.session.scalars(query.order_by(Voucher.id)))


def expire_voucher(voucher_id, now=None):
    """Lapse what is left on one voucher past use_by; returns fen lapsed (0 when a rival did)."""
    voucher = db.session.get(Voucher, voucher_id)
    amount = lapse(voucher, ledger.TransferKind.LAPSE, memo=f"{voucher.number} expired")
    if voucher.lapsed_at is None:
        voucher.lapsed_at = now or utcnow()
    db.session.flush()
    return amount


def expire_vouchers(now=None, program_id=None):
    """Lapse what is left on vouchers whose program's use_by has passed, in every program or one,
    in the caller's transaction (the worker runs expire_voucher per voucher instead). Runs any
    number of times; returns (vouchers touched, fen lapsed)."""
    amounts = [expire_voucher(voucher_id, now) for voucher_id in vouchers_to_expire(now, program_id)]
    return sum(1 for amount in amounts if amount > 0), sum(amounts)


def expire_all_at_once(program, now=None):
    """Lapse every voucher of `program` in one ledger batch — the year-end close, when nothing can
    spend any more and a program may have tens of thousands of vouchers. Returns fen lapsed."""
    lapsed = ledger.find_account(db.session, program_account_code(program.code, ledger.AccountKind.LAPSED))
    rows = db.session.execute(
        select(Voucher, ledger.Account).join(ledger.Account, ledger.Account.id == Voucher.account_id)
        .where(Voucher.program_id == program.id, Voucher.revoked_at.is_(None)).order_by(Voucher.id)).all()
    requests = [request for voucher, account in rows
                if (request := lapse_request(voucher, account, lapsed.id, ledger.TransferKind.LAPSE,
                                             memo=f"{voucher.number} expired")) is not None]
    if requests:
        ledger.batch(db.session, requests)
    db.session.execute(update(Voucher).where(Voucher.program_id == program.id, Voucher.revoked_at.is_(None),
                                             Voucher.lapsed_at.is_(None)).values(lapsed_at=now or utcnow()))
    return sum(request.amount for request in requests)


def expire_program(program_id, actor, now=None):
    """An admin runs the expiry of one program now instead of waiting for the worker.
    Raises PermissionDenied, ProgramNotFound, InvalidState (use_by not yet passed)."""
    from marketplace.vouchers.programs import get_program

    require_operator(actor)
    program = get_program(program_id)
    if local_date(now or utcnow()) <= program.use_by:
        raise InvalidState(N_("Vouchers of this program can be used until %(date)s; they expire after that day."),
                           date=program.use_by.isoformat())
    touched, total = expire_vouchers(now, program.id)
    record(actor, "program.expire", program, after={"vouchers": touched, "lapsed_fen": total})
    return touched, total


def revoke(voucher_id, actor, reason):
    """Revoke a voucher (fraud, collusion): its available balance lapses; holds on orders in
    progress are left to the order process. Raises PermissionDenied, VoucherNotFound,
    AlreadyRevoked, ValidationFailed."""
    require_operator(actor)
    voucher = db.session.get(Voucher, voucher_id)
    if voucher is None:
        raise errors.VoucherNotFound()
    if voucher.revoked_at is not None:
        raise errors.AlreadyRevoked()
    from marketplace.vouchers.programs import refuse_if_final

    refuse_if_final(voucher.program)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(N_("Give the reason for revoking; it is kept in the audit log."), field="reason")
    amount = lapse(voucher, ledger.TransferKind.REVOKE, actor, memo=reason)
    voucher.revoked_at, voucher.revoke_reason = utcnow(), reason
    record(actor, "voucher.revoke", voucher, after={"lapsed_fen": amount}, reason=reason)
    notifications.notify(db.session, notifications.members(db.session, voucher.organisation_id), "voucher_revoked",
                         N_("Voucher %(number)s revoked"),
                         N_("Voucher %(number)s was revoked by the administrators. Reason: %(reason)s"),
                         link="/vouchers/", number=voucher.number, reason=reason)
    db.session.flush()
    return voucher


def vouchers_to_remind(now=None):
    """[(voucher id, days)] of live vouchers whose use_by is within a reminder's reach."""
    today = local_date(now or utcnow())
    found = []
    for days in REMINDER_DAYS:
        found += [(voucher_id, days) for voucher_id in db.session.scalars(select(Voucher.id).join(VoucherProgram).where(
            VoucherProgram.use_by >= today, VoucherProgram.use_by <= today + timedelta(days=days),
            Voucher.revoked_at.is_(None), Voucher.lapsed_at.is_(None)).order_by(Voucher.id))]
    return found


def remind(voucher_id, days):
    """The `days`-before-expiry reminder of one voucher, once (its dedupe key); returns how many
    users were told."""
    voucher = db.session.get(Voucher, voucher_id)
    left = ledger.spendable(voucher.account)
    if left <= 0:
        return 0
    return len(notifications.notify(
        db.session, notifications.members(db.session, voucher.organisation_id), "voucher_expiring",
        N_("Voucher %(number)s expires on %(date)s"),
        N_("%(amount)s is still available on voucher %(number)s. Use it on an order by %(date)s."),
        link="/vouchers/", dedupe_key=f"expiry{days}:{voucher.id}", number=voucher.number,
        date=voucher.program.use_by.isoformat(), amount=format_fen(left)))


def request_revocation(voucher_id, actor, reason):
    """Ask to revoke a voucher (four eyes: carried out when a second operator approves, at once
    when the platform allows one). Raises PermissionDenied, VoucherNotFound, AlreadyRevoked,
    ValidationFailed."""
    from marketplace.approvals import services as approvals

    voucher = db.session.get(Voucher, voucher_id)
    if voucher is None:
        raise errors.VoucherNotFound()
    if voucher.revoked_at is not None:
        raise errors.AlreadyRevoked()
    summary = {"message": N_("Revoke voucher %(number)s of %(holder)s"),
               "params": {"number": voucher.number, "holder": voucher.organisation.legal_name}}
    return approvals.ask(actor, "voucher.revoke", voucher, {"voucher_id": voucher.id, "reason": reason}, reason,
                         summary)


def revoke_now(params, requested_by, approved_by):
    return revoke(params["voucher_id"], approved_by, params["reason"])


def send_expiry_reminders(now=None):
    """Remind holders 30 and 7 days before use_by, once each per voucher, in the caller's
    transaction; returns how many notifications were made."""
    return sum(remind(voucher_id, days) for voucher_id, days in vouchers_to_remind(now))
