"""Outbox delivery against a real SMTP server (aiosmtpd) on a loopback port."""
import socket
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.notifications import services
from marketplace.notifications.models import OutboxMail


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def test_notifications_are_mailed_in_the_recipients_language(app, make_user, smtp_server):
    controller, inbox = smtp_server
    chinese, english = make_user("enterprise"), make_user("enterprise")
    english.locale = "en"
    services.notify(db.session, [chinese.id, english.id], "test", "Voucher application approved",
                    "Your application in %(program)s is approved: %(amount)s has been issued to your wallet.",
                    program="2026年度火炬创新券", amount="¥1.00")
    counts = services.deliver_pending(db.session, controller.hostname, controller.port, "noreply@example.com")
    db.session.commit()
    assert counts["sent"] == 2
    by_recipient = {m["To"]: m for m in inbox.messages}
    subject = lambda message: str(make_header(decode_header(message["Subject"])))
    assert subject(by_recipient[chinese.email]) == "创新券申领已通过"
    assert "2026年度火炬创新券" in by_recipient[chinese.email].get_payload(decode=True).decode()
    assert subject(by_recipient[english.email]) == "Voucher application approved"
    assert all(m.status == "sent" for m in db.session.scalars(select(OutboxMail)))
    assert services.deliver_pending(db.session, controller.hostname, controller.port, "x@example.com")["sent"] == 0


def test_server_down_keeps_mail_pending_for_retry(app, make_user):
    user = make_user("enterprise")
    services.notify(db.session, [user.id], "test", "Subject", "Body")
    services.deliver_pending(db.session, "127.0.0.1", free_port(), "x@example.com")
    mail = db.session.scalar(select(OutboxMail))
    assert mail.status == "pending" and mail.attempts == 1 and "unavailable" in mail.last_error


def test_without_a_server_mail_is_logged(app, make_user, caplog):
    user = make_user("enterprise")
    services.notify(db.session, [user.id], "test", "Subject", "Body text")
    with caplog.at_level("INFO"):
        assert services.deliver_pending(db.session, "", 25, "x@example.com")["logged"] == 1
    assert "Body text" in caplog.text


def test_dedupe_key_notifies_once(app, make_user):
    user = make_user("enterprise")
    assert len(services.notify(db.session, [user.id], "k", "S", "B", dedupe_key="once")) == 1
    assert services.notify(db.session, [user.id], "k", "S", "B", dedupe_key="once") == []
