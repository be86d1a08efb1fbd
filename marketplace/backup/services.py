"""create, verify, restore and checkpoint: what the `backup` commands run (cli.py prints)."""
import os
import re
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import text

from marketplace.backup import archive, checkpoints, databases
from marketplace.backup.archive import BackupBroken
from marketplace.backup.checkpoints import BehindCheckpoint, CheckpointError, Head
from marketplace.database import snapshot_connection, utcnow
from marketplace.extensions import db

PARTS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
UPLOADS = "uploads.tar"
INTACT, BROKEN, OLDER = 0, 1, 3  # exit codes of `backup verify`


@dataclass
class Outcome:
    code: int = INTACT
    lines: list = field(default_factory=list)

    def say(self, line):
        self.lines.append(line)


def settings():
    config = current_app.config
    return (config["SQLALCHEMY_DATABASE_URI"], config.get("AUDIT_CHECKPOINT_KEY") or None,
            config.get("LEDGER_CHECKPOINT_FILE") or None, config["UPLOAD_DIR"])


def live_hash_at(sequence):
    with snapshot_connection(db.engine) as connection, connection.begin():
        return checkpoints.hash_at(connection, sequence)


# -- create ------------------------------------------------------------------------------------
def create(path, now=None):
    """Write the backup to `path`; returns an Outcome (its lines say what was written)."""
    url, key, latest_file, uploads = settings()
    kind, now, started = databases.kind_of(url), now or utcnow(), time.perf_counter()
    outcome = Outcome()
    db.session.rollback()  # no transaction of ours stays open while the copy is taken
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(path))) as work:
        database_part = os.path.join(work, PARTS[kind])
        if kind == "postgresql":
            facts = databases.dump_postgresql(db.engine, database_part)
        else:
            facts = databases.dump_sqlite(url, database_part)
        uploads_part = os.path.join(work, UPLOADS)
        files = tar_folder(uploads, uploads_part)
        checkpoint = checkpoints.signed(facts.head, key, now)
        manifest = {"format": archive.FORMAT, "version": 1, "created_at": now.isoformat(timespec="seconds"),
                    "database": {"kind": kind, "revision": facts.revision},
                    "ledger": {"sequence": facts.head.sequence, "head_hash": facts.head.hash},
                    "checkpoint": checkpoint, "uploads": {"files": files},
                    "parts": [archive.part_entry(PARTS[kind], database_part), archive.part_entry(UPLOADS, uploads_part)]}
        manifest["signature"] = sign(manifest, key)
        archive.write(path, manifest, {PARTS[kind]: database_part, UPLOADS: uploads_part})
    outcome.say(f"Backup written to {path} in {time.perf_counter() - started:.1f} s: {kind} database at schema "
                f"{facts.revision}, ledger head {facts.head.sequence:,} ({facts.head.hash[:16]}…), {files:,} uploaded "
                f"file(s), {os.path.getsize(path):,} bytes; " + ("signed." if key else
                                                                 "UNSIGNED (AUDIT_CHECKPOINT_KEY is not set)."))
    if latest_file:
        try:
            if checkpoints.advance(latest_file, checkpoint, live_hash_at):
                outcome.say(f"Latest checkpoint in {latest_file} moved to transfer {facts.head.sequence:,}.")
        except CheckpointError as error:
            outcome.code = BROKEN
            outcome.say(f"WARNING: this database does not match the latest checkpoint in {latest_file}: {error}")
    return outcome


def tar_folder(folder, target):
    """The upload folder as a tar (empty when there is none); returns the number of files."""
    files = 0
    with tarfile.open(target, "w") as bundle:
        if os.path.isdir(folder):
            for root, directories, names in os.walk(folder):
                if root == folder:
                    directories[:] = visible(directories)
                    names = visible(names)
                directories.sort()
                for name in sorted(names):
                    full = os.path.join(root, name)
                    bundle.add(full, arcname=os.path.relpath(full, folder), recursive=False)
                    files += 1
    return files


def sign(manifest, key):
    from marketplace.audit.integrity import sign as hmac_sign

    return hmac_sign(archive.manifest_body(manifest), key) if key else None


# -- reading a backup --------------------------------------------------------------------------
def open_backup(path, work, key):
    """(manifest, {part: path}) after checking the manifest's signature and every part."""
    import hmac

    manifest = archive.read_manifest(path)
    if key:
        if not manifest.get("signature"):
            raise BackupBroken("the backup is not signed (it was made without AUDIT_CHECKPOINT_KEY)")
        if not hmac.compare_digest(sign(manifest, key), str(manifest["signature"])):
            raise BackupBroken("the manifest's signature is not valid for this AUDIT_CHECKPOINT_KEY: it was "
                               "altered, or made with another key")
        if not checkpoints.signature_ok(manifest["checkpoint"], key):
            raise BackupBroken("the backup's checkpoint is not signed with this AUDIT_CHECKPOINT_KEY")
    payload = manifest["checkpoint"]["payload"]
    if (payload["sequence"], payload["head_hash"]) != (manifest["ledger"]["sequence"], manifest["ledger"]["head_hash"]):
        raise BackupBroken("the backup's checkpoint does not name its ledger head")
    return manifest, archive.extract_parts(path, manifest, work)


