"""Each role lands on a workspace that lists what it has to do, each item linking to its action."""
from datetime import timedelta

from sqlalchemy import event

from marketplace.auth.models import OrgStatus
from marketplace.catalog.models import ProviderProfile
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.orders import services as orders
from marketplace.orders.models import OrderStatus, Quote
from marketplace.vouchers import services as vouchers
from marketplace.vouchers.rules import local_date
from marketplace.workspace import services as workspace
from tests.orders.conftest import package_of


def place(buyer, listing, key):
    order = orders.place_order(buyer, orders.offer_for(listing.id, package_of(listing).id), key)
    db.session.commit()
    return order


def page_of(client, auth, user):
    auth.login(user)
    return client.get("/auth/account", follow_redirects=True).get_data(as_text=True)


def count_statements(fn):
    statements = []
    listener = lambda *args: statements.append(args[2]) if args[2].lstrip().upper().startswith(("SELECT", "(SELECT")) else None  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return result, len(statements)


def test_a_new_enterprise_sees_an_empty_workspace(client, auth, make_user):
    page = page_of(client, auth, make_user("enterprise"))
    assert 'data-testid="workspace-empty"' in page and "目前没有待办事项" in page
    assert "工作台" in page


def test_enterprise_workspace_lists_payments_acceptance_vouchers_messages_and_applications(
        client, auth, buyer, seller, listing, make_program, issue):
    today = local_date(utcnow())
    program = make_program(use_by=today + timedelta(days=10), order_cap_fen=2_000_000)
    voucher = issue(program, buyer, 1_000_000)
    unpaid = place(buyer, listing, "ws-unpaid")
    delivered = place(buyer, listing, "ws-delivered")
    delivered.status, delivered.due_at = OrderStatus.DELIVERED, utcnow() + timedelta(days=7)  # the state, not the path
    orders.post_message(unpaid, seller, "请补充技术交底书")
    later = make_program(code="LATER1")
    vouchers.apply(later.id, buyer, 500_000, "第二期研发")
    db.session.commit()

    page = page_of(client, auth, buyer)
    assert 'data-testid="task-vouchers_expiring"' in page and f"/vouchers/{voucher.number}" in page
    assert (today + timedelta(days=10)).isoformat() in page
    assert 'data-testid="task-orders_to_pay"' in page and f"/orders/{unpaid.number}" in page
    assert 'data-testid="task-orders_to_accept"' in page and f"/orders/{delivered.number}" in page
    assert 'data-testid="task-unread_messages"' in page and "请补充技术交底书" in page
    assert 'data-testid="task-applications_pending"' in page and "/vouchers/applications" in page
    assert "workspace-empty" not in page


def test_enterprise_workspace_reads_in_a_fixed_number_of_queries(buyer, listing, make_program, issue):
    issue(make_program(order_cap_fen=2_000_000), buyer, 5_000_000)
    place(buyer, listing, "ws-q1")
    _tasks, few = count_statements(lambda: workspace.tasks_for(buyer, utcnow()))
    for n in range(4):
        place(buyer, listing, f"ws-q{n + 2}")
    tasks, many = count_statements(lambda: workspace.tasks_for(buyer, utcnow()))
    assert many == few
    assert next(t for t in tasks if t.key == "orders_to_pay").count == 5


def test_provider_workspace_lists_orders_quotes_deliveries_redemptions_and_qualifications(
        client, auth, seller, buyer, listing, make_program, issue):
    program = make_program(ratio_bp=10000, order_cap_fen=None)  # the voucher pays it all: paid at once
    issue(program, buyer, 10_000_000)
    new = place(buyer, listing, "ws-new")
    in_progress = place(buyer, listing, "ws-progress")
    done = place(buyer, listing, "ws-done")
    assert new.status == OrderStatus.PAID
    orders.accept(in_progress, seller)
    orders.accept(done, seller)
    from tests.orders.test_lifecycle import report
    orders.deliver(done, seller, "报告", report(seller))
    orders.complete(done, buyer)
    db.session.add(Quote(listing_id=listing.id, enterprise_id=buyer.organisation_id, provider_id=seller.organisation_id,
                         requester_id=buyer.id, request="请报价：三件实用新型"))
    profile = db.session.query(ProviderProfile).filter_by(organisation_id=seller.organisation_id).one()
    profile.qualifications[0].valid_until = local_date(utcnow()) + timedelta(days=5)
    db.session.commit()

    page = page_of(client, auth, seller)
    assert 'data-testid="task-orders_to_accept"' in page and f"/orders/{new.number}" in page
    assert 'data-testid="task-deliveries_due"' in page and f"/orders/{in_progress.number}" in page
    assert 'data-testid="task-quotes_to_answer"' in page and "请报价：三件实用新型" in page
    assert 'data-testid="task-redemption_deadlines"' in page and f"/redemption/new/{program.id}" in page
    assert program.redeem_by.isoformat() in page
    assert 'data-testid="task-qualifications_expiring"' in page and "CNAS 实验室认可</a>" in page


def test_an_admitted_provider_no_longer_sees_the_admission_menu(client, auth, make_provider):
    pending = make_provider(status="pending")
    page = page_of(client, auth, pending)
    assert ">入库申请</a>" in page
    auth.logout()
    page = page_of(client, auth, make_provider())
    assert ">入库申请</a>" not in page and ">机构资料</a>" in page


def test_operator_workspace_counts_each_queue_with_its_oldest_item(client, auth, admin, make_org, make_program, enterprise):
    make_org(kind="enterprise", status=OrgStatus.PENDING, created_at=utcnow() - timedelta(days=3))
    make_org(kind="provider", status=OrgStatus.PENDING)
    program = make_program(budget_fen=1_000_000, enterprise_cap_fen=500_000)
    vouchers.apply(program.id, enterprise, 250_000, "研发")
    db.session.commit()

    queues, statements = count_statements(workspace.operator_queues)
    assert statements == 1
    by_key = {queue.key: queue for queue in queues}
    assert by_key["registrations"].count == 2
    assert utcnow() - by_key["registrations"].oldest_at >= timedelta(days=3)
    assert by_key["applications"].count == 1 and by_key["redemption_first"].count == 0

    page = page_of(client, auth, admin)
    assert 'data-testid="operator-queues"' in page and "待审核的注册" in page and "已等待 3 天" in page
    assert "/admin/organisations?status=pending" in page and "/admin/applications" in page
    assert 'data-testid="open-anomalies"' in page
    assert 'data-testid="budget-burn"' in page and "测试创新券" in page


def test_operator_budget_burn_follows_issuance(admin, make_program, enterprise, issue):
    program = make_program(budget_fen=1_000_000, enterprise_cap_fen=500_000)
    issue(program, enterprise, 250_000)
    burn = next(b for b in workspace.budget_burn() if b.program.id == program.id)
    assert (burn.committed_fen, burn.percent) == (250_000, 25)
