"""Uploads on local disk and in a real S3 server (SeaweedFS): the same upload, serve and delete
behaviour on both; files only through the app's access checks; a rolled-back transaction's
objects are deleted; /readyz sees an unreachable bucket."""
import io

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from marketplace.catalog import uploads
from marketplace.catalog.models import StoredFile
from marketplace.extensions import db
from marketplace.storage import LocalStorage, S3Storage, storage
from tests.catalog.conftest import png_bytes

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF"


def post_image(client, listing_id, data, filename="photo.png"):
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


def test_the_configured_storage_is_used(app, storage_kind):
    assert isinstance(storage(), {"local": LocalStorage, "s3": S3Storage}[storage_kind])


def test_an_uploaded_image_is_stored_and_served_through_the_app(app, client, draft, storage_kind, tmp_path):
    assert post_image(client, draft.id, png_bytes((900, 600))).status_code == 302
    stored = db.session.scalar(select(StoredFile))
    assert storage().exists(stored.stored_name) and storage().exists(stored.thumb_name)
    local_files = list((tmp_path / "uploads").glob("*")) if (tmp_path / "uploads").exists() else []
    assert bool(local_files) == (storage_kind == "local")  # with S3 nothing lands on this host's disk
    original = client.get(f"/files/{stored.token}")
    assert original.status_code == 200 and original.mimetype == "image/png"
    assert original.data == storage().get(stored.stored_name)
    assert original.headers["X-Content-Type-Options"] == "nosniff"
    thumb = client.get(f"/files/{stored.token}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg" and thumb.data[:2] == b"\xff\xd8"


def test_a_private_file_is_refused_to_other_organisations(app, client, auth, draft, make_provider):
    post_image(client, draft.id, png_bytes())
    token = db.session.scalar(select(StoredFile.token))
    auth.logout()
    assert client.get(f"/files/{token}").status_code == 404
    auth.login(make_provider())
    assert client.get(f"/files/{token}").status_code == 404


def test_a_row_whose_object_is_gone_answers_404(app, client, draft):
    post_image(client, draft.id, png_bytes())
    stored = db.session.scalar(select(StoredFile))
    storage().delete(stored.stored_name)
    assert not storage().exists(stored.stored_name)
    assert client.get(f"/files/{stored.token}").status_code == 404
    assert client.get(f"/files/{stored.token}/thumb").status_code == 200


def test_a_rolled_back_transaction_deletes_its_objects(app, make_provider):
    owner = make_provider()
    db.session.commit()
    stored = uploads.store_document(owner.organisation, uploads.Upload("licence.pdf", PDF), "qualification")
    name = stored.stored_name
    assert storage().exists(name)
    db.session.rollback()
    assert not storage().exists(name)
    assert db.session.scalar(select(StoredFile)) is None


def test_a_committed_transaction_keeps_its_objects(app, make_provider):
    owner = make_provider()
    db.session.commit()
    stored = uploads.store_document(owner.organisation, uploads.Upload("licence.pdf", PDF), "qualification")
    name = stored.stored_name
    db.session.commit()
    db.session.rollback()  # a later rollback does not touch what an earlier commit kept
    assert storage().get(name) == PDF


def test_an_upload_refused_after_it_was_written_leaves_no_object(app, client, draft, monkeypatch):
    """A request that fails after writing (here: the row cannot be flushed) rolls back and deletes."""
    written = []
    original_put = type(storage()).put
    monkeypatch.setattr(type(storage()), "put", lambda self, name, data, **kw: (written.append(name),
                                                                                 original_put(self, name, data))[1])

    def refuse(*args, **kwargs):
        raise RuntimeError("the database went away")
    monkeypatch.setattr(uploads, "record", refuse)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.testing = False
    response = post_image(client, draft.id, png_bytes())
    assert response.status_code == 500
    assert len(written) == 4 and not any(storage().exists(name) for name in written)  # original, thumbnail, WebP, JPEG


def test_readyz_reports_the_storage(app, client, storage_kind, seaweedfs_if_s3):
    from marketplace.search.indexer import rebuild

    rebuild(reason="tests")
    assert client.get("/readyz").get_json()["checks"]["uploads"] == "ok"
    if storage_kind == "s3":
        app.config["STORAGE_URL"] = "s3://no-such-bucket"
    else:
        blocker = app.config["UPLOAD_DIR"] + "-file"
        open(blocker, "w").close()
        app.config["UPLOAD_DIR"] = blocker
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.get_json()["checks"]["uploads"] != "ok"


@pytest.fixture
def seaweedfs_if_s3(storage_kind, request):
    return request.getfixturevalue("seaweedfs") if storage_kind == "s3" else None


@pytest.mark.parametrize("url", ["ftp://bucket", "s3://", "/var/uploads"])
def test_a_storage_url_that_is_not_an_s3_bucket_is_refused(tmp_path, url):
    from marketplace.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="STORAGE_URL"):
        load_config(str(tmp_path), {"STORAGE_URL": url, "SECRET_KEY": "x"})
