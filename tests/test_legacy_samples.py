"""Legacy (2008–2018) samples of ../shared/samples/legacy: every expected value comes out, nothing else does.

Each ``<slug>.json`` lists only what its text states; every other ``legacy`` field must stay null
(that is how the samples' traps are checked: cumulative figures, 支出, 微信 posts, "755多条", …).
Skipped when ../shared is absent (CI on a clean clone).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from collector.parse.legacy.text import clean
from collector.parse.normalize import to_simplified
from collector.pipeline import SourceContext, process_document
from collector.sim.truth import flat_numbers
from collector.store.rows import record_to_cell_rows
from tests.conftest import SAMPLES

LEGACY = SAMPLES / "legacy"
NAMES = sorted(p.stem for p in LEGACY.glob("*.txt")) if LEGACY.is_dir() else []


def _flat(legacy: dict[str, Any]) -> dict[str, Any]:
    """``{"replies.granted": 5, ...}``: the legacy figures, dotted, without the section name."""
    return {k.removeprefix("legacy."): v for k, v in flat_numbers({"legacy": legacy}).items()}


def _load(name: str) -> tuple[bytes, dict[str, Any]]:
    return (LEGACY / f"{name}.txt").read_bytes(), json.loads((LEGACY / f"{name}.json").read_text("utf-8"))


def _parse(data: bytes, *, assume_report: bool = False) -> Any:
    return process_document(data, SourceContext(source_url="https://mirror.example.com/x.txt", hint="txt",
                                                assume_report=assume_report))


@pytest.fixture(scope="module")
def parsed() -> dict[str, Any]:
    if not NAMES:
        pytest.skip("../shared/samples/legacy is not present in this checkout")
    out = {}
    for name in NAMES:
        data, exp = _load(name)
        out[name] = (_parse(data, assume_report="_doc_type" in exp), exp, data)
    return out


@pytest.mark.parametrize("name", NAMES or ["(none)"])
def test_every_expected_value_and_nothing_else(parsed: dict[str, Any], name: str) -> None:
    out, exp, _ = parsed[name]
    assert out.record is not None, out.error
    got = {k: v for k, v in _flat(out.record["legacy"]).items() if v is not None}
    want = _flat(exp["legacy"])
    assert got == want, f"{name}: missing {sorted(set(want) - set(got))}, extra {sorted(set(got) - set(want))}, " \
                        f"different {[k for k in want if k in got and got[k] != want[k]]}"


@pytest.mark.parametrize("name", NAMES or ["(none)"])
def test_metadata(parsed: dict[str, Any], name: str) -> None:
    out, exp, _ = parsed[name]
    rec = out.record
    assert rec["format_version"] == "legacy" and rec["report_year"] == exp["report_year"]
    if "_doc_type" in exp:
        return  # parsed on request only: its title is not a report title
    if "agency_name" in exp:
        assert rec["agency_name"] == exp["agency_name"]
    else:  # no title: whatever is found must be a body's name, never a sentence fragment or a domain
        assert rec["agency_name"] is None or rec["agency_name"].endswith(("局", "政府", "镇", "乡", "街道", "办事处"))
    assert rec["published_date"] == exp["published_date"]


@pytest.mark.parametrize("name", NAMES or ["(none)"])
def test_every_value_is_a_traceable_cell(parsed: dict[str, Any], name: str) -> None:
    """cells: value_raw is the phrase as it stands in the text (traditional characters converted, as the
    whole document is), ``where`` the line it starts on."""
    out, exp, data = parsed[name]
    text = to_simplified(data.decode("utf-8"))
    lines = text.split("\n")
    whole = clean(text)
    rows = {r["field"]: r for r in record_to_cell_rows(out.record, out.cells) if r["field"].startswith("legacy.")}
    assert set(rows) == {f"legacy.{k}" for k in _flat(exp["legacy"])}
    for field, row in rows.items():
        raw, value = row["value_raw"], row["value"]
        assert raw and raw in whole, (field, raw)
        if value:
            assert f"{value:g}" in raw, (field, raw)
        n = int(row["location"].split()[-1])
        assert clean(lines[n - 1])[:6] in raw or raw[:6] in clean(lines[n - 1]), (field, row["location"], raw)


def test_yingkou_is_refused_with_a_reason_but_its_figures_read() -> None:
    if "yingkou-city-applications_2015" not in NAMES:
        pytest.skip("../shared/samples/legacy is not present in this checkout")
    data, exp = _load("yingkou-city-applications_2015")
    refused = _parse(data)
    assert refused.record is None and refused.document["status"] == "not_a_report"
    assert "a report on one topic" in str(refused.error)
    forced = _parse(data, assume_report=True)
    assert {k: v for k, v in _flat(forced.record["legacy"]).items() if v is not None} == _flat(exp["legacy"])
    assert any(w.startswith("recognition:") for w in forced.record["parse_warnings"])


# The samples' traps, one sentence each, inside an otherwise empty report: none gives a value.
SAMPLE_TRAPS = (
    "本单位到目前累计主动公开政府信息100条。",
    "全年依申请公开政府信息支出0元。",
    "全年发生依申请和不予公开政府信息条数0条。",
    "2015年度，本局未收到依申请公开信息的咨询。",
    "2015年度，本局未发生与诉讼有关的费用支出。",
    "2016年，未产生政府信息公开事务诉讼相关的费用支出。",
    "2016年政务网站、微信、微博共发布各类信息2483条，其中网站（含转发）319条，微信（含转发）851条。",
    "2017年，主动公开政府工作信息、动态755多条。",
    "确定1名分管领导具体负责，1名同志具体负责信息公开业务工作。",
    "设有1个专门的信息申请受理点，1个电子阅览点、1个公共查阅点。",
    "发改委、财政局等55个部门和单位的业务人员参加了会议。",
    "2018年度我镇主动公开政府信息的线上部分，其中线上信息公开15条。",
    "据统计，全文电子化率达100%。",
    "其中机构概况类5条，规章类文件11条，业务类30条。",
    "根据《中华人民共和国政府信息公开条例》第三十二条规定编制本报告。",
    "其中市本级4件，占17.4%；部门6件，占26.1%；县区13件，占56.5%。",
    "地址：沙头镇人民政府大院，电话：0577-67271000，邮编：132221。",
    "在主动公开的信息中，政策法规类的信息59条，占总体的比例为11.90%。",
    "在主动公开的信息中与公众密切相关的重大事项方面的信息有258条。",
    "乡成立了政府信息公开工作领导小组，下设办公室，配备了专职人员。",
    "本单位2010年没有收到政府信息公开申",
)


@pytest.mark.parametrize("sentence", SAMPLE_TRAPS)
def test_sample_trap_sentence_gives_nothing(sentence: str) -> None:
    page = ("某镇2016年政府信息公开工作年度报告\n根据《条例》要求，现公布某镇2016年政府信息公开工作年度报告。\n"
            "一、概述\n二、主动公开政府信息情况\n三、依申请公开政府信息情况\n四、政府信息公开收费及减免情况\n"
            f"五、因政府信息公开申请行政复议、提起行政诉讼的情况\n{sentence}\n")
    rec = _parse(page.encode()).record
    assert rec is not None
    assert {k: v for k, v in _flat(rec["legacy"]).items() if v is not None} == {}, sentence
