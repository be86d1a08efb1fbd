"""A fixed fixture catalogue and a judged query set (graded relevance 1–3) for ranking tests.
Independent of the demo data; bench/search_bench.py reuses both for its quality comparison."""
import math

# key: (category, category_top, title, summary, tags, provider, city, price yuan or None, voucher, verified)
LISTINGS = {
    "patent-invention": ("ip-patent", "ip", "发明专利申请代理（含技术交底与检索）", "资深专利代理师一对一撰写，授权率 80% 以上。", "专利;发明;检索", "鹭江知识产权代理事务所", "厦门", 6800, True, True),
    "patent-utility": ("ip-patent", "ip", "实用新型专利申请", "结构类创新的快速保护方案。", "专利;实用新型", "鹭江知识产权代理事务所", "厦门", 2800, True, True),
    "patent-design": ("ip-patent", "ip", "外观设计专利申请", "产品外观快速确权，含六面视图绘制。", "专利;外观设计", "鹭江知识产权代理事务所", "厦门", 1500, True, True),
    "patent-pct": ("ip-patent", "ip", "PCT 国际专利申请", "进入美欧日韩前的国际阶段一站式代理。", "专利;PCT;海外", "鹭江知识产权代理事务所", "厦门", 16000, True, True),
    "patent-us": ("ip-patent", "ip", "US patent drafting and filing", "Patent attorneys draft and file your US utility application.", "patent;USPTO", "Strait IP Partners", "福州", 30000, False, False),
    "patent-navigation": ("ip-management", "ip", "专利导航与技术情报分析", "面向研发立项的专利地图与竞争对手分析。", "专利分析;导航", "鹭江知识产权代理事务所", "厦门", 45000, True, True),
    "patent-valuation": ("transfer-valuation", "transfer", "专利价值评估报告", "用于作价入股、质押融资与交易的评估报告。", "评估;专利", "海峡技术转移中心", "福州", 12000, True, False),
    "patent-training": ("training-ip", "training", "企业专利挖掘实务培训（内训）", "面向研发工程师的专利挖掘与交底书撰写。", "培训;专利挖掘", "鹭江知识产权代理事务所", "厦门", 9000, True, True),
    "trademark": ("ip-trademark", "ip", "商标注册申请（单类）", "商标查询、风险评估与提交。", "商标;注册", "鹭江知识产权代理事务所", "厦门", 800, False, True),
    "copyright": ("ip-copyright", "ip", "软件著作权登记", "源代码与说明书整理，快速下证。", "软著;版权", "鹭江知识产权代理事务所", "厦门", 1200, True, True),
    "copyright-en": ("ip-copyright", "ip", "Software copyright registration for apps", "We prepare the source code and manual and file with the copyright office.", "copyright;software", "Strait IP Partners", "福州", 1500, False, False),
    "ip-management": ("ip-management", "ip", "企业知识产权管理体系贯标（GB/T 29490）", "贯标辅导直至取得认证。", "贯标;知识产权管理", "鹭江知识产权代理事务所", "厦门", 30000, True, True),
    "emc-pretest": ("testing-emc", "testing", "电磁兼容（EMC）预测试", "3 米法暗室，整改前快速摸底。", "EMC;电磁兼容;预测试", "火炬检测认证中心", "厦门", 3500, True, True),
    "emc-formal": ("testing-emc", "testing", "CCC / CE 电磁兼容正式检测", "出具 CNAS/CMA 标识报告。", "EMC;CE;CCC", "火炬检测认证中心", "厦门", 18000, True, True),
    "emc-chamber": ("data-instruments", "data", "3 米法电波暗室租用", "自主调试用暗室按小时计费。", "暗室;EMC;仪器共享", "火炬检测认证中心", "厦门", 900, True, True),
    "battery": ("testing-product", "testing", "锂电池安全检测（GB 31241）", "便携式电子产品用锂电池安全检测。", "锂电池;安全", "火炬检测认证中心", "厦门", 22000, True, True),
    "reliability": ("testing-product", "testing", "环境可靠性试验（高低温、湿热、振动）", "按 GB/T 2423 系列执行。", "可靠性;高低温;振动", "火炬检测认证中心", "厦门", 2500, True, True),
    "metal": ("testing-materials", "testing", "金属材料成分与力学性能分析", "光谱成分、拉伸、硬度一次搞定。", "材料;金属;力学", "火炬检测认证中心", "厦门", 600, True, True),
    "polymer": ("testing-materials", "testing", "高分子材料失效分析", "开裂、变色、异味等失效原因分析。", "失效分析;高分子", "泉州材料检测所", "泉州", 9500, True, False),
    "iso9001": ("testing-certification", "testing", "ISO 9001 质量管理体系认证辅导", "从体系搭建到取证。", "ISO 9001;认证", "火炬检测认证中心", "厦门", 15000, False, True),
    "iec62368": ("testing-certification", "testing", "Product safety testing for export (IEC 62368-1)", "CB test report for audio/video and IT equipment.", "IEC 62368;CB;export", "火炬检测认证中心", "厦门", 26000, True, True),
    "sem": ("data-instruments", "data", "扫描电镜（SEM）机时共享", "场发射扫描电镜，含能谱分析。", "SEM;电镜;仪器共享", "火炬检测认证中心", "厦门", 600, True, True),
    "xrd": ("data-instruments", "data", "X 射线衍射（XRD）物相分析", "粉末与块体样品物相鉴定。", "XRD;物相", "火炬检测认证中心", "厦门", 400, True, True),
    "hightech": ("consulting-hightech", "consulting", "高新技术企业认定辅导", "一站式辅导企业通过国家高新技术企业认定，不通过退款。", "高企;认定;辅导", "高新技术企业服务中心", "厦门", 20000, True, True),
    "hightech-audit": ("consulting-hightech", "consulting", "高企认定专项审计报告", "研发费用与高新收入专项审计。", "高企;审计", "鹭岛会计师事务所", "厦门", 8000, True, False),
    "grants": ("consulting-grants", "consulting", "科技项目申报代理", "省市科技计划项目申报书撰写与辅导。", "项目申报;科技计划", "高新技术企业服务中心", "厦门", 10000, True, True),
    "deduction": ("consulting-rd-deduction", "consulting", "研发费用加计扣除辅导", "研发项目归集与加计扣除申报。", "加计扣除;研发费用", "高新技术企业服务中心", "厦门", 6000, True, True),
    "tech-contract": ("transfer-contracts", "transfer", "技术合同认定登记代办", "技术合同登记享受税收优惠。", "技术合同;登记", "海峡技术转移中心", "福州", 1000, False, False),
    "industrial-design": ("rnd-industrial-design", "rnd", "智能硬件工业设计（外观与结构）", "外观、结构设计与手板验证。", "工业设计;结构设计", "创研工业设计", "厦门", 50000, True, True),
    "prototype": ("rnd-prototyping", "rnd", "样机试制与小批量验证", "CNC 手板、硅胶复模与小批量试产。", "样机;手板", "创研工业设计", "厦门", 12000, True, True),
    "software-dev": ("rnd-software", "rnd", "嵌入式软件研发外包", "单片机与 Linux 嵌入式软件开发。", "嵌入式;软件开发", "云帆信息技术", "厦门", 40000, False, False),
    "pledge": ("finance-ip-pledge", "finance", "知识产权质押融资对接", "协助企业以专利、商标向合作银行申请质押贷款。", "质押;融资;银行", "鹭江知识产权代理事务所", "厦门", None, False, True),
    "venture": ("finance-venture", "finance", "创业投资对接路演", "对接 50 余家投资机构。", "融资;路演;投资", "火炬创业服务中心", "厦门", 5000, False, False),
    "cowork": ("incubation-space", "incubation", "众创空间工位入驻", "高新区孵化器工位，含注册地址。", "孵化;工位", "火炬创业服务中心", "厦门", 800, False, False),
    "mentoring": ("incubation-mentoring", "incubation", "创业辅导与商业计划书打磨", "导师一对一辅导商业计划书。", "创业;商业计划书", "火炬创业服务中心", "厦门", 3000, True, False),
    "engineer-training": ("training-engineers", "training", "EMC 设计工程师培训", "电磁兼容设计与整改实战课程。", "EMC;培训;电磁兼容", "火炬检测认证中心", "厦门", 4800, True, True),
    "data-analysis": ("data-analysis", "data", "检测数据统计分析与 SPC 报告", "生产过程能力分析与改进建议。", "SPC;统计;质量", "火炬检测认证中心", "厦门", 5000, False, True),
    "simulation": ("data-computing", "data", "结构仿真与 CAE 分析", "有限元强度、热与流体仿真。", "仿真;CAE;有限元", "创研工业设计", "厦门", 15000, True, True),
    "tw-software": ("ip-copyright", "ip", "軟體著作權登記加急", "台灣用語版：軟體原始碼整理與登記。", "軟體;著作權", "台商服务中心", "厦门", 2600, True, False),
    "tw-patent": ("ip-patent", "ip", "專利檢索與可專利性分析", "申請前檢索，評估新穎性。", "專利;檢索", "台商服务中心", "厦门", 3000, True, False),
    "policy-match": ("consulting-grants", "consulting", "科技政策匹配咨询", "按企业情况匹配可申报的科技项目与补贴政策，免费出具清单。", "政策咨询;项目申报", "高新技术企业服务中心", "厦门", 0, False, False),
}

