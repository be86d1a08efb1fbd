"""The loopback multi-host run (issue 17, item 3): haproxy, two app hosts and two workers on
PostgreSQL, Redis, SeaweedFS and localstripe; a mixed load with one host killed and restarted;
the program-opening rush. Minutes long, so only with CLUSTER=1 (deselected otherwise)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.cluster
def test_two_hosts_behind_haproxy_survive_a_host_kill(tmp_path):
    if not shutil.which("haproxy"):
        pytest.fail("haproxy is not installed: apt-get install haproxy")
    report_file = tmp_path / "cluster.json"
    result = subprocess.run([sys.executable, str(ROOT / "scripts/cluster_check.py"), "--operations", "200",
                             "--rush", "30", "--report", str(report_file)], cwd=ROOT, capture_output=True,
                            text=True, timeout=1800)
    assert report_file.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(report_file.read_text())
    load = report["load"]
    assert load["failed_otherwise"] == [], load
    assert report["sessions"] == {"login_valid_on_other_host": True, "logout_ends_copy_on_other_host": True}
    assert report["rate_limit_statuses"] == [401] * 5 + [429, 429]
    after = report["counts_after"]
    assert after["orders_paid_twice"] == after["holds_resolved_twice"] == after["orders_in_two_live_requests"] == 0
    assert load["orders_completed_seen"] > 0 and load["redemption_requests_seen"] > 0
    assert report["files"]["rows_without_object"] == []
    assert report["edit_found_by_search_seconds"] and report["kill"]["catch_up_seconds"] is not None
    assert report["rush"]["within_budget"] and report["rush"]["issued_fen"] == report["rush"]["budget_fen"]
    assert report["ledger_verify"]["exit"] == 0 and report["payments_reconcile"]["exit"] == 0
    assert report["ok"], json.dumps(report, ensure_ascii=False, indent=2)
