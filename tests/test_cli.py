from sqlalchemy import func, select

from marketplace.auth.models import Organisation, User
from marketplace.extensions import db


def test_create_admin_from_stdin(runner):
    result = runner.invoke(args=["users", "create-admin", "--email", "Boss@Example.com", "--password-stdin"],
                           input="admin-pass-123\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.com"))
    assert user.role == "admin" and user.check_password("admin-pass-123")


def test_create_admin_rejects_weak_password_and_duplicates(runner, make_user):
    weak = runner.invoke(args=["users", "create-admin", "--email", "a@example.com", "--password-stdin"], input="short\n")
    assert weak.exit_code != 0 and "10 to 128" in weak.output
    make_user(email="taken@example.com")
    dup = runner.invoke(args=["users", "create-admin", "--email", "taken@example.com", "--password-stdin"],
                        input="admin-pass-123\n")
    assert dup.exit_code != 0 and "already exists" in dup.output


def test_create_admin_prompts_for_password(runner):
    result = runner.invoke(args=["users", "create-admin", "--email", "p@example.com"],
                           input="admin-pass-123\nadmin-pass-123\n")
    assert result.exit_code == 0, result.output


def test_seed_demo_is_idempotent_and_prints_logins(runner):
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    counted = (db.session.scalar(select(func.count()).select_from(User)),
               db.session.scalar(select(func.count()).select_from(Organisation)))
    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0
    assert counted == (db.session.scalar(select(func.count()).select_from(User)),
                       db.session.scalar(select(func.count()).select_from(Organisation)))
    assert "admin@demo.torch.cn" in first.output and "demo-pass-2026" in first.output
    kinds = db.session.execute(select(Organisation.kind, Organisation.status)).all()
    assert sum(1 for kind, _ in kinds if kind == "enterprise") >= 3
    assert sum(1 for kind, _ in kinds if kind == "provider") >= 5
    assert {status for _, status in kinds} >= {"approved", "pending"}


def test_seed_if_empty_skips_a_used_database(runner, make_user):
    make_user()
    result = runner.invoke(args=["seed", "demo", "--if-empty"])
    assert "not loaded again" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_demo_credit_codes_pass_the_check(runner):
    from marketplace.auth import credit_code

    runner.invoke(args=["seed", "demo"])
    assert all(credit_code.is_valid(code) for code in db.session.scalars(select(Organisation.credit_code)))
