"""A program's life after it opens: pause and resume, later deadlines, budget changes (four
eyes), and the year-end close after redeem_by that settles its books, returns what is left to
the funder, freezes it and keeps its final account (决算); then a clone for next year.

Year-end close, in one transaction: holds still open lapse (orders/expiry.py), vouchers expire,
receivables nobody claimed lapse, the unspent budget and everything lapsed return to the funder
(kind `return`), the final account is written, and every account of the program is closed so
no later transfer can touch it. It is refused while a redemption request is in review or a
settlement batch unpaid: those are finished first."""
from datetime import date, timedelta

from sqlalchemy import func, select

from marketplace import ledger
from marketplace.approvals import services as approvals
from marketplace.audit.services import record
from marketplace.auth.services import require_operator
from marketplace.database import utcnow
from marketplace.errors import InvalidState, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.ledger.accounts import program_account_code
from marketplace.money import format_fen
from marketplace.notifications import services as notifications
from marketplace.vouchers.models import ProgramStatus, Voucher
from marketplace.vouchers.programs import get_program
from marketplace.vouchers.rules import end_of_day, local_date

LIVE_STATES = (ProgramStatus.OPEN, ProgramStatus.PAUSED, ProgramStatus.CLOSED)


def set_status(program_id, actor, allowed, status, action, reason=None):
    require_operator(actor)
    program = get_program(program_id)
    if program.status not in allowed:
        raise InvalidState(N_("This cannot be done while the program is “%(state)s”."), state=program.status_label)
    before = program.status
    program.status = status
    if status == ProgramStatus.CLOSED:
        program.closed_at = utcnow()
    db.session.flush()
    record(actor, action, program, before={"status": before}, after={"status": status}, reason=reason)
    return program


def pause(program_id, actor, reason=None):
    """No applications or issuance until resumed; vouchers stay usable. Raises InvalidState."""
    return set_status(program_id, actor, (ProgramStatus.OPEN,), ProgramStatus.PAUSED, "program.pause", reason)


def resume(program_id, actor):
    return set_status(program_id, actor, (ProgramStatus.PAUSED,), ProgramStatus.OPEN, "program.resume")


def close(program_id, actor, reason=None):
    """Stop taking applications and issuing. Issued vouchers stay usable until use_by."""
    return set_status(program_id, actor, (ProgramStatus.OPEN, ProgramStatus.PAUSED), ProgramStatus.CLOSED,
                      "program.close", reason)


# -- later deadlines (four eyes) --------------------------------------------------------------
def request_extension(program_id, actor, use_by, redeem_by, reason):
    """Ask to move use_by and/or redeem_by later. Raises ValidationFailed, InvalidState."""
    program = get_program(program_id)
    check_extension(program, use_by or program.use_by, redeem_by or program.redeem_by)
    params = {"program_id": program.id, "use_by": (use_by or program.use_by).isoformat(),
              "redeem_by": (redeem_by or program.redeem_by).isoformat(), "reason": reason}
    summary = {"message": N_("%(program)s: use by %(use_by)s, redeem by %(redeem_by)s"),
               "params": {"program": program.code, "use_by": params["use_by"], "redeem_by": params["redeem_by"]}}
    return approvals.ask(actor, "program.extend", program, params, reason, summary)


def check_extension(program, use_by, redeem_by):
    if program.status not in LIVE_STATES:
        raise InvalidState(N_("Only a program in use can be extended."))
    if use_by < program.use_by or redeem_by < program.redeem_by or (use_by, redeem_by) == (program.use_by, program.redeem_by):
        raise ValidationFailed(N_("Deadlines can only move later."), field="use_by")
    if use_by > redeem_by:
        raise ValidationFailed(N_("Dates must be in order: valid from ≤ use by ≤ redeem by."), field="use_by")


def extend_now(params, requested_by, approved_by):
    """Move the deadlines (approved). Holds on orders in progress are held again with the new
    redeem_by as their timeout (void + hold: the ledger keeps both lines)."""
    program = get_program(params["program_id"])
    use_by, redeem_by = date.fromisoformat(params["use_by"]), date.fromisoformat(params["redeem_by"])
    check_extension(program, use_by, redeem_by)
    before = {"use_by": program.use_by.isoformat(), "redeem_by": program.redeem_by.isoformat()}
    moved = redeem_by != program.redeem_by
    program.use_by, program.redeem_by = use_by, redeem_by
    if moved:
        rehold(program, approved_by)
    db.session.flush()
    record(approved_by, "program.extend", program, before=before, after={"use_by": params["use_by"],
           "redeem_by": params["redeem_by"]}, reason=params["reason"])
    return program


