"""决算: a program's final account, computed from its ledger alone — totals, and the same money
by enterprise and by provider. Written once by the year-end close; the page and the exports
show what was stored."""
from collections import defaultdict

from sqlalchemy import func, select

from marketplace.auth.models import Organisation
from marketplace.extensions import db
from marketplace.ledger.models import Account, AccountKind, Transfer, TransferKind as K
from marketplace.i18n import N_

TOTAL_LABELS = {
    "funded": N_("Funded"), "returned": N_("Returned to the funder"), "issued": N_("Issued"),
    "redeemed": N_("Redeemed (posted to providers)"), "clawed_back": N_("Clawed back"),
    "settled": N_("Settled (paid to providers)"), "lapsed": N_("Lapsed"), "held": N_("Still held"),
    "recovery": N_("Owed back by providers"),
}
ENTERPRISE_COLUMNS = (N_("Enterprise"), N_("Credit code"), N_("Issued"), N_("Used on orders"), N_("Lapsed"))
PROVIDER_COLUMNS = (N_("Provider"), N_("Credit code"), N_("Redeemed"), N_("Settled"), N_("Clawed back"),
                    N_("Lapsed unclaimed"))


def flows(program):
    """[(kind, debit kind, debit organisation, credit kind, credit organisation, amount)] of
    every posted transfer touching the program's accounts."""
    debit, credit = Account.__table__.alias("debit"), Account.__table__.alias("credit")
    rows = db.session.execute(
        select(Transfer.kind, debit.c.kind, debit.c.organisation_id, credit.c.kind, credit.c.organisation_id,
               func.sum(Transfer.amount))
        .join(debit, debit.c.id == Transfer.debit_account_id).join(credit, credit.c.id == Transfer.credit_account_id)
        .where(Transfer.pending.is_(False), (debit.c.program_id == program.id) | (credit.c.program_id == program.id))
        .group_by(Transfer.kind, debit.c.kind, debit.c.organisation_id, credit.c.kind, credit.c.organisation_id))
    return [(kind, dk, do, ck, co, int(amount)) for kind, dk, do, ck, co, amount in rows]


def compute(program):
    totals, enterprises, providers = defaultdict(int), defaultdict(lambda: [0, 0, 0]), defaultdict(lambda: [0, 0, 0, 0])
    for kind, debit_kind, debit_org, credit_kind, credit_org, amount in flows(program):
        add_totals(totals, kind, debit_kind, credit_kind, amount)
        if credit_kind == AccountKind.VOUCHER and kind == K.ISSUE:
            enterprises[credit_org][0] += amount
        if debit_kind == AccountKind.VOUCHER and kind == K.POST:
            enterprises[debit_org][1] += amount
        if debit_kind == AccountKind.VOUCHER and kind in (K.LAPSE, K.REVOKE):
            enterprises[debit_org][2] += amount
        add_provider(providers, kind, debit_kind, debit_org, credit_kind, credit_org, amount)
    from marketplace import ledger

    totals["held"] = ledger.reconciliation(db.session, program.id).held
    totals["recovery"] = ledger.reconciliation(db.session, program.id).recovery
    return {"totals": {key: totals[key] for key in TOTAL_LABELS},
            "enterprises": rows_with_names(enterprises), "providers": rows_with_names(providers)}


def add_totals(totals, kind, debit_kind, credit_kind, amount):
    if kind == K.FUND:
        totals["funded"] += amount
    elif kind == K.RETURN and credit_kind == AccountKind.FUNDER:
        totals["returned"] += amount
    elif kind == K.ISSUE:
        totals["issued"] += amount
    elif kind == K.POST:
        totals["redeemed"] += amount
    elif kind == K.SETTLE:
        totals["settled"] += amount
    elif kind == K.RECOVER:
        totals["settled"] -= amount
    elif kind in (K.LAPSE, K.REVOKE):
        totals["lapsed"] += amount
    elif kind in (K.REVERSE, K.CLAWBACK) and credit_kind in (AccountKind.VOUCHER, AccountKind.LAPSED):
        totals["clawed_back"] += amount


def add_provider(providers, kind, debit_kind, debit_org, credit_kind, credit_org, amount):
    if credit_kind == AccountKind.PROVIDER_RECEIVABLE and kind == K.POST:
        providers[credit_org][0] += amount
    elif debit_kind == AccountKind.PROVIDER_RECEIVABLE and kind == K.SETTLE:
        providers[debit_org][1] += amount
    elif kind in (K.REVERSE, K.CLAWBACK) and debit_kind in (AccountKind.PROVIDER_RECEIVABLE, AccountKind.RECOVERY):
        providers[debit_org][2] += amount
    elif debit_kind == AccountKind.PROVIDER_RECEIVABLE and kind == K.LAPSE:
        providers[debit_org][3] += amount


def rows_with_names(by_organisation):
    names = {org.id: org for org in db.session.scalars(select(Organisation).where(
        Organisation.id.in_([key for key in by_organisation if key is not None])))}
    return sorted(([names[key].legal_name, names[key].credit_code, *values]
                   for key, values in by_organisation.items() if key in names), key=lambda row: row[0])


def export_table(program):
    """(header, rows) of the stored final account for CSV/XLSX: the totals, then each
    enterprise and each provider; amounts in yuan as numbers."""
    from flask_babel import gettext as _

    from marketplace.money import yuan

    stored = program.final_account
    header = [_("Section"), _("Name"), _("Credit code"), _("Item"), _("Amount (yuan)")]
    rows = [[_("Totals"), program.code, "", _(TOTAL_LABELS[key]), yuan(value)] for key, value in stored["totals"].items()]
    for section, columns, entries in ((_("Enterprise"), ENTERPRISE_COLUMNS, stored["enterprises"]),
                                      (_("Provider"), PROVIDER_COLUMNS, stored["providers"])):
        for name, code, *amounts in entries:
            rows += [[section, name, code, _(column), yuan(amount)] for column, amount in zip(columns[2:], amounts)]
    return header, rows
