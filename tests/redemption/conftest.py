import pytest

from marketplace.catalog import uploads
from marketplace.extensions import db
from marketplace.orders import services as orders
from tests.catalog.conftest import PDF
from tests.orders.conftest import buyer, funded_buyer, listing, make_listing, make_provider, package_of, seller  # noqa: F401


def report(user):
    return uploads.store_document(user.organisation, uploads.Upload("report.pdf", PDF), "order")


@pytest.fixture
def complete_order(funded_buyer, listing, seller, pay_order):
    """complete_order(key) → an order completed (验收) with its voucher share posted to the seller."""
    buyer, program, voucher = funded_buyer

    def make(key="order-1"):
        order = orders.place_order(buyer, orders.offer_for(listing.id, package_of(listing).id), key)
        db.session.commit()
        pay_order(order)
        orders.accept(order, seller)
        orders.deliver(order, seller, "报告见附件", report(seller))
        orders.complete(order, buyer)
        db.session.commit()
        return order
    return make


@pytest.fixture
def program(funded_buyer):
    return funded_buyer[1]


def evidence(name="合同.pdf", kind="contract"):
    from marketplace.redemption.services import Evidence

    return Evidence(kind, uploads.Upload(name, PDF))
