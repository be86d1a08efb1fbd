"""Demo catalogue: the four approved demo providers admitted with plausible qualifications, and
63 published listings across all nine categories, with generated logos and cover pictures
(marketplace.catalog.demo_images). Idempotent (keyed on external ids)."""
from datetime import date

from sqlalchemy import select

from marketplace.auth.models import Organisation, User
from marketplace.catalog.models import AdmissionEvent, AdmissionStatus, Category, Listing, ListingImage, \
    ListingPackage, ListingRevision, ListingStatus, OutboxAction, ProviderProfile, Qualification, RevisionState
from marketplace.catalog.outbox import record_change
from marketplace.database import utcnow
from marketplace.extensions import db

IP, LAB, DESIGN, CONSULT = "ip@demo.torch.cn", "lab@demo.torch.cn", "design@demo.torch.cn", "consult@demo.torch.cn"

PROFILES = {
    IP: ("专注专利、商标与软件著作权代理二十年，拥有执业专利代理师 18 名，服务厦门及福建 1,200 余家科技企业。"
         "提供从技术交底、检索分析到布局挖掘、无效与诉讼支持的全流程知识产权服务。",
         ["ip", "transfer", "finance", "training"],
         [("patent_agency", "35208", "国家知识产权局", date(2029, 6, 30)),
          ("trademark_agency", "TM-FJ-2019-0417", "国家知识产权局商标局", date(2028, 12, 31))]),
    LAB: ("第三方检验检测与认证机构，CNAS 认可实验室、CMA 资质认定，覆盖电子电气、新材料、环境可靠性与电磁兼容检测，"
          "配备 3 米法电波暗室、扫描电镜等大型仪器，可对外共享。",
          ["testing", "data", "training"],
          [("cnas", "CNAS L12345", "中国合格评定国家认可委员会", date(2030, 3, 14)),
           ("cma", "231312340567", "福建省市场监督管理局", date(2029, 9, 1)),
           ("iso9001", "00124Q35678R1M", "中国质量认证中心", date(2026, 12, 20))]),
    DESIGN: ("工业设计与产品研发服务商，省级工业设计中心，团队 60 人，擅长智能硬件、医疗器械与消费电子的外观、结构设计、"
             "样机试制与小批量验证。",
             ["rnd", "data", "incubation"],
             [("iso9001", "04522Q10888R0S", "中国质量认证中心", date(2028, 5, 31)),
              ("other", "闽工信〔2023〕12号", "福建省工业和信息化厅（省级工业设计中心）", date(2027, 12, 31))]),
    CONSULT: ("服务高新区企业的综合科技服务机构，提供高新技术企业认定、科技项目申报、研发费用加计扣除、技术合同登记、"
              "创业辅导与投融资对接，累计辅导 500 余家企业通过国家高新技术企业认定。",
              ["consulting", "incubation", "finance", "training", "transfer"],
              [("tech_broker", "JSJJ-350200-0031", "厦门市科学技术局", date(2028, 8, 31)),
               ("iso9001", "15/22Q6789R00", "方圆标志认证集团", date(2027, 4, 30))]),
}

