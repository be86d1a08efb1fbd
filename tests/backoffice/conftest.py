import pytest

from marketplace.extensions import db
from tests.orders.conftest import buyer, funded_buyer, listing, make_listing, make_provider, seller  # noqa: F401
from tests.redemption.conftest import claim, complete_order, evidence, program  # noqa: F401


@pytest.fixture
def second_admin(make_user):
    return make_user("admin")


@pytest.fixture
def settle(second_admin):
    """settle(seller, program, orders, admin, reference) → the orders' shares claimed, reviewed and paid."""
    from marketplace.redemption import services, settlement

    def run(seller, program, orders, admin, reference="BANK-1"):
        request = services.submit(seller, program.id, [claim(o, program) for o in orders],
                                  [evidence()])
        services.review(request.id, admin, "first_approve")
        services.review(request.id, second_admin, "final_approve")
        batch = settlement.create_batch(admin, [request.id])
        settlement.approve_batch(second_admin, batch.id)
        settlement.mark_paid(batch.id, admin, reference)
        db.session.commit()
        return request
    return run
