"""Sessions end when they should: logout, a password change and an operator disabling the account
end every session of the user (a copied cookie included); idle and absolute timeouts."""
import time

from flask import g

from marketplace.auth import services
from marketplace.extensions import db
from tests.conftest import PASSWORD


def copied_session(app, client):
    """A second client holding a copy of `client`'s session cookie (as a thief would)."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie("session", cookie.value)
    return thief


def test_logout_ends_a_copied_session_too(app, client, auth, make_user):
    auth.login(make_user("enterprise"))
    thief = copied_session(app, client)
    assert thief.get("/auth/account").status_code == 200
    auth.logout()
    assert thief.get("/auth/account").status_code == 302


def test_a_password_change_needs_the_current_password_and_ends_other_sessions(app, client, auth, make_user):
    user = make_user("enterprise")
    auth.login(user)
    other = copied_session(app, client)
    wrong = client.post("/auth/password", data={"current_password": "wrong-pass-1", "new_password": "new-pass-4567",
                                                "confirm": "new-pass-4567"})
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.get_data(as_text=True)
    response = client.post("/auth/password", data={"current_password": PASSWORD, "new_password": "new-pass-4567",
                                                   "confirm": "new-pass-4567"})
    assert response.status_code == 302
    assert client.get("/auth/account").status_code == 200  # this session goes on
    assert other.get("/auth/account").status_code == 302  # the other one ended
    db.session.expire_all()
    assert user.check_password("new-pass-4567")


def test_disabling_a_user_ends_their_sessions(app, client, auth, make_user):
    user, operator = make_user("enterprise"), make_user("admin")
    auth.login(user)
    victim = copied_session(app, client)
    client.delete_cookie("session")  # the operator works in another browser; the user's session lives on
    assert victim.get("/auth/account").status_code == 200
    g.pop("csrf_token", None)  # the tests share one app context: forget the user's form token
    auth.login(operator)
    page = client.get(f"/admin/organisations/{user.organisation_id}").get_data(as_text=True)
    assert f"/admin/users/{user.id}/disable" in page
    assert client.post(f"/admin/users/{user.id}/disable", data={}).status_code == 302
    assert victim.get("/auth/account").status_code == 302
    db.session.expire_all()
    assert not user.active
    assert client.post(f"/admin/users/{user.id}/enable", data={}).status_code == 302
    db.session.expire_all()
    assert user.active


def test_the_disabling_service_ends_sessions_too(client, auth, make_user):
    user, operator = make_user("enterprise"), make_user("admin")
    auth.login(user)
    services.set_active(user.id, operator, False)
    db.session.commit()
    assert client.get("/auth/account").status_code == 302


def test_idle_sessions_end(app, client, auth, make_user):
    auth.login(make_user("enterprise"))
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - app.config["SESSION_IDLE_MINUTES"] * 60 - 5
    assert client.get("/auth/account").status_code == 302


def test_sessions_end_after_the_longest_time_even_when_used(app, client, auth, make_user):
    auth.login(make_user("enterprise"))
    with client.session_transaction() as session:
        session["started"] = int(time.time()) - app.config["SESSION_MAX_HOURS"] * 3600 - 5
    assert client.get("/auth/account").status_code == 302


def test_a_forged_or_old_session_id_is_refused(app):
    assert services.user_for_session("1") is None
    assert services.user_for_session("²:1") is None
    assert services.user_for_session("99999999999999999999:1") is None
