"""Voucher and cash ledger: double-entry, append-only, hash-chained (TigerBeetle's model).

Operations work inside the caller's transaction and only flush; standalone callers wrap them in
`run_in_transaction(session, lambda: ...)`, which commits and retries transient refusals.
"""
from marketplace.ledger.accounts import (close_account, find_account, get_or_create_account,
                                         open_account, open_accounts, open_cash_account,
                                         open_program_accounts, open_receivable_account,
                                         open_voucher_account)
from marketplace.ledger.errors import (AccountClosed, AccountNotFound, AlreadyReversed,
                                       CreditLimitExceeded, HoldAlreadyResolved, HoldExpired, HoldNotDue,
                                       IdempotencyConflict, InsufficientFunds, InvalidAmount,
                                       LedgerError, LedgerMismatch, NotAHold, NotReversible,
                                       PostExceedsHold, SameAccount, TransferNotFound,
                                       UnknownKind)
from marketplace.ledger.models import Account, AccountKind, Ledger, Transfer, TransferKind
from marketplace.ledger.posting import TransferRecord
from marketplace.ledger.reads import (balance, balance_as_of, reconciliation, reconciliations, spendable, statement,
                                      transfers_since)
from marketplace.ledger.services import (TransferRequest, batch, expire, expire_holds, hold, post,
                                         reverse, transfer, void)
from marketplace.ledger.transaction import run_in_transaction
from marketplace.ledger.verify import verify

__all__ = [
    "Account", "AccountKind", "Ledger", "Transfer", "TransferKind", "TransferRecord",
    "TransferRequest", "open_account", "open_accounts", "get_or_create_account", "find_account",
    "close_account", "open_program_accounts", "open_voucher_account", "open_receivable_account",
    "open_cash_account", "transfer", "hold", "post", "void", "expire", "expire_holds", "reverse", "batch",
    "run_in_transaction", "balance", "balance_as_of", "spendable", "reconciliations", "statement", "reconciliation",
    "transfers_since", "verify", "LedgerError", "InvalidAmount", "AccountNotFound",
    "AccountClosed", "LedgerMismatch", "SameAccount", "InsufficientFunds", "CreditLimitExceeded",
    "TransferNotFound", "NotAHold", "HoldAlreadyResolved", "HoldExpired", "HoldNotDue", "PostExceedsHold",
    "AlreadyReversed", "NotReversible", "IdempotencyConflict", "UnknownKind",
]
