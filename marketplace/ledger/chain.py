"""The canonical serialisation of a transfer, its content hash, and its link in the hash chain.

Two hashes protect every transfer:

* **content hash** (version "v2"): SHA-256 (hex) of the UTF-8 encoding of a compact JSON array
  (no spaces, non-ASCII characters kept as is)

      ["v2", ledger, debit_account_id, credit_account_id, amount, kind, pending, timeout_at,
       pending_id, reverses_id, order_id, application_id, settlement_id, voucher_id, actor_id,
       created_at, memo, idempotency_key, request_hash]

  integers as JSON numbers, `pending` as true/false, absent values as null, timestamps in UTC as
  ISO 8601 with microseconds and offset (`2026-11-28T07:00:00.000000+00:00`). Python computes it
  before the row is written and stores it on the transfer (`content_hash`).

* **link** in the chain (table `ledger_chain`, one row per transfer, gapless `sequence`):

      hash = sha256("v2|" + sequence + "|" + transfer_id + "|" + prev_hash + "|" + content_hash)

  as UTF-8, hex digest; integers in decimal; the first link's `prev_hash` is 64 zeros.

Links are written when the writing transaction commits — on PostgreSQL by a deferred trigger
(`ledger_link_chain`, see the migration), on SQLite by the posting code under BEGIN IMMEDIATE —
so the chain order is the commit order and concurrent writers hold the chain head only for the
commit itself. Both must produce `link()` exactly; the verifier recomputes both hashes.

The request hash is the SHA-256 of the same kind of JSON array naming the operation and its
normalised arguments; it lets a retried request be told from a different one with the same key.
"""
import hashlib
import json
from datetime import timezone

VERSION = "v2"
REQUEST_VERSION = "v1"  # unchanged, so retries of requests made before v2 still match
CONTENT_COLUMNS = (
    "ledger", "debit_account_id", "credit_account_id", "amount", "kind", "pending",
    "timeout_at", "pending_id", "reverses_id", "order_id", "application_id", "settlement_id",
    "voucher_id", "actor_id", "created_at", "memo", "idempotency_key", "request_hash",
)
# Positions (in the canonical array, after VERSION) of the timestamp fields.
TIMEOUT_AT = CONTENT_COLUMNS.index("timeout_at") + 1
CREATED_AT = CONTENT_COLUMNS.index("created_at") + 1

encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
sha256 = hashlib.sha256


def timestamp(value):
    return None if value is None else value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def canonical(values):
    """`values` in CONTENT_COLUMNS order (timestamps as aware datetimes) → canonical bytes."""
    fields = [VERSION, *values]
    fields[TIMEOUT_AT] = timestamp(fields[TIMEOUT_AT])
    fields[CREATED_AT] = timestamp(fields[CREATED_AT])
    return encode_json(fields).encode()


def content_hash(row):
    """Content hash of a mapping holding every CONTENT_COLUMNS key."""
    return sha256(canonical([row[name] for name in CONTENT_COLUMNS])).hexdigest()


def link(sequence, transfer_id, prev_hash, content):
    """The chain hash of the transfer at `sequence` (the same formula as the database trigger)."""
    return sha256(f"{VERSION}|{sequence}|{transfer_id}|{prev_hash}|{content}".encode()).hexdigest()


def request_hash(operation, *arguments):
    normalised = [timestamp(a) if hasattr(a, "astimezone") else a for a in arguments]
    return sha256(encode_json([REQUEST_VERSION, operation, *normalised]).encode()).hexdigest()
