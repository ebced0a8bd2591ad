"""THE table of legacy prose patterns: label synonyms, units, context guards, zeros in words.

Every way a legacy report states a figure is one line here; :mod:`collector.parse.legacy.prose` is
the engine that applies them (and owns nothing field-specific). Adding a synonym is one line.

Pattern lines are regular expressions over whitespace-free NFKC text (traditional characters are
already converted), with placeholders:

* ``{N}`` — the number *and* its unit: digits (``1,234``, ``0.5``) followed by one of the field's
  units, or a zero in words (为零 / 均为零). A number without its unit is never read (phone numbers,
  percentages, dates, article numbers carry no count unit), except in :data:`BARE_ENUMERATIONS`.
* ``{F}`` — filler words between a label and its number (共 / 共计 / 总数为 / 达 …).
* ``{G}`` — a short gap inside the clause (no digits, no clause punctuation).

Sources: the wording of ``../shared/spec/legacy.md`` and ``../shared/samples/legacy`` (14 real texts),
the national form of 国办发〔2014〕32号 and provincial forms (福建 指标名称/计量单位/本年度/历年累计,
甘肃定西 numbered rows), and real reports found while building this (README, "Legacy reports").
"""

from __future__ import annotations

from dataclasses import dataclass

# ---- the fields: units, look-alike guards, where they live -------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldSpec:
    units: str                       # regex alternation of the units a count of this field may carry
    home: frozenset[str] = frozenset()  # section topics where the field is reported (text.TOPICS)
    guard: str | None = None         # a look-alike in the same clause vetoes the reading
    total: bool = False              # a total: never read inside a 其中 (sub-count) clause
    money: bool = False              # decimal, unit 元/万元
    context: str | None = None       # required in the sentence unless the section is one of ``home``
    sentence_guard: str | None = None  # a look-alike anywhere in the sentence vetoes the reading


_COUNT_UNITS = "件|份|宗|条|个|起|次"
_SERVICE = (r"行政审批|审批|办事大厅|服务大厅|服务中心|政务服务|便民服务|办件|行政许可|许可|登记|备案|窗口|人大|政协|"
            r"建议|提案|信访|来信来访|12345|热线")

