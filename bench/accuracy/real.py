"""Real reports found with the search tool: their figures, hand-checked, in their observed renderings.

The search corpus returns excerpts of public pages (a report's opening, up to where the excerpt
ends) and asks not to copy them verbatim, so the pages themselves are not committed. What is
kept here is what an analyst would transcribe — the source URL, the report's year and format,
every number the excerpt shows (blank cells as None) — and how the portal's page scrape printed
the table (``|`` between cells; one cell per line; traditional characters on a mirror). Each case
re-renders exactly those figures in that style; every number field the excerpt does not reach is
expected blank.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.test_samples import _expected

from bench.accuracy import Case

_ = None
Z7 = (0,) * 7
S3_LABELS = {
    "new_received": "一、本年新收政府信息公开申请数量", "carried_over_in": "二、上年结转政府信息公开申请数量",
    "granted": "三、本年度办理结果 | (一)予以公开", "partially_granted": "(二)部分公开(区分处理的,只计这一情形,不计其他情形)",
    "withheld_state_secret": "(三)不予公开 | 1.属于国家秘密", "withheld_law_prohibits": "2.其他法律行政法规禁止公开",
    "withheld_three_security_one_stability": "3.危及“三安全一稳定”", "withheld_third_party_rights": "4.保护第三方合法权益",
    "withheld_internal_affairs": "5.属于三类内部事务信息", "withheld_process_info": "6.属于四类过程性信息",
}
S3_HEADER = ["(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和) | 申请人情况 |",
             "自然人 | 法人或其他组织 | 总计 |", "商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 |"]
S2_2021 = [("第二十条第(一)项", None), ("信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数", None),
           ("规章", ("art20_1.regulations", ("issued", "repealed", "in_force"))),
           ("行政规范性文件", ("art20_1.normative_docs", ("issued", "repealed", "in_force"))),
           ("第二十条第(五)项", None), ("信息内容 | 本年处理决定数量", None),
           ("行政许可", ("art20_5.admin_licensing", ("decisions",))), ("第二十条第(六)项", None),
           ("信息内容 | 本年处理决定数量", None), ("行政处罚", ("art20_6.admin_penalty", ("decisions",))),
           ("行政强制", ("art20_6.admin_coercion", ("decisions",))), ("第二十条第(八)项", None),
           ("信息内容 | 本年收费金额(单位:万元)", None), ("行政事业性收费", ("art20_8.admin_fees", ("amount_wan_yuan",)))]
S2_2019 = [("第二十条第(一)项", None), ("信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量", None),
           ("规章", ("art20_1.regulations", ("new_made", "new_published", "total_published"))),
           ("规范性文件", ("art20_1.normative_docs", ("new_made", "new_published", "total_published"))),
           ("第二十条第(五)项", None), ("信息内容 | 上一年项目数量 | 本年增/减 | 处理决定数量", None),
           ("行政许可", ("art20_5.admin_licensing", ("prev_year_items", "change", "decisions"))),
           ("其他对外管理服务事项", ("art20_5.other_external_services", ("prev_year_items", "change", "decisions"))),
           ("第二十条第(六)项", None), ("信息内容 | 上一年项目数量 | 本年增/减 | 处理决定数量", None),
           ("行政处罚", ("art20_6.admin_penalty", ("prev_year_items", "change", "decisions"))),
           ("行政强制", ("art20_6.admin_coercion", ("prev_year_items", "change", "decisions"))),
           ("第二十条第(八)项", None), ("信息内容 | 上一年项目数量 | 本年增/减", None),
           ("行政事业性收费", ("art20_8.admin_fees", ("prev_year_items", "change"))),
           ("第二十条第(九)项", None), ("信息内容 | 采购项目数量 | 采购总金额", None),
           ("政府集中采购", ("art20_9.centralized_procurement", ("project_count", "total_amount_yuan")))]

# url, year, format, scrape style, printed 二 values (label -> cells as printed), 三 rows (as printed)
REPORTS: list[dict[str, Any]] = [
    {"url": "https://www.lg.gov.cn/xxgk/xxgknb/qzfgzbm/content/post_11956962.html", "year": 2024, "fmt": "gb2021",
     "style": "pipes", "s2": {"规章": ("0", "0", "0"), "行政规范性文件": ("5", "1", "25"), "行政许可": ("0",),
                              "行政处罚": ("0",), "行政强制": ("0",), "行政事业性收费": ("0",)},
     "s3": {"new_received": (58, 7, 0, 0, 1, 0, 66), "carried_over_in": (2, 0, 0, 0, 0, 0, 2),
            "granted": (2, 1, 0, 0, 0, 0, 3), "partially_granted": (16, 1, 0, 0, 0, 0, 17),
            "withheld_state_secret": Z7, "withheld_law_prohibits": Z7, "withheld_three_security_one_stability": Z7,
            "withheld_third_party_rights": Z7, "withheld_internal_affairs": (1, 0, 0, 0, 0, 0, 1),
            "withheld_process_info": Z7}},
    {"url": "http://williamhillcn.org/zwgkk/bmxxgkndbg/content/post_7036712.html", "year": 2020, "fmt": "gb2019",
     "style": "pipes", "s2": {"规章": ("0", "0", "0"), "规范性文件": ("1", "1", "2"), "行政许可": ("22", "+1", "23"),
                              "其他对外管理服务事项": ("1168", "+173", "1341"), "行政处罚": ("2", "-2", "0"),
                              "行政强制": ("0", "0", "0"), "行政事业性收费": ("0", "0"), "政府集中采购": ("22", "184719元")},
     "s3": {"new_received": (25, _, _, _, _, _, 25), "carried_over_in": (_, _, _, _, _, _, 0),
            "granted": (7, _, _, _, _, _, 7), "partially_granted": (1, _, _, _, _, _, 1)}},
    {"url": "http://shareonl.com/xxgk/xxgknb/qzfgzbm/content/post_8407480.html", "year": 2020, "fmt": "gb2019",
     "style": "pipes-traditional",
     "s2": {"规章": ("0", "0", "0"), "规范性文件": ("0", "0", "0"), "行政许可": ("0", "0", "0"),
            "其他对外管理服务事项": ("0", "0", "0"), "行政处罚": ("0", "0", "0"), "行政强制": ("0", "0", "0"),
            "行政事业性收费": ("0", "0"), "政府集中采购": ("10", "180774.8")}, "s3": {}},
    {"url": "https://www.szgm.gov.cn/xxgk/zfxxgkgzndbg/qgbmxxgknb/content/post_11976060.html", "year": 2024,
     "fmt": "gb2021", "style": "pipes",
     "s2": {"规章": ("0", "0", "0"), "行政规范性文件": ("0", "0", "0"), "行政许可": ("0",), "行政处罚": ("0",),
            "行政强制": ("0",), "行政事业性收费": ("0",)}, "s3": {}},
    {"url": "http://61.150.65.235/zfxxgk/zfxxgknb/bmxxgknb/1906985018193408001.html", "year": 2023, "fmt": "gb2021",
     "style": "cell-per-line",
     "s2": {"规章": ("/", "/", "/"), "行政规范性文件": ("0", "0", "0"), "行政许可": ("0",), "行政处罚": ("0",),
            "行政强制": ("0",), "行政事业性收费": ("0",)},
     "s3": {"new_received": (_, _, _, _, _, _, 0), "carried_over_in": (_, _, _, _, _, _, 0)}},
]


def _value(raw: str) -> Any:
    from collector.parse.normalize import parse_value

    return parse_value(raw).value


def _render(rep: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The page scrape as the portal printed it, and the expected numbers."""
    lines = [f"本报告所列数据的统计期限为{rep['year']}年1月1日至{rep['year']}年12月31日。", "一、总体情况",
             "本年度依法做好政府信息公开工作。", "二、主动公开政府信息情况"]
    s2_expected: dict[str, Any] = {}
    for label, spec in S2_2021 if rep["fmt"] == "gb2021" else S2_2019:
        cells = rep["s2"].get(label)
        if spec is None:
            lines.append(label + " |")
        elif cells is not None:
            lines.append(" | ".join([label, *cells]) + " |")
            path, cols = spec
            for col, raw in zip(cols, cells, strict=True):
                s2_expected[f"s2.{path}.{col}"] = _value(raw)
    if rep["s3"]:
        lines += ["三、收到和处理政府信息公开申请情况", *S3_HEADER]
        for row, vals in rep["s3"].items():
            cells = ["" if v is None else str(v) for v in vals]
            lines.append(" | ".join([S3_LABELS[row], *cells]) + " |")
    if rep["style"] == "cell-per-line":  # a scrape that ends every cell with " |" and a line break
        lines = [cell.strip() + " |" for ln in lines for cell in (ln.rstrip(" |").split(" | ") if " | " in ln else [ln])]
    text = "\n".join(lines)
    if rep["style"] == "pipes-traditional":
        import opencc

        text = opencc.OpenCC("s2t").convert(text)
    return text, _expected(s2_expected, rep["s3"], {})


def cases() -> Iterator[Case]:
    for i, rep in enumerate(REPORTS):
        text, expected = _render(rep)
        meta = {"format_version": rep["fmt"], "report_year": rep["year"]}
        yield Case("real", f"scrape-{rep['style']}", f"real{i}:{rep['url']}", text.encode("utf-8"), expected, hint="txt",
                   source_url=rep["url"], meta=meta)
