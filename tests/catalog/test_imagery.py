"""Imagery: WebP and JPEG variants made at upload and served for a year, provider logos (who may
upload them, what is refused), the facts listing cards show, and older images without variants."""
import io
import re

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from marketplace.catalog import listings, moderation, uploads
from marketplace.catalog.models import AdmissionStatus, ListingImage, ProviderProfile, StoredFile
from marketplace.extensions import db
from marketplace.storage import storage
from tests.catalog.conftest import PDF, png_bytes
from tests.catalog.test_uploads import upload

YEAR = 365 * 24 * 3600


def post_file(client, url, field, data, filename):
    fields = {"csrf_token": client.csrf_token(), field: FileStorage(io.BytesIO(data), filename, "image")}
    boundary, body = encode_multipart(fields)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def stored_image(data):
    with Image.open(io.BytesIO(data)) as image:
        return image.format, image.size


@pytest.fixture
def published_with_image(client, auth, make_provider, make_listing, make_user):
    """A published listing whose picture (1600×1200 PNG) was uploaded through the page; logged out."""
    seller = make_provider()
    listing = make_listing(seller, published=False, title="CNAS 电磁兼容预测试", category_slug="testing-emc")
    auth.login(seller)
    assert upload(client, listing.id, png_bytes((1600, 1200)), "暗室.png").status_code == 302
    listings.submit_listing(seller, listing.id)
    moderation.approve_revision(make_user("admin"), listing.working_revision_id)
    db.session.commit()
    auth.logout()
    return listing, db.session.scalar(select(StoredFile))


