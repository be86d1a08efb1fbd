"""The frozen judged set: user-style queries over a catalogue written for it alone.

Frozen on 2026-12-05 before any ranking change of issue 19 (tests/search/test_frozen_set.py
checks this file's SHA-256). Never tune on it: its scores are reported next to the
development set's (tests/search/catalogue.py), never used to choose a weight or a rule.

How it was made (also in docs/search.md): the catalogue is 100 fictional services of 15 kinds
(patents, trademarks and copyright, technology transfer, EMC and radio, product and
reliability testing, materials and failure analysis, management-system certification, policy
consulting, incubation, pilot production and prototyping, R&D, finance, training, instruments
and data, and six listings written in Taiwan usage), 9 of them in English, written without
looking at the development catalogue's wording. The queries were then written from the user's
side — what a small manufacturer, a founder or a foreign-invested firm would type — and judged
against the whole catalogue (3 = what was asked for, 2 = a relevant service, 1 = marginal;
recall counts grades ≥ 2), before the search was run on them."""
import math

# key: (category, category_top, title, summary, tags, provider, city, price yuan or None, voucher, verified)
GULANGYU = "鼓浪屿专利商标代理有限公司"
STRAIT = "海峡技术转移服务中心"
FTTP = "Fujian Tech Transfer Partners"
LAB = "厦门电子产品检测院"
QUANZHOU = "泉州市质量技术检验所"
MATERIALS = "闽南材料分析测试中心"
CERT = "华南认证服务有限公司"
POLICY = "科创政策咨询（厦门）有限公司"
TORCH = "火炬创业孵化器"
SSS = "Strait Startup Services"
JIMEI = "集美中试基地"
DIGITAL = "数智软件科技有限公司"
FINANCE = "海西科技金融服务公司"
ACADEMY = "工程师继续教育学院"
PLATFORM = "大型仪器共享平台"
TAIWAN = "台商科技服务中心"
GLOBAL = "Xiamen Global Testing Ltd"

