"""Integrity: verifier runs kept with who ran them, and the signed daily checkpoint of the chain
head (HMAC-SHA256 with AUDIT_CHECKPOINT_KEY) that lets an auditor later prove the history up to
that sequence was not rewritten: the transfer at `sequence` must still carry `head_hash`."""
import hashlib
import hmac
import json

from sqlalchemy import select

from marketplace.audit.models import VerifyRun
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.ledger.models import LedgerHead
from marketplace.ledger.verify import verify
from marketplace.vouchers.rules import local_date


def run_verify(actor=None):
    """Run the verifier over the whole ledger and keep the result (flushed, not committed)."""
    result = verify(db.engine)
    run = VerifyRun(actor_id=getattr(actor, "id", None), ok=result.ok, transfers_checked=result.transfers_checked,
                    head_hash=result.head_hash, duration_ms=int(result.seconds * 1000),
                    first_bad_sequence=result.first_bad_sequence, problem=result.problem)
    db.session.add(run)
    db.session.flush()
    return run


def latest_runs(limit=10):
    return db.session.scalars(select(VerifyRun).order_by(VerifyRun.id.desc()).limit(limit)).all()


def canonical(payload):
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(payload, key):
    return hmac.new(key.encode(), canonical(payload), hashlib.sha256).hexdigest()


def checkpoint(key, now=None):
    """The chain head as a signed document: {"payload": {...}, "signature": hex}."""
    now = now or utcnow()
    head = db.session.get(LedgerHead, 1)
    payload = {"kind": "torch-ledger-checkpoint", "version": 1, "date": local_date(now).isoformat(),
               "generated_at": now.isoformat(timespec="seconds"),
               "sequence": head.sequence if head else 0, "head_hash": head.hash if head else "0" * 64,
               "algorithm": "HMAC-SHA256"}
    return {"payload": payload, "signature": sign(payload, key)}


def check_checkpoint(document, key):
    """True when the signature is ours and the ledger still has that hash at that sequence."""
    from marketplace.ledger.models import ChainLink

    payload = document.get("payload") or {}
    if not hmac.compare_digest(sign(payload, key), str(document.get("signature", ""))):
        return False
    if not payload.get("sequence"):
        return True
    return db.session.scalar(select(ChainLink.hash).where(ChainLink.sequence == payload["sequence"])) == payload.get("head_hash")
