import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from marketplace import create_app
from tests.conftest import config_for_tests

KEY = "backup-test-checkpoint-key"


@pytest.fixture
def shop(app, make_program, enterprise, issue, tmp_path):
    """A database with vouchers issued (so a ledger), two uploaded files and a search replica."""
    from marketplace.extensions import db
    from marketplace.search import outbox_log

    app.config.update(AUDIT_CHECKPOINT_KEY=KEY, LEDGER_CHECKPOINT_FILE=str(tmp_path / "checkpoint" / "latest.json"))
    program = make_program()
    issue(program, enterprise, 1_000_00)
    outbox_log.report(db.session, "host-a:/srv/index", outbox_log.START)
    db.session.commit()
    uploads = Path(app.config["UPLOAD_DIR"])
    (uploads / "ab").mkdir(parents=True)
    (uploads / "ab" / "logo.webp").write_bytes(b"RIFF-not-really-an-image")
    (uploads / "evidence.pdf").write_bytes(b"%PDF-1.4 test")
    return program


@pytest.fixture
def empty_database(database_url, tmp_path):
    """URL of a database with nothing in it, of the same kind as the test database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"{url.database}_restore_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def target(empty_database, tmp_path, shop, app):
    """A second installation (its own database and upload folder) sharing the key and checkpoint file."""
    config = {**config_for_tests(empty_database, tmp_path / "target"), "AUDIT_CHECKPOINT_KEY": KEY,
              "LEDGER_CHECKPOINT_FILE": app.config["LEDGER_CHECKPOINT_FILE"]}
    target_app = create_app(config)
    yield target_app
    from marketplace.extensions import db

    with target_app.app_context():
        db.engine.dispose()
