"""Words for the codes the system keeps: transfer kinds, ledger account codes, audit actions and
the fields they name, and the memos our own code writes. Admin pages show these, never the raw
codes (`program:HJ2026:receivable:5`, `application.approved`, `budget_fen=…`); the codes stay in
the database and in exports meant for machines.

Account labels name organisations and voucher holders: `account_labels(codes)` reads them in one
query per page (the explorer shows fifty transfers: no lookup per row)."""
import re

from marketplace.i18n import N_, gettext
from marketplace.money import format_fen

TRANSFER_KIND_LABELS = {
    "fund": N_("Budget funded"), "issue": N_("Issued"), "hold": N_("Held for an order"),
    "post": N_("Redeemed on an order"), "void": N_("Hold released"), "expire": N_("Hold expired"),
    "lapse": N_("Lapsed after expiry"), "revoke": N_("Revoked"), "reverse": N_("Reversal"),
    "settle": N_("Settled"), "payment": N_("Payment"), "payout": N_("Payout"), "refund": N_("Refund"),
    "fee": N_("Fee"), "adjust": N_("Adjustment"), "return": N_("Returned to the funder"),
    "clawback": N_("Clawed back (recovery claim)"), "recover": N_("Repaid by the provider"),
}
PROGRAM_ACCOUNTS = {"funder": N_("%(program)s funder's appropriation"), "budget": N_("%(program)s budget"),
                    "settled": N_("%(program)s settled"), "lapsed": N_("%(program)s lapsed"),
                    "receivable": N_("%(program)s receivable · %(organisation)s"),
                    "recovery": N_("%(program)s owed back · %(organisation)s")}
CASH_ACCOUNTS = {"stripe_clearing": N_("Stripe clearing"), "platform_revenue": N_("Platform revenue"),
                 "refunds": N_("Refunds"), "bank": N_("Bank"), "payable": N_("Payable to %(organisation)s")}
