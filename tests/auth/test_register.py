import pytest
from sqlalchemy import func, select

from marketplace.auth.models import Organisation, OrganisationReview, User
from marketplace.extensions import db

VALID = {
    "kind": "enterprise", "legal_name": "厦门测试科技有限公司", "credit_code": "91330100716105852F",
    "legal_representative": "王五", "city": "厦门", "contact_phone": "0592-1234567",
    "name": "赵六", "email": "zhao@example.com", "password": "secret-pass-1", "confirm": "secret-pass-1",
}


def counts():
    return (db.session.scalar(select(func.count()).select_from(User)),
            db.session.scalar(select(func.count()).select_from(Organisation)))


def test_registration_creates_pending_organisation_and_asks_to_log_in(client, auth):
    response = client.post("/auth/register", data=VALID)
    assert response.status_code == 302 and response.location.endswith("/auth/login")
    assert client.get("/auth/account").status_code == 302  # not logged in by registering
    auth.login(VALID["email"], VALID["password"])
    user = db.session.scalar(select(User).where(User.email == "zhao@example.com"))
    assert user.role == "enterprise" and user.organisation.status == "pending"
    assert user.password_hash.startswith("scrypt:") and "secret-pass-1" not in user.password_hash
    page = client.get("/auth/account").get_data(as_text=True)
    assert "待审核" in page and "厦门测试科技有限公司" in page
    assert not user.can_trade


def test_provider_registration_gets_provider_role(client):
    client.post("/auth/register", data={**VALID, "kind": "provider"})
    assert db.session.scalar(select(User.role).where(User.email == VALID["email"])) == "provider"


def test_credit_code_and_email_are_normalised(client):
    client.post("/auth/register", data={**VALID, "credit_code": " 9144030071526726xg ", "email": " Zhao@Example.COM "})
    organisation = db.session.scalar(select(Organisation))
    assert organisation.credit_code == "9144030071526726XG"
    assert organisation.users[0].email == "zhao@example.com"


@pytest.mark.parametrize("field, value, message", [
    ("legal_name", "", "此项为必填项"),
    ("legal_name", "厦" * 101, "2"),
    ("credit_code", "", "此项为必填项"),
    ("credit_code", "91330100716105852A", "校验码"),
    ("credit_code", "1234", "18 位"),
    ("credit_code", "91330100716I05852F", "I、O、S、V、Z"),
    ("legal_representative", "x" * 51, "50"),
    ("city", "", "此项为必填项"),
    ("contact_phone", "call me", "电话"),
    ("name", "", "此项为必填项"),
    ("email", "not-an-email", "电子邮箱"),
    ("email", "a@" + "b" * 260 + ".com", "254"),
    ("password", "short1", "10"),
    ("password", "onlyletterslong", "字母和数字"),
    ("confirm", "different-pass-1", "不一致"),
    ("kind", "admin", "不是有效的选择"),  # WTForms ships this translation
])
def test_invalid_input_shows_a_field_error_and_writes_nothing(client, field, value, message):
    before = counts()
    response = client.post("/auth/register", data={**VALID, field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'aria-invalid="true"' in page
    assert counts() == before


def test_script_in_text_fields_is_escaped_not_executed(client, auth):
    response = client.post("/auth/register", data={**VALID, "legal_name": "<script>alert(1)</script>有限公司"})
    assert response.status_code == 302
    auth.login(VALID["email"], VALID["password"])
    page = client.get("/auth/account").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_a_registered_email_gets_the_same_answer_and_its_owner_an_e_mail(client, make_user):
    from marketplace.notifications.models import OutboxMail

    owner = make_user(email="zhao@example.com")
    before = counts()
    taken = client.post("/auth/register", data=VALID)
    fresh = client.post("/auth/register", data={**VALID, "email": "new@example.com", "credit_code": "9144030071526726XG"})
    assert (taken.status_code, taken.location) == (fresh.status_code, fresh.location)
    assert counts() == (before[0] + 1, before[1] + 1)  # only the fresh one registered
    mails = {mail.to_email: mail.subject for mail in db.session.scalars(select(OutboxMail))}
    assert set(mails) == {owner.email, "new@example.com"}
    assert "您的电子邮箱" in mails[owner.email]


def test_duplicate_credit_code_is_a_form_error(client, make_org):
    make_org(credit_code="91330100716105852F")
    db.session.commit()
    before = counts()
    response = client.post("/auth/register", data=VALID)
    assert response.status_code == 422
    assert "该统一社会信用代码已注册" in response.get_data(as_text=True)
    assert counts() == before


def test_registration_without_csrf_token_is_refused(client):
    response = client.post("/auth/register", data={**VALID, "csrf_token": None})
    assert response.status_code == 400
    assert counts() == (0, 0)


def test_logged_in_user_is_sent_to_the_account_page(client, auth, make_user):
    auth.login(make_user())
    assert client.get("/auth/register").location.endswith("/auth/account")


def test_rejected_organisation_can_correct_and_resubmit(client, auth, make_user):
    user = make_user(org_status="rejected")
    user.organisation.status_reason = "法定代表人与营业执照不符"
    db.session.commit()
    auth.login(user)
    page = client.get("/auth/account").get_data(as_text=True)
    assert "法定代表人与营业执照不符" in page and "修改后重新提交" in page
    form = {"legal_name": "改正后的名称有限公司", "credit_code": user.organisation.credit_code,
            "legal_representative": "钱七", "city": "厦门", "contact_name": "孙八", "contact_phone": "0592-7654321"}
    response = client.post("/auth/account/resubmit", data=form)
    assert response.status_code == 302
    db.session.refresh(user.organisation)
    assert user.organisation.status == "pending" and user.organisation.legal_representative == "钱七"
    assert db.session.scalar(select(OrganisationReview.decision)) == "resubmitted"


def test_pending_organisation_cannot_use_resubmit(client, auth, make_user):
    auth.login(make_user(org_status="pending"))
    assert client.get("/auth/account/resubmit").location.endswith("/auth/account")
