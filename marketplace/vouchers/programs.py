"""Defining, opening and closing voucher programs. Services flush; the caller commits."""
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import func, select

from marketplace import ledger
from marketplace.audit.services import record
from marketplace.auth.services import require_operator
from marketplace.database import utcnow
from marketplace.errors import Duplicate, InvalidState, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.notifications import services as notifications
from marketplace.vouchers.errors import ProgramLocked, ProgramNotFound
from marketplace.vouchers.models import (CLAWBACK_TARGETS, EVIDENCE_CHECKLIST, ISSUANCE_MODES, ProgramStatus, Voucher,
                                         VoucherProgram)
from marketplace.vouchers.rules import enterprise_problem

# Once a voucher exists these would change what was promised to its holder.
LOCKED_AFTER_ISSUANCE = ("code", "budget_fen", "valid_from", "use_by", "redeem_by", "enterprise_cap_fen",
                         "issuance_mode")


@dataclass
class ProgramData:
    code: str
    name: str
    funder: str
    budget_fen: int
    valid_from: date
    use_by: date
    redeem_by: date
    enterprise_cap_fen: int
    ratio_bp: int = 3500
    order_cap_fen: int | None = None
    full_cover_below_fen: int | None = None
    reclaim_threshold_bp: int = 8000
    category_ratios: dict = field(default_factory=dict)
    eligible_categories: list = field(default_factory=list)
    required_flags: list = field(default_factory=list)
    required_evidence: list = field(default_factory=list)  # keys of EVIDENCE_CHECKLIST
    description: str = ""
    issuance_mode: str = "reviewed"
    clawback_to: str = "voucher"

    def problem(self):
        if not self.valid_from <= self.use_by <= self.redeem_by:
            return ValidationFailed(N_("Dates must be in order: valid from ≤ use by ≤ redeem by."), field="use_by")
        if self.enterprise_cap_fen > self.budget_fen:
            return ValidationFailed(N_("The per-enterprise cap cannot exceed the budget."), field="enterprise_cap_fen")
        if self.order_cap_fen is not None and self.order_cap_fen > self.enterprise_cap_fen:
            return ValidationFailed(N_("The per-order cap cannot exceed the per-enterprise cap."), field="order_cap_fen")
        if not self.eligible_categories:
            return ValidationFailed(N_("Choose at least one eligible service category."), field="eligible_categories")
        if not set(self.required_evidence) <= set(EVIDENCE_CHECKLIST):
            return ValidationFailed(N_("Choose one of the offered options."), field="required_evidence")
        if self.issuance_mode not in ISSUANCE_MODES or self.clawback_to not in CLAWBACK_TARGETS:
            return ValidationFailed(N_("Choose one of the offered options."), field="issuance_mode")
        return None


def get_program(program_id):
    program = db.session.get(VoucherProgram, program_id)
    if program is None:
        raise ProgramNotFound()
    return program


def snapshot(program):
    values = {name: getattr(program, name) for name in ProgramData.__dataclass_fields__}
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def highest_open_ratio():
    """The highest subsidy ratio (basis points) any open program pays for any category, or None
    when no program is open: what the home page may promise."""
    ratios = [max([program.ratio_bp, *program.category_ratios.values()]) for program in db.session.scalars(
        select(VoucherProgram).where(VoucherProgram.status == ProgramStatus.OPEN))]
    return max(ratios, default=None)


def create_program(data: ProgramData, actor):
    """A new program in draft. Raises PermissionDenied, ValidationFailed, Duplicate."""
    require_operator(actor)
    if data.problem():
        raise data.problem()
    if db.session.scalar(select(VoucherProgram.id).where(VoucherProgram.code == data.code)):
        raise Duplicate(N_("A program with this code already exists."), field="code")
    program = VoucherProgram(**asdict(data), status=ProgramStatus.DRAFT)
    db.session.add(program)
    db.session.flush()
    record(actor, "program.create", program, after=snapshot(program))
    return program


FROZEN = N_("This program is closed for the year (决算): it can no longer change.")


def refuse_if_final(program):
    """A program closed for the year is read-only: its final account must stay what the ledger says."""
    if program.status == ProgramStatus.FINAL:
        raise InvalidState(FROZEN)


def issuance_started(program):
    return db.session.scalar(select(func.count()).select_from(Voucher).where(Voucher.program_id == program.id)) > 0


def update_program(program_id, data: ProgramData, actor):
    """Change a program; once vouchers exist the fields that bind them are refused.
    Raises PermissionDenied, ProgramNotFound, ValidationFailed, ProgramLocked."""
    require_operator(actor)
    program = get_program(program_id)
    refuse_if_final(program)
    if data.problem():
        raise data.problem()
    before = snapshot(program)
    changed = [name for name, value in asdict(data).items() if before[name] != snapshot_value(value)]
    locked = [name for name in changed if name in LOCKED_AFTER_ISSUANCE]
    if locked and (program.status != ProgramStatus.DRAFT or issuance_started(program)):
        raise ProgramLocked(fields=", ".join(locked), field=locked[0])
    for name in changed:
        setattr(program, name, getattr(data, name))
    db.session.flush()
    if changed:
        record(actor, "program.update", program, before={k: before[k] for k in changed},
               after={k: snapshot(program)[k] for k in changed})
    return program


def snapshot_value(value):
    return value.isoformat() if isinstance(value, date) else value


def open_program(program_id, actor):
    """Open a draft program: fund its budget from the funder's appropriation through the ledger
    (idempotent: once per program) and tell eligible enterprises.
    Raises PermissionDenied, ProgramNotFound, InvalidState."""
    require_operator(actor)
    program = get_program(program_id)
    if program.status != ProgramStatus.DRAFT:
        raise InvalidState(N_("Only a draft program can be opened."))
    accounts = ledger.open_program_accounts(db.session, program.id, program.code)
    ledger.transfer(db.session, accounts[ledger.AccountKind.FUNDER].id,
                    accounts[ledger.AccountKind.PROGRAM_BUDGET].id, program.budget_fen,
                    kind=ledger.TransferKind.FUND, key=f"fund:program:{program.id}",
                    actor_id=actor.id, memo=f"{program.code} budget")
    program.status, program.opened_at = ProgramStatus.OPEN, utcnow()
    record(actor, "program.open", program, after={"status": "open", "budget_fen": program.budget_fen})
    announce(program)
    return program


def announce(program):
    from marketplace.auth.models import Organisation, User

    enterprises = db.session.scalars(select(Organisation).where(
        Organisation.kind == "enterprise", Organisation.status == "approved")).all()
    eligible = [org.id for org in enterprises if enterprise_problem(program, org) is None]
    user_ids = db.session.scalars(select(User.id).where(User.organisation_id.in_(eligible))).all()
    notifications.notify(db.session, user_ids, "program_opened", N_("New voucher program: %(name)s"),
                         N_("%(name)s is open for applications until %(use_by)s. Apply on the vouchers page."),
                         link="/vouchers/programs", dedupe_key=f"program-opened:{program.id}",
                         name=program.name, use_by=program.use_by.isoformat())


def close_program(program_id, actor, reason=None):
    """Stop taking applications and issuing. Issued vouchers stay usable until use_by.
    Raises PermissionDenied, ProgramNotFound, InvalidState."""
    require_operator(actor)
    program = get_program(program_id)
    if program.status != ProgramStatus.OPEN:
        raise InvalidState(N_("Only an open program can be closed."))
    program.status, program.closed_at = ProgramStatus.CLOSED, utcnow()
    record(actor, "program.close", program, after={"status": "closed"}, reason=reason)
    return program
