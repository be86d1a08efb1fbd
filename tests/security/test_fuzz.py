"""Zero 500s: every route × every role × hostile path segments, query values and form fields
(see tests/security/fuzz.py; FUZZ_LEVEL=long for every value at every point)."""
import logging
from collections import Counter

import pytest

from marketplace.auth.models import AdminRole, User
from marketplace.extensions import db
from marketplace.payments import localstripe
from marketplace.seed import ADMIN_EMAIL, DEMO_PASSWORD
from tests.payments.fixtures import NOWHERE, STRIPE_SECRET_KEY, WEBHOOK_SECRET
from tests.security import fuzz

ROLES = [  # (role, e-mail); the operator last, since its decisions change what others see
    ("anonymous", None), ("enterprise", "ent1@demo.torch.cn"), ("provider", "ip@demo.torch.cn"),
    ("auditor", "auditor@demo.torch.cn"), ("operator", ADMIN_EMAIL),
]


@pytest.fixture
def world(open_app, localstripe_server):
    """The demo marketplace (organisations, listings, programs, vouchers, orders in every state)
    and a read-only auditor."""
    localstripe.reset(localstripe_server)
    localstripe.register_webhook(localstripe_server, f"{NOWHERE}/", WEBHOOK_SECRET)
    open_app.config.update(STRIPE_API_BASE=localstripe_server, STRIPE_SECRET_KEY=STRIPE_SECRET_KEY,
                           STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    runner = open_app.test_cli_runner()
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    assert runner.invoke(args=["seed", "orders"]).exit_code == 0
    auditor = User(email="auditor@demo.torch.cn", name="审计员", role="admin", admin_role=AdminRole.AUDITOR)
    auditor.set_password(DEMO_PASSWORD)
    db.session.add(auditor)
    db.session.commit()
    return open_app


def start_pages(app):
    pages = ["/", "/auth/account"]
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint not in fuzz.SKIP_ENDPOINTS:
            pages.append(rule.rule)
    return pages


def test_no_input_reaches_a_500(world, caplog):
    caplog.set_level(logging.CRITICAL, logger="marketplace.errors")  # the 500s are reported below
    result = fuzz.Result()
    for index, (role, email) in enumerate(ROLES):
        client = world.test_client()

        def login():
            if email:
                with client.session_transaction() as session:
                    if "_user_id" in session:
                        return
                response = client.post("/auth/login", data={"email": email, "password": DEMO_PASSWORD})
                assert response.status_code == 302, f"{role} cannot log in"
        login()
        fuzz.fuzz_role(client, world, role, index, start_pages(world), result, login)
    print(f"fuzzer: {result.requests} requests at level {fuzz.LEVEL}, {len(result.errors)} server errors")
    assert result.requests > 1000
    assert not result.errors, summary(result.errors)


def summary(errors):
    """The 500s grouped by role, method and path (without the query), then the first few in full."""
    groups = Counter((role, method, url.split("?")[0][:60]) for role, method, url, *_rest in errors)
    lines = [f"{len(errors)} server errors"] + [f"{count:4d} {key}" for key, count in groups.most_common(60)]
    return "\n".join(lines + [repr(error) for error in errors[:15]])
