"""Listing lifecycle through the provider pages: draft → pending → published → unpublished,
rejection with a reason, edits that stay invisible until approved, and the search outbox."""
import pytest
from sqlalchemy import select

from marketplace.catalog import listings, moderation
from marketplace.catalog.models import Listing, SearchOutbox
from marketplace.errors import InvalidState, ValidationFailed
from marketplace.extensions import db
from tests.catalog.conftest import form_for_listing, listing_data


def outbox_actions(listing_id):
    return list(db.session.scalars(select(SearchOutbox.action).where(SearchOutbox.listing_id == listing_id)
                                   .order_by(SearchOutbox.id)))


def test_provider_creates_a_listing_with_packages_through_the_form(client, auth, make_provider):
    user = make_provider()
    auth.login(user)
    response = client.post("/my/listings/new", data=form_for_listing(**{
        "packages-1-name": "全天", "packages-1-price": "6000.50", "packages-1-delivery_days": "1"}))
    assert response.status_code == 302, response.get_data(as_text=True)
    listing = db.session.scalar(select(Listing))
    revision = listing.working_revision
    assert listing.status == "draft" and listing.provider_id == user.organisation_id
    assert [(p.name, p.price_fen) for p in revision.packages] == [("半天", 350000), ("全天", 600050)]
    assert revision.price_from_fen == 350000 and revision.category.slug == "testing-emc"
    assert outbox_actions(listing.id) == ["create"]
    page = client.get(response.location).get_data(as_text=True)
    assert "¥3,500.00" in page and "¥6,000.50" in page


@pytest.mark.parametrize("overrides, message", [
    ({"title": ""}, "此项为必填项"),
    ({"title": "长" * 10000}, "最多输入 120 个字符"),
    ({"packages-0-price": "-5"}, "最多两位小数"),
    ({"packages-0-price": "abc"}, "最多两位小数"),
    ({"packages-0-price": "12.345"}, "最多两位小数"),
    ({"category": "no-such-category"}, "不是有效的选择"),
    ({"packages-0-name": None, "packages-0-price": None, "packages-0-delivery_days": None,
      "packages-0-includes": None}, "至少添加一个带价格的套餐"),
    ({"packages-0-name": ""}, "每个套餐都需要名称和价格"),
])
def test_bad_listing_input_is_refused_with_a_message(client, auth, make_provider, overrides, message):
    auth.login(make_provider())
    response = client.post("/my/listings/new", data=form_for_listing(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Listing)) is None


