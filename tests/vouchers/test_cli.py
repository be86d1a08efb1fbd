from datetime import timedelta

from sqlalchemy import func, select

from marketplace import ledger
from marketplace.extensions import db
from marketplace.vouchers.models import Voucher


def test_issue_batch_dry_run_then_real(runner, make_program, make_org, tmp_path, admin):
    program = make_program(code="CLI1")
    org = make_org(kind="enterprise")
    db.session.commit()
    path = tmp_path / "grants.csv"
    path.write_text(f"credit_code,amount_yuan,memo\n{org.credit_code},300,CLI\nnope,1,x\n", encoding="utf-8")
    dry = runner.invoke(args=["vouchers", "issue-batch", "CLI1", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "line 3: NOPE: unknown" in dry.output and "Dry run" in dry.output
    assert db.session.scalar(select(func.count()).select_from(Voucher)) == 0
    real = runner.invoke(args=["vouchers", "issue-batch", "CLI1", str(path)])
    assert real.exit_code == 0 and "1 voucher(s) issued, ¥300.00" in real.output
    again = runner.invoke(args=["vouchers", "issue-batch", "CLI1", str(path)])
    assert again.exit_code != 0 and "already been issued" in again.output
    assert db.session.scalar(select(func.count()).select_from(Voucher)) == 1


def test_expire_command_runs_twice_safely(runner, make_program, enterprise, issue):
    program = make_program()
    voucher = issue(program, enterprise, 1_000_00)
    after = (program.use_by + timedelta(days=1)).isoformat() + "T00:00:00+08:00"
    first = runner.invoke(args=["vouchers", "expire", "--now", after])
    second = runner.invoke(args=["vouchers", "expire", "--now", after])
    assert "1 voucher(s) lapsed, ¥1,000.00" in first.output
    assert "0 voucher(s) lapsed" in second.output
    assert ledger.balance(db.session, voucher.account_id).available == 0
    assert runner.invoke(args=["vouchers", "expire", "--now", "2026-01-01"]).exit_code != 0  # naive time refused


def test_worker_runs_every_job_once(runner, make_program, enterprise):
    make_program()
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    from marketplace.notifications.models import OutboxMail
    assert {m.status for m in db.session.scalars(select(OutboxMail))} == {"logged"}


def test_seed_demo_programs_reconcile_and_verify(runner):
    from marketplace.vouchers.models import VoucherProgram

    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    programs = {p.code: p for p in db.session.scalars(select(VoucherProgram))}
    assert programs["HJ2026"].status == "open" and programs["HJ2025"].status == "final"
    for program in programs.values():
        assert ledger.reconciliation(db.session, program.id).balanced
    # 2025 closed for the year: its ¥50,000 of lapsed vouchers and its unissued budget went back
    totals = programs["HJ2025"].final_account["totals"]
    assert totals["lapsed"] == 5_000_000 and totals["returned"] == programs["HJ2025"].budget_fen
    db.session.commit()
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0
