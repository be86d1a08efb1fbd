"""Typed ledger errors. Messages are English msgids, translated where they are shown."""
from marketplace.errors import DomainError, InvalidState, NotFound, ValidationFailed
from marketplace.i18n import N_


class LedgerError(DomainError):
    message = N_("The ledger refused the operation.")


class InvalidAmount(LedgerError, ValidationFailed):
    message = N_("The amount must be a whole number of fen greater than zero.")


class AccountNotFound(LedgerError, NotFound):
    message = N_("Ledger account %(account)s does not exist.")


class AccountClosed(LedgerError, InvalidState):
    message = N_("Ledger account %(code)s is closed and accepts no new transfers.")


class LedgerMismatch(LedgerError, ValidationFailed):
    message = N_("Accounts %(debit)s and %(credit)s belong to different ledgers.")


class SameAccount(LedgerError, ValidationFailed):
    message = N_("A transfer needs two different accounts.")


class InsufficientFunds(LedgerError, InvalidState):
    message = N_("Account %(code)s has %(available)s available, which is less than %(amount)s.")


class CreditLimitExceeded(LedgerError, InvalidState):
    message = N_("Account %(code)s cannot be credited %(amount)s: that would exceed its limit.")


class TransferNotFound(LedgerError, NotFound):
    message = N_("Ledger transfer %(transfer_id)s does not exist.")


class NotAHold(LedgerError, InvalidState):
    message = N_("Transfer %(transfer_id)s is not a hold.")


class HoldAlreadyResolved(LedgerError, InvalidState):
    message = N_("Hold %(transfer_id)s has already been %(resolution)s.")


class HoldExpired(LedgerError, InvalidState):
    message = N_("Hold %(transfer_id)s expired and can no longer be posted.")


class HoldNotDue(LedgerError, InvalidState):
    message = N_("Hold %(transfer_id)s has not reached its timeout yet.")


class PostExceedsHold(LedgerError, ValidationFailed):
    message = N_("Cannot post %(amount)s from a hold of %(held)s.")


class AlreadyReversed(LedgerError, InvalidState):
    message = N_("Transfer %(transfer_id)s has already been reversed.")


class NotReversible(LedgerError, InvalidState):
    message = N_("Transfer %(transfer_id)s (%(kind)s) cannot be reversed.")


class IdempotencyConflict(LedgerError):
    status_code = 409
    message = N_("The request key %(key)s was already used for a different request.")


class UnknownKind(LedgerError, ValidationFailed):
    message = N_("Unknown ledger kind %(kind)s.")
