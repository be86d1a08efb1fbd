"""Clawback: an operator takes back the voucher share of an order (fraud found later, an order
annulled after acceptance), with a reason and a second operator's approval (four eyes).

Never by editing history — compensating ledger transfers:
* not yet settled: the post is reversed (the provider's receivable → the voucher);
* settled (the funder already paid the provider): a recovery claim against the provider →
  the voucher (kind `clawback`); the claim shows what the provider owes until it repays
  (`recover`: settled → the claim).
The money goes back to the enterprise's voucher, or lapses to the program when the program says
so or the voucher is revoked or past use_by. A share inside a redemption request still in review
is refused: the request is decided first."""
from sqlalchemy import select

from marketplace import ledger
from marketplace.approvals import services as approvals
from marketplace.audit.services import record
from marketplace.auth.services import require_operator
from marketplace.errors import InvalidState, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.ledger.accounts import open_recovery_account, program_account_code, recovery_account_code
from marketplace.money import format_fen
from marketplace.orders.actions import tell_both
from marketplace.orders.models import Order, OrderEvent, OrderStatus, OrderVoucher
from marketplace.redemption.models import RedemptionItem, RedemptionRequest, RequestStatus
from marketplace.vouchers.expiry import is_dead
from marketplace.vouchers.models import ProgramStatus


class NotClawable(InvalidState):
    message = N_("Nothing on this order can be clawed back: its voucher share is not posted, already taken back, "
                 "or inside a redemption request still in review (decide the request first).")


def clawable_parts(order):
    """The order's posted voucher parts still with the provider, with whether each is settled."""
    if order.status not in (OrderStatus.COMPLETED, OrderStatus.SETTLED, OrderStatus.REDEEMED):
        return []
    parts = []
    for held in db.session.scalars(select(OrderVoucher).where(OrderVoucher.order_id == order.id)
                                   .order_by(OrderVoucher.id)):
        amount = (held.posted_fen or 0) - held.clawed_back_fen
        program = held.voucher.program
        state = claim_state(order.id, program.id)
        if amount > 0 and state != "in review" and program.status != ProgramStatus.FINAL:
            parts.append((held, amount, state == "settled"))
    return parts


def claim_state(order_id, program_id):
    status = db.session.scalar(select(RedemptionRequest.status).join(RedemptionItem).where(
        RedemptionItem.order_id == order_id, RedemptionItem.program_id == program_id,
        RedemptionItem.live_order_id.is_not(None)))
    return {None: "unclaimed", RequestStatus.SETTLED: "settled"}.get(status, "in review")


