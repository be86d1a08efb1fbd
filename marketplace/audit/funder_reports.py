"""Reports a funder accepts: for one program (or all) and a period in Beijing dates, the voucher
subsidy per enterprise (in the period and cumulative to its end), redemption per provider
(redeemed, settled, clawed back, owed back) and the subsidy by service category and city. Every
amount is voucher money as the ledger has it: posted shares net of clawbacks, settle transfers.
The program's final account (决算) is on its page once the year is closed."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, select

from marketplace.audit.reports import Report
from marketplace.auth.models import Organisation
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.ledger.models import Account, Transfer
from marketplace.orders.models import DONE_STATES, Order, OrderVoucher
from marketplace.templating import category_label
from marketplace.vouchers.models import Voucher
from marketplace.vouchers.rules import SHANGHAI


@dataclass(frozen=True)
class Scope:
    program_id: int | None = None
    since: date | None = None  # first Beijing day included
    until: date | None = None  # last Beijing day included

    def start(self):
        return datetime.combine(self.since, time(0), tzinfo=SHANGHAI) if self.since else None

    def end(self):
        return datetime.combine(self.until + timedelta(days=1), time(0), tzinfo=SHANGHAI) if self.until else None

    def within(self, column):
        """SQL: `column` (an instant) falls in the period."""
        conditions = []
        if self.since:
            conditions.append(column >= self.start())
        if self.until:
            conditions.append(column < self.end())
        return and_(True, *conditions)

    def up_to_end(self, column):
        return column < self.end() if self.until else and_(True)

    def args(self):
        """The query arguments that select this scope again (for links and exports)."""
        values = {"program": self.program_id, "since": self.since, "until": self.until}
        return {key: str(value) for key, value in values.items() if value}


def scope_from_args(args):
    """(Scope, problems) from a query string; a bad value is dropped and named, never an error page."""
    from marketplace.inputs import parse_date, parse_int

    problems = []
    since, until = parse_date(args.get("since")), parse_date(args.get("until"))
    if since and until and since > until:
        problems.append(N_("The period ends before it starts; showing everything up to its end."))
        since = None
    return Scope(parse_int(args.get("program"), 1), since, until), problems


def shares(scope, period_only=True):
    """Orders done (completed, redeemed, settled) with their voucher share in the program, net of
    clawbacks: a subquery (order_id, share)."""
    share = func.sum(OrderVoucher.posted_fen - OrderVoucher.clawed_back_fen)
    query = (select(OrderVoucher.order_id.label("order_id"), share.label("share"))
             .join(Voucher, Voucher.id == OrderVoucher.voucher_id).join(Order, Order.id == OrderVoucher.order_id)
             .where(Order.status.in_(DONE_STATES), OrderVoucher.posted_fen > 0,
                    scope.within(Order.completed_at) if period_only else scope.up_to_end(Order.completed_at))
             .group_by(OrderVoucher.order_id))
    if scope.program_id:
        query = query.where(Voucher.program_id == scope.program_id)
    return query.subquery()


def subsidy_by_enterprise(scope):
    period, cumulative = shares(scope), shares(scope, period_only=False)
    rows = db.session.execute(
        select(Organisation.legal_name, Organisation.credit_code, Organisation.city, func.count(period.c.order_id),
               func.coalesce(func.sum(Order.price_fen), 0), func.coalesce(func.sum(period.c.share), 0),
               func.coalesce(func.sum(cumulative.c.share), 0))
        .join(Order, Order.enterprise_id == Organisation.id)
        .join(cumulative, cumulative.c.order_id == Order.id).outerjoin(period, period.c.order_id == Order.id)
        .group_by(Organisation.id, Organisation.legal_name, Organisation.credit_code, Organisation.city)
        .order_by(func.sum(cumulative.c.share).desc(), Organisation.legal_name)).all()
    return Report("enterprises", N_("Voucher subsidy per enterprise"),
                  (N_("Enterprise"), N_("Credit code"), N_("City"), N_("Orders"), N_("Contract value"),
                   N_("Subsidy in the period"), N_("Cumulative subsidy")),
                  [tuple(row[:3]) + (int(row[3]),) + tuple(int(v) for v in row[4:]) for row in rows], 6, (4, 5, 6))


def moved(scope, kind, account_kind, by_debit=True):
    """{organisation id: Σ transfers of `kind` on its accounts of `account_kind`} in the period."""
    side = Transfer.debit_account_id if by_debit else Transfer.credit_account_id
    query = (select(Account.organisation_id, func.sum(Transfer.amount)).join(Account, Account.id == side)
             .where(Transfer.kind == kind, Account.kind == account_kind, scope.within(Transfer.created_at))
             .group_by(Account.organisation_id))
    if scope.program_id:
        query = query.where(Account.program_id == scope.program_id)
    return {organisation_id: int(total) for organisation_id, total in db.session.execute(query)}


def redemption_by_provider(scope):
    redeemed = moved(scope, "post", "provider_receivable", by_debit=False)
    settled = moved(scope, "settle", "provider_receivable")
    reversed_ = moved(scope, "reverse", "provider_receivable")
    claimed = moved(scope, "clawback", "provider_recovery")
    repaid = moved(scope, "recover", "provider_recovery", by_debit=False)
    ids = set(redeemed) | set(settled) | set(reversed_) | set(claimed)
    names = {org.id: org for org in db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}
    rows = [(names[i].legal_name, names[i].credit_code, names[i].city, redeemed.get(i, 0), settled.get(i, 0),
             reversed_.get(i, 0) + claimed.get(i, 0), claimed.get(i, 0) - repaid.get(i, 0))
            for i in ids if i in names]
    rows.sort(key=lambda row: (-row[3], row[0]))
    return Report("provider-redemption", N_("Redemption per provider"),
                  (N_("Provider"), N_("Credit code"), N_("City"), N_("Redeemed"), N_("Settled"), N_("Clawed back"),
                   N_("Owed back")), rows, 3, (3, 4, 5, 6))


def by_category_and_city(scope):
    period = shares(scope)
    city = func.coalesce(Organisation.city, "")
    rows = db.session.execute(
        select(Order.category, city, func.count(), func.sum(Order.price_fen), func.sum(period.c.share))
        .join(period, period.c.order_id == Order.id).join(Organisation, Organisation.id == Order.enterprise_id)
        .group_by(Order.category, city).order_by(func.sum(period.c.share).desc(), Order.category)).all()
    return Report("category-city", N_("Subsidy by service category and city"),
                  (N_("Category"), N_("City"), N_("Orders"), N_("Contract value"), N_("Voucher share")),
                  [(category_label(category), place, count, int(value), int(share))
                   for category, place, count, value, share in rows],
                  4, (3, 4))


FUNDER_REPORTS = {"enterprises": subsidy_by_enterprise, "provider-redemption": redemption_by_provider,
                  "category-city": by_category_and_city}
