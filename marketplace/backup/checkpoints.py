"""The ledger head as a signed checkpoint, and the latest one kept in LEDGER_CHECKPOINT_FILE,
outside the database, so a restore of an older backup (or of a rewritten history) is seen."""
import hmac
import json
import os
from dataclasses import dataclass

from sqlalchemy import text

from marketplace.ledger.models import GENESIS_HASH


class CheckpointError(Exception):
    """The database's history does not contain the latest checkpoint, or the file is bad."""


class BehindCheckpoint(CheckpointError):
    """The database (or backup) ends before the latest checkpoint: it is older."""


@dataclass(frozen=True)
class Head:
    sequence: int
    hash: str


def read_head(connection):
    """The chain head over a SQLAlchemy connection (sequence 0 and the genesis hash when empty)."""
    row = connection.execute(text("SELECT sequence, hash FROM ledger_head WHERE id = 1")).first()
    return Head(int(row[0]), row[1]) if row else Head(0, GENESIS_HASH)


def hash_at(connection, sequence):
    if sequence == 0:
        return GENESIS_HASH
    return connection.execute(text("SELECT hash FROM ledger_chain WHERE sequence = :sequence"),
                              {"sequence": sequence}).scalar()


def signed(head, key, now):
    """{"payload": …, "signature": HMAC-SHA256 or None without a key} — the audit checkpoint's form."""
    from marketplace.audit.integrity import sign
    from marketplace.vouchers.rules import local_date

    payload = {"kind": "torch-ledger-checkpoint", "version": 1, "date": local_date(now).isoformat(),
               "generated_at": now.isoformat(timespec="seconds"), "sequence": head.sequence,
               "head_hash": head.hash, "algorithm": "HMAC-SHA256"}
    return {"payload": payload, "signature": sign(payload, key) if key else None}


def signature_ok(document, key):
    from marketplace.audit.integrity import sign

    return hmac.compare_digest(sign(document.get("payload") or {}, key), str(document.get("signature") or ""))


def read_latest(path, key=None):
    """The checkpoint in the file, or None when there is no file (or no path set)."""
    if not path or not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        document["payload"]["sequence"], document["payload"]["head_hash"]  # noqa: B018 — must be there
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"the latest checkpoint in {path} cannot be read: {error}")
    if key and document.get("signature") and not signature_ok(document, key):
        raise CheckpointError(f"the latest checkpoint in {path} is not signed with this AUDIT_CHECKPOINT_KEY")
    return document


def compare(latest, head, chain_hash_at):
    """Check a ledger ending at `head` against the latest checkpoint: raises BehindCheckpoint when
    it ends before it, CheckpointError when it has another hash at its sequence."""
    if latest is None:
        return
    sequence, expected = latest["payload"]["sequence"], latest["payload"]["head_hash"]
    if head.sequence < sequence:
        raise BehindCheckpoint(f"it ends at transfer {head.sequence:,}, before the latest checkpoint "
                               f"(transfer {sequence:,} of {latest['payload']['generated_at']})")
    found = head.hash if head.sequence == sequence else chain_hash_at(sequence)
    if found != expected:
        raise CheckpointError(f"its ledger has another history: at transfer {sequence:,} the latest checkpoint "
                              f"says {expected[:16]}…, it has {str(found)[:16]}…")


def advance(path, document, chain_hash_at):
    """Write `document` as the latest checkpoint unless the file already has a later one; the
    file's checkpoint must be in the same history. Returns True when written."""
    latest = read_latest(path)
    head = Head(document["payload"]["sequence"], document["payload"]["head_hash"])
    compare(latest, head, chain_hash_at)
    if latest is not None and latest["payload"]["sequence"] >= head.sequence:
        return False
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = f"{path}.tmp-{os.getpid()}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return True
