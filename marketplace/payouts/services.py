"""Payouts. Plain functions taking the acting user; they flush, the caller commits.

What a provider is owed: the cash received for its completed orders (net of refunds), once
PAYOUT_HOLD_DAYS have passed since completion, less what earlier batches paid for those orders.
A refund made after an order's cash was paid out makes that order's outstanding amount negative:
the debt is netted in the provider's next batch (and shown to it until then).

A batch: created as a draft from everything payable now (providers with verified bank details
only) → approved (by a second operator when four eyes are on) → exported for the bank (CSV/XLSX)
→ marked paid with the bank's reference, which posts `cash:payable:<provider> → stripe_clearing`
(kind payout) per line in one ledger batch, keys `payout:<reference>:<line>`: paying again with
the same reference changes nothing."""
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.approvals.services import require_second_operator
from marketplace.audit.services import record
from marketplace.auth.services import require_operator
from marketplace.database import utcnow
from marketplace.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.ledger.accounts import cash_account_code
from marketplace.money import format_fen, yuan
from marketplace.notifications import services as notifications
from marketplace.orders.models import DONE_STATES, Order
from marketplace.payouts.models import BankAccount, BankStatus, PayoutBatch, PayoutItem, PayoutLine, PayoutStatus

MAX_FIELD = 100
ACCOUNT_NUMBER = re.compile(r"[0-9]{8,30}")  # ASCII digits only


@dataclass(frozen=True)
class BankData:
    account_name: str
    bank_name: str
    branch: str
    account_number: str


# -- bank details ------------------------------------------------------------------------------
def verified_account(organisation_id):
    return db.session.scalar(select(BankAccount).where(BankAccount.organisation_id == organisation_id,
                                                       BankAccount.status == BankStatus.VERIFIED))


def bank_history(organisation_id):
    return db.session.scalars(select(BankAccount).where(BankAccount.organisation_id == organisation_id)
                              .order_by(BankAccount.created_at.desc(), BankAccount.id.desc())).all()


def submit_bank_account(actor, data: BankData):
    """A provider enters or changes its bank details: pending until an operator verifies them
    (payouts keep going to the verified ones meanwhile). Raises PermissionDenied, ValidationFailed."""
    if actor is None or actor.role != "provider" or actor.organisation_id is None:
        raise PermissionDenied()
    number = "".join(data.account_number.split())
    if not ACCOUNT_NUMBER.fullmatch(number):
        raise ValidationFailed(N_("Enter the account number: 8 to 30 digits."), field="account_number")
    fields = {"account_name": data.account_name.strip(), "bank_name": data.bank_name.strip(),
              "branch": data.branch.strip()}
    for name, value in fields.items():
        if (not value and name != "branch") or len(value) > MAX_FIELD:
            raise ValidationFailed(N_("Fill in the bank details (at most 100 characters each)."), field=name)
    for older in db.session.scalars(select(BankAccount).where(BankAccount.organisation_id == actor.organisation_id,
                                                              BankAccount.status == BankStatus.PENDING)):
        older.status = BankStatus.SUPERSEDED
    account = BankAccount(organisation_id=actor.organisation_id, account_number=number, created_by_id=actor.id, **fields)
    db.session.add(account)
    db.session.flush()
    record(actor, "bank_account.submit", account, after={**fields, "account_number": account.masked_number})
    notifications.notify(db.session, notifications.operators(db.session), "bank_account",
                         N_("Bank details to verify: %(provider)s"),
                         N_("%(provider)s entered new bank details for payouts. Verify them against its documents."),
                         link="/admin/payouts/bank-accounts", provider=account.organisation.legal_name)
    return account


