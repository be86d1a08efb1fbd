"""The signed audit bundle: the whole hash chain, every account's totals and a checkpoint of the
head signed with AUDIT_CHECKPOINT_KEY, in one file an outside auditor checks without our database.

    flask --app wsgi ledger bundle FILE                       # write it (one database snapshot)
    python -m marketplace.audit.bundle FILE [--key-file KEY]  # check it: exit 0 intact, 1 not

Format: gzip-compressed JSON lines — a header naming the columns, one "t" line per transfer in
chain order (its content columns with timestamps already canonical, its id, content hash,
sequence, prev_hash and hash: chain.py documents both hashes), one "a" line per account with its
four totals, the signed "checkpoint" of the last link, and an "end" line with the counts and the
SHA-256 of every line before it (a truncated or spliced file fails). The checker recomputes every
content hash and link, replays every transfer into totals and compares them with the accounts
(ledger/verify.py's Replay), checks the checkpoint names the chain's last link, and with the key
its signature (HMAC-SHA256: the zone gives the key to the auditor it appoints)."""
import argparse
import gzip
import hashlib
import json
import sys

from marketplace.ledger.chain import CONTENT_COLUMNS, timestamp
from marketplace.ledger.models import GENESIS_HASH

FORMAT = "torch-ledger-bundle"
ROW_COLUMNS = [*CONTENT_COLUMNS, "id", "content_hash", "sequence", "transfer_id", "prev_hash", "hash"]
ACCOUNT_COLUMNS = ["id", "code", "kind", "ledger", "debits_posted", "credits_posted", "debits_pending",
                   "credits_pending"]
TIMESTAMPS = [CONTENT_COLUMNS.index("timeout_at"), CONTENT_COLUMNS.index("created_at")]


class Writer:
    """Lines of JSON, gzip-compressed, with a running digest for the end line."""

    def __init__(self, path):
        self.file, self.digest, self.lines = gzip.open(path, "wt", encoding="utf-8"), hashlib.sha256(), 0

    def write(self, record):
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        self.digest.update(line.encode())
        self.file.write(line)
        self.lines += 1

    def close(self, counts):
        self.write({"end": {**counts, "sha256": self.digest.hexdigest()}})
        self.file.close()


def write_bundle(engine, path, key, now):
    """Write the bundle from one snapshot; returns (transfers, accounts)."""
    from marketplace.audit.integrity import sign
    from marketplace.database import snapshot_connection
    from marketplace.ledger.posting import TOTALS, accounts
    from marketplace.ledger.verify import CHAIN_QUERY
    from sqlalchemy import select

    writer = Writer(path)
    writer.write({"kind": FORMAT, "version": 1, "generated_at": now.isoformat(timespec="seconds"),
                  "columns": ROW_COLUMNS, "account_columns": ACCOUNT_COLUMNS})
    sequence, head_hash, count = 0, GENESIS_HASH, 0
    with snapshot_connection(engine) as connection, connection.begin():
        for row in connection.execute(CHAIN_QUERY, execution_options={"yield_per": 5000}):
            values = list(row)
            for position in TIMESTAMPS:
                values[position] = timestamp(values[position])
            writer.write({"t": values})
            sequence, head_hash = values[ROW_COLUMNS.index("sequence")], values[ROW_COLUMNS.index("hash")]
        for row in connection.execute(select(accounts.c.id, accounts.c.code, accounts.c.kind, accounts.c.ledger,
                                             *(accounts.c[name] for name in TOTALS)).order_by(accounts.c.id)):
            writer.write({"a": list(row)})
            count += 1
    payload = {"kind": "torch-ledger-checkpoint", "version": 1, "generated_at": now.isoformat(timespec="seconds"),
               "sequence": sequence, "head_hash": head_hash, "algorithm": "HMAC-SHA256"}
    writer.write({"checkpoint": {"payload": payload, "signature": sign(payload, key) if key else None}})
    writer.close({"transfers": sequence, "accounts": count})
    return sequence, count


class BundleBroken(Exception):
    pass


def check_bundle(path, key=None):
    """(ok, message) for a bundle file; needs nothing but the file (and the key for the signature)."""
    from marketplace.ledger.verify import Broken, Replay

    replay, stored, checkpoint, end, digest = Replay(), {}, None, None, hashlib.sha256()
    chunk = []
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                record = json.loads(line)
                if "end" in record:
                    end = record["end"]
                    break
                digest.update(line.encode())
                if number == 1 and record.get("kind") != FORMAT:
                    raise BundleBroken("not a ledger bundle")
                if "t" in record:
                    chunk.append(record["t"])
                    if len(chunk) >= 5000:
                        replay.check_chunk(chunk)
                        chunk = []
                elif "a" in record:
                    stored[record["a"][0]] = record["a"]
                elif "checkpoint" in record:
                    checkpoint = record["checkpoint"]
        replay.check_chunk(chunk)
        check_end(end, digest, replay, stored)
        check_accounts(replay, stored)
        check_checkpoint(checkpoint, replay, key)
    except (Broken, BundleBroken) as error:
        return False, str(error)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        return False, f"the file cannot be read as a bundle: {error}"
    signed = "signature checked" if key else "signature NOT checked (no key given)"
    return True, f"Bundle intact: {replay.checked:,} transfers, {len(stored):,} accounts, head {replay.prev_hash}; {signed}."


def check_end(end, digest, replay, stored):
    if end is None:
        raise BundleBroken("the file is cut short (no end line)")
    if end["sha256"] != digest.hexdigest():
        raise BundleBroken("the file was altered: its lines do not match the end line's digest")
    if (end["transfers"], end["accounts"]) != (replay.checked, len(stored)):
        raise BundleBroken("the counts in the end line do not match the file")


def check_accounts(replay, stored):
    for account_id, (_id, code, _kind, _ledger, *totals) in stored.items():
        replayed = replay.totals.get(account_id, [0, 0, 0, 0])
        if totals != replayed:
            raise BundleBroken(f"account {code}: its totals {totals} differ from the transfers' {replayed}")
    missing = set(replay.totals) - set(stored)
    if missing:
        raise BundleBroken(f"transfers name account {min(missing)}, which the bundle does not list")


def check_checkpoint(checkpoint, replay, key):
    import hmac

    from marketplace.audit.integrity import sign

    if checkpoint is None:
        raise BundleBroken("the bundle has no checkpoint")
    payload = checkpoint["payload"]
    if (payload["sequence"], payload["head_hash"]) != (replay.checked, replay.prev_hash):
        raise BundleBroken("the checkpoint does not name the chain's last link")
    if key and not hmac.compare_digest(sign(payload, key), str(checkpoint.get("signature") or "")):
        raise BundleBroken("the checkpoint's signature is not valid for this key")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Check a signed ledger audit bundle (no database needed).")
    parser.add_argument("bundle")
    parser.add_argument("--key-file", help="file holding AUDIT_CHECKPOINT_KEY, to check the signature")
    args = parser.parse_args(argv)
    key = open(args.key_file, encoding="utf-8").read().strip() if args.key_file else None
    ok, message = check_bundle(args.bundle, key)
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
