"""The ledger explorer's reads: transfers filtered and keyset-paginated (newest first, by
sequence), one transfer with everything it links to, and export rows. Every list is a single
query joining both accounts, so its cost does not grow with the page size."""
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import or_, select

from marketplace.audit.queries import like, parse_day
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.inputs import parse_int
from marketplace.ledger.models import Account, Transfer, TransferKind
from marketplace.money import parse_yuan, yuan as in_yuan
from marketplace.vouchers.rules import SHANGHAI, end_of_day

PAGE_SIZE = 50
KINDS = [kind.value for kind in TransferKind]


@dataclass(frozen=True)
class TransferFilter:
    program_id: int | None = None
    account: str = ""  # an account code, or its start ending in ":" or "*" ("program:HJ2026:receivable:", "voucher:HJ2026-*")
    owner_id: int | None = None  # organisation id on either account
    kind: str = ""
    since: date | None = None
    until: date | None = None
    min_fen: int | None = None
    max_fen: int | None = None
    order: str = ""  # order number or id
    actor_id: int | None = None
    settlement_id: int | None = None
    q: str = ""  # text in the memo or idempotency key
    problems: list = field(default_factory=list)

    def args(self):
        """The filter as query-string arguments (for pager links and exports)."""
        values = {"program": self.program_id, "account": self.account, "owner": self.owner_id, "kind": self.kind,
                  "since": self.since.isoformat() if self.since else "", "until": self.until.isoformat() if self.until else "",
                  "min": fen_text(self.min_fen), "max": fen_text(self.max_fen), "order": self.order,
                  "actor": self.actor_id, "settlement": self.settlement_id, "q": self.q}
        return {k: v for k, v in values.items() if v not in (None, "")}


def fen_text(fen):
    return None if fen is None else f"{fen // 100}.{fen % 100:02d}"


def positive_int(text):
    return parse_int(text, 1)


def yuan(text, problems):
    try:
        return parse_yuan(text) if text else None
    except Exception:  # a DomainError with a translated message; the page just ignores the bound
        problems.append("amount")
        return None


def filter_from_args(args):
    problems = []
    kind = args.get("kind", "")
    return TransferFilter(
        program_id=positive_int(args.get("program", "")), account=args.get("account", "").strip()[:120],
        owner_id=positive_int(args.get("owner", "")), kind=kind if kind in KINDS else "",
        since=parse_day(args.get("since", "")), until=parse_day(args.get("until", "")),
        min_fen=yuan(args.get("min", "").strip(), problems), max_fen=yuan(args.get("max", "").strip(), problems),
        order=args.get("order", "").strip()[:24], actor_id=positive_int(args.get("actor", "")),
        settlement_id=positive_int(args.get("settlement", "")), q=args.get("q", "").strip()[:100], problems=problems)


debit_account, credit_account = Account.__table__.alias("debit"), Account.__table__.alias("credit")
COLUMNS = (Transfer.id, Transfer.created_at, Transfer.ledger, Transfer.kind, Transfer.amount, Transfer.pending,
           Transfer.pending_id, Transfer.order_id, Transfer.settlement_id, Transfer.actor_id, Transfer.memo,
           Transfer.debit_account_id, Transfer.credit_account_id,
           debit_account.c.code.label("debit_code"), credit_account.c.code.label("credit_code"))


def on_either(condition_for):
    """Transfers touching an account that matches: as id subqueries, so the transfer scan keeps
    its sequence order (and stops after a page) instead of joining every account first."""
    matching = select(Account.__table__.c.id).where(condition_for(Account.__table__))
    return or_(Transfer.debit_account_id.in_(matching), Transfer.credit_account_id.in_(matching))


