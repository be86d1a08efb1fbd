from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace import ledger
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.vouchers import services
from marketplace.vouchers.models import Voucher
from marketplace.vouchers.rules import local_date

ALL = ["ip", "testing", "rnd", "consulting", "transfer", "finance", "incubation", "training", "data"]


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def make_program(admin):
    """make_program(open=True, **ProgramData fields) → a program around today, opened by default."""
    counter = iter(range(1, 1000))

    def make(open=True, **fields):
        today = local_date(utcnow())
        values = dict(code=f"T{next(counter):03d}", name="测试创新券", funder="测试管委会", budget_fen=100_000_000,
                      valid_from=today - timedelta(days=30), use_by=today + timedelta(days=60),
                      redeem_by=today + timedelta(days=120), enterprise_cap_fen=10_000_000, eligible_categories=ALL)
        program = services.create_program(services.ProgramData(**{**values, **fields}), admin)
        if open:
            services.open_program(program.id, admin)
        db.session.commit()
        return program
    return make


@pytest.fixture
def enterprise(make_user):
    return make_user("enterprise")


@pytest.fixture
def issue(admin):
    """issue(program, user, amount) → a Voucher issued to the user's organisation via an application."""
    def do(program, user, amount):
        application = services.apply(program.id, user, amount, "测试用途")
        services.approve(application.id, admin)
        db.session.commit()
        return db.session.scalar(select(Voucher).where(Voucher.application_id == application.id))
    return do


def assert_reconciled(program):
    """The DESIGN.md identity holds and the whole ledger verifies."""
    figures = ledger.reconciliation(db.session, program.id)
    assert figures.balanced, figures
    assert figures.funded == program.budget_fen
    db.session.commit()  # on SQLite the verifier needs the write lock this session may hold
    assert ledger.verify(db.engine).ok