def verify_bank_account(actor, account_id, approve=True, note=None):
    """An operator verifies (or rejects) pending bank details; a verified account replaces the
    previous one. Raises PermissionDenied, NotFound, InvalidState, ValidationFailed."""
    require_operator(actor)
    account = db.session.get(BankAccount, account_id)
    if account is None:
        raise NotFound(N_("These bank details do not exist."))
    if account.status != BankStatus.PENDING:
        raise InvalidState(N_("These bank details have already been decided."))
    if not approve and not (note or "").strip():
        raise ValidationFailed(N_("Give the reason so the provider knows what to correct."), field="note")
    if approve:
        previous = verified_account(account.organisation_id)
        if previous is not None:
            previous.status = BankStatus.SUPERSEDED
    account.status = BankStatus.VERIFIED if approve else BankStatus.REJECTED
    account.verified_by_id, account.verified_at, account.note = actor.id, utcnow(), (note or "").strip() or None
    db.session.flush()
    record(actor, f"bank_account.{account.status}", account, before={"status": "pending"},
           after={"status": account.status, "account_number": account.masked_number}, reason=account.note)
    notifications.notify(db.session, notifications.members(db.session, account.organisation_id), "bank_account",
                         N_("Bank details %(status)s"), N_("Your bank details for payouts: %(status)s. %(note)s"),
                         link="/payouts/", status=account.status_label, note=account.note or "")
    return account


# -- what is owed ------------------------------------------------------------------------------
def paid_out_by_order(provider_id=None):
    """{order id: Σ payout items (in any batch)} — what batches have taken of each order."""
    query = select(PayoutItem.order_id, func.sum(PayoutItem.amount_fen)).group_by(PayoutItem.order_id)
    if provider_id is not None:
        query = query.join(PayoutLine).where(PayoutLine.provider_id == provider_id)
    return {order_id: int(total) for order_id, total in db.session.execute(query)}


def outstanding(now=None, provider_id=None):
    """{provider id: [(order, amount)]} not yet in a batch: the cash of completed orders past the
    holding period (positive), and refunds made after an order was paid out (negative)."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["PAYOUT_HOLD_DAYS"])
    taken = paid_out_by_order(provider_id)
    query = select(Order).where((Order.status.in_(DONE_STATES) & (Order.completed_at <= cutoff))
                                | Order.id.in_(list(taken)))
    if provider_id is not None:
        query = query.where(Order.provider_id == provider_id)
    found = defaultdict(list)
    for order in db.session.scalars(query.order_by(Order.provider_id, Order.completed_at, Order.id)):
        amount = order.cash_received_fen - taken.get(order.id, 0)
        if amount:
            found[order.provider_id].append((order, amount))
    return found


def provider_position(provider_id, now=None):
    """What the provider page shows: payable now, still in the holding period, carried debt."""
    owed = outstanding(now, provider_id).get(provider_id, [])
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["PAYOUT_HOLD_DAYS"])
    holding = db.session.scalar(select(func.coalesce(func.sum(Order.cash_paid_fen - Order.cash_refunded_fen), 0))
                                .where(Order.provider_id == provider_id, Order.status.in_(DONE_STATES),
                                       Order.completed_at > cutoff))
    net = sum(amount for _order, amount in owed)
    return {"payable": max(net, 0), "carried": min(net, 0), "holding": int(holding), "waiting": owed}


# -- batches ------------------------------------------------------------------------------------
def create_batch(actor, note="", now=None):
    """A draft batch of everything payable now to providers with verified bank details; a
    provider whose net is not positive is left out (its debt carries on). Raises InvalidState."""
    require_operator(actor)
    batch = PayoutBatch(created_by_id=actor.id, note=(note or "").strip()[:2000])
    for provider_id, items in outstanding(now).items():
        account, net = verified_account(provider_id), sum(amount for _order, amount in items)
        if account is None or net <= 0:
            continue
        line = PayoutLine(provider_id=provider_id, bank_account_id=account.id, amount_fen=net)
        line.items = [PayoutItem(order_id=order.id, amount_fen=amount) for order, amount in items]
        batch.lines.append(line)
    if not batch.lines:
        raise InvalidState(N_("Nothing is payable now: no completed order past the holding period is waiting for a "
                              "provider with verified bank details."))
    db.session.add(batch)
    db.session.flush()
    record(actor, "payout.create", batch, after={"lines": len(batch.lines), "total_fen": batch.total_fen})
    return batch


def get_batch(batch_id):
    batch = db.session.get(PayoutBatch, batch_id)
    if batch is None:
        raise NotFound(N_("This payout batch does not exist."))
    return batch


def approve_batch(actor, batch_id):
    """The second operator's approval (four eyes). Raises SameOperator, InvalidState."""
    require_operator(actor)
    batch = get_batch(batch_id)
    if batch.status != PayoutStatus.DRAFT:
        raise InvalidState(N_("Only a draft batch can be approved."))
    require_second_operator(actor, batch.created_by_id)
    batch.status, batch.approved_by_id, batch.approved_at = PayoutStatus.APPROVED, actor.id, utcnow()
    db.session.flush()
    record(actor, "payout.approve", batch, before={"status": "draft"}, after={"status": "approved",
                                                                           "total_fen": batch.total_fen})
    return batch


