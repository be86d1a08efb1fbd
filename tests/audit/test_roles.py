"""Auditors (read-only admins) see the admin console but cannot change anything."""
import re

from sqlalchemy import select

from marketplace.audit.models import AuditEntry
from marketplace.auth.models import User
from marketplace.extensions import db

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Writes an auditor may make: running the verifier records a run but changes no business data.
AUDITOR_MAY = {"admin.audit_verify"}


def sample(rule):
    """A concrete URL for a rule: 1 for every id, the first choice of an any(...) converter."""
    def fill(match):
        converter, name = match.group(1) or "", match.group(2)
        choice = re.match(r"any\(([^,)]+)", converter)
        return choice.group(1).strip() if choice else "1" if "int" in converter or name.endswith("id") else "x"
    return re.sub(r"<(?:([^:>]+):)?([^>]+)>", fill, rule.rule)


def admin_writes(app):
    return sorted({(sample(rule), method) for rule in app.url_map.iter_rules()
                   if rule.endpoint.startswith("admin.") and rule.endpoint not in AUDITOR_MAY
                   for method in rule.methods & UNSAFE})


def test_there_are_admin_writes_to_check(app):
    writes = admin_writes(app)
    assert ("/admin/settlements", "POST") in writes and len(writes) >= 20


def test_an_auditor_cannot_write_anywhere_in_the_admin_console(app, client, auth, auditor):
    auth.login(auditor)
    token = client.csrf_token()
    before = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    refused = {}
    for url, method in admin_writes(app):
        response = client.open(url, method=method, data={"csrf_token": token, "reason": "x", "reference": "x"})
        refused[(url, method)] = response.status_code
    assert {key: code for key, code in refused.items() if code != 403} == {}
    assert db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) == before


def test_an_operator_is_not_refused_by_the_role_gate(app, client, auth, admin):
    auth.login(admin)
    response = client.post("/admin/redemptions/1/first_approve", data={})
    assert response.status_code == 404  # past the gate: the request does not exist


def test_an_auditor_reads_the_console(client, auth, auditor):
    auth.login(auditor)
    for url in ("/admin/", "/admin/audit", "/admin/redemptions", "/admin/settlements", "/admin/programs",
                "/admin/ledger", "/admin/integrity", "/admin/integrity/checkpoint.json", "/admin/reports",
                "/admin/reports/funder", "/admin/reports/funder/category-city.csv", "/admin/parties/",
                "/admin/parties/exceptions"):
        assert client.get(url).status_code == 200, url


def test_create_admin_auditor(runner):
    result = runner.invoke(args=["users", "create-admin", "--email", "audit@example.com", "--auditor",
                                 "--password-stdin"], input="a-long-password-1\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.email == "audit@example.com")).is_auditor