def rehold(program, actor):
    from marketplace.orders.models import OrderVoucher

    held = db.session.scalars(select(OrderVoucher).join(Voucher, Voucher.id == OrderVoucher.voucher_id).where(
        Voucher.program_id == program.id, OrderVoucher.posted_fen.is_(None))).all()
    for item in held:
        old = db.session.get(ledger.Transfer, item.hold_id)
        ledger.void(db.session, old.id, key=f"extend:{program.redeem_by}:void:{old.id}", actor_id=actor.id,
                    memo="redeem_by extended")
        new = ledger.hold(db.session, old.debit_account_id, old.credit_account_id, old.amount,
                          key=f"extend:{program.redeem_by}:hold:{old.id}", timeout_at=end_of_day(program.redeem_by),
                          order_id=old.order_id, voucher_id=old.voucher_id, actor_id=actor.id, memo=old.memo)
        item.hold_id = new.id


# -- budget (four eyes) -----------------------------------------------------------------------------
def request_budget_change(program_id, actor, budget_fen, reason):
    """Ask to set a new budget: more is funded from the funder, less returned to it (never below
    what is issued). Raises ValidationFailed, InvalidState."""
    program = get_program(program_id)
    check_budget(program, budget_fen)
    summary = {"message": N_("%(program)s: budget %(old)s → %(new)s"),
               "params": {"program": program.code, "old": format_fen(program.budget_fen), "new": format_fen(budget_fen)}}
    return approvals.ask(actor, "program.budget", program, {"program_id": program.id, "budget_fen": budget_fen,
                                                            "reason": reason}, reason, summary)


def check_budget(program, budget_fen):
    if program.status not in LIVE_STATES:
        raise InvalidState(N_("Only the budget of a program in use can be changed."))
    if budget_fen == program.budget_fen or budget_fen <= 0:
        raise ValidationFailed(N_("Enter a new budget."), field="budget")
    if budget_fen < program.enterprise_cap_fen:
        raise ValidationFailed(N_("The per-enterprise cap cannot exceed the budget."), field="budget")


def change_budget_now(params, requested_by, approved_by):
    """Set the budget (approved): fund the difference, or return it to the funder."""
    program = get_program(params["program_id"])
    budget_fen = params["budget_fen"]
    check_budget(program, budget_fen)
    budget = program_account_code(program.code, ledger.AccountKind.PROGRAM_BUDGET)
    funder = program_account_code(program.code, ledger.AccountKind.FUNDER)
    difference, key = budget_fen - program.budget_fen, f"budget:{program.id}:{program.budget_fen}:{budget_fen}"
    if difference > 0:
        ledger.transfer(db.session, funder, budget, difference, kind=ledger.TransferKind.FUND, key=key,
                        actor_id=approved_by.id, memo=f"{program.code} budget raised")
    else:
        left = ledger.balance(db.session, budget).available
        if -difference > left:
            raise ValidationFailed(N_("Only %(left)s of the budget is unissued; the budget cannot shrink by more."),
                                   field="budget", left=format_fen(left))
        ledger.transfer(db.session, budget, funder, -difference, kind=ledger.TransferKind.RETURN, key=key,
                        actor_id=approved_by.id, memo=f"{program.code} budget lowered")
    before, program.budget_fen = program.budget_fen, budget_fen
    db.session.flush()
    record(approved_by, "program.budget", program, before={"budget_fen": before}, after={"budget_fen": budget_fen},
           reason=params["reason"])
    return program


# -- year-end close ----------------------------------------------------------------------------------
def close_year(program_id, actor, now=None):
    """Settle, return, freeze and keep the final account. Raises PermissionDenied, InvalidState
    (before redeem_by has passed, already final, requests or batches still open)."""
    from marketplace.orders.expiry import lapse_overdue_holds, locked
    from marketplace.vouchers.expiry import expire_all_at_once

    require_operator(actor)
    program, now = get_program(program_id), now or utcnow()
    check_closable(program, now)
    for order_id in orders_holding(program):
        lapse_overdue_holds(locked(order_id), now)
    expire_all_at_once(program, now)
    lapse_unclaimed(program, actor)
    return_to_funder(program, actor)
    program.final_account = final_account(program)
    program.status, program.finalised_at = ProgramStatus.FINAL, now
    program.closed_at = program.closed_at or now
    for account in db.session.scalars(select(ledger.Account).where(ledger.Account.program_id == program.id)):
        account.closed = True
    db.session.flush()
    record(actor, "program.close_year", program, after=program.final_account["totals"])
    return program


