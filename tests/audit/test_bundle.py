"""The signed audit bundle (issue 15): `ledger bundle FILE` writes chain, balances and a signed
checkpoint; the standalone checker (no database) accepts it, and refuses a tampered, truncated
or re-signed one. `ledger export --since` counts Beijing days."""
import gzip
import json
import subprocess
import sys
from datetime import datetime

from marketplace.audit.bundle import check_bundle
from marketplace.extensions import db
from tests.redemption.conftest import complete_order, program  # noqa: F401
from tests.orders.conftest import buyer, funded_buyer, listing, make_listing, make_provider, seller  # noqa: F401


def lines(path):
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def rewrite(path, records):
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


def test_a_bundle_checks_without_the_database_and_catches_tampering(app, runner, complete_order, tmp_path):
    complete_order()
    db.session.commit()
    path = tmp_path / "bundle.jsonl.gz"
    result = runner.invoke(args=["ledger", "bundle", str(path)])
    assert result.exit_code == 0 and "signed" in result.output, result.output
    key = app.config["AUDIT_CHECKPOINT_KEY"]
    key_file = tmp_path / "key"
    key_file.write_text(key)
    checked = subprocess.run([sys.executable, "-m", "marketplace.audit.bundle", str(path), "--key-file", str(key_file)],
                             capture_output=True, text=True)
    assert checked.returncode == 0 and "Bundle intact" in checked.stdout and "signature checked" in checked.stdout
    assert check_bundle(path, "another key")[1] == "the checkpoint's signature is not valid for this key"

    records = lines(path)
    transfer = next(record for record in records if "t" in record)
    transfer["t"][3] += 1  # an amount changed
    rewrite(tmp_path / "amount.gz", records)
    assert not check_bundle(tmp_path / "amount.gz", key)[0]
    rewrite(tmp_path / "short.gz", lines(path)[:-3])
    ok, message = check_bundle(tmp_path / "short.gz", key)
    assert not ok and "cut short" in message
    records = lines(path)
    account = next(record for record in records if "a" in record)
    account["a"][5] += 100
    records[-1]["end"]["sha256"] = "0" * 64
    rewrite(tmp_path / "account.gz", records)
    assert not check_bundle(tmp_path / "account.gz", key)[0]


def test_export_since_a_day_counts_from_midnight_in_beijing(app, runner):
    """01:00 in Beijing on 10 June is still 9 June in UTC: the old export (UTC days) left it out."""
    from marketplace import ledger
    from marketplace.database import SimulatedClock
    from marketplace.vouchers.rules import SHANGHAI

    SimulatedClock.now = datetime(2026, 6, 10, 1, 0, tzinfo=SHANGHAI)
    try:
        source = ledger.open_account(db.session, "test:source", "funder")
        target = ledger.open_account(db.session, "test:target", "program_budget")
        early = ledger.transfer(db.session, source.id, target.id, 100, kind="fund", key="early-morning")
        db.session.commit()
    finally:
        SimulatedClock.now = None
    exported = runner.invoke(args=["ledger", "export", "--since", "2026-06-10"]).output.splitlines()
    assert str(early.id) in {line.split(",")[1] for line in exported[1:]}
    later = runner.invoke(args=["ledger", "export", "--since", "2026-06-11"]).output.splitlines()
    assert len(later) == 1  # the header only
