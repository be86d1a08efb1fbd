"""Demo programs: 2026 open with vouchers issued to the demo enterprises; 2025 expired, lapsed
and closed for the year with its final account (决算)."""
from datetime import date, datetime, timezone

from sqlalchemy import select

from marketplace.auth.models import Organisation, User
from marketplace.extensions import db
from marketplace.vouchers import lifecycle, services
from marketplace.vouchers.issuance import IssueItem
from marketplace.vouchers.models import VoucherProgram

ALL_CATEGORIES = ["ip", "testing", "rnd", "consulting", "transfer", "finance", "incubation", "training", "data"]
OPEN = services.ProgramData(
    code="HJ2026", name="2026年度火炬创新券", funder="厦门火炬高技术产业开发区管理委员会",
    description="支持区内科技型企业购买知识产权、检验检测、研发设计等科技服务，每笔合同最高抵扣 35%。",
    budget_fen=500_000_000, valid_from=date(2026, 1, 1), use_by=date(2026, 12, 31), redeem_by=date(2027, 3, 31),
    enterprise_cap_fen=10_000_000, order_cap_fen=2_000_000, ratio_bp=3500, category_ratios={"testing": 4000},
    eligible_categories=ALL_CATEGORIES)
EXPIRED = services.ProgramData(
    code="HJ2025", name="2025年度火炬创新券", funder="厦门火炬高技术产业开发区管理委员会",
    description="上一年度项目，已到期。", budget_fen=200_000_000, valid_from=date(2025, 1, 1),
    use_by=date(2025, 12, 31), redeem_by=date(2026, 3, 31), enterprise_cap_fen=5_000_000, ratio_bp=3000,
    eligible_categories=ALL_CATEGORIES)
# (e-mail of the enterprise's user, 2026 voucher, 2025 voucher) in fen
GRANTS = (("ent1@demo.torch.cn", 8_000_000, 3_000_000), ("ent2@demo.torch.cn", 5_000_000, 2_000_000),
          ("ent3@demo.torch.cn", 3_000_000, 0))


def seed_vouchers(admin):
    if db.session.scalar(select(VoucherProgram.id).where(VoucherProgram.code == OPEN.code)):
        return
    current = open_with_grants(OPEN, admin, 1)
    expired = open_with_grants(EXPIRED, admin, 2)
    services.expire_vouchers(datetime(2026, 1, 2, tzinfo=timezone.utc))
    services.close_program(expired.id, admin, reason="年度结束")
    lifecycle.close_year(expired.id, admin)
    return current


def open_with_grants(data, admin, column):
    program = services.create_program(data, admin)
    services.open_program(program.id, admin)
    items = []
    for email, *amounts in GRANTS:
        organisation = db.session.scalar(select(Organisation).join(User).where(User.email == email))
        if amounts[column - 1]:
            items.append(IssueItem(organisation.id, amounts[column - 1], f"demo:{data.code}:{organisation.id}",
                                   memo="演示数据"))
    services.issue_vouchers(program, items, admin)
    return program
