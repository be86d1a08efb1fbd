"""Ledger tables: accounts with cumulative columns, immutable chained transfers, the chain head.

Semantics follow TigerBeetle: an account never stores a balance, only four cumulative totals;
a guarded account's totals are bounded by a CHECK constraint, so the database itself refuses an
overdraft. Transfers are insert-only; each gets one row in `ledger_chain` when its transaction
commits, with the gapless sequence number and the chained hash (see `chain.py`).
"""
import enum

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, Sequence,
                        String)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db

GENESIS_HASH = "0" * 64
# PostgreSQL hands transfer ids out from this sequence; SQLite's writers number them under
# BEGIN IMMEDIATE (there they equal the chain sequence).
TRANSFER_IDS = Sequence("ledger_transfer_ids")


class Ledger(enum.StrEnum):
    VOUCHER = "voucher"  # voucher credit, in fen
    CASH = "cash"  # CNY that moved through Stripe, in fen


class AccountKind(enum.StrEnum):
    # voucher ledger
    FUNDER = "funder"  # the funder's appropriation: source of every program's budget
    PROGRAM_BUDGET = "program_budget"
    VOUCHER = "voucher"
    PROVIDER_RECEIVABLE = "provider_receivable"
    SETTLED = "settled"
    LAPSED = "lapsed"
    RECOVERY = "provider_recovery"  # what a provider owes back after a settled redemption was clawed back
    # cash ledger
    STRIPE_CLEARING = "stripe_clearing"
    PROVIDER_PAYABLE = "provider_payable"
    PLATFORM_REVENUE = "platform_revenue"
    REFUNDS = "refunds"
    BANK = "bank"


# Kinds whose balance is debits − credits (sources and assets); all others are credits − debits.
DEBIT_NORMAL = frozenset({AccountKind.FUNDER, AccountKind.STRIPE_CLEARING, AccountKind.REFUNDS,
                          AccountKind.BANK, AccountKind.RECOVERY})


class TransferKind(enum.StrEnum):
    FUND = "fund"
    ISSUE = "issue"
    HOLD = "hold"
    POST = "post"
    VOID = "void"
    EXPIRE = "expire"
    LAPSE = "lapse"
    REVOKE = "revoke"
    REVERSE = "reverse"
    SETTLE = "settle"
    RETURN = "return"  # unspent budget and lapsed money back to the funder at year end
    CLAWBACK = "clawback"  # a settled redemption taken back: the provider owes it (recovery claim)
    RECOVER = "recover"  # the provider repaid a recovery claim
    PAYMENT = "payment"
    PAYOUT = "payout"
    REFUND = "refund"
    FEE = "fee"
    ADJUST = "adjust"


# Resolutions that release a hold without moving money.
RELEASING_KINDS = frozenset({TransferKind.VOID, TransferKind.EXPIRE})
RESOLUTION_KINDS = frozenset({TransferKind.POST, TransferKind.VOID, TransferKind.EXPIRE})

LEDGER_CHECK = "ledger IN ('voucher', 'cash')"


class Account(db.Model):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint(LEDGER_CHECK, name="ledger"),
        CheckConstraint("debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0 "
                        "AND credits_pending >= 0", name="totals_not_negative"),
        CheckConstraint("NOT debits_must_not_exceed_credits "
                        "OR debits_posted + debits_pending <= credits_posted",
                        name="debits_within_credits"),
        CheckConstraint("NOT credits_must_not_exceed_debits "
                        "OR credits_posted + credits_pending <= debits_posted",
                        name="credits_within_debits"),
        CheckConstraint("NOT (debits_must_not_exceed_credits AND credits_must_not_exceed_debits)",
                        name="one_guard"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True)
    ledger: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(30), index=True)
    program_id: Mapped[int | None] = mapped_column(Integer, index=True)
    organisation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    voucher_id: Mapped[int | None] = mapped_column(Integer, index=True)
    debits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    debits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    debits_must_not_exceed_credits: Mapped[bool] = mapped_column(Boolean, default=False)
    credits_must_not_exceed_debits: Mapped[bool] = mapped_column(Boolean, default=False)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self):
        return f"<Account {self.id} {self.code}>"


class Transfer(db.Model):
    """One immutable ledger line. `id` identifies it (on PostgreSQL from a sequence, so ids may
    skip numbers a rolled-back writer took); its gapless place in the hash chain is `link`.

    Single-phase and post transfers move `amount` between posted totals; a hold (`pending`)
    moves it between pending totals; post/void/expire reference their hold by `pending_id`
    (unique: a hold resolves exactly once) and release the hold's whole amount from pending.
    """

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="distinct_accounts"),
        CheckConstraint(LEDGER_CHECK, name="ledger"),
        CheckConstraint("NOT (pending AND pending_id IS NOT NULL)", name="hold_not_resolution"),
        CheckConstraint("timeout_at IS NULL OR pending", name="timeout_only_on_holds"),
        Index("ix_ledger_transfers_debit_account_id_id", "debit_account_id", "id"),
        Index("ix_ledger_transfers_credit_account_id_id", "credit_account_id", "id"),
        # What lapsed or was revoked from a voucher (wallet, statement) without reading its every hold.
        Index("ix_ledger_transfers_debit_account_id_kind", "debit_account_id", "kind"),
    )

    id: Mapped[int] = mapped_column(BigInteger, TRANSFER_IDS, primary_key=True)
    ledger: Mapped[str] = mapped_column(String(10))
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    credit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    timeout_at: Mapped[object | None] = mapped_column(UTCDateTime, index=True)
    pending_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    order_id: Mapped[int | None] = mapped_column(Integer, index=True)
    application_id: Mapped[int | None] = mapped_column(Integer)
    settlement_id: Mapped[int | None] = mapped_column(Integer, index=True)
    voucher_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime)
    memo: Mapped[str] = mapped_column(String(500), default="")
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    link: Mapped["ChainLink | None"] = relationship(viewonly=True)  # None until committed

    def __repr__(self):
        return f"<Transfer {self.id} {self.kind} {self.amount}>"


class ChainLink(db.Model):
    """A transfer's place in the hash chain, written when its transaction commits. Insert-only
    (triggers), gapless `sequence`, one per transfer."""

    __tablename__ = "ledger_chain"

    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class LedgerHead(db.Model):
    """The one row that names the last link of the chain; writers lock it only while linking
    their transfers at commit."""

    __tablename__ = "ledger_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    sequence: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
