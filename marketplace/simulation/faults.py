"""Faults the simulation injects: an exception between two SQL statements of a service (the
transaction rolls back, then the user's or the worker's retry runs), and a payment gateway that
sometimes fails before the call or loses the answer after it (the call happened)."""
from sqlalchemy import event

from marketplace.payments.gateway import PaymentGatewayUnavailable


class InjectedFault(Exception):
    """Raised by the simulation between two statements; never by the product."""


class StatementFaults:
    """Arm it with `arm(n)`: the n-th SQL statement after that raises InjectedFault (once)."""

    def __init__(self, engine):
        self.engine, self.remaining, self.fired = engine, None, 0
        event.listen(engine, "before_cursor_execute", self.before)

    def remove(self):
        event.remove(self.engine, "before_cursor_execute", self.before)

    def arm(self, after_statements):
        self.remaining = after_statements

    def disarm(self):
        self.remaining = None

    def before(self, *_args):
        if self.remaining is None:
            return
        self.remaining -= 1
        if self.remaining <= 0:
            self.remaining = None
            self.fired += 1
            raise InjectedFault("injected between two statements")


class FlakyGateway:
    """Wraps the real gateway: with probability `rate` a call fails before it reaches Stripe, or
    reaches it and the answer is lost (both raise PaymentGatewayUnavailable, as a timeout does)."""

    CALLS = ("create_intent", "retrieve_intent", "set_payment_method_and_confirm", "authenticate_3ds", "refund")

    def __init__(self, real, rng, rate):
        self.real, self.rng, self.rate, self.failures = real, rng, rate, 0

    def __getattr__(self, name):
        attribute = getattr(self.real, name)
        if name not in self.CALLS:
            return attribute

        def call(*args, **kwargs):
            roll = self.rng.random()
            if roll < self.rate / 2:
                self.failures += 1
                raise PaymentGatewayUnavailable()
            result = attribute(*args, **kwargs)
            if roll < self.rate:
                self.failures += 1
                raise PaymentGatewayUnavailable()  # the call happened; its answer was lost
            return result
        return call
