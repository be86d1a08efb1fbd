"""`flask backup create|verify|restore|checkpoint` on the test database (SQLite, or PostgreSQL with
TEST_DATABASE_URL): the file's form, a scratch restore with the ledger verified, restores into an
empty database, and backups older than (or at odds with) the latest checkpoint."""
import hashlib
import io
import json
import os
import stat
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from marketplace.extensions import db
from marketplace.ledger.models import LedgerHead
from marketplace.vouchers.models import Voucher, VoucherProgram
from tests.backup.conftest import KEY


def create(runner, path):
    outcome = runner.invoke(args=["backup", "create", str(path)])
    assert outcome.exit_code == 0, outcome.output
    return outcome


def manifest_of(path):
    with tarfile.open(path) as bundle:
        first = bundle.next()
        assert first.name == "manifest.json"
        return json.load(bundle.extractfile(first)), bundle.getnames()


def test_a_backup_is_one_private_tar_with_its_signed_manifest_first(shop, runner, app, tmp_path):
    path = tmp_path / "backup.tar"
    create(runner, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    manifest, names = manifest_of(path)
    kind = db.engine.dialect.name
    part = "database.pgdump" if kind == "postgresql" else "database.sqlite3"
    assert names == ["manifest.json", part, "uploads.tar"]
    head = db.session.get(LedgerHead, 1)
    assert manifest["database"]["kind"] == kind and manifest["database"]["revision"]
    assert manifest["ledger"] == {"sequence": head.sequence, "head_hash": head.hash} and head.sequence > 0
    assert manifest["checkpoint"]["payload"]["sequence"] == head.sequence and manifest["checkpoint"]["signature"]
    assert manifest["signature"] and manifest["uploads"] == {"files": 2}
    with tarfile.open(path) as bundle:
        for entry in manifest["parts"]:
            data = bundle.extractfile(entry["name"]).read()
            assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"])
    # The latest checkpoint, outside the database, moved to this head.
    latest = json.loads(Path(app.config["LEDGER_CHECKPOINT_FILE"]).read_text())
    assert latest["payload"]["sequence"] == head.sequence and latest["payload"]["head_hash"] == head.hash


def test_verify_restores_into_a_scratch_database_and_runs_the_ledger_check(shop, runner, tmp_path):
    path = tmp_path / "backup.tar"
    create(runner, path)
    outcome = runner.invoke(args=["backup", "verify", str(path)])
    assert outcome.exit_code == 0, outcome.output
    assert "Ledger intact" in outcome.output and "Backup intact" in outcome.output
    assert "signatures checked" in outcome.output


def rewrite(path, change):
    """Rewrite the tar with change(name, data) → data applied to each member."""
    with tarfile.open(path) as bundle:
        members = [(member, bundle.extractfile(member).read()) for member in bundle]
    with tarfile.open(path, "w") as bundle:
        for member, data in members:
            data = change(member.name, data)
            member.size = len(data)
            bundle.addfile(member, io.BytesIO(data))


def test_an_altered_backup_fails_verify(shop, runner, tmp_path):
    path = tmp_path / "backup.tar"
    create(runner, path)
    altered = tmp_path / "altered.tar"
    altered.write_bytes(path.read_bytes())
    rewrite(altered, lambda name, data: data[:-1] + bytes([data[-1] ^ 1]) if name.startswith("database") else data)
    outcome = runner.invoke(args=["backup", "verify", str(altered)])
    assert outcome.exit_code == 1 and "altered or cut short" in outcome.output
    # A manifest edited to match the altered part is caught by its signature.
    resigned = tmp_path / "resigned.tar"
    resigned.write_bytes(path.read_bytes())

    def edit(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["ledger"]["sequence"] += 1
            return json.dumps(manifest).encode()
        return data

    rewrite(resigned, edit)
    outcome = runner.invoke(args=["backup", "verify", str(resigned)])
    assert outcome.exit_code == 1 and "signature is not valid" in outcome.output


def on(app, *args):
    """Run a command on another installation (the test holds the first one's app context)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def counts(url):
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return (connection.execute(select(func.count()).select_from(Voucher.__table__)).scalar(),
                    connection.execute(text("SELECT sequence FROM ledger_head")).scalar(),
                    connection.execute(text("SELECT count(*) FROM search_replicas")).scalar())
    finally:
        engine.dispose()


def test_restore_into_an_empty_installation_and_never_over_data_without_force(shop, runner, target, tmp_path,
                                                                            empty_database):
    path = tmp_path / "backup.tar"
    create(runner, path)
    vouchers, sequence = db.session.scalar(select(func.count()).select_from(Voucher)), db.session.get(LedgerHead, 1).sequence
    db.session.commit()
    outcome = on(target, "backup", "restore", str(path))
    assert outcome.exit_code == 0, outcome.output
    # The same vouchers and ledger; the search replicas forgotten, so every host rebuilds its index.
    assert counts(empty_database) == (vouchers, sequence, 0)
    uploads = Path(target.config["UPLOAD_DIR"])
    assert (uploads / "ab" / "logo.webp").read_bytes() == b"RIFF-not-really-an-image"
    assert on(target, "ledger", "verify").exit_code == 0
    again = on(target, "backup", "restore", str(path))
    assert again.exit_code == 1 and "not empty" in again.output
    (uploads / "added-later.pdf").write_bytes(b"%PDF after the backup")
    forced = on(target, "backup", "restore", str(path), "--force")
    assert forced.exit_code == 0, forced.output
    assert counts(empty_database) == (vouchers, sequence, 0)
    # What the folder held is kept aside (not served, not backed up), the backup's files are in place.
    assert sorted(p.name for p in uploads.iterdir() if not p.name.startswith(".")) == ["ab", "evidence.pdf"]
    kept, = uploads.glob(".before-restore-*")
    assert (kept / "added-later.pdf").exists()
    again_path = tmp_path / "again.tar"
    assert on(target, "backup", "create", str(again_path)).exit_code == 0
    assert manifest_of(again_path)[0]["uploads"] == {"files": 2}


def test_a_backup_older_than_the_latest_checkpoint_is_reported_and_not_restored_silently(
        shop, runner, target, tmp_path, make_program, make_user, issue, empty_database):
    path = tmp_path / "backup.tar"
    program_id = shop.id
    create(runner, path)
    issue(db.session.get(VoucherProgram, program_id), make_user("enterprise"), 500_00)  # the ledger moves on …
    written = runner.invoke(args=["backup", "checkpoint"])  # … and the latest checkpoint with it
    assert written.exit_code == 0 and "Latest checkpoint" in written.output
    verified = runner.invoke(args=["backup", "verify", str(path)])
    assert verified.exit_code == 3 and "OLDER than the latest checkpoint" in verified.output
    refused = on(target, "backup", "restore", str(path))
    assert refused.exit_code == 3 and "--accept-older" in refused.output
    assert counts_or_none(empty_database) is None  # nothing was restored
    accepted = on(target, "backup", "restore", str(path), "--accept-older")
    assert accepted.exit_code == 0, accepted.output
    # The file never moves back: the restored (older) database is behind it.
    behind = on(target, "backup", "checkpoint")
    assert behind.exit_code == 1 and "before the latest checkpoint" in behind.output


def counts_or_none(url):
    try:
        return counts(url)
    except Exception:  # noqa: BLE001 — no tables: nothing restored
        return None


def test_a_backup_with_another_history_at_the_checkpoint_is_refused(shop, runner, target, tmp_path, app,
                                                                     empty_database):
    path = tmp_path / "backup.tar"
    create(runner, path)
    head = db.session.get(LedgerHead, 1)
    db.session.commit()
    from marketplace.backup.checkpoints import Head, signed
    from marketplace.database import utcnow

    forged = signed(Head(1, "f" * 64), KEY, utcnow())  # transfer 1 had another hash "then"
    Path(app.config["LEDGER_CHECKPOINT_FILE"]).write_text(json.dumps(forged))
    assert head.sequence > 1
    verified = runner.invoke(args=["backup", "verify", str(path)])
    assert verified.exit_code == 1 and "another history" in verified.output
    refused = on(target, "backup", "restore", str(path))
    assert refused.exit_code == 1 and "Restore refused" in refused.output
    assert counts_or_none(empty_database) is None  # PostgreSQL: the one transaction rolled back


def test_the_worker_keeps_the_latest_checkpoint_and_never_moves_it_back(shop, app, make_user, issue):
    from marketplace.worker import run_job

    latest = Path(app.config["LEDGER_CHECKPOINT_FILE"])
    assert run_job("ledger checkpoint").results == {"written": 1}
    first = json.loads(latest.read_text())
    assert run_job("ledger checkpoint").results == {None: 1}  # nothing new
    issue(shop, make_user("enterprise"), 200_00)
    assert run_job("ledger checkpoint").results == {"written": 1}
    second = json.loads(latest.read_text())
    assert second["payload"]["sequence"] > first["payload"]["sequence"]
    from marketplace.backup.checkpoints import signature_ok

    assert signature_ok(second, KEY)
    app.config["LEDGER_CHECKPOINT_FILE"] = ""
    assert run_job("ledger checkpoint").results == {None: 1}  # off unless set
