"""Issuing vouchers: one or many in a single ledger batch, each exactly once (by issue key)."""
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update

from marketplace import ledger
from marketplace.extensions import db
from marketplace.ledger.accounts import account_values, program_account_code, voucher_account_code
from marketplace.money import format_fen
from marketplace.vouchers.errors import BudgetExhausted, OverCap
from marketplace.vouchers.models import EnterpriseQuota, Voucher
from marketplace.vouchers.numbers import voucher_number


@dataclass(frozen=True)
class IssueItem:
    organisation_id: int
    amount: int
    issue_key: str
    application_id: int | None = None
    memo: str = ""


def budget_account(program):
    return ledger.find_account(db.session, program_account_code(program.code, ledger.AccountKind.PROGRAM_BUDGET))


def budget_left(program):
    return ledger.balance(db.session, budget_account(program).id).available


def issue_vouchers(program, items, actor, batch_id=None):
    """Issue a voucher per item, funded from the program budget in one ledger batch. Items whose
    issue key was already issued are skipped. Returns the new vouchers. Raises BudgetExhausted."""
    issued = set(db.session.scalars(select(Voucher.issue_key).where(
        Voucher.issue_key.in_([item.issue_key for item in items]))))
    items = [item for item in items if item.issue_key not in issued]
    if not items:
        return []
    budget = budget_account(program)
    # Issuances of one program take turns from here (PostgreSQL; SQLite serialises writers): the
    # budget check and the next serial are read after the previous issuance committed. Without it
    # a rush of first-come-first-served applications all read the same serial and retried on its
    # unique violation until some ran out of attempts (a 500 in the loopback rush, issue 17).
    db.session.execute(select(ledger.Account.id).where(ledger.Account.id == budget.id).with_for_update())
    total = sum(item.amount for item in items)
    left = ledger.balance(db.session, budget.id).available
    if total > left:
        raise BudgetExhausted(left=format_fen(left), amount=format_fen(total))
    charge_quotas(program, items)
    vouchers = insert_vouchers(program, items, actor, batch_id)
    requests = [ledger.TransferRequest(
        budget.id, voucher.account_id, item.amount, ledger.TransferKind.ISSUE, key=f"issue:{item.issue_key}",
        actor_id=getattr(actor, "id", None), voucher_id=voucher.id, application_id=item.application_id,
        memo=item.memo[:200] or voucher.number) for voucher, item in zip(vouchers, items)]
    try:
        ledger.batch(db.session, requests)
    except ledger.InsufficientFunds as error:  # a concurrent issuance got there first
        raise BudgetExhausted(left=format_fen(budget_left(program)), amount=format_fen(total)) from error
    return vouchers


def charge_quotas(program, items):
    """Count the items against each enterprise's cap in the program. The quota rows are locked
    (PostgreSQL; SQLite serialises writers) and checked here for the message; the database's
    CHECK is what makes exceeding the cap impossible. Raises OverCap."""
    totals = defaultdict(int)
    for item in items:
        totals[item.organisation_id] += item.amount
    quotas = locked_quotas(program, sorted(totals))
    for organisation_id, amount in totals.items():
        quota = quotas[organisation_id]
        if quota.issued_fen + amount > quota.cap_fen:
            raise OverCap(remaining=format_fen(quota.cap_fen - quota.issued_fen), cap=format_fen(quota.cap_fen),
                          field="amount")
    db.session.execute(update(EnterpriseQuota), [
        {"program_id": program.id, "organisation_id": organisation_id,
         "issued_fen": quotas[organisation_id].issued_fen + amount} for organisation_id, amount in totals.items()])


def locked_quotas(program, organisation_ids):
    """{organisation id: quota row}, created where missing, read under a row lock."""
    def read():
        return {quota.organisation_id: quota for quota in db.session.scalars(
            select(EnterpriseQuota).where(EnterpriseQuota.program_id == program.id,
                                          EnterpriseQuota.organisation_id.in_(organisation_ids))
            .with_for_update().execution_options(populate_existing=True))}

    quotas = read()
    missing = [organisation_id for organisation_id in organisation_ids if organisation_id not in quotas]
    if missing:  # a rival inserting the same row first makes this a unique violation: retried
        db.session.execute(insert(EnterpriseQuota), [
            {"program_id": program.id, "organisation_id": organisation_id, "cap_fen": program.enterprise_cap_fen,
             "issued_fen": 0} for organisation_id in missing])
        quotas = read()
    return quotas


def issued_to(program, organisation_id):
    """Fen issued so far to the enterprise in the program (its quota row; 0 without one)."""
    return db.session.scalar(select(EnterpriseQuota.issued_fen).where(
        EnterpriseQuota.program_id == program.id, EnterpriseQuota.organisation_id == organisation_id)) or 0


def insert_vouchers(program, items, actor, batch_id):
    """Bulk-create the vouchers and their ledger accounts (serials continue the program's)."""
    first = (db.session.scalar(select(func.max(Voucher.serial)).where(Voucher.program_id == program.id)) or 0) + 1
    numbers = [voucher_number(program.code, first + offset) for offset in range(len(items))]
    account_ids = ledger.open_accounts(db.session, [
        account_values(voucher_account_code(number), ledger.AccountKind.VOUCHER, program_id=program.id,
                       organisation_id=item.organisation_id) for number, item in zip(numbers, items)])
    rows = [{"number": number, "program_id": program.id, "serial": first + offset,
             "organisation_id": item.organisation_id, "application_id": item.application_id,
             "batch_id": batch_id, "issue_key": item.issue_key, "face_value_fen": item.amount,
             "account_id": account_id, "issued_by_id": getattr(actor, "id", None)}
            for offset, (number, item, account_id) in enumerate(zip(numbers, items, account_ids))]
    ids = list(db.session.scalars(insert(Voucher).returning(Voucher.id, sort_by_parameter_order=True), rows))
    db.session.execute(update(ledger.Account), [{"id": a, "voucher_id": v} for a, v in zip(account_ids, ids)])
    return db.session.scalars(select(Voucher).where(Voucher.id.in_(ids)).order_by(Voucher.serial)).all()
