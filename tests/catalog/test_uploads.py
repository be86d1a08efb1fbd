"""Listing images: real type checked by Pillow, size limits, thumbnails, safe serving."""
import io
import os

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from marketplace.catalog import listings
from marketplace.catalog.models import StoredFile
from marketplace.extensions import db
from tests.catalog.conftest import png_bytes


def upload(client, listing_id, data, filename="photo.png"):
    """Posts the multipart body from memory: werkzeug's test client would spool a large body to a
    temporary file it never closes (a ResourceWarning, fatal under filterwarnings=error)."""
    fields = {"csrf_token": client.csrf_token(), "image": FileStorage(io.BytesIO(data), filename, "image")}
    boundary, body = encode_multipart(fields)
    return client.post(f"/my/listings/{listing_id}/images", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


@pytest.fixture
def draft(make_provider, make_listing, auth):
    user = make_provider()
    listing = make_listing(user, published=False)
    auth.login(user)
    return listing


def test_image_is_stored_under_a_generated_name_with_a_thumbnail(client, draft, app):
    response = upload(client, draft.id, png_bytes((1600, 1200)), "../../etc/passwd 我的图.png")
    assert response.status_code == 302
    stored = db.session.scalar(select(StoredFile))
    folder = app.config["UPLOAD_DIR"]
    variants = [f"{stored.token}_{width}.{ext}" for width in (160, 480, 960) for ext in ("webp", "jpg")]
    assert sorted(os.listdir(folder)) == sorted([stored.stored_name, stored.thumb_name, *variants])
    assert stored.stored_name == stored.token + ".png" and stored.original_name == "passwd 我的图.png"
    with Image.open(os.path.join(folder, stored.thumb_name)) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) <= 480


def test_images_are_served_with_safe_headers(client, draft):
    upload(client, draft.id, png_bytes(), 'evil"; filename=x.html.png')
    stored = db.session.scalar(select(StoredFile))
    response = client.get(f"/files/{stored.token}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline") and '";' not in disposition.replace('filename="', "")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    thumb = client.get(f"/files/{stored.token}/thumb")
    assert thumb.mimetype == "image/jpeg" and thumb.headers["X-Content-Type-Options"] == "nosniff"


def test_draft_images_are_private_until_published(client, auth, draft, make_provider, make_user):
    from marketplace.catalog import moderation

    upload(client, draft.id, png_bytes())
    token = db.session.scalar(select(StoredFile.token))
    auth.logout()
    assert client.get(f"/files/{token}").status_code == 404
    auth.login(make_provider())
    assert client.get(f"/files/{token}").status_code == 404
    user = db.session.get(type(draft), draft.id).provider.users[0]
    listings.submit_listing(user, draft.id)
    moderation.approve_revision(make_user("admin"), draft.working_revision_id)
    db.session.commit()
    auth.logout()
    assert client.get(f"/files/{token}").status_code == 200
    assert f"/files/{token}/64.webp" in client.get(f"/listings/{draft.id}").get_data(as_text=True)


@pytest.mark.parametrize("data, filename", [
    (b"this is plain text pretending to be a picture", "fake.png"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "truncated.png"),
    (b"%PDF-1.4 not an image", "doc.png"),
    (b"GIF89a" + b"\x00" * 32, "anim.gif"),
])
def test_non_images_renamed_png_are_refused(client, draft, data, filename):
    response = upload(client, draft.id, data, filename)
    assert response.status_code == 422
    assert "不是有效的图片" in response.get_data(as_text=True)
    assert db.session.scalar(select(StoredFile)) is None


def test_gif_is_not_accepted(client, draft):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "GIF")
    assert upload(client, draft.id, buffer.getvalue(), "a.gif").status_code == 422


def test_image_over_5_mb_gets_a_clear_message(client, draft):
    big = png_bytes() + b"\x00" * (6 * 1024 * 1024)
    response = upload(client, draft.id, big)
    assert response.status_code == 422 and "文件过大：最大 5 MB" in response.get_data(as_text=True)


def test_a_50_mb_upload_gets_a_clear_413_page(client, draft):
    response = upload(client, draft.id, b"\x00" * (50 * 1024 * 1024), "huge.png")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "文件过大" in page and "Traceback" not in page


def test_decompression_bomb_is_refused(client, draft):
    buffer = io.BytesIO()
    Image.new("1", (12000, 12000)).save(buffer, "PNG")
    response = upload(client, draft.id, buffer.getvalue())
    assert response.status_code == 422


def test_at_most_six_images(client, draft):
    for _ in range(6):
        assert upload(client, draft.id, png_bytes()).status_code == 302
    response = upload(client, draft.id, png_bytes())
    assert response.status_code == 422 and "最多 6 张图片" in response.get_data(as_text=True)


def test_removing_an_image(client, draft):
    upload(client, draft.id, png_bytes())
    image = draft.working_revision.images[0]
    client.post(f"/my/listings/{draft.id}/images/{image.id}/delete", data={})
    db.session.refresh(draft.working_revision)
    assert draft.working_revision.images == []


@pytest.mark.parametrize("path", ["/files/..%2F..%2Fetc%2Fpasswd", "/files/../../etc/passwd",
                                  "/files/" + "a" * 32, "/files/%2e%2e/thumb", "/files/ABCDEF/thumb"])
def test_file_paths_cannot_traverse(client, path):
    assert client.get(path).status_code == 404


def test_qualification_files_are_private(client, auth, make_provider, make_user):
    from marketplace.catalog import providers, uploads

    owner = make_provider()
    stored = uploads.store_document(owner.organisation, uploads.Upload("licence.pdf", b"%PDF-1.4\n%%EOF"), "qualification")
    db.session.commit()
    assert client.get(f"/files/{stored.token}").status_code == 404
    auth.login(make_provider())
    assert client.get(f"/files/{stored.token}").status_code == 404
    auth.logout()
    auth.login(owner)
    response = client.get(f"/files/{stored.token}")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    auth.logout()
    auth.login(make_user("admin"))
    assert client.get(f"/files/{stored.token}").status_code == 200
    assert providers  # imported for the fixture's side effects only
