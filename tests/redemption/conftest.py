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


def claim(order, program=None, **changes):
    """A well-formed claim of the order's whole voucher share in the program (the order's main
    program by default): a 数电发票 numbered from the order, for exactly the share. `changes`
    replace fields (invoice_number, invoice_code, invoice_amount_fen) to test refusals."""
    from dataclasses import replace

    from marketplace.database import utcnow
    from marketplace.redemption.services import claim_for
    from marketplace.vouchers.rules import local_date

    program_id = getattr(program, "id", program) or order.program_id
    made = claim_for(order, program_id, order.id * 1000 + program_id % 1000, local_date(utcnow()).year)
    return replace(made, **changes)
