"""Notify users in the app and by e-mail; the worker delivers the e-mail outbox over SMTP."""
import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import and_, bindparam, func, or_, select, update

from marketplace.auth.models import Organisation, User
from marketplace.database import built_once, utcnow
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.ledger import run_in_transaction
from marketplace.notifications.models import MailStatus, Notification, NotificationPreference, OutboxMail

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def render(user, message, params):
    """`message` is an English msgid (N_-marked) rendered in the recipient's own language."""
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = gettext(message)
        return text % params if params else text


def notify(session, user_ids, kind, subject, body, link=None, dedupe_key=None, **params):
    """Create an in-app notification and an outbox e-mail for each user. With `dedupe_key`,
    a user already notified under that key is skipped (e.g. the 30-day expiry reminder). Users who
    opted out of this kind's e-mail get the in-app notification only."""
    created = []
    user_ids = list(user_ids)
    muted = email_opted_out(session, user_ids, kind)
    for user in session.scalars(select(User).where(User.id.in_(user_ids), User.active)):
        key = f"{dedupe_key}:{user.id}" if dedupe_key else None
        if key and session.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
            continue
        note = Notification(user_id=user.id, kind=kind, subject=render(user, subject, params),
                            body=render(user, body, params), link=link, dedupe_key=key)
        session.add(note)
        if user.id not in muted:
            session.add(OutboxMail(to_email=user.email, subject=note.subject,
                                   body=note.body + (f"\n\n{link}" if link else "")))
        created.append(note)
    session.flush()
    return created


# Kinds a user may stop receiving by e-mail, by role, with their labels (msgids). Kinds not listed
# (registration and admission decisions, voucher revocations, suspensions, admins' alerts) are
# always e-mailed.
EMAIL_KINDS = {
    "order_update": N_("Order updates (payments, acceptance, delivery, disputes)"),
    "order_message": N_("Messages on orders"),
    "quote_requested": N_("Quote requests"),
    "quote_given": N_("Quotes received"),
    "program_opened": N_("New voucher programs"),
    "program_planned": N_("Next year's voucher programs"),
    "application_decided": N_("Voucher application decisions"),
    "voucher_expiring": N_("Voucher expiry reminders"),
    "listing_review": N_("Listing review decisions"),
    "redemption": N_("Redemption decisions and payments"),
    "payout": N_("Payouts"),
    "order_disputed": N_("Disputes to decide"),
    "approval_requested": N_("Decisions waiting for my approval (four eyes)"),
    "approval_decided": N_("Answers to the approvals I asked for"),
    "bank_account": N_("Provider bank account changes to check"),
}
KINDS_BY_ROLE = {
    "enterprise": ["order_update", "order_message", "quote_given", "program_opened", "program_planned",
                   "application_decided", "voucher_expiring"],
    "provider": ["order_update", "order_message", "quote_requested", "program_planned", "listing_review",
                 "redemption", "payout"],
    # Operators; a provider's own bank-account notice is a security message and cannot be muted.
    "admin": ["order_disputed", "approval_requested", "approval_decided", "bank_account"],
}


def kinds_offered(user):
    """The kinds a user may stop receiving by e-mail (none for read-only auditors, who change nothing)."""
    return [] if user.is_auditor else KINDS_BY_ROLE.get(user.role, [])


def email_opted_out(session, user_ids, kind):
    """The ids among `user_ids` who do not want this kind by e-mail (one query)."""
    if kind not in EMAIL_KINDS or not user_ids:
        return set()
    return set(session.scalars(select(NotificationPreference.user_id).where(
        NotificationPreference.user_id.in_(user_ids), NotificationPreference.kind == kind,
        NotificationPreference.email.is_(False))))


def email_kinds_for(user):
    """[(kind, label msgid, e-mailed?)] the user may choose between."""
    muted = set(db.session.scalars(select(NotificationPreference.kind).where(
        NotificationPreference.user_id == user.id, NotificationPreference.email.is_(False))))
    return [(kind, EMAIL_KINDS[kind], kind not in muted) for kind in kinds_offered(user)]


def set_email_preferences(user, wanted_kinds):
    """Store which of the user's kinds are e-mailed: every other kind offered to the role is muted."""
    offered = kinds_offered(user)
    existing = {p.kind: p for p in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    for kind in offered:
        wanted = kind in wanted_kinds
        if kind in existing:
            existing[kind].email = wanted
        elif not wanted:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, email=False))
    db.session.flush()


