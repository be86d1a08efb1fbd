"""Everyone waiting on a state change is told, in the app and by e-mail (unless they opted out of
that kind's e-mail), in their own language."""
from sqlalchemy import select

from marketplace.auth import services as auth_services
from marketplace.auth.models import OrgStatus
from marketplace.extensions import db
from marketplace.notifications.models import Notification, OutboxMail
from marketplace.orders import services as orders
from tests.orders.conftest import package_of


def notes_of(user):
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


def mails_to(user):
    return db.session.scalars(select(OutboxMail).where(OutboxMail.to_email == user.email)).all()


def test_an_approved_enterprise_is_told_in_its_language(make_user, admin):
    user = make_user("enterprise", org_status=OrgStatus.PENDING)
    user.locale = "en"
    auth_services.decide_organisation(user.organisation_id, admin, approve=True)
    db.session.commit()
    [note] = notes_of(user)
    assert note.kind == "registration" and note.subject == "Your registration is approved"
    assert user.organisation.legal_name in note.body and note.link == "/auth/account"
    assert [m.subject for m in mails_to(user)] == ["Your registration is approved"]


def test_a_rejected_provider_is_told_why_in_traditional_chinese(make_user, admin):
    user = make_user("provider", org_status=OrgStatus.PENDING)
    user.locale = "zh_Hant_TW"
    auth_services.decide_organisation(user.organisation_id, admin, approve=False, reason="营业执照不清晰")
    db.session.commit()
    [note] = notes_of(user)
    assert note.subject == "您的註冊需要修改" and "营业执照不清晰" in note.body


def test_a_dispute_tells_the_provider_and_its_resolution_tells_both_sides(make_program, issue, buyer, seller,
                                                                          listing, admin):
    program = make_program(ratio_bp=10000, order_cap_fen=None)
    issue(program, buyer, 10_000_000)
    order = orders.place_order(buyer, orders.offer_for(listing.id, package_of(listing).id), "dispute-1")
    assert [n.subject for n in notes_of(seller)][-1] == f"新订单 {order.number} 已付款"  # paid at once: told
    orders.accept(order, seller)
    from tests.orders.test_lifecycle import report
    orders.deliver(order, seller, "报告", report(seller))
    orders.dispute(order, buyer, "报告缺少检测数据")
    db.session.commit()
    told = notes_of(seller)[-1]
    assert order.number in told.subject and "报告缺少检测数据" in told.body
    orders.resolve(order, admin, "post", "报告已补正")
    db.session.commit()
    assert "报告已补正" in notes_of(seller)[-1].body and "报告已补正" in notes_of(buyer)[-1].body


def test_an_email_opt_out_keeps_the_in_app_notification(client, auth, make_program, issue, buyer, seller, listing):
    auth.login(seller)
    page = client.get("/auth/account").get_data(as_text=True)
    assert 'data-testid="email-preferences"' in page and 'value="order_update" checked' in page
    response = client.post("/notifications/preferences", data={"email": ["order_message", "redemption", "payout"]})
    assert response.status_code == 302
    page = client.get("/auth/account").get_data(as_text=True)
    assert 'value="order_update" checked' not in page and 'value="order_message" checked' in page

    program = make_program(ratio_bp=10000, order_cap_fen=None)
    issue(program, buyer, 10_000_000)
    order = orders.place_order(buyer, orders.offer_for(listing.id, package_of(listing).id), "muted-1")
    orders.post_message(order, buyer, "请尽快安排")
    db.session.commit()
    assert [n.kind for n in notes_of(seller) if order.number in n.subject] == ["order_update", "order_message"]
    assert [m.subject for m in mails_to(seller) if order.number in m.subject] == [f"订单 {order.number} 有新消息"]


def test_only_the_choices_of_ones_own_role_are_offered(client, auth, buyer):
    auth.login(buyer)
    page = client.get("/auth/account").get_data(as_text=True)
    assert 'value="voucher_expiring"' in page and 'value="payout"' not in page
    client.post("/notifications/preferences", data={"email": ["payout"]})  # not an enterprise's: ignored
    page = client.get("/auth/account").get_data(as_text=True)
    assert 'value="voucher_expiring" checked' not in page and 'value="payout"' not in page


def test_saving_email_choices_needs_a_login_and_a_csrf_token(client, auth, buyer):
    assert client.post("/notifications/preferences", data={}).status_code == 302  # to the login page
    auth.login(buyer)
    assert client.post("/notifications/preferences", data={"csrf_token": None}).status_code == 400


def test_an_operator_mutes_dispute_emails_on_the_notifications_page(client, auth, make_user, make_program, issue,
                                                                     buyer, seller, listing, admin):
    colleague = make_user("admin")
    auth.login(admin)
    page = client.get("/notifications/").get_data(as_text=True)
    assert 'data-testid="email-preferences"' in page and 'value="order_disputed" checked' in page
    assert 'value="voucher_expiring"' not in page  # only an operator's kinds
    response = client.post("/notifications/preferences",
                           data={"email": ["approval_requested", "approval_decided", "bank_account"],
                                 "next": "/notifications/"})
    assert response.location.endswith("/notifications/#email-preferences")
    assert 'value="order_disputed" checked' not in client.get("/notifications/").get_data(as_text=True)

    program = make_program(ratio_bp=10000, order_cap_fen=None)
    issue(program, buyer, 10_000_000)
    order = orders.place_order(buyer, orders.offer_for(listing.id, package_of(listing).id), "muted-dispute")
    orders.accept(order, seller)
    from tests.orders.test_lifecycle import report
    orders.deliver(order, seller, "报告", report(seller))
    orders.dispute(order, buyer, "报告缺少检测数据")
    db.session.commit()
    assert any(n.kind == "order_disputed" for n in notes_of(admin))  # still told in the app
    assert not [m for m in mails_to(admin) if order.number in m.subject]
    assert [m for m in mails_to(colleague) if order.number in m.subject]  # the other operator still e-mailed


def test_the_preferences_form_goes_back_only_to_this_site(client, auth, admin):
    auth.login(admin)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        response = client.post("/notifications/preferences", data={"email": [], "next": target})
        assert response.location.endswith("/notifications/#email-preferences")


def test_auditors_are_offered_no_email_choices(client, auth, auditor):
    auth.login(auditor)
    assert 'data-testid="email-preferences"' not in client.get("/notifications/").get_data(as_text=True)
    assert client.post("/notifications/preferences", data={"email": []}).status_code == 403