def test_upload_stores_webp_and_jpeg_variants_in_each_width(published_with_image):
    _, stored = published_with_image
    assert (stored.width, stored.height, stored.variant_widths) == (1600, 1200, "160,480,960")
    for width in (160, 480, 960):
        assert stored_image(storage().get(f"{stored.token}_{width}.webp")) == ("WEBP", (width, width * 3 // 4))
        assert stored_image(storage().get(f"{stored.token}_{width}.jpg")) == ("JPEG", (width, width * 3 // 4))


@pytest.fixture
def upload_to_draft(client, auth, make_provider, make_listing):
    """upload_to_draft(size) → the StoredFile of a PNG of that size added to a draft by its provider (logged in)."""
    def upload_png(size):
        seller = make_provider()
        listing = make_listing(seller, published=False)
        auth.login(seller)
        upload(client, listing.id, png_bytes(size))
        return db.session.scalar(select(StoredFile))
    return upload_png


def test_small_images_are_never_enlarged(upload_to_draft):
    stored = upload_to_draft((300, 200))
    assert stored.variant_widths == "160,300"
    assert stored_image(storage().get(f"{stored.token}_300.webp")) == ("WEBP", (300, 200))


def test_public_variants_are_served_with_their_type_and_a_year_of_caching(client, published_with_image):
    _, stored = published_with_image
    for extension, mimetype in (("webp", "image/webp"), ("jpg", "image/jpeg")):
        response = client.get(f"/files/{stored.token}/480.{extension}")
        assert response.status_code == 200 and response.mimetype == mimetype
        assert stored_image(response.data)[1] == (480, 360)
        cache_control = response.cache_control
        assert cache_control.public and cache_control.max_age == YEAR and cache_control.immutable
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    for missing in ("481.webp", "480.png", "480.webp.html", "x.jpg"):
        assert client.get(f"/files/{stored.token}/{missing}").status_code == 404


def test_variants_of_a_draft_are_private(client, auth, upload_to_draft):
    stored = upload_to_draft((800, 600))
    own = client.get(f"/files/{stored.token}/480.webp")
    assert own.status_code == 200 and own.cache_control.private and not own.cache_control.immutable
    auth.logout()
    assert client.get(f"/files/{stored.token}/480.webp").status_code == 404


def test_pages_offer_webp_first_with_jpeg_fallback_lazy_sized_and_titled(client, published_with_image):
    listing, stored = published_with_image
    home = client.get("/").get_data(as_text=True)
    picture = re.search(r"<picture[^>]*>.*?</picture>", home, re.S).group(0)
    source, img = picture.index('type="image/webp"'), picture.index("<img")
    assert source < img, "WebP must come first"
    assert f"/files/{stored.token}/960.webp 960w" in picture and f"/files/{stored.token}/480.jpg 480w" in picture
    assert 'alt="CNAS 电磁兼容预测试"' in picture and 'loading="lazy"' in picture
    assert 'width="480" height="360"' in picture
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert f"/files/{stored.token}/960.webp" in page and "CNAS 电磁兼容预测试" in re.search(r'alt="([^"]*)"', page[page.index("gallery"):]).group(1)


def test_images_stored_before_variants_show_their_thumbnail_until_backfilled(client, runner, published_with_image):
    listing, stored = published_with_image
    token = stored.token
    for width in (160, 480, 960):
        for extension in ("webp", "jpg"):
            storage().delete(f"{token}_{width}.{extension}")
    stored.width = stored.height = stored.variant_widths = None
    db.session.commit()
    home = client.get("/").get_data(as_text=True)
    assert f'src="/files/{token}/thumb"' in home and 'alt="CNAS 电磁兼容预测试"' in home
    assert client.get(f"/files/{token}/480.webp").status_code == 404

    result = runner.invoke(args=["catalog", "image-variants"])
    assert result.exit_code == 0 and "1 image(s) given variants" in result.output, result.output
    db.session.expire_all()
    assert db.session.get(StoredFile, stored.id).variant_widths == "160,480,960"
    assert client.get(f"/files/{token}/480.webp").mimetype == "image/webp"
    assert f"/files/{token}/480.webp 480w" in client.get("/").get_data(as_text=True)
    assert "0 image(s) given variants" in runner.invoke(args=["catalog", "image-variants"]).output


# -- provider logos ---------------------------------------------------------------------------

def upload_logo(client, data, filename="logo.png"):
    return post_file(client, "/my/profile/logo", "logo", data, filename)


def test_provider_uploads_its_logo_shown_on_its_page_listing_and_cards(client, auth, make_provider, make_listing):
    seller = make_provider()
    listing = make_listing(seller)
    auth.login(seller)
    assert upload_logo(client, png_bytes((400, 400), "navy")).status_code == 302
    profile = db.session.scalar(select(ProviderProfile).where(ProviderProfile.organisation_id == seller.organisation_id))
    logo = profile.logo
    assert logo.purpose == "logo" and logo.variant_widths == "160,400"
    assert f"/files/{logo.token}/160.webp" in client.get("/my/profile").get_data(as_text=True)
    auth.logout()
    name = seller.organisation.legal_name
    provider_page = client.get(f"/providers/{seller.organisation_id}").get_data(as_text=True)
    assert f'alt="{name} 的标志"' in provider_page and f"/files/{logo.token}/160.webp" in provider_page
    assert f"/files/{logo.token}/160.webp" in client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert f"/files/{logo.token}/160.webp" in client.get("/").get_data(as_text=True)
    response = client.get(f"/files/{logo.token}/160.webp")
    assert response.status_code == 200 and response.cache_control.public


def test_a_logo_that_is_not_an_image_is_refused(client, auth, make_provider):
    seller = make_provider()
    auth.login(seller)
    for data, name in ((PDF, "logo.pdf"), (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.svg"),
                       (b"GIF89a" + b"\0" * 40, "logo.png")):
        response = upload_logo(client, data, name)
        assert response.status_code == 422 and 'id="logo-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(StoredFile)) is None
    assert not storage_files(client)


def storage_files(client):
    import os

    folder = client.application.config["UPLOAD_DIR"]
    return os.listdir(folder) if os.path.isdir(folder) else []


@pytest.mark.parametrize("role", ["enterprise", "admin", "auditor", None])
def test_only_providers_upload_logos(client, auth, make_user, auditor, role):
    if role == "auditor":
        auth.login(auditor)
    elif role:
        auth.login(make_user(role))
    response = upload_logo(client, png_bytes())
    assert response.status_code in ((302,) if role is None else (403,))
    if role is None:
        assert "/login" in response.headers["Location"]
    assert db.session.scalar(select(StoredFile)) is None


def test_a_logo_goes_to_the_uploaders_own_profile_only(client, auth, make_provider, make_user):
    first, other = make_provider(), make_provider()
    colleague = make_user("provider", organisation=first.organisation)
    auth.login(colleague)
    upload_logo(client, png_bytes((200, 200)))
    profiles = {p.organisation_id: p for p in db.session.scalars(select(ProviderProfile))}
    assert profiles[first.organisation_id].logo is not None and profiles[other.organisation_id].logo is None


def test_a_logo_is_private_until_the_provider_is_admitted(client, auth, make_provider, auditor):
    seller = make_provider(status=AdmissionStatus.DRAFT)
    auth.login(seller)
    upload_logo(client, png_bytes((200, 200)))
    token = db.session.scalar(select(StoredFile.token))
    assert client.get(f"/files/{token}/200.webp").status_code == 200
    auth.logout()
    assert client.get(f"/files/{token}/200.webp").status_code == 404
    auth.login(auditor)  # auditors read everything
    assert client.get(f"/files/{token}/200.webp").status_code == 200


# -- listing cards ----------------------------------------------------------------------------

def card_of(page, title):
    start = page.index(f"<strong class=\"listing-title\">{title}</strong>")
    return page[page.rindex('<li class="listing-card">', 0, start):page.index("</li>", start)]


def test_cards_show_rating_completed_orders_city_and_badges(client, make_provider, make_listing, make_user, make_order):
    from marketplace.orders.models import Review

    seller = make_provider()
    rated = make_listing(seller, title="发明专利申请代理", city="厦门", voucher_eligible=True)
    make_listing(seller, title="商标注册代理", city="福州", voucher_eligible=False)
    buyer = make_user("enterprise")
    for status, rating in (("completed", 5), ("settled", 4), ("placed", None), ("cancelled", None)):
        order = make_order(buyer=buyer, provider=seller.organisation, status=status)
        order.listing_id = rated.id
        if rating:
            db.session.add(Review(order_id=order.id, listing_id=rated.id, provider_id=seller.organisation_id,
                                  author_id=buyer.id, rating=rating))
    db.session.commit()
    page = client.get("/categories/ip").get_data(as_text=True)
    card = card_of(page, "发明专利申请代理")
    assert "4.5" in card and "(2)" in card and "2 条评价，平均 4.5 星" in card
    assert "已成交 2 单" in card and "厦门" in card
    assert "已入库认证" in card and "可用创新券" in card
    other = card_of(page, "商标注册代理")
    assert "暂无评价" in other and "已成交" not in other and "福州" in other and "已入库认证" in other
    assert "可用创新券" not in other


def test_cards_of_providers_not_admitted_show_no_verified_badge(client, make_provider, make_listing):
    seller = make_provider()
    make_listing(seller, title="发明专利申请代理")
    profile = db.session.scalar(select(ProviderProfile))
    profile.status = AdmissionStatus.PENDING  # e.g. re-applying: its listings stay published
    db.session.commit()
    assert "已入库认证" not in card_of(client.get("/").get_data(as_text=True), "发明专利申请代理")


def test_cards_without_a_picture_keep_a_titled_link(client, make_provider, make_listing):
    make_listing(make_provider(), title="发明专利申请代理")
    card = card_of(client.get("/").get_data(as_text=True), "发明专利申请代理")
    assert "<picture" not in card and 'aria-hidden="true"' in card


def test_every_card_image_has_alt_text(client, published_with_image, make_provider, make_listing):
    make_listing(make_provider(), title="商标注册代理")
    for url in ("/", "/categories/testing", f"/providers/{published_with_image[0].provider_id}"):
        page = client.get(url).get_data(as_text=True)
        for img in re.findall(r"<img\b[^>]*>", page):
            assert re.search(r'\balt="', img), (url, img)
        for img in re.findall(r'<img\b[^>]*class="[^"]*listing-thumb[^"]*"[^>]*>|<picture class="listing-thumb">.*?</picture>', page, re.S):
            assert 'alt=""' not in img, (url, img)


def test_demo_seed_gives_every_listing_a_picture_and_every_provider_a_logo(runner, client):
    from marketplace.catalog.models import Listing

    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    listings = db.session.scalars(select(Listing).where(Listing.external_id.like("demo-%"))).all()
    assert len(listings) >= 60 and all(listing.published_revision.images for listing in listings)
    profiles = db.session.scalars(select(ProviderProfile).where(ProviderProfile.status == AdmissionStatus.ADMITTED)).all()
    assert profiles and all(profile.logo and profile.logo.variant_widths for profile in profiles)
    files = db.session.scalar(select(db.func.count()).select_from(StoredFile))
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    assert db.session.scalar(select(db.func.count()).select_from(StoredFile)) == files  # idempotent
    cover = db.session.get(ListingImage, listings[0].published_revision.images[0].id).file
    assert stored_image(storage().get(f"{cover.token}_480.webp")) == ("WEBP", (480, 360))
    assert client.get(f"/files/{cover.token}/960.jpg").mimetype == "image/jpeg"
    assert uploads.is_public(cover)


def test_demo_pictures_are_deterministic_and_drawn_without_the_cjk_font(monkeypatch):
    from marketplace.catalog import demo_images

    assert demo_images.cover("testing-emc", 1).tobytes() == demo_images.cover("testing-emc", 1).tobytes()
    assert demo_images.cover("testing-emc", 1).tobytes() != demo_images.cover("ip-trademark", 1).tobytes()
    with_font = demo_images.logo("厦门鹭江知识产权代理事务所")
    monkeypatch.setattr(demo_images, "cjk_font_path", lambda: None)
    without_font = demo_images.logo("Xiamen Lujiang IP Agency")
    assert with_font.size == without_font.size == (320, 320) and with_font.getextrema() != ((0, 0),) * 3


def test_a_variant_width_is_read_as_ascii_digits_only():
    from marketplace.catalog.images import parse_variant

    assert parse_variant("480.webp") == (480, "webp")
    assert [parse_variant(name) for name in ("²80.webp", "٤٨٠.jpg", "0.jpg", "480.gif", "123456.jpg")] == [None] * 5
