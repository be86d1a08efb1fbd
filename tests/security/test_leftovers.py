"""Nothing half-written: files of a transaction that does not commit are removed; webhook events
signed too far in the future are refused like stale ones."""
import time

from sqlalchemy import func, select

from marketplace.catalog import uploads
from marketplace.extensions import db
from marketplace.payments.models import StripeEvent
from tests.catalog.conftest import PDF
from tests.payments.test_webhook import URL, confirmed_at_stripe, event_body, signed


def stored_files(app):
    folder = uploads.upload_dir()
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_files_of_a_rolled_back_transaction_are_removed(app, make_org):
    organisation = make_org(kind="provider")
    db.session.commit()
    uploads.store_document(organisation, uploads.Upload("证书.pdf", PDF), "qualification")
    assert len(stored_files(app)) == 1
    db.session.rollback()
    assert stored_files(app) == []
    kept = uploads.store_document(organisation, uploads.Upload("证书.pdf", PDF), "qualification")
    db.session.commit()
    assert stored_files(app) == [kept.stored_name]


def test_a_savepoint_commit_does_not_keep_files_of_a_failed_transaction(app, make_org):
    organisation = make_org(kind="provider")
    db.session.commit()
    uploads.store_document(organisation, uploads.Upload("证书.pdf", PDF), "qualification")
    with db.session.begin_nested():
        pass
    db.session.rollback()
    assert stored_files(app) == []


def test_webhook_events_signed_in_the_future_are_refused(stripe_app, client, make_order):
    order = make_order()
    payment = confirmed_at_stripe(order)
    body = event_body(payment.intent_id)
    assert client.post(URL, data=body, headers=signed(body, timestamp=int(time.time()) + 3600)).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0
    assert client.post(URL, data=body, headers=signed(body, timestamp=int(time.time()) + 60)).status_code == 200
