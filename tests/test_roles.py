import pytest

ADMIN_PAGES = ["/admin/", "/admin/organisations", "/admin/organisations?status=all&kind=provider",
               "/admin/parties/", "/admin/parties/?status=ended", "/admin/parties/new", "/admin/parties/exceptions",
               "/admin/parties/exceptions/new"]
ADMIN_ACTIONS = ["/admin/organisations/{id}/approve", "/admin/organisations/{id}/reject",
                 "/admin/organisations/{id}/details", "/admin/parties/new", "/admin/parties/exceptions/new"]


@pytest.mark.parametrize("path", ADMIN_PAGES + ["/auth/account"])
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/auth/login?next=" in response.location


@pytest.mark.parametrize("role", ["enterprise", "provider"])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_other_roles_get_403_on_admin_pages(client, auth, make_user, role, path):
    auth.login(make_user(role))
    response = client.get(path)
    assert response.status_code == 403
    assert "无权访问" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["enterprise", "provider"])
@pytest.mark.parametrize("action", ADMIN_ACTIONS)
def test_other_roles_cannot_decide(client, auth, make_user, make_org, role, action):
    target = make_org(status="pending")
    auth.login(make_user(role))
    response = client.post(action.format(id=target.id), data={"reason": "x"})
    assert response.status_code == 403
    assert target.status == "pending"


def test_admin_sees_admin_pages(client, auth, make_user):
    auth.login(make_user("admin"))
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 200, path


def test_admin_account_page_leads_to_console(client, auth, make_user):
    auth.login(make_user("admin"))
    assert client.get("/auth/account").location.endswith("/admin/")