FIELDS: dict[str, FieldSpec] = {
    # a count through one channel (通过门户网站公开…, 微信/微博 posts) is a sub-count, not the total
    "proactive_items_total": FieldSpec("条|件|项|篇", frozenset({"proactive"}),
                                       guard=r"微信|微博|转发|公众号|短信|点击|访问|浏览|通过[^,，;；]{0,12}?(?:网站|网|公报|公开栏|栏|报刊|电视|广播)"),
    "proactive_normative_docs": FieldSpec("条|件|份|个", frozenset({"proactive"}), guard=r"制发|制定|出台|印发|起草|清理|废止|审查|备案",
                                          context=r"主动公开"),
    "normative_docs_issued": FieldSpec("件|份|个|条"),
    "requests_received": FieldSpec("件|份|宗|条|个|起|人次", frozenset({"requests"}), sentence_guard=_SERVICE, total=True),
    "requests_by_channel.in_person": FieldSpec("件|份|条|个|人次", frozenset({"requests"})),
    "requests_by_channel.fax": FieldSpec("件|份|条|个", frozenset({"requests"})),
    "requests_by_channel.online": FieldSpec("件|份|条|个", frozenset({"requests"})),
    "requests_by_channel.email": FieldSpec("件|份|条|个", frozenset({"requests"})),
    "requests_by_channel.letter": FieldSpec("件|份|条|个", frozenset({"requests"})),
    "requests_by_channel.other": FieldSpec("件|份|条|个", frozenset({"requests"})),
    "requests_closed": FieldSpec("件|份|条|个", frozenset({"requests"}), sentence_guard=_SERVICE, context=r"申请"),
    "replies_total": FieldSpec("件|份|条|个", frozenset({"requests"}), sentence_guard=_SERVICE, context=r"申请"),
    "replies.already_public": FieldSpec("件|份|条|个", frozenset({"requests"})),
    "replies.granted": FieldSpec("件|份|条|个", frozenset({"requests"}), context=r"答复|办理|申请"),
    "replies.partially_granted": FieldSpec("件|份|条|个", frozenset({"requests"}), context=r"答复|办理|申请"),
    "replies.denied": FieldSpec("件|份|条|个", frozenset({"requests"}), context=r"答复|办理|申请"),
    "replies.not_held": FieldSpec("件|份|条|个", frozenset({"requests"})),
    "replies.not_exist": FieldSpec("件|份|条|个", frozenset({"requests"})),
    "replies.unclear": FieldSpec("件|份|条|个", frozenset({"requests"})),
    "replies.redirect": FieldSpec("件|份|条|个", frozenset({"requests"})),
    "review_total": FieldSpec(_COUNT_UNITS, frozenset({"review"}), total=True),
    "review.upheld": FieldSpec(_COUNT_UNITS, frozenset({"review"})),
    "review.corrected": FieldSpec(_COUNT_UNITS, frozenset({"review"})),
    "review.other": FieldSpec(_COUNT_UNITS, frozenset({"review"})),
    "litigation_total": FieldSpec(_COUNT_UNITS, frozenset({"review"}), total=True),
    "litigation.upheld_or_dismissed": FieldSpec(_COUNT_UNITS, frozenset({"review"})),
    "litigation.corrected": FieldSpec(_COUNT_UNITS, frozenset({"review"})),
    "litigation.other": FieldSpec(_COUNT_UNITS, frozenset({"review"})),
    "complaints_total": FieldSpec(_COUNT_UNITS, frozenset({"review"}), total=True),
    "fees_collected": FieldSpec("元|万元", frozenset({"fees"}), guard=r"支出|经费|预算|成本|工作费|办公费|罚没", money=True,
                                total=True),
    "fee_waivers": FieldSpec("元|万元", frozenset({"fees"}), guard=r"支出|经费|预算", money=True),
    "consultations": FieldSpec("人次|次|人|件|个|条", frozenset({"consultations"}), total=True,
                               guard=r"访问|点击|浏览|页面|电话号码|咨询电话|(?:网上|电话|现场|来电|来访|信函|网络|邮件)咨询"),
    "staff_fulltime": FieldSpec("名|人|位", frozenset({"overview", "staff"})),
    "staff_parttime": FieldSpec("名|人|位", frozenset({"overview", "staff"})),
    "special_budget_wan_yuan": FieldSpec("万元|元", frozenset({"staff", "fees"}), money=True),
    "meetings": FieldSpec("次|场|期"),
    "trainings": FieldSpec("次|期|场|个|班"),
    "trainees": FieldSpec("人次|人"),
}

# ---- the phrases: (field, pattern) — one synonym a line ------------------------------------------------

_INFO = r"(?:各类|各项)?(?:政府|政务)?(?:工作)?(?:信息|政务信息|政府信息)"
_REQ = r"(?:政府信息公开|公开政府信息|依申请公开(?:政府信息)?|信息公开)"
_WHO = r"(?:各类|群众|公众|社会公众|公民、法人(?:和|或|及)其他组织|申请人)?(?:提出|提交|递交)?(?:的)?"