# provider, key, category, title, summary, tags, voucher-eligible, delivery, packages [(name, yuan, days, includes)]
LISTINGS = [
    (IP, "ip-01", "ip-patent", "发明专利申请代理（含技术交底与检索）", "资深代理师一对一撰写，授权率 80% 以上。", "专利;发明;检索", True, "受理通知书 30 个工作日内",
     [("标准版", 6800, 30, "检索报告、撰写、提交与答复 1 次"), ("加急版", 9800, 15, "优先撰写，答复 3 次")]),
    (IP, "ip-02", "ip-patent", "实用新型专利申请", "结构类创新的快速保护方案。", "专利;实用新型", True, "20 个工作日", [("标准版", 2800, 20, "撰写、附图与提交")]),
    (IP, "ip-03", "ip-patent", "外观设计专利申请", "产品外观快速确权，含六面视图绘制。", "专利;外观设计", True, "10 个工作日", [("标准版", 1500, 10, "视图绘制与提交")]),
    (IP, "ip-04", "ip-patent", "PCT 国际专利申请", "进入美欧日韩前的国际阶段一站式代理。", "专利;PCT;海外", True, "30 个工作日",
     [("国际阶段", 16000, 30, "PCT 申请文件与国际检索跟进"), ("含英文翻译", 26000, 45, "专业英文翻译与校对")]),
    (IP, "ip-05", "ip-trademark", "商标注册申请（单类）", "商标查询、风险评估与提交。", "商标;注册", False, "3 个工作日", [("单类", 800, 3, "查询、申请书、提交")]),
    (IP, "ip-06", "ip-copyright", "软件著作权登记", "源代码与说明书整理，快速下证。", "软著;软件著作权", True, "30 个工作日",
     [("普通", 1200, 30, "材料整理与提交"), ("加急", 2600, 10, "加急办理")]),
    (IP, "ip-07", "ip-management", "企业知识产权管理体系贯标（GB/T 29490）", "贯标辅导直至取得认证。", "贯标;知识产权管理", True, "4–6 个月",
     [("辅导", 30000, 150, "诊断、文件编写、内审与认证陪审")]),
    (IP, "ip-08", "ip-management", "专利导航与技术情报分析", "面向研发立项的专利地图与竞争对手分析。", "专利分析;导航", True, "40 个工作日",
     [("专题报告", 45000, 40, "检索、分析、可视化报告与汇报")]),
    (IP, "tr-01", "transfer-valuation", "专利价值评估报告", "用于作价入股、质押融资与交易的评估报告。", "评估;专利", True, "20 个工作日",
     [("单件专利", 12000, 20, "评估报告一份")]),
    (IP, "fi-01", "finance-ip-pledge", "知识产权质押融资对接", "协助企业以专利、商标向合作银行申请质押贷款。", "质押;融资;银行", False, "视银行审批", None),
    (IP, "tn-01", "training-ip", "企业专利挖掘实务培训（内训）", "面向研发工程师的专利挖掘与交底书撰写。", "培训;专利挖掘", True, "1 天",
     [("1 天内训", 9000, 1, "讲师、讲义、案例练习，30 人以内")]),
    (LAB, "ts-01", "testing-emc", "电磁兼容（EMC）预测试", "3 米法暗室，整改前快速摸底。", "EMC;电磁兼容;预测试", True, "3 个工作日",
     [("半天", 3500, 1, "辐射与传导发射摸底"), ("全天", 6000, 1, "含工程师整改建议")]),
    (LAB, "ts-02", "testing-emc", "CCC / CE 电磁兼容正式检测", "出具 CNAS/CMA 标识报告。", "EMC;CE;CCC", True, "10 个工作日",
     [("标准", 18000, 10, "正式检测与报告")]),
    (LAB, "ts-03", "testing-product", "锂电池安全检测（GB 31241）", "便携式电子产品用锂电池安全检测。", "锂电池;安全", True, "15 个工作日",
     [("全项", 22000, 15, "全项检测与报告")]),
    (LAB, "ts-04", "testing-product", "环境可靠性试验（高低温、湿热、振动）", "按 GB/T 2423 系列执行。", "可靠性;高低温;振动", True, "7 个工作日",
     [("单项", 2500, 5, "单项试验"), ("组合", 8800, 10, "高低温 + 湿热 + 振动")]),
    (LAB, "ts-05", "testing-materials", "金属材料成分与力学性能分析", "光谱成分、拉伸、硬度一次搞定。", "材料;金属;力学", True, "5 个工作日",
     [("成分", 600, 3, "直读光谱"), ("成分 + 力学", 1800, 5, "含拉伸与硬度")]),
    (LAB, "ts-06", "testing-materials", "高分子材料失效分析", "开裂、变色、异味等失效原因分析。", "失效分析;高分子", True, "10 个工作日",
     [("标准", 9500, 10, "FTIR、DSC、TGA 与分析报告")]),
    (LAB, "ts-07", "testing-certification", "ISO 9001 质量管理体系认证辅导", "从体系搭建到取证。", "ISO 9001;认证", False, "3 个月",
     [("小微企业", 15000, 90, "50 人以下"), ("中型企业", 28000, 90, "50–300 人")]),
    (LAB, "ts-08", "testing-certification", "Product safety testing for export (IEC 62368-1)", "CB test report for audio/video and IT equipment.", "IEC 62368;CB;export", True, "15 working days",
     [("Standard", 26000, 15, "Testing and CB report")]),
    (LAB, "dt-01", "data-instruments", "扫描电镜（SEM）机时共享", "场发射扫描电镜，含能谱分析。", "SEM;电镜;仪器共享", True, "预约后 3 日内",
     [("1 小时", 600, 1, "工程师操作"), ("半天", 2000, 1, "4 小时")]),
    (LAB, "dt-02", "data-instruments", "3 米法电波暗室租用", "自主调试用暗室按小时计费。", "暗室;EMC;仪器共享", True, "预约制", [("1 小时", 900, 1, "含基础设备")]),
    (LAB, "dt-03", "data-instruments", "X 射线衍射（XRD）物相分析", "粉末与块体样品物相鉴定。", "XRD;物相", True, "5 个工作日", [("单样", 400, 5, "物相鉴定")]),
    (LAB, "dt-04", "data-analysis", "检测数据统计分析与 SPC 报告", "生产过程能力分析与改进建议。", "SPC;统计;质量", False, "10 个工作日",
     [("标准", 5000, 10, "数据清洗、CPK 分析、报告")]),
    (LAB, "tn-02", "training-engineers", "EMC 设计与整改工程师培训", "两天实战课程，含暗室实操。", "培训;EMC", True, "2 天",
     [("每人", 3200, 2, "课程、实操与证书")]),
    (LAB, "tn-03", "training-engineers", "实验室内审员培训（ISO/IEC 17025）", "内审员资格培训与考核。", "17025;内审员", False, "3 天", [("每人", 2600, 3, "课程与证书")]),
    (DESIGN, "rd-01", "rnd-industrial-design", "智能硬件产品外观设计", "从用户研究到 CMF 方案。", "工业设计;外观;CMF", True, "30 个工作日",
     [("基础版", 30000, 30, "2 套方案、效果图"), ("完整版", 68000, 45, "3 套方案、CMF、手板一台")]),
    (DESIGN, "rd-02", "rnd-industrial-design", "医疗器械人因工程与外观设计", "符合 IEC 62366 可用性要求。", "医疗器械;人因;设计", True, "45 个工作日",
     [("标准", 88000, 45, "可用性研究、外观与交互设计")]),
    (DESIGN, "rd-03", "rnd-prototyping", "CNC 手板与样机制作", "ABS、铝合金手板，含喷涂丝印。", "手板;样机;CNC", True, "7 个工作日",
     [("小件", 1800, 5, "单件"), ("整机", 12000, 10, "含装配")]),
    (DESIGN, "rd-04", "rnd-prototyping", "3D 打印快速原型", "SLA / SLS / FDM 多工艺。", "3D 打印;原型", False, "3 个工作日", [("按件起", 300, 3, "按体积计价")]),
    (DESIGN, "rd-05", "rnd-process", "注塑模具 DFM 评审与工艺开发", "量产前降本与良率提升。", "DFM;模具;工艺", True, "15 个工作日",
     [("评审", 8000, 10, "DFM 报告"), ("评审 + 试模跟进", 20000, 30, "含 T1 试模跟进")]),
    (DESIGN, "rd-06", "rnd-software", "嵌入式固件与 App 联合开发", "BLE/Wi-Fi 智能设备软硬件一体开发。", "嵌入式;App;物联网", True, "按里程碑", None),
    (DESIGN, "rd-07", "rnd-industrial-design", "Industrial design for consumer electronics", "Concept to CMF for export products, English-speaking team.", "industrial design;CMF;export", True, "6 weeks",
     [("Concept", 45000, 30, "Two concepts and renderings"), ("Full", 98000, 45, "Concepts, CMF and one prototype")]),
    (DESIGN, "dt-05", "data-computing", "结构仿真分析（有限元）", "强度、模态、跌落仿真。", "仿真;有限元;CAE", True, "10 个工作日",
     [("单工况", 6000, 7, "一个工况"), ("多工况", 15000, 14, "最多 4 个工况")]),
    (DESIGN, "dt-06", "data-computing", "散热（CFD）仿真与优化", "电子产品热设计优化。", "CFD;散热;仿真", True, "10 个工作日", [("标准", 9000, 10, "仿真与优化建议")]),
    (DESIGN, "dt-07", "data-instruments", "三坐标测量（CMM）服务", "精密零件尺寸检测。", "三坐标;测量", False, "2 个工作日", [("每小时", 350, 1, "含报告")]),
    (DESIGN, "in-01", "incubation-mentoring", "硬件创业产品化辅导", "从原型到量产的路线图与供应链对接。", "硬件创业;产品化", True, "3 个月",
     [("季度辅导", 20000, 90, "每两周一次辅导")]),
    (DESIGN, "in-02", "incubation-space", "硬件创客工坊工位", "含激光切割、3D 打印等设备使用。", "创客;工位;众创空间", False, "按月", [("每月", 1200, 30, "一个工位与设备使用")]),
    (CONSULT, "cs-01", "consulting-hightech", "国家高新技术企业认定全程辅导", "诊断、材料撰写、申报到通过。", "高企;认定;申报", True, "按申报批次",
     [("基础", 20000, 60, "材料撰写与申报"), ("全程", 36000, 90, "含研发项目梳理与审计对接")]),
    (CONSULT, "cs-02", "consulting-hightech", "高新技术企业认定预评估", "一周内给出差距分析与改进清单。", "高企;评估", True, "5 个工作日", [("标准", 3000, 5, "评估报告")]),
    (CONSULT, "cs-03", "consulting-grants", "科技项目申报（省市级）", "科技计划、专精特新等项目申报。", "项目申报;专精特新", True, "按申报指南",
     [("单项目", 15000, 30, "申报书撰写与提交")]),
    (CONSULT, "cs-04", "consulting-rd-deduction", "研发费用加计扣除专项辅导", "研发辅助账建立与归集。", "加计扣除;研发费用", True, "15 个工作日",
     [("标准", 8000, 15, "辅助账与归集表")]),
    (CONSULT, "cs-05", "consulting-grants", "专精特新“小巨人”申报辅导", "指标诊断与申报材料。", "专精特新;小巨人", True, "40 个工作日", [("标准", 30000, 40, "诊断与材料")]),
    (CONSULT, "cs-06", "consulting", "企业研发管理体系（IPD）咨询", "建立适合中小企业的研发流程。", "IPD;研发管理", True, "3 个月", None),
    (CONSULT, "cs-07", "consulting", "Technology due diligence for investors", "Independent review of a start-up's technology and IP.", "due diligence;investment", False, "3 weeks",
     [("Standard", 40000, 21, "Report and presentation")]),
    (CONSULT, "tr-02", "transfer-contracts", "技术合同认定登记代办", "享受技术交易税收优惠。", "技术合同;登记;税收", True, "10 个工作日", [("每份合同", 1500, 10, "材料与登记")]),
    (CONSULT, "tr-03", "transfer-brokerage", "高校院所成果对接", "对接厦门大学等院校的专利与团队。", "成果转化;产学研", True, "按项目",
     [("需求对接", 5000, 30, "需求梳理与三场对接会")]),
    (CONSULT, "tr-04", "transfer-brokerage", "技术需求挖掘与成果推介", "为企业技术需求匹配成果与专家。", "技术经纪;需求", True, "30 个工作日", [("标准", 8000, 30, "需求报告与推介")]),
    (CONSULT, "tr-05", "transfer-valuation", "技术作价入股方案设计", "评估、协议与工商变更全流程。", "作价入股;评估", False, "45 个工作日", None),
    (CONSULT, "fi-02", "finance-venture", "创业投资路演对接", "对接 30+ 家合作投资机构。", "融资;投资;路演", False, "按批次", [("一次路演", 6000, 30, "BP 打磨与路演")]),
    (CONSULT, "fi-03", "finance-insurance", "科技保险方案设计", "研发中断险、产品责任险等。", "科技保险;风险", False, "5 个工作日", [("方案", 0, 5, "免费方案，保费另计")]),
    (CONSULT, "fi-04", "finance-venture", "商业计划书（BP）撰写", "面向天使与 A 轮融资。", "BP;融资", True, "15 个工作日",
     [("标准", 12000, 15, "BP 与财务模型")]),
    (CONSULT, "fi-05", "finance-ip-pledge", "科技信贷政策咨询", "梳理可申请的科技贷款与贴息。", "科技贷;贴息", False, "5 个工作日", [("标准", 2000, 5, "政策清单与建议")]),
    (CONSULT, "in-03", "incubation-mentoring", "初创企业创业辅导包", "股权、财税、法务基础辅导。", "创业辅导;股权", True, "3 个月", [("季度", 9000, 90, "6 次辅导")]),
    (CONSULT, "in-04", "incubation-roadshow", "火炬创业路演营", "季度路演与投资人点评。", "路演;创业营", False, "按季度", [("每期", 3000, 30, "培训与路演席位")]),
    (CONSULT, "in-05", "incubation-space", "孵化器独立办公室入驻", "高新区孵化器 20–60 ㎡ 办公室。", "孵化器;办公室", False, "按月", None),
    (CONSULT, "in-06", "incubation", "Soft-landing package for overseas start-ups", "Registration, office and policy guidance in Xiamen.", "soft landing;start-up", False, "1 month",
     [("Package", 15000, 30, "Company set-up and 3 months of guidance")]),
    (CONSULT, "tn-04", "training-management", "科技型中小企业创新管理培训", "创新战略、研发管理与知识产权。", "创新管理;培训", True, "2 天", [("每人", 1800, 2, "课程与资料")]),
    (CONSULT, "tn-05", "training-management", "高企政策解读与申报实务公开课", "每月一期，含案例。", "高企;公开课", False, "半天", [("每人", 300, 1, "课程")]),
    (CONSULT, "tn-06", "training", "技术经理人（技术经纪人）培训", "初级技术经理人课程与考核。", "技术经理人;培训", True, "4 天", [("每人", 4800, 4, "课程与证书")]),
    (CONSULT, "dt-08", "data-analysis", "区域产业与竞争情报数据报告", "产业链图谱与企业数据分析。", "产业分析;数据", False, "20 个工作日", [("标准", 18000, 20, "报告与数据包")]),
    (CONSULT, "dt-09", "data", "科技政策数据库年度订阅", "国家、省、市科技政策实时更新。", "政策;数据库", False, "即时开通", [("年度", 2400, 1, "一个账号")]),
    (IP, "tr-06", "transfer", "专利转让与许可交易代理", "买卖双方撮合、合同与备案。", "专利转让;许可", True, "按项目", None),
    (IP, "ip-09", "ip", "知识产权托管服务（年度）", "年费监控、期限管理、侵权监测。", "托管;年费", True, "全年", [("年度", 6000, 365, "最多 50 件")]),
    (LAB, "ts-09", "testing", "食品接触材料迁移检测", "按 GB 4806 系列执行。", "食品接触;迁移", True, "10 个工作日", [("标准", 4200, 10, "总迁移与特定迁移")]),
]