AUDIT_ACTIONS = {
    "application.approved": N_("Voucher application approved"), "application.rejected": N_("Voucher application rejected"),
    "approval.request": N_("Asked for a second operator's approval"), "approval.approved": N_("Approved by a second operator"),
    "approval.rejected": N_("Rejected by a second operator"), "approval.withdrawn": N_("Approval request withdrawn"),
    "anomaly.dismiss": N_("Anomaly dismissed"), "batch.issue": N_("Batch of vouchers issued"),
    "affiliation.record": N_("Affiliation recorded"), "affiliation.end": N_("Affiliation ended"),
    "organisation.details": N_("Organisation details corrected"),
    "related_party.override": N_("Related-party exception approved for one order"),
    "bank_account.submit": N_("Bank details entered"), "bank_account.verified": N_("Bank details verified"),
    "bank_account.rejected": N_("Bank details rejected"),
    "organisation.approved": N_("Registration approved"), "organisation.rejected": N_("Registration rejected"),
    "organisation.attributes": N_("Verified attributes changed"),
    "payout.create": N_("Payout batch created"), "payout.approve": N_("Payout batch approved"),
    "payout.export": N_("Payout batch sent to the bank"), "payout.paid": N_("Payout batch paid"),
    "payout.cancel": N_("Payout batch cancelled"),
    "program.create": N_("Program created"), "program.update": N_("Program changed"), "program.open": N_("Program opened"),
    "program.close": N_("Program closed"), "program.pause": N_("Program paused"), "program.resume": N_("Program resumed"),
    "program.expire": N_("Program's vouchers expired"), "program.extend": N_("Program's deadlines extended"),
    "program.budget": N_("Program budget changed"), "program.close_year": N_("Program closed for the year"),
    "redemption.first_approve": N_("Redemption: first review passed"),
    "redemption.final_approve": N_("Redemption: final review passed"), "redemption.return": N_("Redemption returned"),
    "redemption.reject": N_("Redemption rejected"), "redemption.clawback": N_("Redemption clawed back"),
    "redemption.recover": N_("Clawback repaid"),
    "settlement.create": N_("Settlement batch created"), "settlement.approve": N_("Settlement batch approved"),
    "settlement.export": N_("Settlement batch exported"), "settlement.paid": N_("Settlement batch paid"),
    "voucher.revoke": N_("Voucher revoked"),
}
OBJECT_LABELS = {
    "Organisation": N_("Organisation"), "VoucherProgram": N_("Program"), "Voucher": N_("Voucher"),
    "VoucherApplication": N_("Application"), "IssueBatch": N_("Issuance batch"),
    "RedemptionRequest": N_("Redemption request"), "SettlementBatch": N_("Settlement batch"),
    "PayoutBatch": N_("Payout batch"), "BankAccount": N_("Bank details"), "Approval": N_("Approval"),
    "Order": N_("Order"), "AnomalyDismissal": N_("Anomaly"), "ProviderProfile": N_("Provider"),
    "Affiliation": N_("Affiliation"), "PartyException": N_("Related-party exception"),
}
FIELD_LABELS = {
    "status": N_("Status"), "budget_fen": N_("Budget"), "approved_fen": N_("Approved amount"),
    "total_fen": N_("Total"), "lapsed_fen": N_("Lapsed"), "clawed_back_fen": N_("Clawed back"),
    "amount_fen": N_("Amount"), "vouchers": N_("Vouchers"), "lines": N_("Lines"), "requests": N_("Requests"),
    "use_by": N_("Use by"), "redeem_by": N_("Redeem by"), "bank_reference": N_("Bank reference"),
    "reference": N_("Bank reference"), "account_number": N_("Account number"), "action": N_("Decision"),
    "voucher_id": N_("Voucher"), "order_id": N_("Order"), "program_id": N_("Program"), "provider_id": N_("Provider"),
    "reason": N_("Reason"), "rule": N_("Rule"), "object": N_("Object"),
    "legal_representative": N_("Legal representative"), "city": N_("City"), "contact_name": N_("Contact person"),
    "contact_phone": N_("Contact phone"), "contact_email": N_("Contact e-mail"),
    "registered_address": N_("Registered address"), "credit_code": N_("Unified social credit code"),
    "kind": N_("Kind"), "organisations": N_("Organisations"), "evidence": N_("Evidence"),
    "enterprise_id": N_("Enterprise"), "requested_by": N_("Asked by"),
}
# What our own code writes as a memo (user-typed memos are shown as typed).
MEMO_PATTERNS = (
    (re.compile(r"^(?P<program>\S+) budget$"), N_("%(program)s budget funded")),
    (re.compile(r"^(?P<program>\S+) budget (?P<way>raised|lowered)$"), N_("%(program)s budget changed")),
    (re.compile(r"^(?P<order>TO\d+) payment attempt (?P<n>\d+)$"), N_("%(order)s payment, attempt %(n)s")),
    (re.compile(r"^(?P<order>TO\d+) refund of payment attempt (?P<n>\d+)$"), N_("%(order)s refund of payment attempt %(n)s")),
    (re.compile(r"^(?P<voucher>\S+) expired$"), N_("%(voucher)s expired")),
    (re.compile(r"^(?P<voucher>\S+) released after (?P<why>revocation|expiry)$"), N_("%(voucher)s released after it ended")),
    (re.compile(r"^(?P<program>\S+) unclaimed at year end$"), N_("%(program)s unclaimed at year end")),
    (re.compile(r"^(?P<program>\S+) returned to the funder at year end$"), N_("%(program)s returned to the funder at year end")),
    (re.compile(r"^(?P<order>TO\d+) clawback$"), N_("%(order)s clawback")),
    (re.compile(r"^(?P<order>TO\d+) clawback lapses$"), N_("%(order)s clawback, lapsed")),
    (re.compile(r"^redeem_by extended$"), N_("Redemption deadline extended")),
    (re.compile(r"^recovered, bank reference (?P<reference>.+)$"), N_("Repaid, bank reference %(reference)s")),
    (re.compile(r"^deadline passed$"), N_("Deadline passed")),
)