LISTINGS = {
    # patents
    "p-invention": ("ip-patent", "ip", "发明专利撰写与申请", "专利代理师撰写权利要求书和说明书，代办国家知识产权局申请。", "发明专利;专利申请;代理", GULANGYU, "厦门", 5500, True, True),
    "p-utility": ("ip-patent", "ip", "实用新型专利快速申请", "结构改进类技术方案，6 到 8 个月授权。", "实用新型;专利申请", GULANGYU, "厦门", 2500, True, True),
    "p-design": ("ip-patent", "ip", "外观设计专利代理", "产品外观、图形用户界面（GUI）外观设计申请，含视图绘制。", "外观设计;GUI;专利", GULANGYU, "厦门", 1800, True, True),
    "p-pct": ("ip-patent", "ip", "PCT 国际专利申请与海外布局", "PCT 国际阶段申请，进入美国、欧洲、日本国家阶段。", "PCT;国际专利;海外专利", GULANGYU, "厦门", 18000, True, True),
    "p-search": ("ip-patent", "ip", "专利检索与查新报告", "申请前新颖性检索、科技查新报告，判断能否授权。", "专利检索;查新;新颖性", STRAIT, "福州", 3000, True, False),
    "p-fto": ("ip-management", "ip", "专利侵权风险分析（FTO 自由实施调查）", "产品上市或出口前排查第三方专利侵权风险，出具自由实施分析报告。", "FTO;侵权风险;自由实施", GULANGYU, "厦门", 40000, True, True),
    "p-invalid": ("ip-patent", "ip", "专利无效宣告请求代理", "针对竞争对手专利提起无效宣告，或应对无效请求答辩。", "无效宣告;专利无效;答辩", GULANGYU, "厦门", 25000, False, True),
    "p-annuity": ("ip-management", "ip", "专利年费监控与代缴", "专利年费到期提醒与代缴，防止专利因欠费失效。", "年费;专利管理", STRAIT, "福州", 200, False, False),
    "p-translate": ("ip-patent", "ip", "专利翻译（中英日）", "专利说明书、审查意见的中英日互译，由理工科背景译员完成。", "翻译;专利翻译;英文", STRAIT, "福州", 4000, False, False),
    "p-en-filing": ("ip-patent", "ip", "US and European patent filing", "Our attorneys prepare and prosecute patent applications at the USPTO and the EPO.", "patent;USPTO;EPO;filing", FTTP, "福州", 35000, False, False),
    # trademarks, copyright, IP management and disputes
    "tm-reg": ("ip-trademark", "ip", "商标注册（含查询与风险评估）", "商标近似查询、分类建议和注册申请提交。", "商标注册;商标查询", GULANGYU, "厦门", 800, False, True),
    "tm-madrid": ("ip-trademark", "ip", "马德里国际商标注册", "一次申请覆盖多个国家的商标保护。", "马德里;国际商标;海外商标", GULANGYU, "厦门", 6000, False, True),
    "tm-oppose": ("ip-trademark", "ip", "商标异议与驳回复审", "商标被驳回或被抢注时的异议、复审代理。", "商标异议;驳回复审", GULANGYU, "厦门", 3500, False, True),
    "sw-copyright": ("ip-copyright", "ip", "计算机软件著作权登记", "整理源代码与操作手册，代办软件著作权登记证书。", "软件著作权;版权登记", STRAIT, "福州", 900, True, False),
    "art-copyright": ("ip-copyright", "ip", "美术作品著作权登记", "logo、插画、产品包装的作品登记。", "作品登记;版权;logo", STRAIT, "福州", 600, False, False),
    "ip-litigation": ("ip-management", "ip", "知识产权侵权诉讼代理", "专利、商标、著作权侵权纠纷的诉讼与维权。", "侵权诉讼;维权;律师", GULANGYU, "厦门", None, False, True),
    "ip-consult": ("ip-management", "ip", "企业知识产权管理体系贯标咨询", "按 GB/T 29490 建立知识产权管理体系并通过认证。", "贯标;知识产权管理体系", GULANGYU, "厦门", 30000, True, True),
    # technology transfer
    "tt-broker": ("transfer-brokerage", "transfer", "技术经纪与技术转移撮合", "对接高校院所科技成果与企业技术需求，促成技术转移。", "技术转移;技术经纪;成果转化", STRAIT, "福州", 10000, True, False),
    "tt-patent-sale": ("transfer-contracts", "transfer", "专利转让与许可交易代理", "专利买卖、独占或普通许可的谈判、合同与变更登记。", "专利转让;专利许可;交易", STRAIT, "福州", 5000, True, False),
    "tt-contract": ("transfer-contracts", "transfer", "技术合同认定登记", "技术开发、转让、咨询、服务合同的认定登记，享受免税优惠。", "技术合同;认定登记;免税", STRAIT, "福州", 1000, False, False),
    "tt-valuation": ("transfer-valuation", "transfer", "科技成果与无形资产评估", "专利、技术秘密作价入股与转让定价评估。", "评估;无形资产;作价入股", STRAIT, "福州", 15000, True, False),
    "tt-university": ("transfer-brokerage", "transfer", "高校科技成果转化对接会", "每月举办高校院所成果发布与企业需求对接活动。", "成果转化;产学研;对接", STRAIT, "福州", 0, True, False),
    "tt-en": ("transfer-brokerage", "transfer", "Technology transfer and licensing advisory", "We help universities and companies license technologies and negotiate royalty terms.", "technology transfer;licensing;royalty", FTTP, "福州", 20000, False, False),
    "tt-demand": ("transfer-brokerage", "transfer", "企业技术难题征集与攻关", "梳理企业技术需求，组织高校专家团队联合攻关。", "技术需求;产学研;攻关", STRAIT, "福州", None, True, False),
    # EMC and radio
    "emc-test": ("testing-emc", "testing", "电磁兼容（EMC）检测", "依据 GB/T 17626、EN 55032 进行辐射与传导发射、抗扰度测试。", "EMC;电磁兼容;辐射;传导", LAB, "厦门", 8000, True, True),
    "emc-fix": ("testing-emc", "testing", "EMC 整改与设计咨询", "测试不通过时定位干扰源，提供滤波、接地、屏蔽整改方案。", "EMC整改;屏蔽;滤波", LAB, "厦门", 6000, True, True),
    "rf-srrc": ("testing-emc", "testing", "无线电型号核准（SRRC）与射频测试", "蓝牙、WiFi 产品的 SRRC 型号核准及射频指标测试。", "SRRC;射频;无线;蓝牙", LAB, "厦门", 12000, True, True),
    "fcc": ("testing-certification", "testing", "FCC certification for the US market", "FCC ID and SDoC testing for wireless and digital devices exported to the United States.", "FCC;export;wireless;certification", GLOBAL, "厦门", 16000, False, True),
    "ce": ("testing-certification", "testing", "欧盟 CE 认证（LVD/EMC/RED 指令）", "出口欧洲产品的 CE 测试与技术文件编制。", "CE;欧盟;出口", CERT, "厦门", 9000, True, True),
    # product and reliability testing
    "salt": ("testing-product", "testing", "盐雾试验（中性盐雾、交变盐雾）", "金属镀层和涂层耐腐蚀性能测试。", "盐雾;腐蚀;镀层", QUANZHOU, "泉州", 800, True, True),
    "temp": ("testing-product", "testing", "高低温与湿热环境试验", "-70℃ 至 150℃ 温度循环、恒定湿热试验。", "高低温;湿热;环境试验", QUANZHOU, "泉州", 1500, True, True),
    "vibration": ("testing-product", "testing", "振动与冲击试验", "运输振动、机械冲击、跌落模拟。", "振动;冲击;跌落", QUANZHOU, "泉州", 1200, True, True),
    "ip-rating": ("testing-product", "testing", "IP 防护等级（防水防尘）测试", "IPX1 至 IPX8 防水与 IP5X、IP6X 防尘试验。", "IP67;防水;防尘", QUANZHOU, "泉州", 2000, True, True),
    "battery": ("testing-product", "testing", "锂电池 UN38.3 运输检测", "锂电池航空、海运运输前的 UN38.3 测试与鉴定报告。", "锂电池;UN38.3;运输", LAB, "厦门", 14000, True, True),
    "safety": ("testing-product", "testing", "信息技术设备安全检测（GB 4943）", "电源适配器、IT 设备安规测试，出具 CNAS 报告。", "安规;GB 4943;安全检测", LAB, "厦门", 7000, True, True),
    "reliab-en": ("testing-product", "testing", "Reliability testing and accelerated life tests", "HALT, HASS and accelerated ageing tests to predict product lifetime.", "reliability;HALT;life test", GLOBAL, "厦门", 20000, False, True),
    # materials and failure analysis
    "fa-pcb": ("testing-materials", "testing", "电子元器件与 PCB 失效分析", "对短路、烧毁、虚焊等失效进行定位与机理分析。", "失效分析;PCB;元器件", MATERIALS, "厦门", 6000, True, True),
    "fa-metal": ("testing-materials", "testing", "金属断口与失效分析", "断裂、腐蚀、磨损零件的断口形貌与原因分析。", "断口分析;金属;失效分析", MATERIALS, "厦门", 5000, True, True),
    "composition": ("testing-materials", "testing", "未知物与高分子成分分析", "红外、气相色谱-质谱联用剖析配方成分。", "成分分析;配方;高分子", MATERIALS, "厦门", 4500, True, True),
    "rohs": ("testing-materials", "testing", "RoHS 有害物质检测", "铅、汞、镉、六价铬、多溴联苯等有害物质筛查。", "RoHS;有害物质;环保", MATERIALS, "厦门", 700, True, True),
    "sem": ("data-instruments", "data", "扫描电子显微镜（SEM）测试", "高分辨形貌观察与能谱（EDS）元素分析。", "SEM;电镜;EDS", MATERIALS, "厦门", 500, True, True),
    "xrd": ("data-instruments", "data", "X 射线衍射（XRD）分析", "晶体结构与物相定性定量分析。", "XRD;物相;晶体", MATERIALS, "厦门", 400, True, True),
    "dsc": ("data-instruments", "data", "热分析（DSC/TGA）", "熔点、玻璃化转变温度、热稳定性测试。", "DSC;TGA;热分析", MATERIALS, "厦门", 450, True, True),
    # management-system and product certification
    "iso9001": ("testing-certification", "testing", "ISO 9001 质量管理体系认证咨询", "体系文件编写、内审与认证审核陪审。", "ISO9001;质量管理;体系认证", CERT, "厦门", 15000, False, True),
    "iso14001": ("testing-certification", "testing", "ISO 14001 环境管理体系认证", "环境因素识别、合规评价与认证辅导。", "ISO14001;环境管理", CERT, "厦门", 16000, False, True),
    "iatf": ("testing-certification", "testing", "IATF 16949 汽车行业质量体系辅导", "面向汽车零部件供应商的五大工具与体系建设。", "IATF16949;汽车;质量体系", CERT, "厦门", 45000, False, True),
    "iso27001": ("testing-certification", "testing", "ISO/IEC 27001 信息安全管理体系认证", "信息安全风险评估、体系建设与认证。", "ISO27001;信息安全", CERT, "厦门", 30000, False, True),
    "ccc": ("testing-certification", "testing", "3C 强制性产品认证（CCC）代理", "CCC 认证申请、型式试验与工厂检查全流程。", "3C;CCC;强制认证", CERT, "厦门", 12000, True, True),
    "energy": ("testing-certification", "testing", "能效标识备案与检测", "家电能效等级测试与能效标识备案。", "能效;能效标识;家电", CERT, "厦门", 5000, True, True),
    # policy consulting
    "hte": ("consulting-hightech", "consulting", "高新技术企业认定申报辅导", "评估认定条件，整理知识产权、研发费用和高新收入材料，辅导通过认定。", "高新技术企业;高企认定;申报", POLICY, "厦门", 20000, True, True),
    "hte-audit": ("consulting-hightech", "consulting", "高新技术企业专项审计", "研发费用与高新技术产品收入专项审计报告。", "专项审计;研发费用;高企", POLICY, "厦门", 8000, True, True),
    "srdi": ("consulting-grants", "consulting", "专精特新中小企业申报", "省级专精特新、小巨人企业申报材料辅导。", "专精特新;小巨人;申报", POLICY, "厦门", 15000, True, True),
    "rd-deduct": ("consulting-rd-deduction", "consulting", "研发费用加计扣除咨询", "研发项目立项、费用归集与汇算清缴加计扣除。", "加计扣除;研发费用;税收优惠", POLICY, "厦门", 6000, True, True),
    "sme-eval": ("consulting-grants", "consulting", "科技型中小企业评价入库", "科技型中小企业评价系统填报与入库。", "科技型中小企业;入库;评价", POLICY, "厦门", 2000, True, True),
    "grants": ("consulting-grants", "consulting", "科技计划项目申报代写", "国家、省、市科技计划项目申报书撰写与答辩辅导。", "项目申报;科技项目;政府资助", POLICY, "厦门", 10000, True, True),
    "policy-en": ("consulting-grants", "consulting", "Government subsidy and grant consulting for foreign-invested firms", "English-speaking consultants find and apply for R&D subsidies, talent grants and tax incentives.", "subsidy;grant;tax incentive", SSS, "厦门", 12000, False, False),
    "carbon": ("consulting-green", "consulting", "碳足迹核查与碳中和咨询", "产品碳足迹核算与 ISO 14064 温室气体核查。", "碳足迹;碳中和;温室气体", CERT, "厦门", 25000, False, True),
    # incubation
    "incubator": ("incubation-space", "incubation", "科技企业孵化器入驻", "提供办公室、共享会议室、创业导师和投融资对接。", "孵化器;办公室;入驻", TORCH, "厦门", 3000, False, False),
    "maker": ("incubation-space", "incubation", "众创空间开放工位", "按月租用开放工位，可提供注册地址。", "众创空间;工位;注册地址", TORCH, "厦门", 600, False, False),
    "accelerator": ("incubation-mentoring", "incubation", "硬科技创业加速营", "12 周加速计划，导师辅导与投资人路演。", "加速器;路演;创业营", TORCH, "厦门", 0, True, False),
    "company-reg": ("incubation-mentoring", "incubation", "公司注册与工商代办", "营业执照办理、税务登记、银行开户一站式代办。", "公司注册;营业执照;工商", TORCH, "厦门", 500, False, False),
    "mentor": ("incubation-mentoring", "incubation", "创业导师一对一辅导", "商业模式、股权架构与融资计划辅导。", "创业辅导;股权;商业计划书", TORCH, "厦门", 2000, True, False),
    "incub-en": ("incubation-space", "incubation", "Startup incubator for international founders", "Office space, visa support and introductions to local investors for foreign startups.", "incubator;startup;office space", SSS, "厦门", 4000, False, False),
    # pilot production and prototyping
    "pilot": ("rnd-prototyping", "rnd", "中试基地中试放大服务", "实验室成果的工艺放大、中试验证与小批量试生产。", "中试;放大;试生产", JIMEI, "厦门", 50000, True, True),
    "print3d": ("rnd-prototyping", "rnd", "3D 打印快速成型", "SLA 光敏树脂、SLS 尼龙与金属 3D 打印。", "3D打印;快速成型;手板", JIMEI, "厦门", 300, True, True),
    "cnc": ("rnd-prototyping", "rnd", "CNC 手板加工", "铝合金、塑胶 CNC 手板与外观件打样。", "手板;CNC;打样", JIMEI, "厦门", 800, True, True),
    "smallbatch": ("rnd-prototyping", "rnd", "小批量试产与组装", "100 至 5000 件小批量生产，验证量产工艺。", "小批量;试产;组装", JIMEI, "厦门", 20000, True, True),
    "mold": ("rnd-prototyping", "rnd", "注塑模具设计与制造", "塑胶件模具设计、模流分析与试模。", "模具;注塑;模流分析", JIMEI, "厦门", 30000, False, True),
    "smt": ("rnd-prototyping", "rnd", "PCBA SMT 贴片加工", "小批量 SMT 贴片、DIP 插件与功能测试。", "SMT;贴片;PCBA", JIMEI, "厦门", 1000, False, True),
    "id-design": ("rnd-industrial-design", "rnd", "产品工业设计与外观设计", "消费电子与智能硬件的外观、CMF 与结构设计。", "工业设计;外观;CMF", JIMEI, "厦门", 40000, True, True),
    # R&D
    "embedded": ("rnd-software", "rnd", "嵌入式软件开发", "STM32、ESP32 固件与驱动开发。", "嵌入式;单片机;固件", DIGITAL, "福州", 30000, True, False),
    "app": ("rnd-software", "rnd", "手机 App 与小程序开发", "iOS、Android App 和微信小程序定制开发。", "App开发;小程序;移动应用", DIGITAL, "福州", 25000, False, False),
    "ai": ("rnd-software", "rnd", "机器视觉与 AI 算法定制", "缺陷检测、图像识别算法开发与部署。", "人工智能;机器视觉;算法", DIGITAL, "福州", 60000, True, False),
    "cae": ("data-computing", "data", "CAE 结构与流体仿真分析", "有限元强度、模态、热仿真与 CFD 流体分析。", "仿真;CAE;有限元;CFD", JIMEI, "厦门", 15000, True, True),
    "chem": ("rnd-process", "rnd", "化工工艺开发与优化", "合成路线设计、工艺优化和安全评估。", "化工;工艺开发;合成", MATERIALS, "厦门", 80000, True, True),
    "iot": ("rnd-software", "rnd", "物联网（IoT）整体解决方案", "传感器、网关、云平台一体化开发。", "物联网;IoT;传感器", DIGITAL, "福州", 50000, True, False),
    "sw-en": ("rnd-software", "rnd", "Custom software development", "Web platforms and data dashboards built by a bilingual engineering team.", "software development;web;dashboard", "Minjiang Digital", "福州", 40000, False, False),
    # finance
    "pledge": ("finance-ip-pledge", "finance", "知识产权质押融资", "以专利、商标质押向银行申请贷款，协助评估与登记。", "质押融资;知识产权;贷款", FINANCE, "厦门", None, False, True),
    "techloan": ("finance-loan", "finance", "科技型企业信用贷款（科技贷）", "无抵押信用贷款，适合轻资产科技企业。", "科技贷;信用贷款;银行", FINANCE, "厦门", None, False, True),
    "vc": ("finance-venture", "finance", "天使轮与 A 轮股权融资对接", "对接天使投资人与风险投资机构，撰写 BP。", "股权融资;风险投资;天使投资", FINANCE, "厦门", 5000, False, True),
    "insurance": ("finance-insurance", "finance", "专利保险", "专利执行保险和侵权责任保险，降低维权成本。", "专利保险;保险;维权", FINANCE, "厦门", 3000, True, True),
    "fin-en": ("finance-venture", "finance", "Venture capital introductions", "We introduce hardware startups to venture capital funds in Xiamen and Shenzhen.", "venture capital;investment;fundraising", SSS, "厦门", 8000, False, False),
    # training
    "tr-patent": ("training-ip", "training", "专利工程师培训（挖掘与撰写）", "研发人员专利挖掘、技术交底书撰写实训。", "专利培训;专利挖掘;交底书", ACADEMY, "厦门", 3000, True, False),
    "tr-emc": ("training-engineers", "training", "EMC 设计与整改培训", "电磁兼容原理、PCB 布局与整改案例。", "EMC培训;电磁兼容;PCB", ACADEMY, "厦门", 3500, True, False),
    "tr-auditor": ("training-engineers", "training", "ISO 9001 内审员培训", "两天课程，考试合格颁发内审员证书。", "内审员;ISO9001;培训", ACADEMY, "厦门", 1200, True, False),
    "tr-sixsigma": ("training-engineers", "training", "六西格玛绿带培训", "DMAIC 方法与统计工具实战。", "六西格玛;绿带;质量改进", ACADEMY, "厦门", 6000, True, False),
    "tr-en": ("training-engineers", "training", "Project management training (PMP)", "35 contact hours of PMP exam preparation in English or Chinese.", "PMP;project management;training", ACADEMY, "厦门", 4500, False, False),
    # instruments and data
    "share": ("data-instruments", "data", "大型科学仪器共享预约", "共享电镜、质谱、核磁等大型仪器机时。", "仪器共享;机时;预约", PLATFORM, "厦门", 300, True, True),
    "calib": ("data-metrology", "data", "仪器设备校准与计量", "长度、温度、压力、电学仪器校准，出具 CNAS 校准证书。", "校准;计量;CNAS", QUANZHOU, "泉州", 200, True, True),
    "bigdata": ("data-analysis", "data", "工业大数据分析", "生产数据采集、质量预测与设备故障预警。", "大数据;数据分析;预测", DIGITAL, "福州", 35000, True, False),
    "lab": ("data-instruments", "data", "实验室场地租赁", "带通风橱的化学实验室与洁净间按月出租。", "实验室;租赁;洁净间", PLATFORM, "厦门", 8000, False, True),
    "hpc": ("data-computing", "data", "超算算力租用", "GPU 与 CPU 高性能计算资源按核时计费。", "超算;算力;GPU;高性能计算", PLATFORM, "厦门", 1000, True, True),
    "nmr": ("data-instruments", "data", "核磁共振（NMR）测试", "液体核磁氢谱、碳谱结构鉴定。", "核磁;NMR;结构鉴定", PLATFORM, "厦门", 600, True, True),
    "food": ("testing-food", "testing", "食品微生物与营养成分检测", "菌落总数、大肠菌群与营养标签检测。", "食品检测;微生物;营养成分", QUANZHOU, "泉州", 900, True, True),
    # written in Taiwan usage
    "tw-software": ("rnd-software", "rnd", "軟體開發與系統整合", "客製化軟體、資料庫與網路系統整合服務。", "軟體;系統整合;資料庫", TAIWAN, "厦门", 30000, False, False),
    "tw-patent": ("ip-patent", "ip", "專利檢索與專利佈局諮詢", "協助台商企業進行專利檢索、迴避設計與佈局規劃。", "專利;檢索;佈局", TAIWAN, "厦门", 8000, False, False),
    "tw-ipconsult": ("ip-management", "ip", "智慧財產權顧問服務", "商標、專利、營業秘密的整體智慧財產權管理。", "智慧財產權;營業秘密;顧問", TAIWAN, "厦门", 20000, False, False),
    "tw-infosec": ("testing-certification", "testing", "資訊安全檢測與滲透測試", "網站與應用程式弱點掃描、滲透測試報告。", "資訊安全;滲透測試;弱點掃描", TAIWAN, "厦门", 25000, False, False),
    "tw-quality": ("testing-certification", "testing", "品質管理系統輔導", "協助工廠導入品質管理系統並取得驗證。", "品質管理;驗證;輔導", TAIWAN, "厦门", 18000, False, False),
    "tw-emc": ("testing-emc", "testing", "電磁相容測試服務", "資訊產品電磁相容（EMC）預測試與正式測試。", "電磁相容;EMC;測試", TAIWAN, "厦门", 7000, True, False),
}