def test_html_and_script_in_every_text_field_are_shown_as_text(client, auth, make_provider, make_listing):
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    user = make_provider()
    listing = make_listing(user, title="标题" + script, summary=script, description=script + "\n\n[a](javascript:alert(1))",
                           tags="t;" + script[:20], city=script[:50], service_area=script[:100],
                           delivery_time=script[:100],
                           packages=(listings.PackageData("包" + script[:40], 100, 1, script),))
    for path in (f"/listings/{listing.id}", "/categories/ip", "/"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
        assert "javascript:" not in page
    auth.login(user)
    page = client.get(f"/my/listings/{listing.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_service_refuses_bad_listing_data(make_provider):
    user = make_provider()
    for overrides in ({"title": " "}, {"title": "x" * 10000}, {"category_slug": "astrology"},
                      {"packages": (listings.PackageData("负价", -1),)}, {"packages": ()},
                      {"packages": tuple(listings.PackageData(f"p{i}", 100) for i in range(4))},
                      {"tags": ";".join(f"t{i}" for i in range(11))}):
        with pytest.raises(ValidationFailed):
            listings.create_listing(user, listing_data(**overrides))
        db.session.rollback()


def test_price_on_request_needs_no_package(make_provider):
    listing = listings.create_listing(make_provider(), listing_data(packages=(), price_on_request=True))
    assert listing.working_revision.price_from_fen is None


def test_only_admitted_providers_can_submit(client, auth, make_provider):
    user = make_provider(status="pending")
    listing = listings.create_listing(user, listing_data())
    db.session.commit()
    with pytest.raises(InvalidState):
        listings.submit_listing(user, listing.id)
    db.session.rollback()
    auth.login(user)
    response = client.post(f"/my/listings/{listing.id}/submit", data={}, follow_redirects=True)
    assert "只有已入库的服务机构" in response.get_data(as_text=True)
    assert db.session.get(Listing, listing.id).status == "draft"


def test_full_lifecycle_writes_the_outbox(client, auth, make_provider, make_user):
    user, admin = make_provider(), make_user("admin")
    auth.login(user)
    client.post("/my/listings/new", data=form_for_listing())
    listing = db.session.scalar(select(Listing))
    client.post(f"/my/listings/{listing.id}/submit", data={})
    db.session.refresh(listing)
    assert listing.status == "pending"
    assert client.get(f"/listings/{listing.id}").status_code == 404
    moderation.approve_revision(admin, listing.working_revision_id)
    db.session.commit()
    assert listing.status == "published" and listing.working_revision is None
    assert client.get(f"/listings/{listing.id}").status_code == 200
    client.post(f"/my/listings/{listing.id}/unpublish", data={})
    db.session.refresh(listing)
    assert listing.status == "unpublished" and client.get(f"/listings/{listing.id}").status_code == 404
    client.post(f"/my/listings/{listing.id}/publish", data={})
    db.session.refresh(listing)
    assert listing.status == "published"
    client.post(f"/my/listings/{listing.id}/delete", data={})
    db.session.refresh(listing)
    assert listing.status == "deleted" and client.get(f"/listings/{listing.id}").status_code == 404
    assert outbox_actions(listing.id) == ["create", "update", "publish", "unpublish", "publish", "delete"]


def test_rejection_reason_reaches_the_provider(client, auth, make_provider, make_user):
    user, admin = make_provider(), make_user("admin")
    listing = listings.create_listing(user, listing_data())
    listings.submit_listing(user, listing.id)
    moderation.reject_revision(admin, listing.working_revision_id, "请补充服务流程")
    db.session.commit()
    assert listing.status == "rejected"
    auth.login(user)
    page = client.get(f"/my/listings/{listing.id}").get_data(as_text=True)
    assert "请补充服务流程" in page
    listings.update_listing(user, listing.id, listing_data(title="改进后的标题"))
    listings.submit_listing(user, listing.id)
    assert listing.status == "pending" and listing.working_revision.title == "改进后的标题"


def test_editing_a_published_listing_keeps_the_published_version_until_approved(client, auth, make_provider,
                                                                                make_listing, make_user):
    user = make_provider()
    listing = make_listing(user, title="原标题")
    auth.login(user)
    form = form_for_listing(title="新标题", category="ip")
    assert client.post(f"/my/listings/{listing.id}/edit", data=form).status_code == 302
    client.post(f"/my/listings/{listing.id}/submit", data={})
    public = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "原标题" in public and "新标题" not in public
    db.session.refresh(listing)
    assert listing.status == "published" and listing.working_revision.state == "pending"
    moderation.approve_revision(make_user("admin"), listing.working_revision_id)
    db.session.commit()
    public = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "新标题" in public and "原标题" not in public


def test_edit_form_is_prefilled_with_the_current_version(client, auth, make_provider, make_listing):
    user = make_provider()
    listing = make_listing(user)
    auth.login(user)
    page = client.get(f"/my/listings/{listing.id}/edit").get_data(as_text=True)
    assert 'value="发明专利申请代理"' in page and 'value="6800.00"' in page
    assert '<option selected value="ip">' in page


def test_a_rejected_change_leaves_the_published_listing_alone(make_provider, make_listing, make_user):
    user = make_provider()
    listing = make_listing(user, title="原标题")
    listings.update_listing(user, listing.id, listing_data(title="被拒的标题"))
    listings.submit_listing(user, listing.id)
    moderation.reject_revision(make_user("admin"), listing.working_revision_id, "不实宣传")
    assert listing.status == "published" and listing.published_revision.title == "原标题"
    assert listing.working_revision.review_reason == "不实宣传"


def test_a_decided_revision_cannot_be_decided_again(make_provider, make_listing, make_user):
    listing = make_listing(make_provider())
    with pytest.raises(InvalidState):
        moderation.approve_revision(make_user("admin"), listing.published_revision_id)