def transfer_kind_label(kind):
    return gettext(TRANSFER_KIND_LABELS.get(kind, kind))


def audit_action_label(action):
    return gettext(AUDIT_ACTIONS[action]) if action in AUDIT_ACTIONS else action


def object_label(object_type):
    return gettext(OBJECT_LABELS[object_type]) if object_type in OBJECT_LABELS else object_type


def field_label(name):
    return gettext(FIELD_LABELS[name]) if name in FIELD_LABELS else name.replace("_", " ")


def field_value(name, value):
    """A before/after value as a reader sees it: money formatted, statuses in words."""
    if isinstance(value, int) and not isinstance(value, bool) and name.endswith("_fen"):
        return format_fen(value)
    if name == "status" and isinstance(value, str):
        return status_word(value)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return value


def status_word(status):
    from marketplace.approvals.models import STATUS_LABELS as APPROVALS
    from marketplace.orders.models import STATUS_LABELS as ORDERS
    from marketplace.payouts.models import PAYOUT_LABELS
    from marketplace.redemption.models import BATCH_LABELS, REQUEST_LABELS
    from marketplace.vouchers.models import APPLICATION_STATUS_LABELS, PROGRAM_STATUS_LABELS

    for table in (PROGRAM_STATUS_LABELS, APPLICATION_STATUS_LABELS, REQUEST_LABELS, BATCH_LABELS, PAYOUT_LABELS,
                  APPROVALS, ORDERS):
        if status in table:
            return gettext(table[status])
    return status


def memo_label(memo):
    for pattern, message in MEMO_PATTERNS:
        match = pattern.match(memo or "")
        if match:
            return gettext(message) % match.groupdict()
    return memo


def account_labels(codes):
    """{code: label} for ledger account codes, naming organisations and voucher holders with one
    query each for the whole set."""
    from sqlalchemy import select

    from marketplace.auth.models import Organisation
    from marketplace.extensions import db
    from marketplace.vouchers.models import Voucher

    codes = set(codes)
    org_ids = {int(code.rsplit(":", 1)[1]) for code in codes
               if re.fullmatch(r"(program:[^:]+:(receivable|recovery)|cash:payable):\d+", code)}
    numbers = {code.split(":", 1)[1] for code in codes if code.startswith("voucher:")}
    names = dict(db.session.execute(select(Organisation.id, Organisation.legal_name)
                                    .where(Organisation.id.in_(org_ids))).all()) if org_ids else {}
    holders = dict(db.session.execute(select(Voucher.number, Organisation.legal_name).join(Organisation).where(
        Voucher.number.in_(numbers))).all()) if numbers else {}
    return {code: account_label(code, names, holders) for code in codes}


def account_label(code, names=None, holders=None):
    parts = code.split(":")
    if parts[0] == "program" and len(parts) >= 3 and parts[2] in PROGRAM_ACCOUNTS:
        organisation = (names or {}).get(int(parts[3]), parts[3]) if len(parts) > 3 else ""
        return gettext(PROGRAM_ACCOUNTS[parts[2]]) % {"program": parts[1], "organisation": organisation}
    if parts[0] == "voucher" and len(parts) == 2:
        holder = (holders or {}).get(parts[1])
        return gettext("Voucher %(number)s · %(holder)s") % {"number": parts[1], "holder": holder} if holder \
            else gettext("Voucher %(number)s") % {"number": parts[1]}
    if parts[0] == "cash" and len(parts) >= 2 and parts[1] in CASH_ACCOUNTS:
        organisation = (names or {}).get(int(parts[2]), parts[2]) if len(parts) > 2 else ""
        return gettext(CASH_ACCOUNTS[parts[1]]) % {"organisation": organisation}
    return code
