"""Opening, finding and closing ledger accounts, and the standard account sets other features
use (a program's accounts, a voucher's account, a provider's receivable).

Codes: `program:<CODE>:funder|budget|settled|lapsed`, `program:<CODE>:receivable:<org id>`,
`voucher:<voucher number>`, `cash:<kind>` and `cash:payable:<org id>`.
"""
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.ledger.errors import AccountNotFound, UnknownKind
from marketplace.ledger.models import Account, AccountKind, Ledger

VOUCHER_KINDS = frozenset({AccountKind.FUNDER, AccountKind.PROGRAM_BUDGET, AccountKind.VOUCHER,
                           AccountKind.PROVIDER_RECEIVABLE, AccountKind.SETTLED,
                           AccountKind.LAPSED, AccountKind.RECOVERY})
# Accounts that hold value someone may spend: never below zero, pending debits included. A
# provider's cash payable is not guarded: a refund after its payout leaves it negative, and that
# debt is carried into the provider's next payout.
GUARDED_KINDS = frozenset({AccountKind.PROGRAM_BUDGET, AccountKind.VOUCHER,
                           AccountKind.PROVIDER_RECEIVABLE})
PROGRAM_KINDS = (AccountKind.FUNDER, AccountKind.PROGRAM_BUDGET, AccountKind.SETTLED,
                 AccountKind.LAPSED)
PROGRAM_SUFFIX = {AccountKind.FUNDER: "funder", AccountKind.PROGRAM_BUDGET: "budget",
                  AccountKind.SETTLED: "settled", AccountKind.LAPSED: "lapsed"}


def ledger_of(kind):
    return Ledger.VOUCHER if kind in VOUCHER_KINDS else Ledger.CASH


def account_values(code, kind, **fields):
    """Column values of a new account with the kind's default ledger and guard."""
    if kind not in AccountKind.__members__.values():
        raise UnknownKind(kind=kind)
    return {"code": code, "kind": str(kind), "ledger": str(ledger_of(kind)),
            "debits_must_not_exceed_credits": kind in GUARDED_KINDS,
            "credits_must_not_exceed_debits": False, "program_id": None,
            "organisation_id": None, "voucher_id": None, "closed": False, **fields}


def open_account(session, code, kind, **fields):
    """Create an account (flushed). `fields`: program_id, organisation_id, voucher_id, the two
    guard flags or ledger to override the kind's defaults."""
    account = Account(**account_values(code, kind, **fields), debits_posted=0, credits_posted=0,
                      debits_pending=0, credits_pending=0)
    session.add(account)
    session.flush()
    return account


def get_or_create_account(session, code, kind, **fields):
    """The account with this code, created if missing. A concurrent creation of the same code
    (the first card payments after a deploy both opening `cash:stripe_clearing`, issue 17's
    loopback run) loses inside a savepoint and reads the winner's account, so callers that commit
    without run_in_transaction (the pay view) do not fail with a 500."""
    account = session.scalar(select(Account).where(Account.code == code))
    if account is not None:
        return account
    try:
        with session.begin_nested():
            return open_account(session, code, kind, **fields)
    except IntegrityError:
        account = session.scalar(select(Account).where(Account.code == code))
        if account is None:
            raise
        return account


def open_accounts(session, values):
    """Bulk-create accounts from `account_values(...)` dicts; returns their ids in order."""
    rows = [{"debits_posted": 0, "credits_posted": 0, "debits_pending": 0, "credits_pending": 0,
             **row} for row in values]
    statement = insert(Account).returning(Account.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def find_account(session, ref):
    """The account with this id or code; AccountNotFound otherwise."""
    column = Account.code if isinstance(ref, str) else Account.id
    account = session.scalar(select(Account).where(column == ref))
    if account is None:
        raise AccountNotFound(account=ref)
    return account


def close_account(session, ref):
    """Refuse new transfers on the account (its open holds can still be posted or voided)."""
    account = find_account(session, ref)
    session.execute(update(Account).where(Account.id == account.id).values(closed=True))
    session.refresh(account)
    return account


def program_account_code(program_code, kind):
    return f"program:{program_code}:{PROGRAM_SUFFIX[kind]}"


def open_program_accounts(session, program_id, program_code):
    """A program's funder appropriation, budget, settled and lapsed accounts (idempotent);
    returns {kind: Account}."""
    return {kind: get_or_create_account(session, program_account_code(program_code, kind), kind,
                                        program_id=program_id)
            for kind in PROGRAM_KINDS}


def voucher_account_code(voucher_number):
    return f"voucher:{voucher_number}"


def open_voucher_account(session, program_id, voucher_id, voucher_number, organisation_id):
    """The account of one issued voucher (idempotent)."""
    return get_or_create_account(
        session, voucher_account_code(voucher_number), AccountKind.VOUCHER,
        program_id=program_id, voucher_id=voucher_id, organisation_id=organisation_id)


def recovery_account_code(program_code, organisation_id):
    return f"program:{program_code}:recovery:{organisation_id}"


def open_recovery_account(session, program_id, program_code, organisation_id):
    """What a provider owes back to a program after a settled redemption was clawed back."""
    return get_or_create_account(
        session, recovery_account_code(program_code, organisation_id), AccountKind.RECOVERY,
        program_id=program_id, organisation_id=organisation_id)


def receivable_account_code(program_code, organisation_id):
    return f"program:{program_code}:receivable:{organisation_id}"


def open_receivable_account(session, program_id, program_code, organisation_id):
    """A provider's receivable for a program's redeemed voucher shares (idempotent)."""
    return get_or_create_account(
        session, receivable_account_code(program_code, organisation_id),
        AccountKind.PROVIDER_RECEIVABLE, program_id=program_id, organisation_id=organisation_id)


def cash_account_code(kind, organisation_id=None):
    if kind == AccountKind.PROVIDER_PAYABLE:
        return f"cash:payable:{organisation_id}"
    return f"cash:{kind}"


def open_cash_account(session, kind, organisation_id=None):
    """The platform's cash account of this kind, or a provider's payable (idempotent)."""
    return get_or_create_account(session, cash_account_code(kind, organisation_id), kind,
                                 organisation_id=organisation_id)