def members(session, organisation_id):
    """Ids of the active users of an organisation."""
    return session.scalars(select(User.id).where(User.organisation_id == organisation_id, User.active)).all()


def approved_enterprise_members(session):
    return session.scalars(select(User.id).join(Organisation).where(
        Organisation.kind == "enterprise", Organisation.status == "approved", User.active)).all()


def admins(session):
    return session.scalars(select(User.id).where(User.role == "admin", User.active)).all()


def operators(session):
    """Admins who decide (not read-only auditors)."""
    return session.scalars(select(User.id).where(User.role == "admin", User.active,
                                                 User.admin_role != "auditor")).all()


def unread_count(user):
    return db.session.scalar(_unread_query(), {"user_id": user.id})


@built_once
def _unread_query():  # every signed-in page shows the count
    return select(func.count()).select_from(Notification).where(
        Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))


def mark_all_read(user):
    db.session.execute(update(Notification).where(Notification.user_id == user.id,
                                                  Notification.read_at.is_(None)).values(read_at=utcnow()))


SENDING_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class MailCopy:
    """What an SMTP call needs, read out of the database before the call."""

    id: int
    to_email: str
    subject: str
    body: str


def deliver_pending(session, server, port, sender, limit=200):
    """Send pending outbox mail (or log it when no server is configured); returns counts. Mails
    are claimed in one transaction, sent with no transaction open, and each outcome recorded in
    its own. A failed send is retried on later runs, up to MAX_ATTEMPTS, then marked failed; a
    claim whose worker died is taken again after SENDING_TIMEOUT (delivery is at least once)."""
    mails = run_in_transaction(session, lambda: claim(session, limit))
    counts = {"sent": 0, "logged": 0, "failed": 0}
    for mail_id, (status, error) in send_all(mails, server, port, sender).items():
        counts[run_in_transaction(session, lambda: record(session, mail_id, status, error))] += 1
    return counts


def claim(session, limit):
    stale = utcnow() - SENDING_TIMEOUT
    rows = session.scalars(select(OutboxMail).where(or_(
        OutboxMail.status == MailStatus.PENDING,
        and_(OutboxMail.status == MailStatus.SENDING, OutboxMail.claimed_at < stale)))
        .order_by(OutboxMail.id).limit(limit).with_for_update(skip_locked=True)).all()
    for mail in rows:
        mail.status, mail.claimed_at = MailStatus.SENDING, utcnow()
    session.flush()
    return [MailCopy(mail.id, mail.to_email, mail.subject, mail.body) for mail in rows]


def send_all(mails, server, port, sender):
    """{mail id: (status, error)} — talks to the server only; no database access here."""
    if not mails:
        return {}
    if not server:
        for mail in mails:
            log.info("mail to %s: %s\n%s", mail.to_email, mail.subject, mail.body)
        return {mail.id: (MailStatus.LOGGED, None) for mail in mails}
    outcomes = {}
    try:
        with smtplib.SMTP(server, port, timeout=10) as smtp:
            for mail in mails:
                outcomes[mail.id] = send_one(smtp, mail, sender)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("SMTP server %s:%s unavailable: %s", server, port, error)
        for mail in mails:
            outcomes.setdefault(mail.id, (MailStatus.PENDING, f"server unavailable: {error}"))
    return outcomes


def send_one(smtp, mail, sender):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, mail.to_email, mail.subject
    message.set_content(mail.body)
    try:
        smtp.send_message(message)
    except smtplib.SMTPException as error:
        return MailStatus.PENDING, str(error)
    return MailStatus.SENT, None


def record(session, mail_id, status, error):
    """Store one send's outcome; returns the count it belongs to (sent, logged or failed)."""
    mail = session.get(OutboxMail, mail_id)
    if status == MailStatus.PENDING:
        fail(mail, error)
        session.flush()
        return "failed"
    mark(mail, status)
    session.flush()
    return str(status)


def mark(mail, status):
    mail.status, mail.sent_at = status, utcnow()
    mail.attempts += 1


def fail(mail, error):
    mail.attempts += 1
    mail.last_error = error[:1000]
    mail.status = MailStatus.FAILED if mail.attempts >= MAX_ATTEMPTS else MailStatus.PENDING
