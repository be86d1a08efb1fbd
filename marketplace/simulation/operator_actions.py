"""What the zone's operators do in the simulation: decide applications, issue batches, revoke,
decide four-eyes approvals, steer programs (pause, extend, budget, close the year, open new
rounds), claw back and record repayments, pay providers, verify bank details, suspend and
reinstate providers, record and end related parties and ask for one-order exceptions, review
redemption, settle; and providers republish. The same contract as
actions.py: draw the choices, return (description, attempt) or None."""
import uuid
from datetime import timedelta

from sqlalchemy import select

from marketplace import ledger
from marketplace.approvals import services as approvals
from marketplace.approvals.models import Approval, ApprovalStatus
from marketplace.auth.models import User
from marketplace.catalog import listings
from marketplace.catalog import providers as catalog
from marketplace.catalog.models import (
    AdmissionStatus,
    Listing,
    ListingStatus,
    ProviderProfile,
)
from marketplace.database import SimulatedClock
from marketplace.extensions import db
from marketplace.orders import services as orders
from marketplace.orders.models import OrderStatus
from marketplace.payouts import services as payouts
from marketplace.payouts.models import BankAccount, PayoutBatch
from marketplace.redemption import clawback, settlement
from marketplace.redemption import services as redemption
from marketplace.redemption.models import (
    RedemptionRequest,
    RequestStatus,
    SettlementBatch,
)
from marketplace.simulation import world as worlds
from marketplace.vouchers import lifecycle
from marketplace.vouchers import services as vouchers
from marketplace.vouchers.models import (
    ApplicationStatus,
    Voucher,
    VoucherApplication,
    VoucherProgram,
)
from marketplace.vouchers.rules import local_date