PHRASES: tuple[tuple[str, str], ...] = (
    # 主动公开 — "主动公开政府信息共145条", "共新增主动公开政府信息312条", "主动公开政府信息数22条"
    ("proactive_items_total", r"(?:新增)?主动公开" + _INFO + r"(?:数|总数|数量|总量)?{F}{N}"),
    ("proactive_items_total", r"主动(?:发布|公布)" + _INFO + r"{F}{N}"),
    ("proactive_items_total", r"发布(?:各类)?主动公开(?:政府)?信息{F}{N}"),
    # 开平: "镇政府信息公开全年发布各类信息247条" (the 信息公开 site's count; 微信/微博 counts are guarded)
    ("proactive_items_total", r"政府信息公开(?:网站|网|专栏|平台)?(?:全年)?(?:共)?发布(?:各类)?(?:政府)?信息{F}{N}"),
    # 规范性文件 among the proactive items: "(规范性文件84条,…)", "其中主动公开规范性文件5件"
    ("proactive_normative_docs", r"(?:主动公开)?(?:行政)?规范性文件(?:类)?(?:信息)?(?:数)?{F}{N}"),
    ("normative_docs_issued", r"(?:制发|制定|出台|印发)(?:了)?(?:行政)?规范性文件(?:总数|数)?{F}{N}"),
    # 依申请 — "共收到公开政府信息申请23件", "收到政府信息公开申请1条", "受理依申请公开信息总数5件"
    ("requests_received", r"(?:收到|接到|受理|接收|新收)(?:了)?" + _WHO + _REQ + r"?(?:的)?申请(?:总数|数量|数)?{F}{N}"),
    ("requests_received", r"(?:收到|接到|受理|接收)(?:了)?{N}" + _REQ + r"?(?:的)?申请(?!人)"),
    ("requests_received", r"受理依申请公开(?:政府)?信息(?:申请)?总数{F}{N}"),
    ("requests_received", r"依申请公开(?:政府信息)?申请(?:总数|数量|数){F}{N}"),
    ("requests_received", r"依申请公开系统(?:共)?收到{N}"),  # 开平: "依申请公开系统共收到1宗信息"
    # channels — "当面申请14件", "以传真形式申请1件", "以信函形式申请8件"
    ("requests_by_channel.in_person", r"(?:以|通过)?(?:当面|现场)(?:形式|方式)?(?:提出|递交)?(?:的)?申请(?:的|数)?{F}{N}"),
    ("requests_by_channel.fax", r"(?:以|通过)?传真(?:形式|方式)?(?:提出|递交)?(?:的)?申请(?:的|数)?{F}{N}"),
    ("requests_by_channel.online", r"(?:以|通过)?(?:网上|网络|在线|互联网|网站)(?:形式|方式)?(?:提出|递交)?(?:的)?申请(?:的|数)?{F}{N}"),
    ("requests_by_channel.email", r"(?:以|通过)?(?:电子邮件|电子邮箱|邮件)(?:形式|方式)?(?:提出|递交)?(?:的)?申请(?:的|数)?{F}{N}"),
    ("requests_by_channel.letter", r"(?:以|通过)?(?:信函|来信|邮寄)(?:形式|方式)?(?:提出|递交)?(?:的)?申请(?:的|数)?{F}{N}"),
    ("requests_by_channel.other", r"(?:以|通过)?(?:其他|其它)(?:形式|方式|途径)(?:提出|递交)?(?:的)?申请(?:的|数)?{F}{N}"),
    ("requests_closed", r"(?:申请)?(?:已|共)?办结(?:申请)?(?:数|了)?{F}{N}"),
    # 答复 — "对申请的答复总数", "已答复X件"; 营口: "共办理23件依申请案件"
    ("replies_total", r"(?:已|共|对申请的|申请)答复(?:申请)?(?:总数|数)?{F}{N}"),
    ("replies_total", r"(?:共)?办理{N}依申请(?:公开)?(?:政府信息)?(?:案件|申请)"),
    ("replies.already_public", r"[\"]?属于已主动公开(?:的)?范围(?:数)?[\"]?(?:的|类)?{F}{N}"),
    ("replies.granted", r"[\"]?(?<![不分])同意公开(?:答复)?(?:数)?[\"]?(?:的|类)?{F}{N}"),
    ("replies.granted", r"[\"]?(?<!不)予以公开(?:答复)?[\"]?(?:的|类)?{F}{N}"),
    ("replies.partially_granted", r"[\"]?(?:同意)?部分公开(?:答复)?(?:数)?[\"]?(?:的|类)?{F}{N}"),
    ("replies.denied", r"[\"]?(?:不同意|否决)公开(?:答复)?(?:总数|数)?[\"]?(?:的|类)?{F}{N}"),
    ("replies.denied", r"[\"]?不予公开答复(?:数)?[\"]?(?:的|类)?{F}{N}"),
    ("replies.not_held", r"[\"]?(?:不属于本(?:行政)?(?:机关|部门|单位)(?:公开|掌握)?(?:范围)?|非本(?:部门|机关|单位)掌握)(?:数)?[\"]?(?:的|类)?{F}{N}"),
    ("replies.not_exist", r"[\"]?(?:申请)?(?:政府)?信息不存在(?:数)?[\"]?(?:的|类)?{F}{N}"),
    ("replies.unclear", r"[\"]?(?:申请内容不明确|告知(?:作出|申请人)?(?:更改|补正)补充|告知作出更改)(?:数)?[\"]?(?:的|类)?{F}{N}"),
    ("replies.redirect", r"[\"]?告知通过其他途径办理(?:数)?[\"]?(?:的|类)?{F}{N}"),
    # 收费 — "收取费用0元", "收费2.5元", "依申请公开收取的费用0.01万元"
    ("fees_collected", r"收取(?:了)?(?:申请人)?(?:的)?(?:信息)?(?:(?:检索|复制|复印|邮寄|递送|打印)、?)*(?:等)?(?:费用|费)(?:共|合计|共计|总计)?{F}{N}"),
    ("fees_collected", r"收费(?:金额|总额|总计|合计)?{F}{N}"),
    ("fees_collected", r"依申请公开(?:政府信息|信息)?(?:收取的)?费用{F}{N}"),
    ("fee_waivers", r"减免(?:费用|收费|金额)?{F}{N}"),
    # 咨询 — "共接受群众咨询0次", "接受…政府信息公开方面的咨询2070人次"
    ("consultations", r"(?:接受|接待|受理|处理|解答|答复|办理)(?:了)?(?:群众|公众|来访群众|公民、法人(?:和|及|或)其他组织)?"
                      r"(?:[^\d，,。；;：:、]{0,16}?)咨询(?:共|总计|合计|累计)?{F}{N}"),
    ("consultations", r"(?<!电话)(?<!网上)(?<!现场)(?<!网络)(?<!来电)(?<!来访)(?<!信函)咨询(?:总量|总数|量|人次|数)(?:共)?{F}{N}"),
    # 人员 — "配备了2名兼职工作人员", "4名政府信息公开全职工作人员", "全职人员1人", "2人,均为兼职人员"
    ("staff_fulltime", r"{N}(?:政府信息公开|信息公开)?(?:工作)?(?:专职|全职)(?:的)?(?:工作)?(?:人员|工作者|干部|同志|信息员)"),
    ("staff_fulltime", r"(?:专职|全职)(?:工作)?人员(?:数)?{F}{N}"),
    ("staff_fulltime", r"{N}[,，](?:均|全部|都)(?:为|是)(?:专职|全职)"),
    ("staff_parttime", r"{N}(?:政府信息公开|信息公开)?(?:工作)?兼职(?:的)?(?:工作)?(?:人员|工作者|干部|同志|信息员)"),
    ("staff_parttime", r"兼职(?:工作)?人员(?:数)?{F}{N}"),
    ("staff_parttime", r"{N}[,，](?:均|全部|都)(?:为|是)兼职"),
    ("special_budget_wan_yuan", r"(?:政府信息公开)?专项经费{F}{N}"),
    # 会议 / 培训 — "举办培训1次", "参加培训2人次", "召开专题会议3次"
    ("meetings", r"召开(?:了)?(?:政府信息公开|政务公开|信息公开)?(?:工作)?(?:专题)?(?:会议|工作会|专题会|推进会|例会){F}{N}"),
    ("meetings", r"召开(?:了)?{N}(?:政府信息公开|政务公开|信息公开)?(?:工作)?(?:专题)?(?:会议|工作会|专题会|推进会)"),
    ("trainings", r"(?:举办|开展|组织|召开)(?:了)?(?:各类|专题|业务)?(?:政府信息公开|政务公开|信息公开)?(?:业务)?(?:工作)?培训(?:班|会)?{F}{N}"),
    ("trainings", r"(?:举办|开展|组织)(?:了)?{N}(?:政府信息公开|政务公开|信息公开)?(?:业务|专题)?培训"),
    ("trainees", r"(?:参加|接受)(?:了)?(?:业务)?培训(?:的)?(?:人员|干部)?(?:共|达)?{F}{N}"),
    ("trainees", r"(?<!举办)培训(?:人员|干部|工作人员){F}{N}"),
)

