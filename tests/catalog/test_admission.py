"""Provider profile, qualifications and admission (入库), suspension and expiry flags."""
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from marketplace.catalog import providers
from marketplace.catalog.models import ProviderProfile, Qualification, SearchOutbox
from marketplace.errors import InvalidState, ValidationFailed
from marketplace.extensions import db
from tests.catalog.conftest import PDF, png_bytes

PROFILE_FORM = {"description": "厦门的检测认证机构，拥有 CNAS 认可实验室与电波暗室。", "city": "厦门",
                "website": "https://lab.example.com", "categories": ["testing", "data"]}


def qualification_form(data=PDF, filename="cnas.pdf", **overrides):
    form = {"kind": "cnas", "number": "CNAS L12345", "issuer": "中国合格评定国家认可委员会",
            "valid_until": (date.today() + timedelta(days=400)).isoformat(), "file": (io.BytesIO(data), filename)}
    return {**form, **overrides}


def test_provider_builds_profile_uploads_qualification_and_applies(client, auth, make_user):
    user = make_user("provider")
    auth.login(user)
    page = client.get("/my/profile").get_data(as_text=True)
    assert "未申请入库" in page
    assert client.post("/my/profile", data=PROFILE_FORM).status_code == 302
    response = client.post("/my/profile/qualifications", data=qualification_form(), content_type="multipart/form-data")
    assert response.status_code == 302
    profile = providers.profile_of(user.organisation)
    assert [c.slug for c in profile.categories] == ["testing", "data"]
    assert profile.qualifications[0].file.content_type == "application/pdf"
    client.post("/my/profile/apply", data={})
    db.session.refresh(profile)
    assert profile.status == "pending" and profile.submitted_at is not None
    assert "入库审核中" in client.get("/my/profile").get_data(as_text=True)


def test_cannot_apply_without_a_valid_qualification(client, auth, make_user):
    user = make_user("provider")
    auth.login(user)
    client.post("/my/profile", data=PROFILE_FORM)
    page = client.get("/my/profile").get_data(as_text=True)
    assert "请至少添加一项未过期的资质" in page
    client.post("/my/profile/qualifications", content_type="multipart/form-data",
                data=qualification_form(valid_until=(date.today() - timedelta(days=1)).isoformat()))
    page = client.post("/my/profile/apply", data={}, follow_redirects=True).get_data(as_text=True)
    assert "请至少添加一项未过期的资质" in page
    assert providers.profile_of(user.organisation).status == "draft"


def test_pending_organisation_cannot_start_a_profile(client, auth, make_user):
    auth.login(make_user("provider", org_status="pending"))
    page = client.get("/my/profile").get_data(as_text=True)
    assert "注册尚未审核通过" in page
    response = client.post("/my/profile", data=PROFILE_FORM)
    assert response.status_code == 422 and "机构注册审核通过后才能申请入库" in response.get_data(as_text=True)
    assert db.session.scalar(select(ProviderProfile)) is None


@pytest.mark.parametrize("data, filename, message", [
    (b"MZ\x90\x00 this is an executable", "scan.png", "请上传证书的 PDF 或图片"),
    (b"<html><script>alert(1)</script></html>", "scan.pdf", "请上传证书的 PDF 或图片"),
    (b"", "empty.png", "请选择要上传的文件"),
])
def test_qualification_file_is_checked_by_content(client, auth, make_user, data, filename, message):
    auth.login(make_user("provider"))
    response = client.post("/my/profile/qualifications", data=qualification_form(data, filename),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Qualification)) is None


def test_script_in_profile_fields_is_escaped(client, auth, make_provider, make_listing):
    user = make_provider()
    auth.login(user)
    script = "<script>alert(1)</script>"
    client.post("/my/profile", data={**PROFILE_FORM, "description": script * 3, "city": script})
    client.post("/my/profile/qualifications", content_type="multipart/form-data",
                data=qualification_form(number=script, issuer=script))
    make_listing(user)
    for path in ("/my/profile", f"/providers/{user.organisation_id}"):
        page = client.get(path).get_data(as_text=True)
        assert script not in page and "&lt;script&gt;" in page


def test_website_must_be_http(client, auth, make_user):
    auth.login(make_user("provider"))
    response = client.post("/my/profile", data={**PROFILE_FORM, "website": "javascript://x%0Aalert(1)"})
    assert response.status_code == 422


def test_admin_admits_with_badge_and_rejects_with_reason(client, auth, make_provider, make_user, make_listing):
    admin = make_user("admin")
    user = make_provider(status="pending")
    other = make_provider(status="pending")
    profile = providers.profile_of(user.organisation)
    auth.login(admin)
    assert user.organisation.legal_name in client.get("/admin/catalog/providers").get_data(as_text=True)
    client.post(f"/admin/catalog/providers/{profile.id}/admit", data={})
    db.session.refresh(profile)
    assert profile.status == "admitted" and profile.admitted_at is not None
    other_profile = providers.profile_of(other.organisation)
    response = client.post(f"/admin/catalog/providers/{other_profile.id}/reject", data={"reason": ""})
    assert response.status_code == 422
    client.post(f"/admin/catalog/providers/{other_profile.id}/reject", data={"reason": "CNAS 证书编号无法核实"})
    db.session.refresh(other_profile)
    assert other_profile.status == "rejected" and other_profile.status_reason == "CNAS 证书编号无法核实"
    listing = make_listing(user)
    assert "已入库认证" in client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "已入库认证" in client.get(f"/providers/{user.organisation_id}").get_data(as_text=True)
    auth.logout()
    auth.login(other)
    assert "CNAS 证书编号无法核实" in client.get("/my/profile").get_data(as_text=True)


