from sqlalchemy import select

from marketplace.auth.models import OrganisationReview
from marketplace.extensions import db


def test_queue_lists_pending_registrations_oldest_first(client, auth, make_user, make_org):
    first = make_org(status="pending", legal_name="第一家待审企业")
    second = make_org(status="pending", legal_name="第二家待审企业")
    make_org(status="approved", legal_name="已经通过的企业")
    db.session.commit()
    auth.login(make_user("admin"))
    page = client.get("/admin/organisations").get_data(as_text=True)
    assert page.index(first.legal_name) < page.index(second.legal_name)
    assert "已经通过的企业" not in page


def test_queue_paginates(client, auth, make_user, make_org):
    for n in range(25):
        make_org(status="pending", legal_name=f"分页测试企业{n:02d}")
    db.session.commit()
    auth.login(make_user("admin"))
    first = client.get("/admin/organisations").get_data(as_text=True)
    second = client.get("/admin/organisations?page=2").get_data(as_text=True)
    assert "分页测试企业00" in first and "分页测试企业24" not in first
    assert "分页测试企业24" in second and "第 2 页，共 2 页" in second
    assert client.get("/admin/organisations?page=abc").status_code == 404


def test_empty_queue_says_so(client, auth, make_user):
    auth.login(make_user("admin"))
    assert "没有符合条件的注册申请" in client.get("/admin/organisations").get_data(as_text=True)


def test_approve_records_decision_and_lets_the_organisation_trade(client, auth, make_user):
    member = make_user(org_status="pending")
    admin = make_user("admin")
    auth.login(admin)
    response = client.post(f"/admin/organisations/{member.organisation.id}/approve", data={})
    assert response.status_code == 302
    db.session.refresh(member.organisation)
    assert member.organisation.status == "approved" and member.can_trade
    review = db.session.scalar(select(OrganisationReview))
    assert (review.decision, review.actor_id) == ("approved", admin.id)


def test_reject_needs_a_reason(client, auth, make_user):
    member = make_user(org_status="pending")
    auth.login(make_user("admin"))
    response = client.post(f"/admin/organisations/{member.organisation.id}/reject", data={"reason": "  "})
    assert response.status_code == 422 and "此项为必填项" in response.get_data(as_text=True)
    db.session.refresh(member.organisation)
    assert member.organisation.status == "pending"
    assert db.session.scalar(select(OrganisationReview)) is None


def test_reject_with_reason_is_shown_to_the_applicant(client, auth, make_user):
    member = make_user(org_status="pending")
    auth.login(make_user("admin"))
    client.post(f"/admin/organisations/{member.organisation.id}/reject", data={"reason": "营业执照照片不清晰"})
    auth.logout()
    auth.login(member)
    page = client.get("/auth/account").get_data(as_text=True)
    assert "未通过" in page and "营业执照照片不清晰" in page


def test_deciding_twice_is_refused_with_a_message(client, auth, make_user):
    member = make_user(org_status="pending")
    auth.login(make_user("admin"))
    client.post(f"/admin/organisations/{member.organisation.id}/approve", data={})
    again = client.post(f"/admin/organisations/{member.organisation.id}/reject", data={"reason": "迟到的驳回"})
    assert again.status_code == 422 and "已审核" in again.get_data(as_text=True)
    db.session.refresh(member.organisation)
    assert member.organisation.status == "approved"
    assert len(db.session.scalars(select(OrganisationReview)).all()) == 1


def test_unknown_organisation_is_404(client, auth, make_user):
    auth.login(make_user("admin"))
    assert client.get("/admin/organisations/999999").status_code == 404
    assert client.post("/admin/organisations/999999/approve", data={}).status_code == 404


def test_approve_without_csrf_token_changes_nothing(client, auth, make_user):
    member = make_user(org_status="pending")
    auth.login(make_user("admin"))
    assert client.post(f"/admin/organisations/{member.organisation.id}/approve", data={"csrf_token": None}).status_code == 400
    db.session.refresh(member.organisation)
    assert member.organisation.status == "pending"
