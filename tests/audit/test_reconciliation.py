from sqlalchemy import text

from marketplace.audit import reconcile
from marketplace.extensions import db
from marketplace.redemption import services, settlement
from tests.redemption.conftest import claim, complete_order, evidence, program  # noqa: F401
from tests.orders.conftest import buyer, funded_buyer, listing, make_listing, make_provider, seller  # noqa: F401


def test_a_settled_program_reconciles_per_program_and_provider(client, auth, admin, complete_order, seller, program):
    order = complete_order()
    request = services.submit(seller, program.id, [claim(order, program)], [evidence()])
    services.review(request.id, admin, "first_approve")
    services.review(request.id, admin, "final_approve")
    batch = settlement.create_batch(admin, [request.id])
    settlement.approve_batch(admin, batch.id)
    settlement.mark_paid(batch.id, admin, "REF-REC")
    db.session.commit()
    [line] = reconcile.provider_lines(program)
    assert line.balanced and line.receivable == 0 and line.settled == order.voucher_fen
    auth.login(admin)
    page = client.get("/admin/reconciliation").get_data(as_text=True)
    assert program.code in page and "badge-rejected" not in page


def test_an_injected_mismatch_is_shown(client, auth, admin, complete_order, seller, program):
    complete_order()
    db.session.execute(text("UPDATE ledger_accounts SET credits_posted = credits_posted + 100 "
                            "WHERE code = :code"), {"code": f"program:{program.code}:receivable:{seller.organisation_id}"})
    db.session.commit()
    [line] = reconcile.provider_lines(program)
    assert not line.balanced
    auth.login(admin)
    page = client.get("/admin/reconciliation").get_data(as_text=True)
    assert page.count("badge-rejected") >= 2 and "¥1.00" in page
