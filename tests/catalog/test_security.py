"""Object-level security: every listing and profile endpoint tried as another provider, an
enterprise and an anonymous visitor; nothing changes and nothing leaks."""
import io

import pytest
from sqlalchemy import func, select

from marketplace.catalog import listings
from marketplace.catalog.models import Listing, ListingRevision, Qualification, SearchOutbox
from marketplace.extensions import db
from tests.catalog.conftest import form_for_listing, listing_data, png_bytes

LISTING_ENDPOINTS = [
    ("GET", "/my/listings/{listing}"),
    ("GET", "/my/listings/{listing}/edit"),
    ("POST", "/my/listings/{listing}/edit"),
    ("POST", "/my/listings/{listing}/images"),
    ("POST", "/my/listings/{listing}/images/{image}/delete"),
    ("POST", "/my/listings/{listing}/submit"),
    ("POST", "/my/listings/{listing}/unpublish"),
    ("POST", "/my/listings/{listing}/publish"),
    ("POST", "/my/listings/{listing}/delete"),
]
OWN_ENDPOINTS = [
    ("GET", "/my/profile"), ("POST", "/my/profile"), ("POST", "/my/profile/qualifications"),
    ("POST", "/my/profile/qualifications/{qualification}/delete"), ("POST", "/my/profile/apply"),
    ("GET", "/my/listings"), ("GET", "/my/listings/new"), ("POST", "/my/listings/new"),
]
ADMIN_ENDPOINTS = [
    ("GET", "/admin/catalog/providers"), ("GET", "/admin/catalog/providers/{profile}"),
    ("POST", "/admin/catalog/providers/{profile}/suspend"), ("POST", "/admin/catalog/providers/{profile}/admit"),
    ("GET", "/admin/catalog/listings"), ("GET", "/admin/catalog/listings/{revision}"),
    ("POST", "/admin/catalog/listings/{revision}/approve"), ("POST", "/admin/catalog/listings/{revision}/reject"),
    ("GET", "/admin/catalog/import"), ("POST", "/admin/catalog/import"),
]


@pytest.fixture
def victim(make_provider, make_listing):
    """A provider with a published listing that has a pending edit with an image, and a qualification."""
    from marketplace.catalog import providers

    owner = make_provider()
    listing = make_listing(owner)
    listings.update_listing(owner, listing.id, listing_data(title="待审核的修改"))
    listings.add_image(owner, listing.id, listings.uploads.Upload("a.png", png_bytes()))
    listings.submit_listing(owner, listing.id)
    db.session.commit()
    profile = providers.profile_of(owner.organisation)
    return {"listing": listing.id, "image": listing.working_revision.images[0].id,
            "qualification": profile.qualifications[0].id, "profile": profile.id,
            "revision": listing.working_revision_id}


def snapshot():
    return (db.session.execute(select(Listing.id, Listing.status, Listing.working_revision_id,
                                      Listing.published_revision_id).order_by(Listing.id)).all(),
            db.session.execute(select(ListingRevision.id, ListingRevision.title, ListingRevision.state)
                               .order_by(ListingRevision.id)).all(),
            db.session.scalar(select(func.count()).select_from(SearchOutbox)),
            db.session.scalar(select(func.count()).select_from(Qualification)))


def send(client, method, path, ids):
    url = path.format(**ids)
    if method == "GET":
        return client.get(url)
    data = {**form_for_listing(), "image": (io.BytesIO(png_bytes()), "x.png"), "reason": "x"}
    return client.post(url, data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("method, path", LISTING_ENDPOINTS)
def test_another_provider_cannot_touch_a_listing(client, auth, make_provider, victim, method, path):
    auth.login(make_provider())
    before = snapshot()
    response = send(client, method, path, victim)
    assert response.status_code in (403, 404)
    db.session.expire_all()
    assert snapshot() == before
    assert "待审核的修改" not in response.get_data(as_text=True)


@pytest.mark.parametrize("method, path", LISTING_ENDPOINTS + OWN_ENDPOINTS)
def test_an_enterprise_gets_403(client, auth, make_user, victim, method, path):
    auth.login(make_user("enterprise"))
    before = snapshot()
    assert send(client, method, path, victim).status_code == 403
    db.session.expire_all()
    assert snapshot() == before


@pytest.mark.parametrize("method, path", LISTING_ENDPOINTS + OWN_ENDPOINTS + ADMIN_ENDPOINTS)
def test_anonymous_visitors_are_sent_to_login(client, victim, method, path):
    before = snapshot()
    response = send(client, method, path, victim)
    assert response.status_code == 302 and "/auth/login" in response.location
    db.session.expire_all()
    assert snapshot() == before


@pytest.mark.parametrize("role", ["enterprise", "provider"])
@pytest.mark.parametrize("method, path", ADMIN_ENDPOINTS)
def test_admin_catalogue_pages_are_for_admins_only(client, auth, make_user, victim, role, method, path):
    auth.login(make_user(role))
    before = snapshot()
    assert send(client, method, path, victim).status_code == 403
    db.session.expire_all()
    assert snapshot() == before


def test_another_provider_cannot_delete_a_qualification(client, auth, make_provider, victim):
    auth.login(make_provider())
    assert client.post(f"/my/profile/qualifications/{victim['qualification']}/delete", data={}).status_code == 403
    assert db.session.get(Qualification, victim["qualification"]) is not None


def test_a_provider_only_lists_its_own_listings(client, auth, make_provider, victim):
    other = make_provider()
    listings.create_listing(other, listing_data(title="我自己的草稿"))
    db.session.commit()
    auth.login(other)
    page = client.get("/my/listings").get_data(as_text=True)
    assert "我自己的草稿" in page and "发明专利申请代理" not in page and "待审核的修改" not in page


def test_missing_listing_is_404(client, auth, make_provider):
    auth.login(make_provider())
    assert client.get("/my/listings/999999").status_code == 404
    assert client.post("/my/listings/999999/submit", data={}).status_code == 404
