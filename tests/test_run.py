"""`make run`'s process set: the Procfile names every part of the system, and the demo's SMTP sink
really receives what the worker sends."""
import subprocess
import sys
from pathlib import Path

from honcho.environ import parse_procfile

from marketplace.notifications.models import OutboxMail
from marketplace.notifications.services import deliver_pending
from marketplace.payments.localstripe import free_port
from marketplace.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def test_the_procfile_runs_web_worker_emulator_and_mail_sink():
    processes = parse_procfile((ROOT / "Procfile").read_text()).processes
    assert set(processes) == {"web", "worker", "stripe", "mail"}
    assert processes["worker"].endswith("flask --app wsgi worker")
    assert "marketplace.payments.localstripe" in processes["stripe"]
    for command in processes.values():
        assert (ROOT / command.split()[0]).exists()


def test_the_demo_mail_sink_prints_what_the_worker_sends(app):
    port = free_port()
    sink = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "mail_sink.py"), "--port", str(port)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert "SMTP sink" in sink.stdout.readline()
        db.session.add(OutboxMail(to_email="ent1@example.com", subject="订单 TO1 已付款", body="正文"))
        db.session.commit()
        assert deliver_pending(db.session, "127.0.0.1", port, "noreply@example.com")["sent"] == 1
        db.session.commit()
        assert sink.stdout.readline().strip() == "mail to ent1@example.com: 订单 TO1 已付款"
    finally:
        sink.terminate()
        sink.wait(10)
        sink.stdout.close()
