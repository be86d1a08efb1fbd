"""Demo data: fictional but plausible Xiamen organisations. Idempotent: safe to run again."""
from sqlalchemy import func, select

from marketplace.auth import credit_code
from marketplace.auth.models import Organisation, OrgStatus, Role, User
from marketplace.extensions import db

DEMO_PASSWORD = "demo-pass-2026"

# (kind, status, legal name, 17 code characters before the check character, legal rep, contact, e-mail)
ORGANISATIONS = (
    ("enterprise", "approved", "厦门海沧智造科技有限公司", "91350205MA2XH7K1Q", "陈志明", "林晓燕", "ent1@demo.torch.cn"),
    ("enterprise", "approved", "厦门鹭岛新材料股份有限公司", "91350200MA31BN4P0", "黄建国", "王丽", "ent2@demo.torch.cn"),
    ("enterprise", "approved", "厦门云帆信息技术有限公司", "91350203MA34DQ8L2", "郑伟", "刘洋", "ent3@demo.torch.cn"),
    ("enterprise", "pending", "厦门集美蓝海生物科技有限公司", "91350211MA8RXC5G7", "吴海燕", "张强", "ent4@demo.torch.cn"),
    ("provider", "approved", "厦门鹭江知识产权代理事务所", "91350203MA2Y0E3F1", "李明华", "许静", "ip@demo.torch.cn"),
    ("provider", "approved", "厦门火炬检测认证中心有限公司", "12350200MB0P17442", "苏国栋", "蔡敏", "lab@demo.torch.cn"),
    ("provider", "approved", "厦门创研工业设计有限公司", "91350206MA32TK9W5", "何振宇", "邱婷", "design@demo.torch.cn"),
    ("provider", "approved", "厦门高新技术企业服务中心", "52350200MJ0R63718", "叶青", "方磊", "consult@demo.torch.cn"),
    ("provider", "pending", "厦门海峡技术转移服务有限公司", "91350205MA8T2N6D3", "洪晓东", "施雅", "transfer@demo.torch.cn"),
)
ADMIN_EMAIL = "admin@demo.torch.cn"


def demo_admin():
    return db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))


def database_is_empty():
    return db.session.scalar(select(func.count()).select_from(User)) == 0


def demo_logins():
    """(role, e-mail, label) for each demo account."""
    rows = [("admin", ADMIN_EMAIL, "平台管理员")]
    for kind, status, name, *_rest, email in ORGANISATIONS:
        rows.append((kind, email, f"{name}（{'已审核' if status == 'approved' else '待审核'}）"))
    return rows


def seed_demo():
    """Create the demo organisations, accounts and later features' demo data that are missing."""
    from marketplace.catalog.demo import seed_catalog
    from marketplace.vouchers.demo import seed_vouchers

    admin = ensure_user(ADMIN_EMAIL, "平台管理员", Role.ADMIN, None)
    for kind, status, name, first17, representative, contact, email in ORGANISATIONS:
        organisation = ensure_organisation(kind, status, name, credit_code.complete(first17), representative, contact)
        ensure_user(email, contact, kind, organisation)
    db.session.flush()
    seed_vouchers(admin)
    seed_catalog(admin)


def ensure_organisation(kind, status, name, code, representative, contact):
    organisation = db.session.scalar(select(Organisation).where(Organisation.credit_code == code))
    if organisation is None:
        organisation = Organisation(kind=kind, status=OrgStatus(status), legal_name=name, credit_code=code,
                                    is_high_tech=name.endswith("股份有限公司"),
                                    legal_representative=representative, city="厦门", contact_name=contact,
                                    contact_phone="0592-5" + code[10:16].translate(DIGITS))
        db.session.add(organisation)
    return organisation


DIGITS = str.maketrans("ABCDEFGHJKLMNPQRTUWXY", "012345678901234567890")


def ensure_user(email, name, role, organisation):
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, role=role, organisation=organisation)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
    return user