def mark_exported(actor, batch_id):
    require_operator(actor)
    batch = get_batch(batch_id)
    if batch.status not in (PayoutStatus.APPROVED, PayoutStatus.EXPORTED):
        raise InvalidState(N_("A batch is exported for the bank once it is approved."))
    if batch.status == PayoutStatus.APPROVED:
        batch.status, batch.exported_at = PayoutStatus.EXPORTED, utcnow()
        record(actor, "payout.export", batch, before={"status": "approved"}, after={"status": "exported"})
    db.session.flush()
    return batch


def cancel_batch(actor, batch_id, reason):
    """Discard an unpaid batch; its orders are payable again. Raises InvalidState, ValidationFailed."""
    from marketplace.orders.actions import reason_required

    require_operator(actor)
    batch = get_batch(batch_id)
    if batch.status == PayoutStatus.PAID:
        raise InvalidState(N_("A paid batch cannot be cancelled."))
    reason = reason_required(reason)
    record(actor, "payout.cancel", batch, before={"status": batch.status, "total_fen": batch.total_fen}, reason=reason)
    db.session.delete(batch)
    db.session.flush()


def mark_paid(actor, batch_id, bank_reference):
    """The bank paid the batch: payable → paid out per line, once. Raises InvalidState, ValidationFailed."""
    require_operator(actor)
    batch = get_batch(batch_id)
    reference = (bank_reference or "").strip()
    if not reference or len(reference) > 60:
        raise ValidationFailed(N_("Enter the bank reference (at most 60 characters)."), field="reference")
    if batch.status == PayoutStatus.PAID and batch.bank_reference == reference:
        return batch
    if db.session.scalar(select(PayoutBatch.id).where(PayoutBatch.bank_reference == reference)) is not None:
        raise ValidationFailed(N_("Bank reference %(reference)s was already used for another batch."),
                               field="reference", reference=reference)
    if batch.status not in (PayoutStatus.APPROVED, PayoutStatus.EXPORTED):
        raise InvalidState(N_("A batch is paid once it is approved."))
    ledger.batch(db.session, [ledger.TransferRequest(
        cash_account_code(ledger.AccountKind.PROVIDER_PAYABLE, line.provider_id),
        cash_account_code(ledger.AccountKind.STRIPE_CLEARING), line.amount_fen, ledger.TransferKind.PAYOUT,
        key=f"payout:{reference}:{line.id}", actor_id=actor.id, memo=f"{batch.number} {reference}")
        for line in batch.lines])
    batch.status, batch.bank_reference, batch.paid_by_id, batch.paid_at = PayoutStatus.PAID, reference, actor.id, utcnow()
    db.session.flush()
    record(actor, "payout.paid", batch, before={"status": "unpaid"},
           after={"status": "paid", "bank_reference": reference, "total_fen": batch.total_fen})
    for line in batch.lines:
        notifications.notify(db.session, notifications.members(db.session, line.provider_id), "payout",
                             N_("Payout %(number)s paid"),
                             N_("%(amount)s was paid to your account %(account)s (bank reference %(reference)s)."),
                             link="/payouts/", number=batch.number, amount=format_fen(line.amount_fen),
                             account=line.bank_account.masked_number, reference=reference)
    return batch


EXPORT_HEADER = (N_("Batch"), N_("Payee (account name)"), N_("Provider"), N_("Unified social credit code"),
                 N_("Bank"), N_("Branch"), N_("Account number"), N_("Amount (yuan)"), N_("Orders"))


def export_rows(batch):
    """One row per provider line, for the bank's payment file; the amount in yuan as a number."""
    for line in batch.lines:
        account = line.bank_account
        yield (batch.number, account.account_name, line.provider.legal_name, line.provider.credit_code,
               account.bank_name, account.branch, account.account_number, yuan(line.amount_fen),
               " ".join(item.order.number for item in line.items))