def request_clawback(order_id, actor, reason, cash_refund_fen=0):
    """Ask to claw back an order's voucher share, and optionally refund (part of) the buyer's
    cash from the provider's payable (a debt carried into its next payout if already paid out).
    Raises NotFound, NotClawable, ValidationFailed."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound(N_("This order does not exist."))
    amount = sum(part[1] for part in clawable_parts(order))
    check_refund(order, cash_refund_fen or 0)
    if not amount:
        raise NotClawable()
    summary = {"message": N_("Claw back %(amount)s from order %(number)s (%(provider)s), refund %(refund)s"),
               "params": {"amount": format_fen(amount), "number": order.number, "provider": order.provider.legal_name,
                          "refund": format_fen(cash_refund_fen or 0)}}
    params = {"order_id": order.id, "reason": reason, "cash_refund_fen": cash_refund_fen or 0}
    return approvals.ask(actor, "redemption.clawback", order, params, reason, summary)


def check_refund(order, amount):
    if not 0 <= amount <= order.cash_received_fen:
        raise ValidationFailed(N_("Refund between ¥0.00 and the cash received of %(cash)s."), field="cash_refund",
                               cash=format_fen(order.cash_received_fen))


def claw_back_now(params, requested_by, approved_by):
    """Carry a clawback out (approved). Returns the fen taken back."""
    require_operator(approved_by)
    order = db.session.scalar(select(Order).where(Order.id == params["order_id"]).with_for_update()
                              .execution_options(populate_existing=True))
    parts = clawable_parts(order)
    if not parts:
        raise NotClawable()
    total = sum(take_back(order, held, amount, settled, approved_by) for held, amount, settled in parts)
    order.voucher_fen -= total
    refund = params.get("cash_refund_fen") or 0
    if refund:
        from marketplace.payments import services as payments

        check_refund(order, refund)
        payments.refund_amount(order, refund, approved_by, params["reason"])
        order.cash_fen -= refund
    db.session.add(OrderEvent(order_id=order.id, action="clawback", from_status=order.status, to_status=order.status,
                              actor_id=approved_by.id, note=f"{format_fen(total)}: {params['reason']}"[:2000]))
    db.session.flush()
    record(approved_by, "redemption.clawback", order, after={"clawed_back_fen": total}, reason=params["reason"])
    tell_both(order, N_("Voucher share of order %(number)s clawed back"),
              N_("The administrators took back %(amount)s of the voucher share of order %(number)s. Reason: %(reason)s"),
              amount=format_fen(total), reason=params["reason"])
    return total


def take_back(order, held, amount, settled, actor):
    voucher, program = held.voucher, held.voucher.program
    to_voucher = program.clawback_to == "voucher" and not is_dead(voucher)
    target = voucher.account_id if to_voucher else program_account_code(program.code, ledger.AccountKind.LAPSED)
    key = f"clawback:{held.id}:{held.clawed_back_fen}"
    if settled:
        claim = open_recovery_account(db.session, program.id, program.code, order.provider_id)
        ledger.transfer(db.session, claim.id, target, amount, kind=ledger.TransferKind.CLAWBACK, key=key,
                        order_id=order.id, voucher_id=voucher.id, actor_id=actor.id, memo=f"{order.number} clawback")
    else:
        post = db.session.scalar(select(ledger.Transfer.id).where(ledger.Transfer.pending_id == held.hold_id))
        ledger.reverse(db.session, post, key=key, actor_id=actor.id, memo=f"{order.number} clawback")
        if not to_voucher:  # the reversal credited the voucher: that much lapses, as the program says
            ledger.transfer(db.session, voucher.account_id, target, amount, kind=ledger.TransferKind.LAPSE,
                            key=f"{key}:lapse", voucher_id=voucher.id, actor_id=actor.id,
                            memo=f"{order.number} clawback lapses")
    held.clawed_back_fen += amount
    return amount


def record_recovery(provider_id, program, amount_fen, reference, actor):
    """The provider repaid (part of) what it owes after a clawback: settled → the claim.
    Idempotent per bank reference. Raises ValidationFailed, InsufficientFunds (more than owed)."""
    require_operator(actor)
    reference = (reference or "").strip()
    if not reference or len(reference) > 60 or amount_fen <= 0:
        raise ValidationFailed(N_("Enter the amount and the bank reference (at most 60 characters)."), field="reference")
    if db.session.scalar(select(ledger.Transfer.id).where(ledger.Transfer.idempotency_key == f"recover:{reference}")):
        return  # this repayment is recorded already
    owed = ledger.balance(db.session, recovery_account_code(program.code, provider_id)).posted
    if amount_fen > owed:
        raise ValidationFailed(N_("The provider owes %(owed)s."), field="amount", owed=format_fen(max(owed, 0)))
    ledger.transfer(db.session, program_account_code(program.code, ledger.AccountKind.SETTLED),
                    recovery_account_code(program.code, provider_id), amount_fen, kind=ledger.TransferKind.RECOVER,
                    key=f"recover:{reference}", actor_id=actor.id, memo=f"recovered, bank reference {reference}")
    record(actor, "redemption.recover", program, after={"provider_id": provider_id, "amount_fen": amount_fen,
                                                       "reference": reference})