def seed_catalog(admin=None):
    """Admit the approved demo providers and publish their listings (missing ones only)."""
    for email, (description, categories, qualifications) in PROFILES.items():
        organisation = db.session.scalar(select(Organisation).join(User).where(User.email == email))
        if organisation is None:
            continue
        ensure_profile(organisation, description, categories, qualifications, admin)
        for row in (entry for entry in LISTINGS if entry[0] == email):
            ensure_listing(organisation, *row[1:])
    db.session.flush()
    add_demo_images()


def add_demo_images():
    """Give demo providers without a logo their monogram, and demo listings without pictures their
    sub-category's cover (each picture encoded once, then stored per listing through the storage)."""
    from marketplace.catalog import demo_images, uploads

    for profile in db.session.scalars(select(ProviderProfile).join(Organisation).join(User)
                                      .where(User.email.in_(PROFILES), ProviderProfile.logo_file_id.is_(None))):
        name = profile.organisation.legal_name
        profile.logo = uploads.store_encoded(profile.organisation, "logo.png", "logo", demo_images.encoded_logo(name))
    for listing in db.session.scalars(select(Listing).where(Listing.external_id.like("demo-%"))):
        revision = listing.published_revision
        if revision is None or revision.images:
            continue
        slug = revision.category.slug
        stored = uploads.store_encoded(listing.provider, f"{slug}.jpg", "listing",
                                       demo_images.encoded_cover(slug, demo_images.pattern_of(slug)))
        revision.images.append(ListingImage(file_id=stored.id, position=0))
    db.session.flush()


