"""The voucher share of an order — and the reasons why — over every program whose vouchers the
enterprise may use on it.

Each program subsidises its own part of the contract price: its share is min(ratio × its part,
its per-order cap, its vouchers' available balance), rounded down to the fen (a contract below a
program's full-cover threshold is covered at 100%). Programs are taken highest ratio first, then
earliest `use_by` (the combination that covers most, spending the money that expires first when
ratios tie); a program's part of the price is the least that carries its share, so the rest of
the price is left to the next program. Within a program, vouchers are spent oldest first."""
from dataclasses import dataclass, field

from sqlalchemy import select

from marketplace import ledger
from marketplace.auth.models import Organisation
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.money import format_fen
from marketplace.parties.services import related_parties
from marketplace.vouchers.models import Voucher, VoucherProgram
from marketplace.vouchers.rules import enterprise_problem, percent_text, usable

FULL = 10000  # basis points


@dataclass(frozen=True)
class VoucherUse:
    voucher: Voucher
    amount: int


@dataclass
class ProgramPart:
    """One program's part of an order: the price it subsidises and its share of it."""

    program: VoucherProgram
    ratio_bp: int  # the ratio applied (FULL under the full-cover threshold)
    price_part: int
    share: int
    uses: list = field(default_factory=list)

    def terms(self):
        program = self.program
        return {"program_id": program.id, "program": program.code, "ratio_bp": self.ratio_bp,
                "order_cap_fen": program.order_cap_fen, "full_cover_below_fen": program.full_cover_below_fen,
                "price_part_fen": self.price_part, "share_fen": self.share}


@dataclass
class Split:
    price: int
    parts: list = field(default_factory=list)
    reasons: list = field(default_factory=list)  # (English msgid, params) explaining the share
    exception: object = None  # the approved related-party exception this order would use up

    @property
    def voucher(self):
        return sum(part.share for part in self.parts)

    @property
    def cash(self):
        return self.price - self.voucher

    @property
    def program(self):
        """The program of the largest part (the order's main program), or None."""
        return max(self.parts, key=lambda part: part.share).program if self.parts else None

    @property
    def uses(self):
        return [use for part in self.parts for use in part.uses]

    def terms(self):
        """What the order stores: the terms it was priced under, judged by them ever after."""
        terms = {"price_fen": self.price, "voucher_fen": self.voucher, "parts": [part.terms() for part in self.parts]}
        if self.exception is not None and self.voucher:
            terms["related_party_exception"] = {"id": self.exception.id, "reason": self.exception.reason}
        return terms

    def because(self, message, **params):
        self.reasons.append((message, params))
        return self


def candidate_programs(enterprise, category, now):
    """[(program, [(voucher, available)])] the enterprise may spend on a service of `category` now:
    its live vouchers with a balance, oldest first, grouped by program, earliest use_by first —
    one query for programs, vouchers and their accounts."""
    rows = db.session.execute(
        select(VoucherProgram, Voucher, ledger.Account)
        .join(Voucher, Voucher.program_id == VoucherProgram.id)
        .join(ledger.Account, ledger.Account.id == Voucher.account_id)
        .where(Voucher.organisation_id == enterprise.id, Voucher.revoked_at.is_(None), Voucher.lapsed_at.is_(None),
               VoucherProgram.status.in_(("open", "paused", "closed")))
        .order_by(VoucherProgram.use_by, VoucherProgram.id, Voucher.issued_at, Voucher.id)).all()
    found = {}
    for program, voucher, account in rows:
        if ledger.spendable(account) > 0:
            found.setdefault(program, []).append((voucher, ledger.spendable(account)))
    return [(program, balances) for program, balances in found.items()
            if usable(program, now) and category in (program.eligible_categories or [])
            and enterprise_problem(program, enterprise) is None]


def effective_ratio(program, category, price):
    if program.full_cover_below_fen and price < program.full_cover_below_fen:
        return FULL
    return program.ratio_for(category)


def split(enterprise: Organisation, provider: Organisation, category, price, voucher_eligible,
          provider_admitted_at, now):
    """How much of `price` vouchers cover for this enterprise and service, and why."""
    result = Split(price)
    if not voucher_eligible:
        return result.because(N_("This service is not eligible for innovation vouchers."))
    if provider_admitted_at is None or provider_admitted_at > now:
        return result.because(N_("The provider is not in the provider register, so vouchers cannot be used."))
    if related_parties(enterprise, provider):
        from marketplace.parties.exceptions import unused_exception

        result.exception = unused_exception(enterprise.id, provider.id)
        if result.exception is None:
            return result.because(N_("You and the provider are related parties: vouchers cannot be used on this order."))
        result.because(N_("You and the provider are related parties; the administrators approved vouchers on this "
                          "one order: %(reason)s"), reason=result.exception.reason)
    candidates = candidate_programs(enterprise, category, now)
    if not candidates:
        return result.because(N_("You hold no voucher that can be used for this category of service."))
    candidates.sort(key=lambda c: (-effective_ratio(c[0], category, price), c[0].use_by, c[0].id))
    remaining = price
    for program, balances in candidates:
        if remaining <= 0:
            break
        part = program_part(result, program, balances, category, remaining)
        if part.share > 0:
            result.parts.append(part)
            remaining -= part.price_part
    return result


def program_part(result, program, balances, category, remaining):
    """This program's share of the `remaining` price, the vouchers it comes from, and why."""
    ratio = effective_ratio(program, category, result.price)
    share = remaining * ratio // FULL
    whole = remaining == result.price
    if ratio == FULL:
        result.because(N_("Contracts below %(threshold)s are fully covered."),
                       threshold=format_fen(program.full_cover_below_fen))
    elif whole:
        result.because(N_("%(ratio)s of the contract price under %(program)s: %(amount)s."),
                       ratio=percent_text(ratio), program=program.name, amount=format_fen(share))
    else:
        result.because(N_("%(ratio)s of the remaining %(part)s under %(program)s: %(amount)s."),
                       ratio=percent_text(ratio), part=format_fen(remaining), program=program.name,
                       amount=format_fen(share))
    if program.order_cap_fen is not None and share > program.order_cap_fen:
        share = program.order_cap_fen
        result.because(N_("Capped at %(cap)s per order."), cap=format_fen(share))
    available = sum(amount for _, amount in balances)
    if share > available:
        share = available
        result.because(N_("Limited to your available balance of %(amount)s in %(program)s."),
                       amount=format_fen(available), program=program.name)
    price_part = min(remaining, -(-share * FULL // ratio))  # the least price whose ratio carries the share
    return ProgramPart(program, ratio, price_part, share, spread(share, balances))


def spread(share, balances):
    uses = []
    for voucher, amount in balances:
        if share <= 0:
            break
        take = min(amount, share)
        uses.append(VoucherUse(voucher, take))
        share -= take
    return uses


def allowed_share(part_terms):
    """The most a part may hold under the terms it was priced with (for audits and invariants)."""
    share = part_terms["price_part_fen"] * part_terms["ratio_bp"] // FULL
    cap = part_terms.get("order_cap_fen")
    return share if cap is None else min(share, cap)