def head_of(manifest):
    return Head(manifest["ledger"]["sequence"], manifest["ledger"]["head_hash"])


def check_restored(connection, manifest):
    """The restored database is the one the manifest describes (schema and ledger head)."""
    facts = databases.read_facts(connection)
    if facts.revision != manifest["database"]["revision"]:
        raise BackupBroken(f"the database is at schema {facts.revision}, the manifest says "
                           f"{manifest['database']['revision']}")
    if facts.head != head_of(manifest):
        raise BackupBroken("the database's ledger head differs from the manifest's")


# -- verify ------------------------------------------------------------------------------------
def verify(path):
    """Restore into a scratch database, run the ledger verifier there, check the checkpoints."""
    url, key, latest_file, _uploads = settings()
    outcome, started = Outcome(), time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as work:
            manifest, parts = open_backup(path, work, key)
            kind = manifest["database"]["kind"]
            with scratch(kind, url, parts[PARTS[kind]]) as engine:
                check_scratch(engine, manifest, outcome)
                latest = checkpoints.read_latest(latest_file, key)
                with engine.connect() as connection:
                    checkpoints.compare(latest, head_of(manifest), lambda s: checkpoints.hash_at(connection, s))
            with tarfile.open(parts[UPLOADS]) as bundle:
                files = sum(1 for member in bundle if member.isfile())
            if files != manifest["uploads"]["files"]:
                raise BackupBroken(f"the uploads hold {files} files, the manifest says {manifest['uploads']['files']}")
    except BehindCheckpoint as error:
        outcome.code = OLDER
        outcome.say(f"Backup intact but OLDER than the latest checkpoint: {error}. Restoring it loses every "
                    "transfer after it (restore refuses without --accept-older).")
        return outcome
    except (BackupBroken, CheckpointError, RuntimeError, tarfile.TarError) as error:
        outcome.code = BROKEN
        outcome.say(f"Backup check FAILED: {error}")
        return outcome
    signed = "signatures checked" if key else "signatures NOT checked (AUDIT_CHECKPOINT_KEY is not set)"
    against = f"; matches the latest checkpoint in {latest_file}" if latest_file and latest else ""
    outcome.say(f"Backup intact ({time.perf_counter() - started:.1f} s): restored into a scratch database, "
                f"{files:,} uploaded file(s), {signed}{against}.")
    return outcome


def scratch(kind, url, part):
    if kind == "postgresql":
        if databases.kind_of(url) != "postgresql":
            raise BackupBroken("a PostgreSQL backup is checked with DATABASE_URL naming a PostgreSQL server "
                               "(a scratch database is made there)")
        return databases.scratch_postgresql(url, part)
    return scratch_sqlite(part)


class scratch_sqlite:
    def __init__(self, part):
        self.part = part

    def __enter__(self):
        from sqlalchemy import create_engine

        self.folder = tempfile.mkdtemp(prefix="backup-verify-")
        copy = os.path.join(self.folder, "scratch.sqlite3")
        shutil.copyfile(self.part, copy)
        self.engine = create_engine(f"sqlite:///{copy}")
        return self.engine

    def __exit__(self, *exc):
        self.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)


def check_scratch(engine, manifest, outcome):
    from marketplace.ledger.verify import verify as verify_ledger

    with engine.connect() as connection:
        check_restored(connection, manifest)
    result = verify_ledger(engine)
    if not result.ok:
        raise BackupBroken(f"the backup's ledger does not verify: {result.summary()}")
    outcome.say(result.summary())