def ensure_profile(organisation, description, categories, qualifications, admin):
    profile = db.session.scalar(select(ProviderProfile).where(ProviderProfile.organisation_id == organisation.id))
    if profile is not None:
        return profile
    profile = ProviderProfile(organisation=organisation, description=description, city=organisation.city,
                              status=AdmissionStatus.ADMITTED, submitted_at=utcnow(), admitted_at=utcnow())
    profile.categories = list(db.session.scalars(select(Category).where(Category.slug.in_(categories))))
    profile.qualifications = [Qualification(kind=kind, number=number, issuer=issuer, valid_until=until)
                              for kind, number, issuer, until in qualifications]
    db.session.add_all([profile, AdmissionEvent(profile=profile, actor_id=admin.id if admin else None,
                                                action="admitted")])
    return profile


def ensure_listing(organisation, key, category, title, summary, tags, voucher, delivery, packages):
    external_id = f"demo-{key}"
    exists = db.session.scalar(select(Listing.id).where(Listing.provider_id == organisation.id,
                                                       Listing.external_id == external_id))
    if exists:
        return
    listing = Listing(provider_id=organisation.id, external_id=external_id, status=ListingStatus.PUBLISHED,
                      published_at=utcnow())
    db.session.add(listing)
    db.session.flush()
    revision = ListingRevision(
        listing_id=listing.id, state=RevisionState.APPROVED, title=title, summary=summary, tags=tags,
        description=describe(summary, packages), city="厦门", service_area="福建省" if voucher else "全国",
        delivery_time=delivery, voucher_eligible=voucher, price_on_request=packages is None,
        category=db.session.scalar(select(Category).where(Category.slug == category)),
        packages=[ListingPackage(position=i, name=name, price_fen=yuan * 100, delivery_days=days, includes=includes)
                  for i, (name, yuan, days, includes) in enumerate(packages or [])],
        price_from_fen=min(yuan * 100 for _, yuan, _, _ in packages) if packages else None,
        submitted_at=utcnow(), decided_at=utcnow())
    db.session.add(revision)
    db.session.flush()
    listing.published_revision = revision
    record_change(listing, OutboxAction.CREATE)


def describe(summary, packages):
    lines = [summary, "", "**服务流程**", "", "1. 需求沟通与报价确认", "2. 签订合同，按约定交付", "3. 验收与售后跟进"]
    if packages:
        lines += ["", "**套餐包含**", ""] + [f"- {name}：{includes}" for name, _, _, includes in packages]
    else:
        lines += ["", "本服务为定制项目，请联系我们获取报价。"]
    return "\n".join(lines)