def check_closable(program, now):
    from marketplace.redemption.models import RedemptionRequest, RequestStatus, SettlementBatch

    if program.status == ProgramStatus.FINAL:
        raise InvalidState(N_("This program is already closed for the year."))
    if program.status == ProgramStatus.DRAFT or local_date(now) <= program.redeem_by:
        raise InvalidState(N_("A program is closed for the year after its redemption deadline (%(date)s)."),
                           date=program.redeem_by.isoformat())
    open_requests = db.session.scalar(select(func.count()).select_from(RedemptionRequest).outerjoin(SettlementBatch).where(
        RedemptionRequest.program_id == program.id,
        (RedemptionRequest.status.in_((RequestStatus.SUBMITTED, RequestStatus.FIRST_APPROVED, RequestStatus.RETURNED)))
        | ((RedemptionRequest.status == RequestStatus.APPROVED)
           & ((RedemptionRequest.batch_id.is_(None)) | (SettlementBatch.status != "paid")))))
    if open_requests:
        raise InvalidState(N_("%(count)d redemption request(s) of this program are still in review or unpaid: "
                              "decide and pay them first."), count=open_requests)


def orders_holding(program):
    from marketplace.orders.models import OrderVoucher

    return db.session.scalars(select(OrderVoucher.order_id).join(Voucher, Voucher.id == OrderVoucher.voucher_id)
                              .where(Voucher.program_id == program.id, OrderVoucher.posted_fen.is_(None))
                              .distinct()).all()


def lapse_unclaimed(program, actor):
    """Receivables no provider claimed by redeem_by lapse to the program, in one ledger batch."""
    lapsed = program_account_code(program.code, ledger.AccountKind.LAPSED)
    requests = [ledger.TransferRequest(account.id, lapsed, ledger.spendable(account), ledger.TransferKind.LAPSE,
                                       f"year-end:{program.id}:lapse:{account.id}", actor_id=actor.id,
                                       memo=f"{program.code} unclaimed at year end")
                for account in db.session.scalars(select(ledger.Account).where(
                    ledger.Account.program_id == program.id,
                    ledger.Account.kind == ledger.AccountKind.PROVIDER_RECEIVABLE))
                if ledger.spendable(account) > 0]
    if requests:
        ledger.batch(db.session, requests)


def return_to_funder(program, actor):
    funder = program_account_code(program.code, ledger.AccountKind.FUNDER)
    for kind in (ledger.AccountKind.PROGRAM_BUDGET, ledger.AccountKind.LAPSED):
        code = program_account_code(program.code, kind)
        left = ledger.balance(db.session, code).posted
        if left > 0:
            ledger.transfer(db.session, code, funder, left, kind=ledger.TransferKind.RETURN,
                            key=f"year-end:{program.id}:return:{kind}", actor_id=actor.id,
                            memo=f"{program.code} returned to the funder at year end")


def final_account(program):
    """决算: the program's totals from its ledger, by enterprise and by provider (fen)."""
    from marketplace.vouchers import final_account as figures

    return figures.compute(program)


# -- next year ------------------------------------------------------------------------------
def clone(program_id, actor, code, name):
    """A draft copy for next year: the same settings, every date a year later; last year's
    enterprises and providers are told it is coming. Raises Duplicate, ValidationFailed."""
    from marketplace.vouchers.programs import ProgramData, create_program, snapshot

    source = get_program(program_id)
    values = {name_: value for name_, value in snapshot(source).items() if name_ not in ("code", "name")}
    for field in ("valid_from", "use_by", "redeem_by"):
        values[field] = next_year(date.fromisoformat(values[field]))
    program = create_program(ProgramData(code=code, name=name, **values), actor)
    program.previous_id = source.id
    invite_last_year(source, program)
    return program


def next_year(day):
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day + timedelta(days=365)


def invite_last_year(source, program):
    from marketplace.orders.models import Order

    enterprises = select(Voucher.organisation_id).where(Voucher.program_id == source.id)
    providers = select(Order.provider_id).where(Order.program_id == source.id)
    from marketplace.auth.models import User

    user_ids = db.session.scalars(select(User.id).where(User.organisation_id.in_(enterprises.union(providers)),
                                                        User.active)).all()
    notifications.notify(db.session, user_ids, "program_planned", N_("Next year's program: %(name)s"),
                         N_("%(name)s follows %(previous)s. You will be told when it opens for applications."),
                         link="/vouchers/programs", dedupe_key=f"program-planned:{program.id}",
                         name=program.name, previous=source.name)
