"""Reports for the dashboard: each a small table (header, rows) with one numeric column drawn
as a bar chart; the same rows export as CSV/XLSX."""
from dataclasses import dataclass

from sqlalchemy import distinct, func, select

from marketplace import ledger
from marketplace.auth.models import Organisation
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.ledger.models import Account, Transfer
from marketplace.orders.models import Order
from marketplace.vouchers.models import Voucher, VoucherProgram
from marketplace.vouchers.rules import SHANGHAI

USED = ("completed", "redeemed", "settled")


@dataclass(frozen=True)
class Report:
    name: str
    title: str  # msgid
    header: tuple  # msgids
    rows: list
    chart_column: int  # which column the bars show
    money_columns: tuple = ()  # fen columns, shown as ¥


def by_program():
    """Issued, redeemed (posted, net of clawbacks), clawed back, settled and lapsed per program,
    plus what is held now."""
    debit = Account.__table__.alias("debit")
    sums = db.session.execute(
        select(debit.c.program_id, Transfer.kind, func.sum(Transfer.amount))
        .join(debit, debit.c.id == Transfer.debit_account_id)
        .where(Transfer.ledger == "voucher",
               Transfer.kind.in_(["issue", "post", "settle", "lapse", "revoke", "reverse", "clawback"]))
        .group_by(debit.c.program_id, Transfer.kind)).all()
    totals = {}
    for program_id, kind, amount in sums:
        totals.setdefault(program_id, {})[kind] = int(amount)
    rows = []
    for program in db.session.scalars(select(VoucherProgram).where(VoucherProgram.opened_at.is_not(None)).order_by(VoucherProgram.code)):
        t = totals.get(program.id, {})
        held = ledger.reconciliation(db.session, program.id).held
        clawed = t.get("reverse", 0) + t.get("clawback", 0)
        rows.append((program.code, program.budget_fen, t.get("issue", 0), held, t.get("post", 0) - clawed, clawed,
                     t.get("settle", 0), t.get("lapse", 0) + t.get("revoke", 0)))
    return Report("programs", N_("Vouchers by program"),
                  (N_("Program"), N_("Budget"), N_("Issued"), N_("Held"), N_("Redeemed"), N_("Clawed back"),
                   N_("Settled"), N_("Lapsed")), rows, 2, (1, 2, 3, 4, 5, 6, 7))


def by_month():
    """Per month (Asia/Shanghai): issued, held on orders at the month's end, redeemed, settled, lapsed."""
    held = Transfer.__table__.alias("held")
    rows = db.session.execute(
        select(Transfer.created_at, Transfer.kind, Transfer.amount, held.c.amount)
        .outerjoin(held, held.c.id == Transfer.pending_id)
        .where(Transfer.ledger == "voucher",
               Transfer.kind.in_(["issue", "hold", "post", "void", "expire", "settle", "lapse", "revoke"]))
        .order_by(Transfer.id), execution_options={"yield_per": 10_000})
    months, holding = {}, 0
    for created_at, kind, amount, released in rows:
        month = months.setdefault(created_at.astimezone(SHANGHAI).strftime("%Y-%m"),
                                  {"issue": 0, "post": 0, "settle": 0, "lapse": 0, "held": 0})
        holding += int(amount) if kind == "hold" else -int(released or 0)  # a resolution releases its whole hold
        month["held"] = holding
        column = {"revoke": "lapse", "hold": None, "void": None, "expire": None}.get(kind, kind)
        if column:
            month[column] += int(amount)
    return Report("months", N_("Vouchers over time, by month"),
                  (N_("Month"), N_("Issued"), N_("Held at month end"), N_("Redeemed"), N_("Settled"), N_("Lapsed")),
                  [(m, v["issue"], v["held"], v["post"], v["settle"], v["lapse"]) for m, v in sorted(months.items())],
                  1, (1, 2, 3, 4, 5))