PATENT_FILING = {"p-invention": 3, "p-utility": 3, "p-design": 3, "p-pct": 3}
TECH_TRANSFER = {"tt-broker": 3, "tt-en": 3, "tt-patent-sale": 2, "tt-university": 2}
EMC = {"emc-test": 3, "tw-emc": 3, "emc-fix": 2}
INCUBATOR = {"incubator": 3, "incub-en": 3, "maker": 2, "accelerator": 1}
TRADEMARK = {"tm-reg": 3, "tm-madrid": 3, "tm-oppose": 3}

# (kind, query, {key: grade})
QUERIES = [
    # exact Simplified Chinese
    ("exact", "专利申请", {**PATENT_FILING, "p-en-filing": 2, "p-search": 1, "tw-patent": 1}),
    ("exact", "失效分析", {"fa-pcb": 3, "fa-metal": 3, "composition": 1}),
    ("exact", "商标注册", {"tm-reg": 3, "tm-madrid": 2, "tm-oppose": 1}),
    ("exact", "技术转移", {**TECH_TRANSFER, "tt-contract": 1, "tt-demand": 1}),
    ("exact", "中试", {"pilot": 3, "smallbatch": 2}),
    ("exact", "盐雾试验", {"salt": 3}),
    ("exact", "孵化器", INCUBATOR),
    ("exact", "高新技术企业认定", {"hte": 3, "hte-audit": 2}),
    ("exact", "软件著作权登记", {"sw-copyright": 3, "art-copyright": 1}),
    ("exact", "质押融资", {"pledge": 3, "techloan": 1}),
    ("exact", "仪器校准", {"calib": 3}),
    ("exact", "成分分析", {"composition": 3, "sem": 1, "xrd": 1, "rohs": 1}),
    # Traditional Chinese, Taiwan vocabulary
    ("traditional", "專利檢索", {"p-search": 3, "tw-patent": 3, "p-fto": 2}),
    ("traditional", "軟體著作權", {"sw-copyright": 3}),
    ("traditional", "電磁相容測試", {**EMC, "ce": 1, "tr-emc": 1}),
    ("traditional", "智慧財產權", {"tw-ipconsult": 3, "ip-consult": 2, "ip-litigation": 2, "pledge": 2, "insurance": 1, "tr-patent": 1}),
    ("traditional", "資訊安全", {"tw-infosec": 3, "iso27001": 3}),
    ("traditional", "品質管理系統", {"iso9001": 3, "tw-quality": 3, "iatf": 2}),
    ("traditional", "軟體開發", {"tw-software": 3, "sw-en": 3, "embedded": 2, "app": 2, "ai": 1}),
    ("traditional", "技術移轉", TECH_TRANSFER),
    ("traditional", "高新技術企業", {"hte": 3, "hte-audit": 2}),
    # pinyin
    ("pinyin", "zhuanli", {**PATENT_FILING, "p-search": 2, "p-fto": 2, "p-invalid": 2, "p-annuity": 2, "p-translate": 2, "tw-patent": 2,
                           "tt-patent-sale": 2, "tr-patent": 2, "insurance": 2, "p-en-filing": 1}),
    ("pinyin", "shangbiao", TRADEMARK),
    ("pinyin", "fuhuaqi", {"incubator": 3, "incub-en": 2, "maker": 1}),
    ("pinyin", "zhongshi", {"pilot": 3}),
    ("pinyin", "jiajikouchu", {"rd-deduct": 3}),
    ("pinyin", "gq", {"hte": 3, "hte-audit": 3}),
    ("pinyin", "ruanzhu", {"sw-copyright": 3}),
    ("pinyin", "dianci jianrong", {**EMC, "tr-emc": 2}),
    ("pinyin", "moju", {"mold": 3}),
    # English
    ("english", "patent", {"p-en-filing": 3, "p-invention": 2, "p-utility": 2, "p-design": 2, "p-pct": 2, "p-search": 1, "p-fto": 1, "p-invalid": 1, "tw-patent": 1}),
    ("english", "patent search", {"p-search": 3, "tw-patent": 3, "p-fto": 2}),
    ("english", "freedom to operate", {"p-fto": 3, "p-search": 1}),
    ("english", "technology transfer", {**TECH_TRANSFER, "tt-contract": 1}),
    ("english", "EMC testing", {**EMC, "ce": 1, "fcc": 1}),
    ("english", "high-tech enterprise certification", {"hte": 3, "hte-audit": 2}),
    ("english", "incubator", INCUBATOR),
    ("english", "pilot-scale testing", {"pilot": 3, "smallbatch": 2}),
    ("english", "failure analysis", {"fa-pcb": 3, "fa-metal": 3}),
    ("english", "trademark registration", {"tm-reg": 3, "tm-madrid": 2}),
    ("english", "salt spray test", {"salt": 3}),
    ("english", "3D printing", {"print3d": 3, "cnc": 1}),
    ("english", "calibration", {"calib": 3}),
    ("english", "lithium battery testing", {"battery": 3}),
    ("english", "software copyright", {"sw-copyright": 3}),
    ("english", "injection mold", {"mold": 3}),
    ("english", "venture capital", {"fin-en": 3, "vc": 3}),
    ("english", "R&D tax deduction", {"rd-deduct": 3, "hte-audit": 1}),
    ("english", "how to register a company in xiamen", {"company-reg": 3, "incub-en": 1, "maker": 1}),
    ("english", "where can I rent lab space", {"lab": 3, "share": 1}),
    ("english", "need someone to translate my patent into english", {"p-translate": 3, "p-en-filing": 1}),
    ("english", "reliability testing", {"reliab-en": 3, "temp": 2, "vibration": 2, "salt": 1}),
    ("english", "ISO 27001", {"iso27001": 3, "tw-infosec": 2}),
    ("english", "industrial design", {"id-design": 3, "p-design": 1}),
    ("english", "scanning electron microscope", {"sem": 3, "share": 1}),
    # mixed
    ("mixed", "PCT 国际申请", {"p-pct": 3, "tm-madrid": 1}),
    ("mixed", "FTO 分析", {"p-fto": 3}),
    ("mixed", "EMC 整改", {"emc-fix": 3, "tr-emc": 2, "emc-test": 1}),
    ("mixed", "IATF16949 辅导", {"iatf": 3}),
    ("mixed", "3D打印 手板", {"print3d": 3, "cnc": 3}),
    ("mixed", "SMT贴片", {"smt": 3}),
    ("mixed", "CE 认证", {"ce": 3, "fcc": 1, "ccc": 1}),
    ("mixed", "专利 translation", {"p-translate": 3}),
    ("mixed", "UN38.3 锂电池", {"battery": 3}),
    ("mixed", "patent 转让", {"tt-patent-sale": 3, "tt-broker": 1}),
    ("mixed", "AI 视觉检测", {"ai": 3}),
    ("mixed", "IoT 方案", {"iot": 3}),
    # colloquial forms, abbreviations, near-synonyms
    ("colloquial", "高企", {"hte": 3, "hte-audit": 3}),
    ("colloquial", "软著", {"sw-copyright": 3}),
    ("colloquial", "知产贯标", {"ip-consult": 3}),
    ("colloquial", "知产质押", {"pledge": 3}),
    ("colloquial", "专利卖掉", {"tt-patent-sale": 3, "tt-valuation": 1}),
    ("colloquial", "办营业执照", {"company-reg": 3}),
    ("colloquial", "查新", {"p-search": 3}),
    ("colloquial", "做个样机", {"cnc": 3, "print3d": 3, "smallbatch": 2, "pilot": 1}),
    ("colloquial", "专精特新 小巨人", {"srdi": 3}),
    ("colloquial", "防水测试", {"ip-rating": 3}),
    ("colloquial", "3C认证", {"ccc": 3}),
    ("colloquial", "科技成果转移", {"tt-broker": 3, "tt-university": 3, "tt-en": 2}),
    ("colloquial", "贷款 没有抵押", {"techloan": 3, "pledge": 1}),
    ("colloquial", "电镜", {"sem": 3, "share": 1}),
    ("colloquial", "小程序开发", {"app": 3}),
    ("colloquial", "科小", {"sme-eval": 3}),
    # misspellings
    ("misspelling", "incubater", INCUBATOR),
    ("misspelling", "patnet search", {"p-search": 3, "tw-patent": 3, "p-fto": 2}),
    ("misspelling", "trademrk", TRADEMARK),
    ("misspelling", "calibraton", {"calib": 3}),
    ("misspelling", "relability test", {"reliab-en": 3, "temp": 2, "vibration": 2}),
    ("misspelling", "certifcation ISO 9001", {"iso9001": 3, "tr-auditor": 1}),
    ("misspelling", "technolgy transfer", TECH_TRANSFER),
    ("misspelling", "sofware development", {"sw-en": 3, "tw-software": 3, "embedded": 2, "app": 2}),
    ("misspelling", "专力申请", PATENT_FILING),
    ("misspelling", "失笑分析", {"fa-pcb": 3, "fa-metal": 3}),
    ("misspelling", "venture captial", {"fin-en": 3, "vc": 3}),
    ("misspelling", "electromagentic compatibility", {**EMC, "tr-emc": 2}),
    # long natural-language questions
    ("natural", "我们是做智能门锁的，想出口欧洲需要做哪些认证", {"ce": 3, "emc-test": 2, "rf-srrc": 1, "safety": 1}),
    ("natural", "电路板烧了想知道是什么原因", {"fa-pcb": 3}),
    ("natural", "公司刚成立想申请高新技术企业需要什么条件", {"hte": 3, "hte-audit": 2, "sme-eval": 1}),
    ("natural", "我有一项专利想卖给企业怎么操作", {"tt-patent-sale": 3, "tt-broker": 2, "tt-valuation": 2}),
    ("natural", "怎样用专利向银行贷款", {"pledge": 3, "techloan": 1}),
    ("natural", "我们的APP需要申请软件著作权吗", {"sw-copyright": 3, "app": 1}),
    ("natural", "How can my startup get government subsidies in Fujian?", {"policy-en": 3, "grants": 2, "srdi": 1, "sme-eval": 1}),
    ("natural", "What tests does a lithium battery need before shipping by air?", {"battery": 3}),
    ("natural", "实验室做出来的新材料想放大生产找谁", {"pilot": 3, "smallbatch": 1, "chem": 1}),
    ("natural", "竞争对手的专利可能侵权，怎么判断风险", {"p-fto": 3, "p-invalid": 2, "ip-litigation": 2}),
    # filter-like
    ("filter", "厦门 专利代理", {**PATENT_FILING, "tw-patent": 1, "p-en-filing": 1}),
    ("filter", "便宜的商标注册", {"tm-reg": 3, "tm-madrid": 1, "tm-oppose": 1}),
    ("filter", "福州 技术转移", TECH_TRANSFER),
    ("filter", "创新券 EMC检测", {"emc-test": 3, "tw-emc": 2, "emc-fix": 1}),
    ("filter", "免费 创业辅导", {"mentor": 3, "accelerator": 2}),
    ("filter", "专利 年费 代缴", {"p-annuity": 3}),
    ("filter", "iso 9001 certification xiamen", {"iso9001": 3, "tw-quality": 2, "tr-auditor": 1}),
]


def documents():
    docs = []
    for number, (key, row) in enumerate(LISTINGS.items(), start=1):
        category, top, title, summary, tags, provider, city, price, voucher, verified = row
        docs.append({"id": number, "external_id": key, "title": title, "summary": summary,
                     "description": f"{summary} 服务机构：{provider}，{city}。", "tags": tags.split(";"),
                     "provider": provider, "category": category, "category_top": top, "city": city,
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
    return len(relevant & set(ranked[:k])) / min(len(relevant), k) if relevant else 1.0


def scores_by_kind(rank):
    """{kind: (mean nDCG@10, mean recall@10)} for rank(query) → [keys]."""
    per_kind = {}
    for kind, text, grades in QUERIES:
        ranked = rank(text)
        per_kind.setdefault(kind, []).append((ndcg(ranked, grades), recall(ranked, grades)))
    return {kind: (sum(n for n, _ in v) / len(v), sum(r for _, r in v) / len(v)) for kind, v in per_kind.items()}
