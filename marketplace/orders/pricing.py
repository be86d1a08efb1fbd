"""The voucher share of an order: min(ratio × price, per-order cap, voucher balance), rounded
down to the fen, from the enterprise's vouchers that expire first — and the reasons why."""
from dataclasses import dataclass, field

from sqlalchemy import or_, select

from marketplace import ledger
from marketplace.auth.models import Organisation
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.money import format_fen
from marketplace.orders.models import Affiliation
from marketplace.vouchers.models import Voucher, VoucherProgram
from marketplace.vouchers.rules import percent_text, usable


@dataclass(frozen=True)
class VoucherUse:
    voucher: Voucher
    amount: int


@dataclass
class Split:
    price: int
    program: VoucherProgram | None = None
    ratio_bp: int = 0
    uses: list = field(default_factory=list)
    reasons: list = field(default_factory=list)  # (English msgid, params) explaining the share

    @property
    def voucher(self):
        return sum(use.amount for use in self.uses)

    @property
    def cash(self):
        return self.price - self.voucher

    def because(self, message, **params):
        self.reasons.append((message, params))
        return self


def related_parties(enterprise, provider):
    """Same credit code, same legal representative, or an affiliation on record."""
    if enterprise.credit_code == provider.credit_code:
        return True
    if enterprise.legal_representative.strip() == provider.legal_representative.strip():
        return True
    low, high = sorted((enterprise.id, provider.id))
    return db.session.scalar(select(Affiliation.id).where(
        Affiliation.organisation_a_id == low, Affiliation.organisation_b_id == high)) is not None


def vouchers_with_balance(enterprise_id, program_id):
    """(voucher, available) for the enterprise's live vouchers in the program, oldest first."""
    rows = db.session.execute(
        select(Voucher, ledger.Account).join(ledger.Account, ledger.Account.id == Voucher.account_id)
        .where(Voucher.organisation_id == enterprise_id, Voucher.program_id == program_id,
               Voucher.revoked_at.is_(None), Voucher.lapsed_at.is_(None))
        .order_by(Voucher.issued_at, Voucher.id)).all()
    pairs = [(voucher, account.credits_posted - account.debits_posted - account.debits_pending)
             for voucher, account in rows]
    return [(voucher, available) for voucher, available in pairs if available > 0]


def candidate_programs(enterprise_id, category, now):
    held = select(Voucher.program_id).where(Voucher.organisation_id == enterprise_id)
    programs = db.session.scalars(
        select(VoucherProgram).where(VoucherProgram.id.in_(held), VoucherProgram.status.in_(("open", "closed")))
        .order_by(VoucherProgram.use_by, VoucherProgram.id)).all()
    return [p for p in programs if usable(p, now) and category in (p.eligible_categories or [])
            and vouchers_with_balance(enterprise_id, p.id)]


def split(enterprise: Organisation, provider: Organisation, category, price, voucher_eligible,
          provider_admitted_at, now):
    """How much of `price` vouchers cover for this enterprise and service, and why."""
    result = Split(price)
    if not voucher_eligible:
        return result.because(N_("This service is not eligible for innovation vouchers."))
    if provider_admitted_at is None or provider_admitted_at > now:
        return result.because(N_("The provider is not in the provider register, so vouchers cannot be used."))
    if related_parties(enterprise, provider):
        return result.because(N_("You and the provider are related parties: vouchers cannot be used on this order."))
    programs = candidate_programs(enterprise.id, category, now)
    if not programs:
        return result.because(N_("You hold no voucher that can be used for this category of service."))
    return allocate(result, programs[0], category, price, enterprise.id)


def allocate(result, program, category, price, enterprise_id):
    result.program, result.ratio_bp = program, program.ratio_for(category)
    share = price * result.ratio_bp // 10000
    result.because(N_("%(ratio)s of the contract price under %(program)s: %(amount)s."),
                   ratio=percent_text(result.ratio_bp), program=program.name, amount=format_fen(share))
    if program.full_cover_below_fen and price < program.full_cover_below_fen:
        share = price
        result.because(N_("Contracts below %(threshold)s are fully covered."), threshold=format_fen(program.full_cover_below_fen))
    if program.order_cap_fen is not None and share > program.order_cap_fen:
        share = program.order_cap_fen
        result.because(N_("Capped at %(cap)s per order."), cap=format_fen(share))
    balances = vouchers_with_balance(enterprise_id, program.id)
    available = sum(amount for _, amount in balances)
    if share > available:
        share = available
        result.because(N_("Limited to your available voucher balance of %(amount)s."), amount=format_fen(available))
    for voucher, amount in balances:
        if share <= 0:
            break
        take = min(amount, share)
        result.uses.append(VoucherUse(voucher, take))
        share -= take
    return result