def budget_burndown():
    """Each program's budget left at the end of every month with budget movements (Asia/Shanghai)."""
    rows = []
    for program in db.session.scalars(select(VoucherProgram).where(VoucherProgram.opened_at.is_not(None))
                                      .order_by(VoucherProgram.code)):
        budget = db.session.scalar(select(Account.id).where(Account.code == f"program:{program.code}:budget"))
        left, months = 0, {}
        for created_at, debit_id, amount in db.session.execute(
                select(Transfer.created_at, Transfer.debit_account_id, Transfer.amount)
                .where((Transfer.debit_account_id == budget) | (Transfer.credit_account_id == budget),
                       Transfer.pending.is_(False)).order_by(Transfer.id)):
            left += -int(amount) if debit_id == budget else int(amount)
            months[created_at.astimezone(SHANGHAI).strftime("%Y-%m")] = left
        rows += [(program.code, month, value) for month, value in months.items()]
    return Report("burndown", N_("Budget burn-down"), (N_("Program"), N_("Month"), N_("Budget left")), rows, 2, (2,))


def by_category():
    rows = db.session.execute(select(Order.category, func.count(), func.sum(Order.price_fen), func.sum(Order.voucher_fen))
                              .where(Order.status.in_(USED), Order.voucher_fen > 0)
                              .group_by(Order.category).order_by(func.sum(Order.voucher_fen).desc())).all()
    return Report("categories", N_("Voucher use by service category"),
                  (N_("Category"), N_("Orders"), N_("Contract value"), N_("Voucher share")),
                  [(c, n, int(p), int(v)) for c, n, p, v in rows], 3, (2, 3))


def top_providers(limit=10):
    rows = db.session.execute(select(Organisation.legal_name, func.count(), func.sum(Order.voucher_fen))
                              .join(Organisation, Organisation.id == Order.provider_id)
                              .where(Order.status.in_(USED), Order.voucher_fen > 0)
                              .group_by(Organisation.legal_name).order_by(func.sum(Order.voucher_fen).desc()).limit(limit)).all()
    return Report("providers", N_("Top providers by voucher share"), (N_("Provider"), N_("Orders"), N_("Voucher share")),
                  [(name, n, int(v)) for name, n, v in rows], 2, (2,))


def coverage():
    """Per city: enterprises holding vouchers and those that have used them on an order."""
    holding = dict(db.session.execute(select(Organisation.city, func.count(distinct(Voucher.organisation_id)))
                                      .join(Organisation, Organisation.id == Voucher.organisation_id)
                                      .group_by(Organisation.city)).all())
    using = dict(db.session.execute(select(Organisation.city, func.count(distinct(Order.enterprise_id)))
                                    .join(Organisation, Organisation.id == Order.enterprise_id)
                                    .where(Order.status.in_(USED), Order.voucher_fen > 0)
                                    .group_by(Organisation.city)).all())
    return Report("coverage", N_("Coverage: enterprises by city"), (N_("City"), N_("Holding vouchers"), N_("Have used vouchers")),
                  [(city, holding.get(city, 0), using.get(city, 0)) for city in sorted(set(holding) | set(using))], 2)


def averages():
    n, price, voucher = db.session.execute(select(func.count(), func.coalesce(func.sum(Order.price_fen), 0),
                                                  func.coalesce(func.sum(Order.voucher_fen), 0))
                                           .where(Order.status.in_(USED))).one()
    rows = [(N_("Orders completed"), n, ""), (N_("Average order value"), int(price) // n if n else 0, "fen"),
            (N_("Average voucher share"), int(voucher) // n if n else 0, "fen"),
            (N_("Voucher share of contract value (‰)"), int(voucher) * 1000 // int(price) if price else 0, "")]
    return rows


REPORTS = {"programs": by_program, "months": by_month, "burndown": budget_burndown, "categories": by_category, "providers": top_providers,
           "coverage": coverage}


def bars(report, width=320):
    """[(label, value, bar width in px)] for the chart column."""
    values = [int(row[report.chart_column]) for row in report.rows]
    top = max(values, default=0) or 1
    return [(str(row[0]), value, round(value * width / top)) for row, value in zip(report.rows, values)]
