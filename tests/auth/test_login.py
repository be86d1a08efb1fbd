import pytest

from marketplace.extensions import db
from tests.conftest import PASSWORD


def test_login_and_logout(client, auth, make_user):
    user = make_user()
    response = auth.login(user)
    assert response.status_code == 302 and response.location.endswith("/auth/account")
    assert user.email in client.get("/auth/account").get_data(as_text=True)
    assert auth.logout().status_code == 302
    assert client.get("/auth/account").status_code == 302


def test_login_records_last_login(auth, make_user):
    user = make_user()
    auth.login(user)
    db.session.refresh(user)
    assert user.last_login_at is not None


def test_wrong_password_and_unknown_email_look_the_same(auth, make_user):
    user = make_user()
    wrong = auth.login(user, "wrong-password-1")
    unknown = auth.login("nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    text_wrong = wrong.get_data(as_text=True).replace(user.email, "")
    text_unknown = unknown.get_data(as_text=True).replace("nobody@example.com", "")
    assert "邮箱或密码不正确" in text_wrong
    strip_token = lambda page: page.split('name="csrf_token"')[0] + page.split('name="csrf_token"')[1].split(">", 1)[1]
    assert strip_token(text_wrong) == strip_token(text_unknown)


def test_inactive_user_cannot_log_in(auth, make_user):
    user = make_user()
    user.active = False
    db.session.commit()
    assert auth.login(user).status_code == 401


def test_login_is_throttled_after_repeated_failures(auth, make_user):
    user = make_user()
    for _ in range(5):
        assert auth.login(user, "wrong-password-1").status_code == 401
    blocked = auth.login(user, "wrong-password-1")
    assert blocked.status_code == 429
    assert "尝试次数过多" in blocked.get_data(as_text=True)
    assert auth.login(user, PASSWORD).status_code == 429  # even the right password waits


def test_successful_logins_do_not_count_towards_the_limit(client, auth, make_user):
    user = make_user()
    for _ in range(8):
        assert auth.login(user).status_code == 302
        auth.logout()


def test_next_parameter_only_allows_local_paths(client, make_user):
    user = make_user()
    for target, expected in [("/admin/", "/admin/"), ("https://evil.example/", "/auth/account"),
                             ("//evil.example/", "/auth/account")]:
        response = client.post(f"/auth/login?next={target}", data={"email": user.email, "password": PASSWORD})
        assert response.location.endswith(expected), target
        client.post("/auth/logout", data={})


def test_logout_needs_post_and_token(client, auth, make_user):
    auth.login(make_user())
    assert client.get("/auth/logout").status_code == 405
    client.post("/auth/logout", data={"csrf_token": None})
    assert client.get("/auth/account").status_code == 200


@pytest.mark.parametrize("data", [{"email": "", "password": ""}, {"email": "a@b.c", "password": "x" * 129}])
def test_login_form_errors(client, data):
    response = client.post("/auth/login", data=data)
    assert response.status_code == 200 and 'aria-invalid="true"' in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_lax(auth, make_user):
    response = auth.login(make_user())
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
