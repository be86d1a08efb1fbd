"""Where uploaded files live: a folder on this host (UPLOAD_DIR, the default) or an S3-compatible
bucket shared by every host (STORAGE_URL=s3://bucket[/prefix], through boto3).

Both offer put/get/delete/exists by the generated name (`<token><ext>`) and `check()` for
`/readyz`. Nothing here decides who may read a file: the app streams it through its own view.

Objects are written before the row that names them is flushed (so no row points at a missing
file); `track_written` remembers them on the session, and a transaction that ends without a
commit deletes them after it has ended, when it holds no database locks.
"""
import logging
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
PENDING = "marketplace.storage.written"


class StoredObjectMissing(LookupError):
    """No object of that name (the view answers 404)."""


class LocalStorage:
    def __init__(self, folder):
        self.folder = Path(folder)

    def path(self, name):
        path = self.folder / name
        if path.parent != self.folder or name in ("", ".", ".."):
            raise StoredObjectMissing(name)
        return path

    def put(self, name, data, content_type=None):
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path(name).write_bytes(data)

    def get(self, name):
        path = self.path(name)
        if not path.is_file():
            raise StoredObjectMissing(name)
        return path.read_bytes()

    def exists(self, name):
        return self.path(name).is_file()

    def delete(self, name):
        self.path(name).unlink(missing_ok=True)

    def check(self):
        import tempfile

        self.folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.folder, prefix=".readyz-"):
            pass


class S3Storage:
    """One bucket (and an optional key prefix) on an S3-compatible server."""

    def __init__(self, url, endpoint=None, access_key=None, secret_key=None, region=None):
        parts = urlsplit(url)
        self.bucket, self.prefix = parts.netloc, parts.path.strip("/")
        import boto3
        from botocore.config import Config

        self.client = boto3.client(
            "s3", endpoint_url=endpoint or None, aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None, region_name=region or "us-east-1",
            # Path-style addressing works on every S3-compatible server (no bucket DNS names);
            # short timeouts so a missing store fails a request (or /readyz) instead of hanging it.
            config=Config(s3={"addressing_style": "path"}, connect_timeout=3, read_timeout=10,
                          retries={"max_attempts": 3, "mode": "standard"}))

    def key(self, name):
        if not name or "/" in name or name in (".", ".."):
            raise StoredObjectMissing(name)
        return f"{self.prefix}/{name}" if self.prefix else name

    def put(self, name, data, content_type=None):
        extra = {"ContentType": content_type} if content_type else {}
        self.client.put_object(Bucket=self.bucket, Key=self.key(name), Body=data, **extra)

    def get(self, name):
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.key(name))
        except self.client.exceptions.NoSuchKey as error:
            raise StoredObjectMissing(name) from error
        with response["Body"] as body:
            return body.read()

    def exists(self, name):
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(name))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, name):
        self.client.delete_object(Bucket=self.bucket, Key=self.key(name))

    def check(self):
        self.client.head_bucket(Bucket=self.bucket)


def from_config(config):
    url = config.get("STORAGE_URL")
    if not url:
        return LocalStorage(config["UPLOAD_DIR"])
    return S3Storage(url, config.get("STORAGE_ENDPOINT"), config.get("STORAGE_ACCESS_KEY"),
                     config.get("STORAGE_SECRET_KEY"), config.get("STORAGE_REGION"))


SETTINGS = ("STORAGE_URL", "STORAGE_ENDPOINT", "STORAGE_ACCESS_KEY", "STORAGE_SECRET_KEY", "STORAGE_REGION",
            "UPLOAD_DIR")


def storage():
    """This app's storage: one per app and settings (boto3 clients are thread-safe)."""
    app = current_app._get_current_object()
    settings = tuple(app.config.get(name) for name in SETTINGS)
    cached = app.extensions.get("storage")
    if cached is None or cached[0] != settings:
        cached = app.extensions["storage"] = (settings, from_config(app.config))
    return cached[1]


def track_written(session, name):
    """Remember an object written in `session`'s transaction: deleted if that transaction ends
    without a commit."""
    session.info.setdefault(PENDING, []).append((storage(), name))


@event.listens_for(Session, "after_commit")
def keep_committed(session):
    if session.in_nested_transaction():
        return  # a savepoint committed; the objects wait for the outer transaction
    session.info.pop(PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def delete_uncommitted(session, transaction):
    """After the outermost transaction ended without a commit (rolled back, failed, closed)."""
    if transaction.parent is not None or transaction.nested:
        return
    for store, name in session.info.pop(PENDING, ()):
        try:
            store.delete(name)
        except Exception:  # noqa: BLE001 — an orphan object is harmless; the rollback's cause matters more
            log.warning("could not delete the uploaded object %s of a rolled-back transaction", name, exc_info=True)
