"""Searching the audit log: filters as plain values, one query; used by the page and its exports."""
import json
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import String, cast, or_, select

from marketplace.audit.models import AuditEntry
from marketplace.auth.models import User
from marketplace.inputs import parse_date
from marketplace.vouchers.rules import SHANGHAI, end_of_day


@dataclass(frozen=True)
class AuditFilter:
    q: str = ""  # text in the action, object, reason or before/after
    actor: str = ""  # e-mail or name, substring
    action: str = ""  # prefix, e.g. "redemption." or "voucher.revoke"
    object_type: str = ""
    object_id: str = ""
    since: date | None = None  # Shanghai calendar days, inclusive
    until: date | None = None


def parse_day(text):
    """A filter's day, or None when blank or outside 2000–2099 (so no bound is applied)."""
    return parse_date(text)


def filter_from_args(args):
    return AuditFilter(q=args.get("q", "").strip()[:100], actor=args.get("actor", "").strip()[:100],
                       action=args.get("action", "").strip()[:60], object_type=args.get("object_type", "").strip()[:40],
                       object_id=args.get("object_id", "").strip()[:60],
                       since=parse_day(args.get("since", "")), until=parse_day(args.get("until", "")))


def like(text):
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(f):
    """Entries matching the filter, newest first (a select to paginate or stream)."""
    query = select(AuditEntry).outerjoin(User, User.id == AuditEntry.actor_id).order_by(AuditEntry.id.desc())
    if f.q:
        pattern = like(f.q)
        query = query.where(or_(AuditEntry.action.ilike(pattern, escape="\\"), AuditEntry.reason.ilike(pattern, escape="\\"),
                                AuditEntry.object_type.ilike(pattern, escape="\\"), AuditEntry.object_id.ilike(pattern, escape="\\"),
                                cast(AuditEntry.before, String).ilike(pattern, escape="\\"),
                                cast(AuditEntry.after, String).ilike(pattern, escape="\\")))
    if f.actor:
        pattern = like(f.actor)
        query = query.where(or_(User.email.ilike(pattern, escape="\\"), User.name.ilike(pattern, escape="\\")))
    if f.action:
        query = query.where(AuditEntry.action.startswith(f.action, autoescape=True))
    if f.object_type:
        query = query.where(AuditEntry.object_type == f.object_type)
    if f.object_id:
        query = query.where(AuditEntry.object_id == f.object_id)
    if f.since:
        query = query.where(AuditEntry.created_at >= datetime.combine(f.since, time.min, tzinfo=SHANGHAI))
    if f.until:
        query = query.where(AuditEntry.created_at < end_of_day(f.until))
    return query


EXPORT_HEADER = ("id", "time (Asia/Shanghai)", "actor", "actor e-mail", "action", "object type", "object id",
                 "before", "after", "reason")


def export_rows(entries):
    for entry in entries:
        actor = entry.actor
        yield (entry.id, entry.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
               actor.name if actor else "system", actor.email if actor else "", entry.action, entry.object_type,
               entry.object_id, json.dumps(entry.before, ensure_ascii=False) if entry.before is not None else "",
               json.dumps(entry.after, ensure_ascii=False) if entry.after is not None else "", entry.reason or "")
