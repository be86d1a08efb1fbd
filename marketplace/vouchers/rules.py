"""Program rules as pure functions: dates in Asia/Shanghai, eligibility, caps, voucher state."""
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from marketplace.i18n import N_
from marketplace.vouchers import errors
from marketplace.vouchers.models import ProgramStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_date(now):
    """The calendar date in Asia/Shanghai at the aware instant `now`."""
    return now.astimezone(SHANGHAI).date()


def end_of_day(day):
    """The instant a Shanghai calendar day ends (the next midnight, as an aware datetime)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=SHANGHAI)


def usable(program, now):
    """True while vouchers of the program may be held on orders: valid_from ≤ today ≤ use_by."""
    return program.valid_from <= local_date(now) <= program.use_by


def program_problem(program, now):
    """Why a program takes no applications or issuance now (a DomainError to show or raise)."""
    if program.status == ProgramStatus.PAUSED:
        return errors.ProgramPaused()
    if program.status != ProgramStatus.OPEN:
        return errors.ProgramNotOpen()
    today = local_date(now)
    if today < program.valid_from:
        return errors.ProgramNotStarted(date=program.valid_from.isoformat())
    if today > program.use_by:
        return errors.ProgramEnded(date=program.use_by.isoformat())
    return None


REQUIRED_FLAG_MESSAGES = {
    "high_tech": N_("This program is only for national high-tech enterprises (国家高新技术企业)."),
    "sme": N_("This program is only for technology-based SMEs (科技型中小企业)."),
}


def enterprise_problem(program, organisation):
    """Why this organisation may not hold vouchers of the program (a DomainError), or None."""
    if organisation is None or organisation.kind != "enterprise":
        return errors.NotEligible(N_("Only enterprises can hold innovation vouchers."))
    if organisation.status != "approved":
        return errors.NotEligible(N_("Your enterprise must be verified by the administrators first."))
    for flag in program.required_flags or []:
        if not organisation.has_flag(flag):
            return errors.NotEligible(REQUIRED_FLAG_MESSAGES[flag])
    return None


@dataclass(frozen=True)
class Holding:
    """An enterprise's position in one program, from its vouchers and pending applications."""

    face_value: int  # every voucher ever issued to it in the program (revoked ones too)
    available: int
    pending_applications: int
    cap: int

    @property
    def used(self):
        return self.face_value - self.available

    @property
    def remaining_cap(self):
        return max(0, self.cap - self.face_value - self.pending_applications)


def reclaim_blocked(holding, threshold_bp):
    """True while the enterprise has used less than the re-claim threshold of what it holds."""
    return holding.face_value > 0 and holding.used * 10000 < threshold_bp * holding.face_value


@dataclass(frozen=True)
class VoucherState:
    face_value: int
    available: int
    held: int
    used: int
    lapsed: int
    status: str


STATUS_LABELS = {"active": N_("Active"), "partly_used": N_("Partly used"), "used_up": N_("Used up"),
                 "expired": N_("Expired"), "revoked": N_("Revoked")}


def voucher_status(voucher, available, held, today, used=0):
    """Money only held on orders leaves a voucher active (its held amount is shown beside it);
    it is partly used once some was redeemed."""
    if voucher.revoked_at is not None:
        return "revoked"
    if voucher.lapsed_at is not None or today > voucher.program.use_by:
        return "expired"
    if available == 0 and held == 0:
        return "used_up"
    return "partly_used" if used > 0 else "active"


def percent_text(bp):
    """3500 → '35%', 3550 → '35.5%' (basis points shown without floats)."""
    whole, rest = divmod(int(bp), 100)
    return f"{whole}.{rest:02d}".rstrip("0").rstrip(".") + "%"