# Enumerated lists without units ("1.组织机构5;2.规章100;3.规范性文件90"): read only inside the
# proactive section or a sentence about 主动公开, and only for these labels.
BARE_ENUMERATIONS: tuple[tuple[str, str], ...] = (
    ("proactive_normative_docs", r"(?:^|[;；,，。(（])\d{1,2}[.、．](?:行政)?规范性文件(?P<n>\d{1,6})(?=$|[;；,，。)）])"),
)

# ---- zeros in words: (fields, pattern) — the whole phrase becomes value_raw -------------------------------

ZEROS: tuple[tuple[tuple[str, ...], str], ...] = (
    # 没有收到政府信息公开申请 / 尚未收到 / 没有接到群众主动要求公开政府信息的申请 / 未收到申请公开政府信息
    (("requests_received",), r"(?:没有|未|尚未|未曾|暂未|均未|无人)(?:收到|接到|受理|接收)(?:过)?(?:任何|一件|一起)?" + _WHO
     + r"(?:主动)?(?:要求)?(?:公开)?(?:政府信息公开|公开政府信息|依申请公开(?:政府信息)?|信息公开|政府信息)?(?:的)?(?<!依)申请(?!人|书|表|行政|复议|诉讼)"),
    (("requests_received",), r"(?:^|[,，])(?:全年|本年度?|20\d{2}年度?)?(?:[,，])?无" + _REQ + r"?申请(?:件)?$"),
    # 未收取任何费用 / 没有收费 / 均没有收取费用 / 没有向…申请人收费 / 未收取与…有关的任何费用
    (("fees_collected",), r"(?:未|没有|不|均未|均没有|未曾|从未)(?:向[^，,。；;]{0,20}?)?(?:收取|收)(?:过)?(?:任何|一切)?(?:[^，,。；;\d]{0,16}?)(?:费用|费)"),
    (("fees_collected",), r"(?:未|没有|不|均未|均没有|从未)(?:向[^，,。；;]{0,20}?)?收费"),
    (("fees_collected", "fee_waivers"), r"无(?:[^，,。；;\d]{0,14}?)收费(?:和|及|与|或)减免(?:事项|情况|现象)?"),
    (("fee_waivers",), r"(?:不存在|没有|无|未发生|未有)(?:任何)?(?:费用)?减免(?:情况|事项|现象)?"),
    # 未接受咨询 (but not "未收到依申请公开信息的咨询": ambiguous, left out)
    (("consultations",), r"(?:没有|未)(?:接到|接受|收到)(?:过)?(?:群众|公众)?(?:的)?(?:政府信息公开)?咨询"),
)

