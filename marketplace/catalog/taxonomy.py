"""The service categories of the zone (DESIGN.md). Slugs are a public interface (CSV import)."""
from marketplace.i18n import N_

# slug → English msgid; the Chinese names (知识产权, 检验检测认证, …) are their translations.
CATEGORY_LABELS = {
    "ip": N_("Intellectual property"),
    "testing": N_("Testing, inspection and certification"),
    "rnd": N_("R&D and design"),
    "consulting": N_("Technology consulting"),
    "transfer": N_("Technology transfer"),
    "finance": N_("Technology finance"),
    "incubation": N_("Start-up incubation"),
    "training": N_("Talent training"),
    "data": N_("Instrument sharing and data services"),
}

# Chinese names, English names and sub-categories as seeded into the `categories` table by the
# catalogue migration (the migration holds its own copy: migrations never import app code).
CATEGORY_NAMES = {
    "ip": ("知识产权", "Intellectual property"),
    "testing": ("检验检测认证", "Testing, inspection and certification"),
    "rnd": ("研究开发与设计", "R&D and design"),
    "consulting": ("科技咨询", "Technology consulting"),
    "transfer": ("技术转移", "Technology transfer"),
    "finance": ("科技金融", "Technology finance"),
    "incubation": ("创业孵化", "Start-up incubation"),
    "training": ("人才培训", "Talent training"),
    "data": ("仪器共享与数据服务", "Instrument sharing and data services"),
}

SUBCATEGORIES = {
    "ip": [("ip-patent", "专利申请代理", "Patent filing"), ("ip-trademark", "商标注册", "Trademark registration"),
           ("ip-copyright", "软件著作权登记", "Software copyright registration"),
           ("ip-management", "知识产权贯标与分析", "IP management and analytics")],
    "testing": [("testing-product", "产品检测", "Product testing"), ("testing-emc", "电磁兼容检测", "EMC testing"),
                ("testing-certification", "体系与产品认证", "System and product certification"),
                ("testing-materials", "材料分析", "Materials analysis")],
    "rnd": [("rnd-industrial-design", "工业设计", "Industrial design"), ("rnd-prototyping", "样机试制", "Prototyping"),
            ("rnd-software", "软件研发", "Software development"), ("rnd-process", "工艺开发", "Process development")],
    "consulting": [("consulting-hightech", "高企认定咨询", "High-tech enterprise recognition"),
                   ("consulting-grants", "科技项目申报", "Grant applications"),
                   ("consulting-rd-deduction", "研发费用加计扣除", "R&D super-deduction")],
    "transfer": [("transfer-brokerage", "技术经纪", "Technology brokerage"),
                 ("transfer-valuation", "技术评估", "Technology valuation"),
                 ("transfer-contracts", "技术合同登记", "Technology contract registration")],
    "finance": [("finance-ip-pledge", "知识产权质押融资", "IP-backed loans"),
                ("finance-venture", "创业投资对接", "Venture capital matching"),
                ("finance-insurance", "科技保险", "Technology insurance")],
    "incubation": [("incubation-space", "众创空间入驻", "Co-working space"),
                   ("incubation-mentoring", "创业辅导", "Start-up mentoring"),
                   ("incubation-roadshow", "路演对接", "Roadshows")],
    "training": [("training-engineers", "工程师培训", "Engineer training"),
                 ("training-management", "创新管理培训", "Innovation management training"),
                 ("training-ip", "知识产权培训", "IP training")],
    "data": [("data-instruments", "大型仪器共享", "Large instrument sharing"),
             ("data-analysis", "数据分析服务", "Data analysis"),
             ("data-computing", "算力与仿真", "Computing and simulation")],
}
