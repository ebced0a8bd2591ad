"""Legacy metadata (Chinese-numeral dates, page vs signature date, agency without a title) and the
legacy figures in the Parquet dataset: flat ``legacy__`` columns and traceable ``cells`` rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from collector.parse.metadata import cn_date_to_digits, strip_domain
from collector.pipeline import SourceContext, process_document
from collector.sim.legacy import legacy_html, make_legacy
from collector.store.dataset import Dataset

BODY = ("一、概述\n2011年，我局认真贯彻《条例》，配备了2名兼职工作人员。\n二、主动公开政府信息情况\n"
        "2011年，我局主动公开政府信息共145条。\n三、依申请公开政府信息情况\n本单位2011年没有收到政府信息公开申请。\n")


def _rec(text: str, url: str = "http://www.x.gov.cn/a.txt") -> dict:
    o = process_document(text.encode(), SourceContext(source_url=url, hint="txt"))
    assert o.record is not None, o.error
    return o.record


def test_chinese_numeral_dates() -> None:
    assert cn_date_to_digits("二○一二年二月二十日") == "2012年2月20日"
    assert cn_date_to_digits("二〇一三年十二月三十一日") == "2013年12月31日"
    assert cn_date_to_digits("二〇一〇年三月十日") == "2010年3月10日"


def test_signature_date_in_chinese_numerals_is_the_published_date() -> None:
    rec = _rec("某县农业局2011年政府信息公开工作年度报告\n" + BODY + "某县农业局\n二○一二年二月二十日\n")
    assert rec["report_year"] == 2011 and rec["published_date"] == "2012-02-20"
    assert rec["published_date_source"] == "closing_date"


def test_page_date_before_signature_date() -> None:
    rec = _rec("2018年建新镇政府信息公开工作年度报告\n作者:本站原创 | 时间:2019-01-18 点击数:-\n" + BODY.replace("2011", "2018")
               + "遂溪县建新镇人民政府\n2018年12月31日\n")
    assert rec["published_date"] == "2019-01-18" and rec["report_year"] == 2018


def test_mirror_domain_is_never_the_agency() -> None:
    assert strip_domain("puroview.com沙头镇") == "沙头镇"
    rec = _rec("puroview.com沙头镇\n2011年政府信息公开工作年度报告\n" + BODY, url="https://puroview.com/a.jsp")
    assert rec["agency_name"] == "沙头镇"


def test_compiled_by_wins_over_a_city_wide_cover_title() -> None:
    rec = _rec("北京市政府信息公开工作年度报告本报告是根据《条例》要求，由北京市统计局(以下简称统计局)编制的"
               "2011年度政府信息公开工作年度报告。\n" + BODY)
    assert rec["agency_name"] == "北京市统计局"


def test_agency_from_the_metadata_block_and_nothing_from_a_sentence() -> None:
    rec = _rec("索 引 号: | 610700003-/2020000781 | 发布时间: | 2012年02月17日 10:50 |\n发布机构: | 汉中市统计局 |\n"
               "本年度报告根据《条例》要求编制。\n" + BODY)
    assert rec["agency_name"] == "汉中市统计局" and rec["report_year"] == 2011 and rec["published_date"] == "2012-02-17"
    rec2 = _rec("根据《条例》的有关规定，特向社会公布2011年度政府信息公开年度报告。\n" + BODY)
    assert rec2["agency_name"] is None  # "特向社会公布" is no agency


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("legacy-ds")
    rep = make_legacy(9, "某县水务局", 2014, form="national")
    o = process_document(legacy_html(rep).encode(), SourceContext(source_url="http://www.x.gov.cn/2014.html", hint="html"))
    Dataset(out).write([o])
    return out


def test_legacy_columns_and_cells_in_parquet(stored: Path) -> None:
    rep = make_legacy(9, "某县水务局", 2014, form="national")
    row = duckdb.sql(f"""SELECT legacy__requests_received, legacy__proactive_items_total, legacy__fees_unit,
        parse_status, format_version FROM read_parquet('{stored}/reports/**/*.parquet', hive_partitioning=true)""").fetchall()[0]
    assert row == (rep.values["requests_received"], rep.values["proactive_items_total"], "万元", "ok", "legacy")
    cells = duckdb.sql(f"""SELECT field, value, value_raw, unit, location FROM read_parquet('{stored}/cells/**/*.parquet',
        hive_partitioning=true) WHERE field LIKE 'legacy.%' ORDER BY field""").fetchall()
    by = {c[0]: c for c in cells}
    assert set(by) == {k for k in rep.expected("grid") if k != "legacy.fees_unit"}
    f = by["legacy.requests_received"]
    assert f[1] == rep.values["requests_received"] and f[3] == "件" and f[4].startswith("table 1 row ")
    assert by["legacy.fees_collected"][3] == "万元"


def test_text_sections_are_kept(stored: Path) -> None:
    titles = duckdb.sql(f"""SELECT [s.title FOR s IN text__sections]
        FROM read_parquet('{stored}/reports/**/*.parquet', hive_partitioning=true)""").fetchall()[0][0]
    assert titles[0] == "一、概述" and any("主动公开" in t for t in titles)


def test_legacy_record_validates_against_json_schema() -> None:
    import json

    import jsonschema

    from collector.schema import json_schema

    rep = make_legacy(2, "某县水务局", 2015, form="national")
    o = process_document(legacy_html(rep).encode(), SourceContext(source_url="http://www.x.gov.cn/2015.html", hint="html"))
    rec = json.loads(json.dumps(o.record, default=str))
    jsonschema.validate(rec, json_schema())
    assert rec["legacy"]["requests_received"] == rep.values["requests_received"]
