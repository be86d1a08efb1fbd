"""The simulated marketplace at step 0: operators and an auditor, enterprises (some SMEs or
national high-tech enterprises), admitted providers with fixed-price listings in several
categories (one not voucher-eligible), and open programs with different ratios, caps and windows."""
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

from marketplace.auth import credit_code
from marketplace.auth.models import Organisation, OrgStatus, User
from marketplace.catalog import listings, moderation
from marketplace.catalog.models import AdmissionStatus, ProviderProfile, Qualification
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.vouchers import services as vouchers
from marketplace.vouchers.rules import local_date

PASSWORD = "simulation-pass"
CATEGORIES = ("ip", "testing", "rnd", "consulting", "transfer")


@dataclass
class World:
    operators: list = field(default_factory=list)  # user ids
    auditor: int = 0
    enterprises: list = field(default_factory=list)  # user ids, one user per enterprise
    providers: list = field(default_factory=list)
    listings: list = field(default_factory=list)  # (listing id, package ids)
    programs: list = field(default_factory=list)  # program ids


def organisation(kind, number, rng, **flags):
    code = credit_code.complete(f"91350200{number:09d}")
    org = Organisation(kind=kind, status=OrgStatus.APPROVED, legal_name=f"模拟{kind}{number}有限公司",
                       credit_code=code, legal_representative=f"法人{number}", city=rng.choice(["厦门", "泉州"]),
                       contact_name="联系人", contact_phone=f"0592-{number:07d}", **flags)
    db.session.add(org)
    db.session.flush()
    return org


@cache
def password_hash():
    """One scrypt hash per process, shared by every simulated user (they act through the services,
    never through the login form; hashing 14 passwords took a second of every seed)."""
    probe = User()
    probe.set_password(PASSWORD)
    return probe.password_hash


def user(role, email, org=None, admin_role="operator"):
    account = User(email=email, name=email.split("@")[0], role=role, organisation=org, admin_role=admin_role,
                   password_hash=password_hash())
    db.session.add(account)
    db.session.flush()
    return account


def build(rng, now, enterprises=6, providers=4):
    """Create the world in the session (the caller commits); returns its ids."""
    world = World()
    world.operators = [user("admin", f"operator{n}@sim.test").id for n in (1, 2)]
    world.auditor = user("admin", "auditor@sim.test", admin_role="auditor").id
    for n in range(enterprises):
        org = organisation("enterprise", 100 + n, rng, is_sme=n % 2 == 0, is_high_tech=n % 3 == 0)
        world.enterprises.append(user("enterprise", f"ent{n}@sim.test", org).id)
    operator = db.session.get(User, world.operators[0])
    for n in range(providers):
        provider = user("provider", f"provider{n}@sim.test", organisation("provider", 200 + n, rng))
        admit(provider, now)
        bank_account(provider, operator)
        world.providers.append(provider.id)
        for category in rng.sample(CATEGORIES, 2):
            world.listings.append(listing(provider, operator, category, rng, eligible=n != providers - 1))
    world.programs = [program(operator, now, *terms).id for terms in PROGRAMS]
    for enterprise_id in world.enterprises:  # everyone starts with a voucher where it may hold one
        enterprise = db.session.get(User, enterprise_id)
        for program_id in world.programs:
            try:
                application = vouchers.apply(program_id, enterprise, rng.choice((500_000, 2_000_000)), "启动资金")
            except DomainError:
                continue  # not eligible (an SME-only program)
            vouchers.approve(application.id, operator)
    return world


def bank_account(provider, operator):
    from marketplace.payouts import services as payouts

    account = payouts.submit_bank_account(provider, payouts.BankData(provider.organisation.legal_name, "模拟银行",
                                                                      "厦门分行", f"62220000{provider.id:010d}"))
    payouts.verify_bank_account(operator, account.id)


def admit(provider, now):
    profile = ProviderProfile(organisation=provider.organisation, description="模拟服务机构，提供专业技术服务。" * 2,
                              city="厦门", status=AdmissionStatus.ADMITTED, admitted_at=now - timedelta(days=60))
    profile.qualifications = [Qualification(kind="cnas", number="CNAS L0001", issuer="CNAS",
                                            valid_until=local_date(now) + timedelta(days=3650))]
    db.session.add(profile)
    db.session.flush()


def listing(provider, operator, category, rng, eligible=True):
    packages = tuple(listings.PackageData(name, rng.randrange(1_000, 5_000_000), 10, "服务内容")
                     for name in ("标准版", "加急版")[:rng.choice((1, 2))])
    created = listings.create_listing(provider, listings.ListingData(
        title=f"模拟{category}服务", category_slug=category, summary="模拟", description="模拟服务说明",
        city="厦门", voucher_eligible=eligible, packages=packages))
    listings.submit_listing(provider, created.id)
    moderation.approve_revision(operator, created.working_revision_id)
    db.session.flush()
    return created.id, [package.id for package in created.published_revision.packages]


# (code, ratio, per-order cap or None, full cover below or None, days from now to use_by, to redeem_by, flags)
PROGRAMS = (
    ("SIMA", 3500, None, None, 20, 50, []),
    ("SIMB", 5000, 300_000, 100_000, 60, 90, ["sme"]),
    ("SIMC", 3000, 1_000_000, None, 120, 130, []),
)


def program(operator, now, code, ratio, order_cap, full_cover, use_days, redeem_days, flags, mode="reviewed"):
    today = local_date(now)
    data = vouchers.ProgramData(
        code=code, name=f"模拟项目{code}", funder="模拟管委会", budget_fen=2_000_000_000, valid_from=today - timedelta(days=5),
        use_by=today + timedelta(days=use_days), redeem_by=today + timedelta(days=redeem_days),
        enterprise_cap_fen=10_000_000, ratio_bp=ratio, order_cap_fen=order_cap, full_cover_below_fen=full_cover,
        category_ratios={"testing": min(10000, ratio + 1500)}, eligible_categories=list(CATEGORIES),
        required_flags=flags, issuance_mode=mode)
    created = vouchers.create_program(data, operator)
    vouchers.open_program(created.id, operator)
    return created
