"""Recording admin decisions. Callers pass the acting user; nothing here reads the request."""
from marketplace.audit.models import AuditEntry
from marketplace.extensions import db


def record(actor, action, obj, *, before=None, after=None, reason=None):
    """Append one audit entry for `action` on `obj` (a model instance with an id)."""
    entry = AuditEntry(actor_id=getattr(actor, "id", None), action=action,
                       object_type=type(obj).__name__, object_id=str(obj.id),
                       before=before, after=after, reason=reason)
    db.session.add(entry)
    return entry