# ---- review / litigation / complaints: several fields in one phrase ----------------------------------------
# "未发生…行政复议案、行政诉讼案和有关的申诉案" (3 fields), "…行政复议、提起行政诉讼的案件0件" (2 fields, one 0).

KINDS: tuple[tuple[str, str], ...] = (
    ("review_total", r"行政复议(?:申请|案件|案)?"),
    ("litigation_total", r"行政诉讼(?:案件|案)?"),
    ("complaints_total", r"(?:行政)?申诉(?:案件|案)?|举报投诉|投诉举报|投诉"),
)
KIND_PREFIX = r"(?:被|因政府信息公开(?:而)?(?:被)?|有关(?:政府信息公开)?的|相关的|提起|申请|提出|引起的|针对[^，,。；;、]{0,12}?的)*"
KIND_SEP = r"(?:、|和|及|与|或|以及|/)"
NEGATIONS = r"未发生|没有发生|未产生|没有产生|未出现|没有出现|未收到|没有收到|未接到|没有接到|未有|没有|不存在|未发现"
# outcome sub-rows after a review/litigation count in the same sentence: "行政复议3件,其中维持2件,纠错1件"
OUTCOMES: tuple[tuple[str, str, str], ...] = (
    ("review_total", "review.upheld", r"维持(?:具体行政行为|原(?:具体)?行政行为|原决定)?"),
    ("review_total", "review.corrected", r"(?:被依法)?纠(?:错|正)"),
    ("review_total", "review.other", r"其他(?:情形|结果)"),
    ("litigation_total", "litigation.upheld_or_dismissed", r"(?:维持(?:具体行政行为)?(?:或|或者)?)?驳回(?:原告)?(?:诉讼请求)?|维持(?:具体行政行为|原(?:具体)?行政行为)?"),
    ("litigation_total", "litigation.corrected", r"(?:被依法)?纠(?:错|正)"),
    ("litigation_total", "litigation.other", r"其他(?:情形|结果)"),
)

# ---- guards shared by every field ------------------------------------------------------------------------

CUMULATIVE = r"到目前|迄今|至今|目前为止|截至目前|截止目前|截至目前|历年|自.{0,12}以来|建站以来|实施以来|运行以来"
APPROX_BEFORE = r"(?:约|近|大约|超过|逾|将近|接近|多达|不少于|不足|上千|数百)$"
APPROX_AFTER = r"^(?:以上|左右|之多|多|余|有余)"
FILLER = r"(?:共计|合计|总计|累计|共|为|达到|达|计|是){0,2}"

__all__ = ["APPROX_AFTER", "APPROX_BEFORE", "BARE_ENUMERATIONS", "CUMULATIVE", "FIELDS", "FILLER", "KINDS",
           "KIND_PREFIX", "KIND_SEP", "NEGATIONS", "OUTCOMES", "PHRASES", "ZEROS", "FieldSpec"]
