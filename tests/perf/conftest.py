"""A marketplace that can be grown: `grow(k)` adds k more of every thing a list page lists."""
import itertools
import uuid

import pytest
from sqlalchemy import select

from marketplace.auth.models import User
from marketplace.catalog.models import Listing
from marketplace.extensions import db
from marketplace.orders.models import Order, Review
from marketplace.vouchers.models import VoucherProgram
from tests.catalog.conftest import make_listing, make_provider, png_bytes  # noqa: F401  (fixtures)
from tests.orders.conftest import seller  # noqa: F401  (fixture)


class Marketplace:
    """One enterprise buying from one provider in one open program, plus everyone else."""

    def __init__(self, admin, seller, buyer, program, make_provider, make_listing, make_org, make_user):
        self.ids = {"admin": admin.id, "seller": seller.id, "buyer": buyer.id, "program": program.id}
        self.make_provider, self.make_listing, self.make_org = make_provider, make_listing, make_org
        self.make_user = make_user
        self.ids["listing"] = make_listing(seller, category_slug="testing-emc").id
        self.ids["first_order"] = None
        self._numbers = itertools.count(1)

    def grow(self, k):
        """k more listings (of the seller and of new providers), vouchers, orders with holds,
        reviews, order messages, organisations and applications."""
        from marketplace.catalog import providers
        from marketplace.catalog.uploads import Upload
        from marketplace.orders import checkout, thread
        from marketplace.vouchers import services as vouchers
        from marketplace.vouchers.issuance import IssueItem

        for _ in range(k):
            n = next(self._numbers)
            self.make_listing(self.seller, title=f"电磁兼容检测 {n}", category_slug="testing-emc")
            provider = self.make_provider()
            providers.set_logo(provider, Upload("logo.png", png_bytes((64, 64))))  # cards show logos
            self.make_listing(provider, title=f"产品检测 {n}", category_slug="testing-product")
            self.make_org(status="pending")
            vouchers.apply(self.program.id, self.make_user("enterprise"), 10_000, f"用途 {n}")
        vouchers.issue_vouchers(self.program, [IssueItem(self.buyer.organisation_id, 500_000, f"perf:{uuid.uuid4().hex}")
                                               for _ in range(k)], self.admin)
        db.session.commit()
        package = self.listing.published_revision.packages[0]
        for _ in range(k):
            order = checkout.place_order(self.buyer, checkout.offer_for(self.listing.id, package.id), uuid.uuid4().hex)
            db.session.flush()
            db.session.add(Review(order_id=order.id, listing_id=order.listing_id, provider_id=order.provider_id,
                                  author_id=self.buyer.id, rating=5, body="很专业"))
            self.ids["first_order"] = self.ids["first_order"] or order.id
            thread.post_message(self.first_order, self.buyer, f"消息 {order.number}")
            db.session.commit()
        from marketplace.search.indexer import sync

        sync()

    # Requests start with an empty session (statements_of_request): read the rows again each time.
    admin = property(lambda self: db.session.get(User, self.ids["admin"]))
    seller = property(lambda self: db.session.get(User, self.ids["seller"]))
    buyer = property(lambda self: db.session.get(User, self.ids["buyer"]))
    program = property(lambda self: db.session.get(VoucherProgram, self.ids["program"]))
    listing = property(lambda self: db.session.get(Listing, self.ids["listing"]))
    first_order = property(lambda self: db.session.get(Order, self.ids["first_order"]))

    def voucher_number(self):
        from marketplace.vouchers.models import Voucher

        return db.session.scalar(select(Voucher.number).where(Voucher.organisation_id == self.buyer.organisation_id)
                                 .order_by(Voucher.id))

    def voucher_account(self):
        from marketplace.vouchers.models import Voucher

        return db.session.scalar(select(Voucher.account_id).where(Voucher.organisation_id == self.buyer.organisation_id)
                                 .order_by(Voucher.id))


@pytest.fixture
def marketplace(app, admin, seller, make_program, make_provider, make_listing, make_org, make_user):
    app.config["PER_PAGE"] = 100  # every row of a list on its first page, so each one costs what it costs
    buyer = make_user("enterprise")
    program = make_program(order_cap_fen=2_000_000, enterprise_cap_fen=10**10, budget_fen=10**11,
                           eligible_categories=["testing", "ip"])
    yield Marketplace(admin, seller, buyer, program, make_provider, make_listing, make_org, make_user)
    from marketplace.search import indexer

    indexer.backend().forget()  # close the searchers on this test's index before its folder goes

