"""The payment-gateway seam: one interface, a Stripe implementation, chosen from config in one place.

Production talks to Stripe with real keys and the browser confirms the PaymentIntent (Payment
Element). With `STRIPE_API_BASE` set — localstripe in development, demo and tests — the same
`stripe` library talks to the emulator and `test_methods` is true: the server confirms with a
test card and simulates the 3-D Secure challenge.
"""
import abc
import json
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field

import requests
import stripe

from marketplace.errors import DomainError
from marketplace.i18n import N_


class PaymentGatewayUnavailable(DomainError):
    status_code = 503
    message = N_("The payment service is temporarily unavailable. Nothing was charged; please try again in a few minutes.")


class InvalidWebhook(Exception):
    """The webhook's signature is missing, wrong or stale, or its body is not an event."""


@dataclass(frozen=True)
class Intent:
    id: str
    status: str  # Stripe's: requires_payment_method, requires_action, processing, succeeded, canceled …
    amount: int
    currency: str
    client_secret: str | None = None
    metadata: dict = field(default_factory=dict)
    error_code: str | None = None  # last_payment_error.code: why the last attempt failed
    error_message: str | None = None


@dataclass(frozen=True)
class GatewayRefund:
    id: str
    status: str
    amount: int


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    object_id: str | None


# Test methods offered when the gateway is an emulator (method → what the card does).
TEST_METHODS = ("success", "decline", "3ds")


class PaymentGateway(abc.ABC):
    """What the payment services need from a payment provider. Network failures raise
    PaymentGatewayUnavailable; a declined card is not an error but an Intent with error_code."""

    test_methods = False  # the server may confirm with test cards (emulator only)
    publishable_key = ""

    @abc.abstractmethod
    def create_intent(self, amount_fen, currency, idempotency_key, metadata) -> Intent: ...

    @abc.abstractmethod
    def retrieve_intent(self, intent_id) -> Intent: ...

    @abc.abstractmethod
    def set_payment_method_and_confirm(self, intent_id, method) -> Intent:
        """Attach test method `method` (one of TEST_METHODS) and confirm (emulator only)."""

    @abc.abstractmethod
    def authenticate_3ds(self, intent_id, client_secret, success) -> Intent:
        """Complete (or fail) the simulated 3-D Secure challenge (emulator only)."""

    @abc.abstractmethod
    def refund(self, intent_id, amount_fen, idempotency_key, metadata) -> GatewayRefund: ...

    @abc.abstractmethod
    def construct_webhook_event(self, payload, signature_header) -> WebhookEvent:
        """Verify the signature and parse the event; raises InvalidWebhook."""


def intent_from_stripe(intent):
    obj = intent.to_dict()
    error = obj.get("last_payment_error") or {}
    return Intent(id=obj["id"], status=obj["status"], amount=obj["amount"], currency=obj["currency"],
                  client_secret=obj.get("client_secret"), metadata=dict(obj.get("metadata") or {}),
                  error_code=error.get("code"), error_message=error.get("message"))