# (kind, query, {key: grade})
JUDGED = [
    ("simplified", "专利申请", {"patent-invention": 3, "patent-utility": 3, "patent-design": 3, "patent-pct": 3, "tw-patent": 1}),
    ("simplified", "专利", {"patent-invention": 3, "patent-utility": 3, "patent-design": 3, "patent-pct": 3, "patent-navigation": 2, "patent-valuation": 2, "patent-training": 2, "tw-patent": 2, "patent-us": 2, "pledge": 1}),
    ("simplified", "电磁兼容检测", {"emc-formal": 3, "emc-pretest": 3, "emc-chamber": 2, "engineer-training": 1}),
    ("simplified", "软件著作权", {"copyright": 3, "tw-software": 3, "copyright-en": 2}),
    ("simplified", "高新技术企业认定", {"hightech": 3, "hightech-audit": 3}),
    ("simplified", "锂电池检测", {"battery": 3}),
    ("simplified", "失效分析", {"polymer": 3}),
    ("simplified", "商标注册", {"trademark": 3}),
    ("simplified", "加计扣除", {"deduction": 3}),
    ("simplified", "工业设计", {"industrial-design": 3, "prototype": 1}),
    ("traditional", "專利申請", {"patent-invention": 3, "patent-utility": 3, "patent-design": 3, "patent-pct": 3, "tw-patent": 1}),
    ("traditional", "軟體著作權", {"copyright": 3, "tw-software": 3, "copyright-en": 2}),
    ("traditional", "電磁相容", {"emc-formal": 3, "emc-pretest": 3, "emc-chamber": 2, "engineer-training": 2}),
    ("traditional", "高新技術企業", {"hightech": 3, "hightech-audit": 2}),
    ("traditional", "商標註冊", {"trademark": 3}),
    ("traditional", "檢測", {"emc-formal": 2, "battery": 2, "emc-pretest": 2, "reliability": 1, "metal": 1, "data-analysis": 1}),
    ("pinyin", "zhuanli", {"patent-invention": 3, "patent-utility": 3, "patent-design": 3, "patent-pct": 3, "patent-navigation": 2, "patent-valuation": 2, "patent-training": 2, "tw-patent": 2}),
    ("pinyin", "zl", {"patent-invention": 3, "patent-utility": 3, "patent-design": 3, "patent-pct": 3, "patent-navigation": 2, "patent-valuation": 2, "patent-training": 2, "tw-patent": 2}),
    ("pinyin", "shangbiao", {"trademark": 3}),
    ("pinyin", "ruanjian", {"copyright": 3, "tw-software": 3, "software-dev": 2}),
    ("pinyin", "gaoqi", {"hightech": 3, "hightech-audit": 3}),
    ("pinyin", "fangzhen", {"simulation": 3}),
    ("english", "patent", {"patent-us": 3, "patent-invention": 2, "patent-utility": 2, "patent-design": 2, "patent-pct": 2}),
    ("english", "software copyright", {"copyright-en": 3, "copyright": 2, "tw-software": 2}),
    ("english", "EMC", {"emc-pretest": 3, "emc-formal": 3, "emc-chamber": 2, "engineer-training": 2}),
    ("english", "product safety testing", {"iec62368": 3, "battery": 1}),
    ("english", "ISO 9001", {"iso9001": 3}),
    ("english", "SEM", {"sem": 3}),
    ("mixed", "EMC 预测试", {"emc-pretest": 3, "emc-formal": 1, "emc-chamber": 1}),
    ("mixed", "PCT专利", {"patent-pct": 3, "patent-us": 1}),
    ("mixed", "CNAS 检测报告", {"emc-formal": 3, "battery": 1}),
    ("mixed", "XRD物相分析", {"xrd": 3}),
    ("mixed", "IP 质押融资", {"pledge": 3, "patent-valuation": 1}),
    ("synonym", "高企", {"hightech": 3, "hightech-audit": 3}),
    ("synonym", "软著", {"copyright": 3, "tw-software": 3, "copyright-en": 1}),
    ("synonym", "知识产权 质押", {"pledge": 3}),
    ("synonym", "电磁兼容 培训", {"engineer-training": 3}),
    ("typo", "patnet", {"patent-us": 3, "patent-invention": 1, "patent-pct": 1}),
    ("typo", "copyrigth", {"copyright-en": 3, "copyright": 1}),
    ("typo", "safty testing", {"iec62368": 3, "battery": 1}),
    ("typo", "专丽申请", {"patent-invention": 3, "patent-utility": 3, "patent-design": 3, "patent-pct": 3}),
    ("typo", "电磁兼荣", {"emc-formal": 3, "emc-pretest": 3, "emc-chamber": 2, "engineer-training": 2}),
    ("natural", "我们公司想申请高新技术企业需要找辅导机构", {"hightech": 3, "hightech-audit": 2, "grants": 1}),
    ("natural", "新产品出口欧洲需要做电磁兼容检测", {"emc-formal": 3, "emc-pretest": 2, "iec62368": 1}),
    ("natural", "想给我们的APP申请软件著作权", {"copyright": 3, "tw-software": 3, "copyright-en": 3}),
    ("natural", "研发费用怎么加计扣除", {"deduction": 3}),
    # added with the conditions in the text (issue 19, 2026-12-05): more questions, and queries whose words are filters
    ("natural", "我们公司想申请高新技术企业认定需要找谁帮忙", {"hightech": 3, "hightech-audit": 2, "grants": 1}),
    ("natural", "who can help us test EMC for a product before CE marking", {"emc-formal": 3, "emc-pretest": 3, "emc-chamber": 1, "iec62368": 1, "engineer-training": 1}),
    ("natural", "有没有可以做锂电池检测的机构", {"battery": 3, "reliability": 1}),
    ("natural", "哪里可以做扫描电镜", {"sem": 3, "xrd": 1}),
    ("natural", "looking for someone to file a US patent for us", {"patent-us": 3, "patent-pct": 2, "patent-invention": 1}),
    ("filter", "可用创新券的专利申请", {"patent-invention": 3, "patent-utility": 3, "patent-design": 3, "patent-pct": 3, "tw-patent": 1}),
    ("filter", "5000元以内 专利申请", {"patent-utility": 3, "patent-design": 3, "tw-patent": 1}),
    ("filter", "EMC testing under 5000", {"emc-pretest": 3, "emc-chamber": 2, "engineer-training": 1}),
    ("filter", "福州 专利", {"patent-us": 3, "patent-valuation": 3, "patent-invention": 1, "patent-utility": 1, "patent-design": 1, "patent-pct": 1}),
    ("filter", "voucher eligible software copyright", {"copyright": 3, "tw-software": 3}),
    ("filter", "一万以下的检测", {"emc-pretest": 3, "metal": 2, "polymer": 2, "reliability": 2, "data-analysis": 1, "xrd": 1, "sem": 1}),
    ("filter", "免费的项目申报咨询", {"policy-match": 3}),
    ("filter", "free policy consulting", {"policy-match": 3}),
    ("filter", "能用券 高企", {"hightech": 3, "hightech-audit": 3}),
]