class OperatorActions:
    def decide_approval(self):
        """Another operator (or by chance the same one, who is refused) decides a waiting request."""
        waiting = self.pick(Approval, Approval.status == ApprovalStatus.PENDING)
        if waiting is None:
            return None
        operator, roll = self.operator(), self.rng.random()
        if roll < 0.15:
            return (f"{operator.email} rejects approval {waiting.id} ({waiting.action})",
                    lambda: approvals.reject(operator, waiting.id, "不同意"))
        return (f"{operator.email} approves approval {waiting.id} ({waiting.action})",
                lambda: approvals.approve(operator, waiting.id))

    def program_step(self):
        """The zone's operators steer a program: pause or resume it, extend it, change its budget,
        close its year once redeem_by has passed, or clone it for next year."""
        program = db.session.get(VoucherProgram, self.rng.choice(self.programs()))
        operator, roll = self.operator(), self.rng.random()
        if program.status == "final" or program.status == "draft":
            return None
        if program.redeem_by < local_date(SimulatedClock.now):
            return (f"{operator.email} closes the year of {program.code}",
                    lambda: lifecycle.close_year(program.id, operator))
        if roll < 0.3:
            action = lifecycle.resume if program.status == "paused" else lifecycle.pause
            return f"{operator.email} {action.__name__}s {program.code}", lambda: action(program.id, operator)
        if roll < 0.6:
            days = self.rng.randint(1, 30)
            return (f"{operator.email} asks to extend {program.code} by {days} days",
                    lambda: lifecycle.request_extension(program.id, operator, program.use_by + timedelta(days=days),
                                                        program.redeem_by + timedelta(days=days), "顺延"))
        budget = program.budget_fen + self.rng.choice((-50_000_000, 50_000_000))
        return (f"{operator.email} asks to set the budget of {program.code} to {budget}",
                lambda: lifecycle.request_budget_change(program.id, operator, budget, "调整"))

    def clawback(self):
        order = self.order(OrderStatus.COMPLETED, OrderStatus.SETTLED)
        if order is None or self.rng.random() < 0.6:
            return None
        operator = self.operator()
        refund = self.rng.choice((0, 0, self.rng.randint(0, order.cash_received_fen)))
        return (f"{operator.email} asks to claw back {order.number} (refund {refund})",
                lambda: clawback.request_clawback(order.id, operator, "查实欺诈", refund))

    def recover(self):
        """A provider repays what a clawback of a settled share made it owe."""
        claim = self.pick(ledger.Account, ledger.Account.kind == ledger.AccountKind.RECOVERY,
                          ledger.Account.debits_posted > ledger.Account.credits_posted)
        if claim is None:
            return None
        program, operator = db.session.get(VoucherProgram, claim.program_id), self.operator()
        owed = claim.debits_posted - claim.credits_posted
        reference = f"BACK{self.rng.getrandbits(40):x}"
        return (f"{operator.email} records {owed} repaid by provider {claim.organisation_id}",
                lambda: clawback.record_recovery(claim.organisation_id, program, owed, reference, operator))

    def payout(self):
        operator = self.operator()
        batch = self.pick(PayoutBatch, PayoutBatch.status != "paid")
        if batch is None:
            return f"{operator.email} creates a payout batch", lambda: payouts.create_batch(operator)
        if batch.status == "draft":
            return f"{operator.email} approves payout {batch.number}", lambda: payouts.approve_batch(operator, batch.id)
        if batch.status == "approved" and self.rng.random() < 0.5:
            return f"{operator.email} exports payout {batch.number}", lambda: payouts.mark_exported(operator, batch.id)
        reference = f"PAY{batch.id:06d}"
        return f"{operator.email} marks payout {batch.number} paid", lambda: payouts.mark_paid(operator, batch.id, reference)

    def bank_change(self):
        provider = self.user(self.world.providers)
        pending = self.pick(BankAccount, BankAccount.status == "pending")
        if pending is not None:
            operator = self.operator()
            return (f"{operator.email} verifies the bank details of provider {pending.organisation_id}",
                    lambda: payouts.verify_bank_account(operator, pending.id))
        if self.rng.random() < 0.8:
            return None
        data = payouts.BankData(provider.organisation.legal_name, "另一银行", "", f"{self.rng.getrandbits(40):013d}")
        return f"{provider.email} changes its bank details", lambda: payouts.submit_bank_account(provider, data)

    def new_program(self):
        """The zone opens another round: a program whose window starts today."""
        operator, code = self.operator(), f"SIM{len(self.programs()) + 1:03d}"
        ratio, cap, flags = self.rng.choice((3000, 3500, 5000)), self.rng.choice((None, 500_000)), \
            self.rng.choice(([], [], ["sme"]))
        use_days = self.rng.randint(15, 90)
        redeem_days, mode = use_days + self.rng.randint(0, 40), self.rng.choice(("reviewed", "fcfs"))
        return (f"{operator.email} opens program {code} ({mode})",
                lambda: worlds.program(operator, SimulatedClock.now, code, ratio, cap, None, use_days, redeem_days, flags,
                                       mode))

    def programs(self):
        return db.session.scalars(select(VoucherProgram.id).order_by(VoucherProgram.id)).all()

    def close_program(self):
        program = self.pick(VoucherProgram, VoucherProgram.status == "open")
        if program is None or self.rng.random() < 0.9:
            return None
        operator = self.operator()
        return f"{operator.email} closes program {program.code}", lambda: vouchers.close_program(program.id, operator, "模拟")

    def resolve(self):
        order = self.order(OrderStatus.DISPUTED)
        if order is None:
            return None
        operator, roll = self.operator(), self.rng.random()
        if roll < 0.3:
            return (f"{operator.email} refunds dispute {order.number}",
                    lambda: orders.resolve(order, operator, "refund", "退款"))
        voucher = self.rng.randint(0, order.voucher_fen) if roll < 0.7 else None
        refund = self.rng.randint(0, order.cash_received_fen) if roll < 0.5 else 0
        return (f"{operator.email} resolves {order.number} (voucher {voucher}, refund {refund})",
                lambda: orders.resolve(order, operator, "post", "部分", voucher_fen=voucher, cash_refund_fen=refund))

    def annul(self):
        order = self.order(OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.ACCEPTED, OrderStatus.DELIVERED)
        if order is None or self.rng.random() < 0.8:
            return None
        operator = self.operator()
        return f"{operator.email} annuls {order.number}", lambda: orders.annul(order, operator, "模拟作废")

    def related_parties(self):
        """Operators record or end a related-party relationship between an enterprise and a
        provider (vouchers blocked between them meanwhile), or ask that the pair's next order may
        use vouchers all the same (a four-eyes request: decide_approval grants or refuses it)."""
        from marketplace.parties import exceptions
        from marketplace.parties import services as parties

        operator, roll = self.operator(), self.rng.random()
        enterprise_id = self.user(self.world.enterprises).organisation_id
        provider_id = self.user(self.world.providers).organisation_id
        affiliation = parties.active_affiliation(enterprise_id, provider_id)
        if affiliation is None:
            return (f"{operator.email} records organisations {enterprise_id} and {provider_id} as related",
                    lambda: parties.record_affiliation(operator, enterprise_id, provider_id, "group", "模拟关联"))
        affiliation_id = affiliation.id
        if roll < 0.4:
            return (f"{operator.email} ends affiliation {affiliation_id}",
                    lambda: parties.end_affiliation(operator, affiliation_id, "模拟解除"))
        return (f"{operator.email} asks that {enterprise_id} may use vouchers once with related {provider_id}",
                lambda: exceptions.request_exception(operator, enterprise_id, provider_id, "模拟例外"))

    def suspension(self):
        profile = self.pick(ProviderProfile, ProviderProfile.status.in_((AdmissionStatus.ADMITTED, AdmissionStatus.SUSPENDED)))
        if profile is None:
            return None
        operator = self.operator()
        if profile.status == AdmissionStatus.SUSPENDED:
            return (f"{operator.email} reinstates provider {profile.organisation_id}",
                    lambda: catalog.reinstate_provider(operator, profile.id))
        if self.rng.random() < 0.7:
            return None
        return (f"{operator.email} suspends provider {profile.organisation_id}",
                lambda: catalog.suspend_provider(operator, profile.id, "模拟暂停"))

    def republish(self):
        listing = self.pick(Listing, Listing.status == ListingStatus.UNPUBLISHED)
        if listing is None:
            return None
        provider = db.session.scalar(select(User).where(User.organisation_id == listing.provider_id))
        return (f"{provider.email} republishes listing {listing.id}",
                lambda: listings.republish_listing(provider, listing.id))

    def review_redemption(self):
        request = self.pick(RedemptionRequest, RedemptionRequest.status.in_(
            (RequestStatus.SUBMITTED, RequestStatus.FIRST_APPROVED)), RedemptionRequest.batch_id.is_(None))
        if request is None:
            return None
        operator, roll = self.operator(), self.rng.random()
        decision = "reject" if roll < 0.1 else "return" if roll < 0.2 else \
            "first_approve" if request.status == RequestStatus.SUBMITTED else "final_approve"
        return (f"{operator.email} {decision} {request.number}",
                lambda: redemption.review(request.id, operator, decision, "模拟审核意见"))

    def settle(self):
        operator = self.operator()
        open_batch = self.pick(SettlementBatch, SettlementBatch.status != "paid")
        if open_batch is not None and open_batch.approved_at is None and self.rng.random() < 0.6:
            return (f"{operator.email} approves settlement batch {open_batch.id}",
                    lambda: settlement.approve_batch(operator, open_batch.id))
        if open_batch is not None and self.rng.random() < 0.6:
            reference = f"BANK{open_batch.id:06d}"
            return (f"{operator.email} marks batch {open_batch.id} paid",
                    lambda: settlement.mark_paid(open_batch.id, operator, reference))
        approved = [request.id for request in settlement.approved_unbatched()]
        if not approved:
            return None
        return (f"{operator.email} batches {len(approved)} request(s)",
                lambda: settlement.create_batch(operator, approved, "模拟批次"))

    def decide_application(self):
        application = self.pick(VoucherApplication, VoucherApplication.status == ApplicationStatus.PENDING)
        if application is None:
            return None
        operator, roll = self.operator(), self.rng.random()
        if roll < 0.15:
            return (f"{operator.email} rejects application {application.id}",
                    lambda: vouchers.reject(application.id, operator, "材料不全"))
        amount = None if roll < 0.8 else max(1, application.amount_fen // 2)
        return (f"{operator.email} approves application {application.id} ({amount or 'all'})",
                lambda: vouchers.approve(application.id, operator, amount))

    def issue_batch(self):
        operator, program_id = self.operator(), self.rng.choice(self.programs())
        rows = [(db.session.get(User, user_id).organisation.credit_code, self.rng.choice(("1000", "30000", "120000")))
                for user_id in self.rng.sample(self.world.enterprises, 3)]
        raw = ("credit_code,amount_yuan,memo\n" + "".join(f"{code},{yuan},模拟批量\n" for code, yuan in rows)
               + f"# {uuid.UUID(int=self.rng.getrandbits(128))}\n").encode()

        def attempt():
            preview = vouchers.preview_batch(program_id, "sim.csv", raw, operator)
            return vouchers.confirm_batch(preview.id, operator)
        return f"{operator.email} issues a batch in program {program_id}", attempt

    def revoke(self):
        voucher = self.pick(Voucher, Voucher.revoked_at.is_(None))
        if voucher is None or self.rng.random() < 0.7:
            return None
        operator = self.operator()
        return (f"{operator.email} asks to revoke voucher {voucher.number}",
                lambda: vouchers.request_revocation(voucher.id, operator, "串通"))