class StripeGateway(PaymentGateway):
    """Stripe through the official library; `api_base` points it at localstripe."""

    def __init__(self, secret_key, webhook_secret, api_base="", publishable_key="", timeout=20,
                 max_network_retries=1):
        self.secret_key = secret_key or "sk_test_missing"
        self.webhook_secret = webhook_secret
        self.api_base = api_base.rstrip("/")
        self.publishable_key = publishable_key
        self.test_methods = bool(api_base)
        self.timeout = timeout
        self.max_network_retries = max_network_retries

    @contextmanager
    def client(self):
        """A client with its own HTTP session, closed after use: no socket outlives the call."""
        session = requests.Session()
        options = {"base_addresses": {"api": self.api_base}} if self.api_base else {}
        try:
            yield stripe.StripeClient(
                self.secret_key, max_network_retries=self.max_network_retries,
                http_client=stripe.RequestsClient(session=session, timeout=self.timeout), **options)
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
            raise PaymentGatewayUnavailable() from error
        except stripe.AuthenticationError as error:
            raise PaymentGatewayUnavailable() from error
        finally:
            session.close()

    def create_intent(self, amount_fen, currency, idempotency_key, metadata):
        with self.client() as client:
            # Current API versions enable automatic payment methods by default (Payment Element).
            params = {"amount": amount_fen, "currency": currency, "metadata": metadata}
            intent = client.v1.payment_intents.create(params=params,
                                                      options={"idempotency_key": idempotency_key})
        return intent_from_stripe(intent)

    def retrieve_intent(self, intent_id):
        with self.client() as client:
            return intent_from_stripe(client.v1.payment_intents.retrieve(intent_id))

    def set_payment_method_and_confirm(self, intent_id, method):
        self._require_emulator()
        with self.client() as client:
            try:
                client.v1.payment_intents.update(
                    intent_id, params={"payment_method": self._test_method(client, method)})
                client.v1.payment_intents.confirm(intent_id)
            except stripe.CardError:
                pass  # the declined state is read back below, as the webhook would see it
            except stripe.InvalidRequestError:
                pass  # already confirmed (a double click): the state read back tells what happened
            return intent_from_stripe(client.v1.payment_intents.retrieve(intent_id))

    @staticmethod
    def _test_method(client, method):
        if method == "success":
            return "pm_card_visa"
        if method == "decline":
            return "pm_card_chargeCustomerFail"
        if method == "3ds":  # Stripe's test card that always asks for 3-D Secure
            card = {"number": "4000002760003184", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
            return client.v1.payment_methods.create(params={"type": "card", "card": card}).id
        raise ValueError(f"unknown test payment method {method!r}")

    def authenticate_3ds(self, intent_id, client_secret, success):
        self._require_emulator()
        data = urllib.parse.urlencode({"client_secret": client_secret,
                                       "success": "true" if success else "false"}).encode()
        request = urllib.request.Request(
            f"{self.api_base}/v1/payment_intents/{intent_id}/_authenticate", data=data,
            headers={"Authorization": f"Bearer {self.secret_key}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            error.close()
            if error.code >= 500:
                raise PaymentGatewayUnavailable() from error
            # 400: no longer awaiting authentication; the state read back tells the truth
        except OSError as error:
            raise PaymentGatewayUnavailable() from error
        return self.retrieve_intent(intent_id)

    def refund(self, intent_id, amount_fen, idempotency_key, metadata):
        with self.client() as client:
            refund = client.v1.refunds.create(
                params={"payment_intent": intent_id, "amount": amount_fen, "metadata": metadata},
                options={"idempotency_key": idempotency_key})
        return GatewayRefund(id=refund.id, status=refund.status, amount=refund.amount)

    def construct_webhook_event(self, payload, signature_header):
        if not self.webhook_secret or not signature_header:
            raise InvalidWebhook("missing signature or secret")
        if signed_in_the_future(signature_header):
            raise InvalidWebhook("signature timestamp is in the future")
        try:
            event = stripe.Webhook.construct_event(payload, signature_header, self.webhook_secret)
        except (stripe.SignatureVerificationError, ValueError, json.JSONDecodeError) as error:
            raise InvalidWebhook(str(error)) from error
        obj = event.to_dict().get("data", {}).get("object", {})
        return WebhookEvent(id=event["id"], type=event["type"], object_id=obj.get("id"))

    def _require_emulator(self):
        if not self.test_methods:
            raise RuntimeError("test payment methods exist only with STRIPE_API_BASE (localstripe)")


WEBHOOK_TOLERANCE = 300  # seconds, both ways: stripe's own check refuses only old signatures


def signed_in_the_future(signature_header, now=None):
    """True when the header's `t=` lies more than the tolerance ahead of our clock (a signature made
    now for later replay)."""
    import time

    stamps = [part[2:] for part in signature_header.split(",") if part.strip().startswith("t=")]
    stamp = stamps[0].strip() if stamps else ""
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12:
        return False  # no usable timestamp: stripe's verification refuses the header
    return int(stamp) > (now or time.time()) + WEBHOOK_TOLERANCE


def gateway_from_config(config):
    return StripeGateway(config.get("STRIPE_SECRET_KEY", ""), config.get("STRIPE_WEBHOOK_SECRET", ""),
                         api_base=config.get("STRIPE_API_BASE", ""),
                         publishable_key=config.get("STRIPE_PUBLISHABLE_KEY", ""),
                         max_network_retries=int(config.get("STRIPE_MAX_NETWORK_RETRIES", 1)))


def get_gateway(app=None):
    """The app's gateway (built once per app from its config; tests may put another in
    `app.extensions["payment_gateway"]`)."""
    from flask import current_app

    app = app or current_app
    gateway = app.extensions.get("payment_gateway")
    if gateway is None:
        gateway = app.extensions["payment_gateway"] = gateway_from_config(app.config)
    return gateway