SYNONYMS = [["IP", "知识产权"], ["EMC", "电磁兼容"], ["高企", "高新技术企业"], ["软著", "软件著作权", "software copyright"],
            ["检测", "测试", "检验"], ["专利", "patent"], ["商标", "trademark"], ["培训", "training"]]


def documents():
    docs = []
    for number, (key, row) in enumerate(LISTINGS.items(), start=1):
        category, top, title, summary, tags, provider, city, price, voucher, verified = row
        docs.append({"id": number, "external_id": key, "title": title, "summary": summary,
                     "description": f"{summary} 服务机构：{provider}。", "tags": tags.split(";"), "provider": provider,
                     "category": category, "category_top": top, "city": city,
                     "price_fen": None if price is None else price * 100, "voucher_eligible": voucher,
                     "verified": verified, "rating": 0, "published": 1_700_000_000 + number})
    return docs


def key_of(doc_id):
    return list(LISTINGS)[doc_id - 1]


def ndcg(ranked, grades, k=10):
    gains = sum((2 ** grades.get(key, 0) - 1) / math.log2(i + 2) for i, key in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    best = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return gains / best if best else 0.0


def recall(ranked, grades, k=10):
    relevant = {key for key, grade in grades.items() if grade >= 2}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 1.0


def scores_by_kind(rank):
    """{kind: (mean nDCG@10, mean recall@10)} for rank(query) → [keys]."""
    per_kind = {}
    for kind, text, grades in JUDGED:
        ranked = rank(text)
        per_kind.setdefault(kind, []).append((ndcg(ranked, grades), recall(ranked, grades)))
    return {kind: (sum(n for n, _ in v) / len(v), sum(r for _, r in v) / len(v)) for kind, v in per_kind.items()}