def test_admission_decisions_notify_the_provider(make_provider, make_user):
    from marketplace.notifications.models import Notification

    user = make_provider(status="pending")
    providers.decide_admission(make_user("admin"), providers.profile_of(user.organisation).id, True)
    assert db.session.scalar(select(Notification.user_id)) == user.id


def test_decisions_need_a_pending_application_and_an_admin(make_provider, make_user):
    user = make_provider(status="admitted")
    profile_id = providers.profile_of(user.organisation).id
    with pytest.raises(InvalidState):
        providers.decide_admission(make_user("admin"), profile_id, True)
    with pytest.raises(Exception) as caught:
        providers.decide_admission(user, profile_id, True)
    assert caught.value.status_code == 403


def test_suspension_unpublishes_listings_and_calls_the_open_orders_hook(monkeypatch, make_provider, make_user,
                                                                        make_listing, make_org, client):
    user = make_provider()
    first, second = make_listing(user), make_listing(user, title="第二项服务")
    draft = make_listing(user, published=False)
    enterprise = make_org("enterprise")
    buyer = make_user("enterprise", organisation=enterprise)
    monkeypatch.setattr(providers, "enterprises_with_open_orders", lambda organisation: [enterprise])
    profile = providers.profile_of(user.organisation)
    with pytest.raises(ValidationFailed):
        providers.suspend_provider(make_user("admin"), profile.id, "  ")
    providers.suspend_provider(make_user("admin"), profile.id, "资质造假调查中")
    db.session.commit()
    assert (first.status, second.status, draft.status) == ("unpublished", "unpublished", "draft")
    assert client.get(f"/listings/{first.id}").status_code == 404
    assert client.get(f"/providers/{user.organisation_id}").status_code == 404
    actions = db.session.scalars(select(SearchOutbox.action).where(SearchOutbox.listing_id == first.id)).all()
    assert actions[-1] == "unpublish"
    from marketplace.notifications.models import Notification
    assert db.session.scalar(select(Notification).where(Notification.user_id == buyer.id)) is not None
    with pytest.raises(InvalidState):
        from marketplace.catalog import listings
        listings.republish_listing(user, first.id)
    providers.reinstate_provider(make_user("admin"), profile.id)
    assert profile.status == "admitted" and first.status == "unpublished"


def test_open_orders_hook_finds_enterprises_with_orders_in_progress(make_provider, make_listing, make_user):
    from marketplace.orders.models import Order

    user = make_provider()
    listing = make_listing(user)
    assert providers.enterprises_with_open_orders(user.organisation) == []
    buyers = [make_user("enterprise") for _ in range(3)]
    for number, (buyer, status) in enumerate(zip(buyers, ("paid", "completed", "disputed"))):
        db.session.add(Order(number=f"T{number}", request_key=f"k{number}", enterprise_id=buyer.organisation_id,
                             buyer_id=buyer.id, provider_id=user.organisation_id, listing_id=listing.id,
                             snapshot={}, category="ip", price_fen=100, voucher_fen=0, cash_fen=100, status=status))
    db.session.flush()
    assert providers.enterprises_with_open_orders(user.organisation) == [buyers[0].organisation, buyers[2].organisation]


def test_expired_qualifications_are_flagged_to_provider_and_admin(client, auth, make_provider, make_user):
    user = make_provider()
    profile = providers.profile_of(user.organisation)
    profile.qualifications.append(Qualification(kind="cma", number="CMA-OLD", issuer="福建省市场监督管理局",
                                                valid_until=date.today() - timedelta(days=3)))
    profile.qualifications.append(Qualification(kind="iso9001", number="ISO-SOON", issuer="CQC",
                                                valid_until=date.today() + timedelta(days=10)))
    db.session.commit()
    expired, expiring = providers.qualification_flags(profile)
    assert [q.number for q in expired] == ["CMA-OLD"] and [q.number for q in expiring] == ["ISO-SOON"]
    auth.login(user)
    assert "有 1 项资质已过期" in client.get("/my/profile").get_data(as_text=True)
    auth.logout()
    auth.login(make_user("admin"))
    page = client.get("/admin/catalog/providers?status=expired").get_data(as_text=True)
    assert user.organisation.legal_name in page and "1 项已过期" in page
    assert "有 1 项资质已过期" in client.get(f"/admin/catalog/providers/{profile.id}").get_data(as_text=True)


def test_qualification_can_be_removed_by_its_owner_only(client, auth, make_provider):
    owner, other = make_provider(), make_provider()
    qualification = providers.profile_of(owner.organisation).qualifications[0]
    auth.login(other)
    assert client.post(f"/my/profile/qualifications/{qualification.id}/delete", data={}).status_code == 403
    auth.logout()
    auth.login(owner)
    client.post(f"/my/profile/qualifications/{qualification.id}/delete", data={})
    assert db.session.get(Qualification, qualification.id) is None


def test_admin_queue_shows_image_qualification(client, auth, make_user):
    user = make_user("provider")
    auth.login(user)
    client.post("/my/profile", data=PROFILE_FORM)
    client.post("/my/profile/qualifications", data=qualification_form(png_bytes(), "licence.png"),
                content_type="multipart/form-data")
    stored = db.session.scalar(select(ProviderProfile)).qualifications[0].file
    assert stored.content_type == "image/png" and stored.thumb_name