# -- restore -----------------------------------------------------------------------------------
def restore(path, force=False, accept_older=False):
    """Replace this installation's database and uploads with the backup's. Raises
    databases.RestoreRefused (nothing changed) or BehindCheckpoint."""
    url, key, latest_file, uploads = settings()
    outcome, started = Outcome(), time.perf_counter()
    kind = databases.kind_of(url)
    with tempfile.TemporaryDirectory() as work:
        try:
            manifest, parts = open_backup(path, work, key)
            latest = checkpoints.read_latest(latest_file, key)
        except (BackupBroken, CheckpointError) as error:
            raise databases.RestoreRefused(str(error))
        if manifest["database"]["kind"] != kind:
            raise databases.RestoreRefused(f"this is a {manifest['database']['kind']} backup; DATABASE_URL names "
                                           f"a {kind} database")
        head = head_of(manifest)
        empty = databases.postgresql_is_empty(db.engine) if kind == "postgresql" else databases.sqlite_is_empty(url)
        if not force and (not empty or folder_has_files(uploads)):
            raise databases.RestoreRefused("the database or the upload folder is not empty: restore replaces "
                                           "them; say --force to do so")
        older = latest is not None and head.sequence < latest["payload"]["sequence"]
        if older and not accept_older:
            raise BehindCheckpoint(f"the backup ends at transfer {head.sequence:,}, before the latest checkpoint "
                                   f"(transfer {latest['payload']['sequence']:,}); say --accept-older to restore it "
                                   "and lose the transfers after it")
        db.session.remove()
        db.engine.dispose()  # no connection of ours may hold the old tables
        if kind == "postgresql":
            databases.restore_postgresql(url, parts[PARTS[kind]], final_sql(manifest, None if older else latest))
        else:
            databases.restore_sqlite(url, parts[PARTS[kind]], lambda engine: check_sqlite(engine, manifest,
                                                                                         None if older else latest))
        files = replace_folder(uploads, parts[UPLOADS])
    outcome.say(f"Restored {path} in {time.perf_counter() - started:.1f} s: ledger head {head.sequence:,}, schema "
                f"{manifest['database']['revision']}, {files:,} uploaded file(s). Search indexes rebuild on their "
                "hosts; run `flask --app wsgi db upgrade` if the code is newer than the backup.")
    if older:
        outcome.say(f"NOTE: older than the latest checkpoint in {latest_file} (kept as it is); the worker's "
                    "checkpoint job reports the difference until an operator moves that file aside.")
    return outcome


def final_sql(manifest, latest):
    """Checks run at the end of the PostgreSQL restore's transaction (any failure rolls it all back),
    then the search replicas are forgotten so every host rebuilds its index."""
    head = head_of(manifest)
    checks = [f"(SELECT hash FROM public.ledger_head WHERE id = 1) IS DISTINCT FROM '{quoted(head.hash)}' AND {int(head.sequence)} > 0",
              f"(SELECT version_num FROM public.alembic_version) IS DISTINCT FROM '{quoted(manifest['database']['revision'])}'"]
    if latest is not None and latest["payload"]["sequence"] > 0:
        payload = latest["payload"]
        checks.append(f"(SELECT hash FROM public.ledger_chain WHERE sequence = {int(payload['sequence'])}) "
                      f"IS DISTINCT FROM '{quoted(payload['head_hash'])}'")
    body = "\n".join(f"  IF {check} THEN RAISE EXCEPTION 'the restored database does not match its manifest or "
                     f"the latest checkpoint (check {number})'; END IF;" for number, check in enumerate(checks, 1))
    return f"DO $$\nBEGIN\n{body}\nEND $$;\nDELETE FROM public.search_replicas;\n"


def quoted(value):
    """A hash or revision id put into SQL: only letters, digits and underscores pass."""
    if not re.fullmatch(r"[0-9A-Za-z_]{1,128}", str(value)):
        raise databases.RestoreRefused(f"{value!r} is not a hash or revision id")
    return value


def check_sqlite(engine, manifest, latest):
    with engine.begin() as connection:
        try:
            check_restored(connection, manifest)
            checkpoints.compare(latest, head_of(manifest), lambda s: checkpoints.hash_at(connection, s))
        except (BackupBroken, CheckpointError) as error:
            raise databases.RestoreRefused(str(error))
        connection.execute(text("DELETE FROM search_replicas"))


def visible(names):
    """Entries of the upload folder that are uploads: names starting with a dot are ours (a
    restore's unpacking or kept files, the readiness probe) and never backed up."""
    return [name for name in names if not name.startswith(".")]


def folder_has_files(folder):
    return os.path.isdir(folder) and bool(visible(os.listdir(folder)))


def replace_folder(folder, bundle_path):
    """Unpack the uploads inside the folder (the same file system, even when it is a mount), move
    what was there into `.before-restore-<time>` beside them, then move the backup's files in."""
    os.makedirs(folder, exist_ok=True)
    fresh = tempfile.mkdtemp(prefix=".restore-", dir=folder)
    try:
        with tarfile.open(bundle_path) as bundle:
            members = [member for member in bundle if member.isfile()]
            bundle.extractall(fresh, members=members, filter="data")
        old = visible(os.listdir(folder))
        if old:
            kept = os.path.join(folder, f".before-restore-{utcnow():%Y%m%dT%H%M%S%fZ}")
            os.mkdir(kept)
            for name in old:
                os.rename(os.path.join(folder, name), os.path.join(kept, name))
        for name in os.listdir(fresh):
            os.rename(os.path.join(fresh, name), os.path.join(folder, name))
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    return len(members)


# -- checkpoint --------------------------------------------------------------------------------
def write_checkpoint(now=None):
    """Move LEDGER_CHECKPOINT_FILE to the current head (never back). Returns the head written, or
    None (not set, or not newer). Raises CheckpointError when the database is behind the file or
    has another history."""
    _url, key, latest_file, _uploads = settings()
    if not latest_file:
        return None
    with snapshot_connection(db.engine) as connection, connection.begin():
        head = checkpoints.read_head(connection)
    document = checkpoints.signed(head, key, now or utcnow())
    return head if checkpoints.advance(latest_file, document, live_hash_at) else None
