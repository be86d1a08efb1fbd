"""What the simulated actors do. Each action draws its random choices first and returns
(description, attempt): `attempt()` calls the real services — the same functions the views, CLI
and worker call — and may be run again after an injected fault, as the user's retry would be
(same request keys, same choices). An action that finds nothing to act on returns None."""
from datetime import timedelta

from sqlalchemy import select

from marketplace.auth.models import User
from marketplace.catalog import uploads
from marketplace.catalog.models import Listing, ListingStatus
from marketplace.database import SimulatedClock, utcnow
from marketplace.extensions import db
from marketplace.orders import services as orders
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments import services as payments
from marketplace.payments.gateway import WebhookEvent
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.redemption import services as redemption
from marketplace.redemption.models import RedemptionRequest, RequestStatus
from marketplace.simulation.operator_actions import OperatorActions
from marketplace.vouchers import services as vouchers
from marketplace.vouchers.models import VoucherProgram
from marketplace.vouchers.rules import local_date

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class Actions(OperatorActions):
    def __init__(self, sim):
        self.sim, self.rng, self.world = sim, sim.rng, sim.world

    # -- pickers -------------------------------------------------------------------------------
    def user(self, ids):
        return db.session.get(User, self.rng.choice(ids))

    def operator(self):
        return self.user(self.world.operators)

    def order(self, *states):
        ids = db.session.scalars(select(Order.id).where(Order.status.in_(states)).order_by(Order.id)).all()
        return db.session.get(Order, self.rng.choice(ids)) if ids else None

    def pick(self, model, *conditions):
        ids = db.session.scalars(select(model.id).where(*conditions).order_by(model.id)).all()
        return db.session.get(model, self.rng.choice(ids)) if ids else None

    def amount(self, low, high):
        return self.rng.randrange(low, high)

    # -- vouchers ------------------------------------------------------------------------------
    def apply(self):
        enterprise, program_id = self.user(self.world.enterprises), self.rng.choice(self.programs())
        amount = self.rng.choice((50_000, 500_000, 2_000_000, 6_000_000, 11_000_000))
        return (f"{enterprise.email} applies for {amount} in program {program_id}",
                lambda: vouchers.apply(program_id, enterprise, amount, "模拟申领"))













    # -- orders ----------------------------------------------------------------------------------
    def checkout(self):
        enterprise = self.user(self.world.enterprises)
        published = set(db.session.scalars(select(Listing.id).where(Listing.status == ListingStatus.PUBLISHED)))
        offered = [entry for entry in self.world.listings if entry[0] in published]
        if not offered:
            return None
        listing_id, packages = self.rng.choice(offered)
        package_id, key = self.rng.choice(packages), f"sim-{self.rng.getrandbits(64):x}"

        def attempt():
            return orders.place_order(enterprise, orders.offer_for(listing_id, package_id), key)
        return f"{enterprise.email} orders listing {listing_id}/{package_id} ({key})", attempt

    def pay(self):
        order = self.payable_order()
        if order is None:
            return None
        method, buyer = self.rng.choice(("success", "success", "success", "decline", "3ds")), order.buyer

        def attempt():
            payment = payments.open_payment(order, buyer)
            return payments.pay_with_test_method(payment, method, buyer)
        return f"{buyer.email} pays {order.number} ({method})", attempt

    def payable_order(self):
        order = self.order(OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.DELIVERED, OrderStatus.DISPUTED)
        return order if order is not None and order.balance_due_fen else None

    def authenticate(self):
        payment = self.pick(Payment, Payment.status == PaymentStatus.REQUIRES_ACTION)
        if payment is None:
            return None
        success, buyer = self.rng.random() < 0.7, payment.order.buyer
        return (f"{buyer.email} answers 3-D Secure on payment {payment.id} ({success})",
                lambda: payments.authenticate_3ds(payment, success, buyer))

    def webhook(self):
        """Stripe delivers an event again, late, or out of order: the handler re-fetches the intent."""
        payment = self.pick(Payment, Payment.intent_id.is_not(None))
        if payment is None:
            return None
        kind = self.rng.choice(("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.processing"))
        event_id = self.rng.choice((f"evt_{payment.id}_{kind}", f"evt_{self.rng.getrandbits(48):x}"))
        return (f"webhook {event_id} {kind} for payment {payment.id}",
                lambda: payments.handle_event(WebhookEvent(event_id, kind, payment.intent_id)))

    def provider_step(self):
        order = self.order(OrderStatus.PAID, OrderStatus.ACCEPTED)
        if order is None:
            return None
        provider = db.session.scalar(select(User).where(User.organisation_id == order.provider_id))
        if order.status == OrderStatus.ACCEPTED:
            def deliver():
                report = uploads.store_document(provider.organisation, uploads.Upload("report.pdf", PDF), "order")
                return orders.deliver(order, provider, "交付", report)
            return f"{provider.email} delivers {order.number}", deliver
        if self.rng.random() < 0.15:
            return f"{provider.email} rejects {order.number}", lambda: orders.reject(order, provider, "排期已满")
        return f"{provider.email} accepts {order.number}", lambda: orders.accept(order, provider)

    def enterprise_step(self):
        order = self.order(OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.DELIVERED, OrderStatus.COMPLETED)
        if order is None:
            return None
        buyer, roll = order.buyer, self.rng.random()
        if order.status == OrderStatus.DELIVERED:
            if roll < 0.3:
                return f"{buyer.email} disputes {order.number}", lambda: orders.dispute(order, buyer, "质量问题")
            return f"{buyer.email} accepts delivery of {order.number}", lambda: orders.complete(order, buyer)
        if order.status == OrderStatus.COMPLETED:
            if orders.reviews_for_order(order) is not None:
                return None
            return (f"{buyer.email} reviews {order.number}",
                    lambda: orders.review(order, buyer, self.rng.randint(1, 5), "模拟评价"))
        if roll < 0.3:
            return f"{buyer.email} cancels {order.number}", lambda: orders.cancel(order, buyer, "不需要了")
        return None



    # -- providers ------------------------------------------------------------------------------


    # -- redemption -----------------------------------------------------------------------------
    def request_redemption(self):
        provider = self.user(self.world.providers)
        claimable = redemption.claimable_by_program(provider.organisation_id)
        if not claimable:
            return None
        program = self.rng.choice(sorted(claimable, key=lambda p: p.id))
        chosen = [order for order, _amount in claimable[program] if self.rng.random() < 0.7] or \
            [claimable[program][0][0]]
        files = [redemption.Evidence("invoice", uploads.Upload("invoice.pdf", PDF))]
        year = local_date(utcnow()).year
        claims = lambda: [redemption.claim_for(order, program.id, order.id * 1000 + program.id % 1000, year)  # noqa: E731
                          for order in chosen]  # a well-formed 数电发票 for each order's whole share
        return (f"{provider.email} requests redemption of {len(chosen)} order(s) in {program.code}",
                lambda: redemption.submit(provider, program.id, claims(), files))


    def resubmit(self):
        request = self.pick(RedemptionRequest, RedemptionRequest.status == RequestStatus.RETURNED)
        if request is None:
            return None
        provider = db.session.scalar(select(User).where(User.organisation_id == request.provider_id))
        return (f"{provider.email} resubmits {request.number}",
                lambda: redemption.resubmit(request.id, provider, {}, [], "已补充"))


    # -- time and the worker ---------------------------------------------------------------------
    def worker(self):
        job = self.rng.choice(self.sim.worker_jobs + [None])  # None: every job, as one worker pass
        return f"worker runs {job or 'every job'}", lambda: self.sim.run_worker(job)

    def clock(self):
        roll, now = self.rng.random(), SimulatedClock.now
        if roll < 0.75:
            step = timedelta(minutes=self.rng.randint(10, 12 * 60))
        elif roll < 0.95:
            step = timedelta(days=self.rng.randint(1, 5))
        else:  # to just before or after the end of a program's use_by or redeem_by
            program = db.session.get(VoucherProgram, self.rng.choice(self.programs()))
            edge = self.sim.day_end(self.rng.choice((program.use_by, program.redeem_by)))
            step = max(timedelta(seconds=1), edge - now + timedelta(seconds=self.rng.choice((-1, 1))))
        return f"clock +{step}", lambda: self.sim.advance(step)


# action name → weight
WEIGHTS = {
    "apply": 6, "decide_application": 6, "issue_batch": 1, "revoke": 1, "new_program": 1, "close_program": 1,
    "checkout": 14, "pay": 12, "authenticate": 3, "webhook": 4, "provider_step": 12, "enterprise_step": 12,
    "resolve": 3, "annul": 1, "suspension": 1, "republish": 2, "decide_approval": 3, "program_step": 1,
    "clawback": 1, "recover": 1, "payout": 2, "bank_change": 1, "related_parties": 1,
    "request_redemption": 4, "review_redemption": 5, "resubmit": 1, "settle": 3,
    "worker": 6, "clock": 6,
}
