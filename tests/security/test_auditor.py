"""Auditors are read-only everywhere: every state-changing endpoint of the whole app (from the URL
map, not a hand-kept list) answers an auditor 403 and writes nothing."""
from sqlalchemy import func, select

from marketplace.auth.models import AdminRole
from marketplace.extensions import db
from marketplace.orders.models import OrderMessage
from tests.security.fuzz import example_values

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
MAY_POST = {"auth.logout", "auth.login", "auth.password", "auth.language", "static",
            "admin.audit_verify"}  # reading the whole ledger and recording that it was read


def state_changing_endpoints(app):
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if rule.endpoint in MAY_POST:
            continue
        values = example_values(rule)
        for method in sorted(rule.methods & UNSAFE):
            yield method, adapter.build(rule.endpoint, values, method=method)


def make_auditor(make_user):
    auditor = make_user("admin")
    auditor.admin_role = AdminRole.AUDITOR
    db.session.commit()
    return auditor


def test_every_state_changing_endpoint_refuses_an_auditor(app, client, auth, make_user):
    auth.login(make_auditor(make_user))
    endpoints = list(state_changing_endpoints(app))
    assert len(endpoints) > 50  # the whole app, not only /admin
    assert any(not url.startswith("/admin") for _, url in endpoints)
    token = client.csrf_token()
    answers = {(method, url): client.open(url, method=method, data={"csrf_token": token}).status_code
               for method, url in endpoints}
    allowed = {key: status for key, status in answers.items() if status != 403}
    assert not allowed, allowed


def test_an_auditor_cannot_write_into_an_order_thread(client, auth, make_user, make_order):
    order = make_order()
    auth.login(make_auditor(make_user))
    response = client.post(f"/orders/{order.number}/messages", data={"body": "审计员留言"})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(OrderMessage)) == 0


def test_an_auditor_still_reads_and_logs_out(client, auth, make_user):
    auth.login(make_auditor(make_user))
    assert client.get("/admin/").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/admin/").status_code == 302
