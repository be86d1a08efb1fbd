"""The canonical serialisation of a transfer and its SHA-256 link in the hash chain.

Canonical form (version "v1"): the UTF-8 encoding of a compact JSON array (no spaces,
non-ASCII characters kept as is)

    ["v1", id, ledger, debit_account_id, credit_account_id, amount, kind, pending,
     timeout_at, pending_id, reverses_id, order_id, application_id, settlement_id, voucher_id,
     actor_id, created_at, memo, idempotency_key, request_hash, prev_hash]

integers as JSON numbers, `pending` as true/false, absent values as null, timestamps in UTC as
ISO 8601 with microseconds and offset (`2026-11-28T07:00:00.000000+00:00`).
`hash = sha256(canonical).hexdigest()`; the first transfer's `prev_hash` is 64 zeros.
The request hash is the SHA-256 of the same kind of JSON array naming the operation and its
normalised arguments; it lets a retried request be told from a different one with the same key.
"""
import hashlib
import json
from datetime import timezone

VERSION = "v1"
CHAIN_COLUMNS = (
    "id", "ledger", "debit_account_id", "credit_account_id", "amount", "kind", "pending",
    "timeout_at", "pending_id", "reverses_id", "order_id", "application_id", "settlement_id",
    "voucher_id", "actor_id", "created_at", "memo", "idempotency_key", "request_hash", "prev_hash",
)
# Positions (in the canonical array, after VERSION) of the timestamp fields.
TIMEOUT_AT = CHAIN_COLUMNS.index("timeout_at") + 1
CREATED_AT = CHAIN_COLUMNS.index("created_at") + 1

encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
sha256 = hashlib.sha256


def timestamp(value):
    return None if value is None else value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def canonical(values):
    """`values` in CHAIN_COLUMNS order (timestamps as aware datetimes) → canonical bytes."""
    fields = [VERSION, *values]
    fields[TIMEOUT_AT] = timestamp(fields[TIMEOUT_AT])
    fields[CREATED_AT] = timestamp(fields[CREATED_AT])
    return encode_json(fields).encode()


def transfer_hash(values):
    return sha256(canonical(values)).hexdigest()


def hash_row(row):
    """Hash of a mapping holding every CHAIN_COLUMNS key (prev_hash included)."""
    return transfer_hash([row[name] for name in CHAIN_COLUMNS])


def request_hash(operation, *arguments):
    normalised = [timestamp(a) if hasattr(a, "astimezone") else a for a in arguments]
    return sha256(encode_json([VERSION, operation, *normalised]).encode()).hexdigest()