def conditions(f):
    found = []
    if f.program_id:
        found.append(on_either(lambda a: a.c.program_id == f.program_id))
    if f.account:
        code = f.account
        if code.endswith((":", "*")):
            start = code.rstrip("*")
            found.append(on_either(lambda a: a.c.code.startswith(start, autoescape=True)))
        else:
            found.append(on_either(lambda a: a.c.code == code))
    if f.owner_id:
        found.append(on_either(lambda a: a.c.organisation_id == f.owner_id))
    if f.kind:
        found.append(Transfer.kind == f.kind)
    if f.since:
        found.append(Transfer.created_at >= datetime.combine(f.since, time.min, tzinfo=SHANGHAI))
    if f.until:
        found.append(Transfer.created_at < end_of_day(f.until))
    if f.min_fen is not None:
        found.append(Transfer.amount >= f.min_fen)
    if f.max_fen is not None:
        found.append(Transfer.amount <= f.max_fen)
    if f.order:
        found.append(Transfer.order_id == order_id_of(f.order))
    if f.actor_id:
        found.append(Transfer.actor_id == f.actor_id)
    if f.settlement_id:
        found.append(Transfer.settlement_id == f.settlement_id)
    if f.q:
        pattern = like(f.q)
        found.append(or_(Transfer.memo.ilike(pattern, escape="\\"), Transfer.idempotency_key.ilike(pattern, escape="\\")))
    return found


def order_id_of(text):
    from marketplace.orders.models import Order

    if parse_int(text, 1) is not None:
        return parse_int(text, 1)
    return db.session.scalar(select(Order.id).where(Order.number == text)) or -1


def base_query(f):
    return (select(*COLUMNS)
            .join_from(Transfer, debit_account, debit_account.c.id == Transfer.debit_account_id)
            .join(credit_account, credit_account.c.id == Transfer.credit_account_id)
            .where(*conditions(f)))


@dataclass(frozen=True)
class TransferPage:
    rows: list
    next_before: int | None  # pass as ?before= for the next (older) page


def page(f, before=None, size=PAGE_SIZE):
    """One page of matching transfers, newest first, older than sequence `before`."""
    query = base_query(f).order_by(Transfer.id.desc()).limit(size + 1)
    if before:
        query = query.where(Transfer.id < before)
    rows = db.session.execute(query).all()
    return TransferPage(rows[:size], rows[size - 1].id if len(rows) > size else None)


def stream(f, limit=1_000_000):
    return db.session.execute(base_query(f).order_by(Transfer.id).limit(limit),
                              execution_options={"yield_per": 5_000})


EXPORT_HEADER = ("transfer_id", "created_at (Asia/Shanghai)", "ledger", "kind", "debit", "credit", "amount_fen",
                 "amount_yuan", "pending", "pending_id", "order_id", "settlement_id", "actor_id", "memo")


def export_rows(rows):
    for r in rows:
        yield (r.id, r.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"), r.ledger, r.kind,
               r.debit_code, r.credit_code, r.amount, in_yuan(r.amount), r.pending, r.pending_id or "",
               r.order_id or "", r.settlement_id or "", r.actor_id or "", r.memo)


@dataclass(frozen=True)
class TransferDetail:
    transfer: Transfer
    debit: Account
    credit: Account
    hold: Transfer | None  # the hold this transfer resolves
    resolution: Transfer | None  # what resolved this hold
    reverses: Transfer | None
    reversed_by: Transfer | None
    order: object
    settlement: object


def detail(sequence):
    """A transfer with both accounts and what it links to, or None."""
    from marketplace.orders.models import Order
    from marketplace.redemption.models import SettlementBatch

    transfer = db.session.get(Transfer, sequence)
    if transfer is None:
        return None
    linked = lambda column, value: db.session.scalar(select(Transfer).where(column == value)) if value else None
    return TransferDetail(
        transfer, db.session.get(Account, transfer.debit_account_id), db.session.get(Account, transfer.credit_account_id),
        db.session.get(Transfer, transfer.pending_id) if transfer.pending_id else None,
        linked(Transfer.pending_id, transfer.id) if transfer.pending else None,
        db.session.get(Transfer, transfer.reverses_id) if transfer.reverses_id else None,
        linked(Transfer.reverses_id, transfer.id),
        db.session.get(Order, transfer.order_id) if transfer.order_id else None,
        db.session.get(SettlementBatch, transfer.settlement_id) if transfer.settlement_id else None)


def as_of_instant(day):
    """The end of a Shanghai calendar day, or now when no day is given."""
    return end_of_day(day) if day else utcnow()


