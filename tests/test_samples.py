"""The real samples in ../shared/samples: every numeric cell and the metadata (skipped without ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.pipeline import SourceContext, process_document
from tests.reportgen import numbers_of

C = ("natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
     "legal_service_org", "other_org", "total")
_ = None

# Transcribed by hand from shanghai-gov-office-2019.html (blank cells are null).
SHANGHAI_S3 = {
    "new_received": (821, 35, _, _, 2, 1, 859),
    "carried_over_in": (18, _, _, _, _, _, 18),
    "granted": (258, 12, _, _, 1, 1, _),
    "partially_granted": (3, _, _, _, _, _, _),
    "withheld_state_secret": (14, _, _, _, _, _, _),
    "withheld_law_prohibits": (_,) * 7,
    "withheld_three_security_one_stability": (_,) * 7,
    "withheld_third_party_rights": (_,) * 7,
    "withheld_internal_affairs": (5, _, _, _, _, _, _),
    "withheld_process_info": (3, 1, _, _, _, _, _),
    "withheld_enforcement_file": (_,) * 7,
    "withheld_admin_inquiry": (10, 2, _, _, _, _, _),
    "unable_not_held": (252, 12, _, _, 1, _, _),
    "unable_needs_creation": (44, 3, _, _, _, _, _),
    "unable_unclear_after_correction": (25, _, _, _, _, _, _),
    "not_processed_petition": (148, 1, _, _, _, _, _),
    "not_processed_duplicate": (5, 4, _, _, _, _, _),
    "not_processed_publication": (_,) * 7,
    "not_processed_excessive": (_,) * 7,
    "not_processed_confirm_reissue": (_,) * 7,
    "other_handling": (_,) * 7,
    "results_total": (767, 35, _, _, 2, 1, 805),
    "carried_over_out": (72, _, _, _, _, _, 72),
    "other_no_correction": (_,) * 7,
    "other_fee_unpaid": (_,) * 7,
    "other_other": (_,) * 7,
}
SHANGHAI_S2 = {
    "s2.art20_1.regulations.new_made": 13, "s2.art20_1.regulations.new_published": 13,
    "s2.art20_1.regulations.total_published": 524,
    "s2.art20_1.normative_docs.new_made": 60, "s2.art20_1.normative_docs.new_published": 60,
    "s2.art20_1.normative_docs.total_published": 368,
    "s2.art20_5.admin_licensing.prev_year_items": 0, "s2.art20_5.admin_licensing.change": 0,
    "s2.art20_5.admin_licensing.decisions": 0,
    "s2.art20_5.other_external_services.prev_year_items": 0, "s2.art20_5.other_external_services.change": 0,
    "s2.art20_5.other_external_services.decisions": 0,
    "s2.art20_6.admin_penalty.prev_year_items": 0, "s2.art20_6.admin_penalty.change": 0,
    "s2.art20_6.admin_penalty.decisions": 0,
    "s2.art20_6.admin_coercion.prev_year_items": 0, "s2.art20_6.admin_coercion.change": 0,
    "s2.art20_6.admin_coercion.decisions": 0,
    "s2.art20_8.admin_fees.prev_year_items": 0, "s2.art20_8.admin_fees.change": 0,
    "s2.art20_9.centralized_procurement.project_count": 6,
    "s2.art20_9.centralized_procurement.total_amount_yuan": 251000,
}
SHANGHAI_S4 = {"review": (5, _, _, 2, 7), "litigation_direct": (8, _, _, 1, 9), "litigation_after_review": (_,) * 5}


def _expected(s2: dict, s3: dict, s4: dict) -> dict:
    exp = {k: None for k in numbers_of(_record_shape()) if not k.startswith("legacy.")}  # template fields only
    exp.update(s2)
    for row, vals in s3.items():
        for c, v in zip(C, vals, strict=True):
            exp[f"s3.{row}.{c}"] = v
    for b, vals in s4.items():
        for c, v in zip(("upheld", "corrected", "other", "pending", "total"), vals, strict=True):
            exp[f"s4.{b}.{c}"] = v
    return exp


def _record_shape() -> dict:
    from collector.parse.record import empty_numbers

    return empty_numbers()


def _parse(path: Path) -> dict:
    out = process_document(path.read_bytes(), SourceContext(source_url=str(path)))
    assert out.record is not None, out.document
    return out.record


def test_shanghai_every_cell(samples_dir: Path) -> None:
    rec = _parse(samples_dir / "shanghai-gov-office-2019.html")
    assert rec["format_version"] == "gb2019"
    assert rec["report_year"] == 2019
    assert rec["agency_name"] == "上海市人民政府办公厅"
    assert rec["published_date"] == "2020-01-31"
    got = numbers_of(rec)
    expected = _expected(SHANGHAI_S2, SHANGHAI_S3, SHANGHAI_S4)
    wrong = {k: (got[k], v) for k, v in expected.items() if got[k] != v}
    assert not wrong, wrong
    # blank 总计 cells are not errors; they are derived and said so
    assert rec["derived"]["s3.granted.total"] == 272
    assert not [f for f in rec["validation"] if f["severity"] == "error"]
    assert rec["text"]["s6_other"] == "无。"
    assert rec["parse_status"] == "ok"


# Transcribed by hand from yining-amr-2023.pdf.txt: the rows after 不予处理 5. are lost in the text
# layer (expected null); 四 is one line of 15 zeros.
YINING_S3 = {row: (0,) * 7 for row in (
    "new_received", "carried_over_in", "granted", "partially_granted", "withheld_state_secret",
    "withheld_law_prohibits", "withheld_three_security_one_stability", "withheld_third_party_rights",
    "withheld_internal_affairs", "withheld_process_info", "withheld_enforcement_file", "withheld_admin_inquiry",
    "unable_not_held", "unable_needs_creation", "unable_unclear_after_correction", "not_processed_petition",
    "not_processed_duplicate", "not_processed_publication", "not_processed_excessive",
    "not_processed_confirm_reissue")}
YINING_S2 = {
    "s2.art20_1.regulations.issued": 0, "s2.art20_1.regulations.repealed": 0, "s2.art20_1.regulations.in_force": 0,
    "s2.art20_1.normative_docs.issued": 0, "s2.art20_1.normative_docs.repealed": 0,
    "s2.art20_1.normative_docs.in_force": 0,
    "s2.art20_5.admin_licensing.decisions": 29588, "s2.art20_6.admin_penalty.decisions": 383,
    "s2.art20_6.admin_coercion.decisions": 96, "s2.art20_8.admin_fees.amount_wan_yuan": 0,
}
YINING_S4 = {b: (0,) * 5 for b in ("review", "litigation_direct", "litigation_after_review")}


def test_yining_every_cell(samples_dir: Path) -> None:
    rec = _parse(samples_dir / "yining-amr-2023.pdf.txt")
    assert rec["format_version"] == "gb2021"
    assert rec["report_year"] == 2023
    assert rec["agency_name"] == "伊宁市市场监督管理局"
    assert rec["published_date"] == "2024-01-10"
    s2, s3, s4 = YINING_S2, YINING_S3, YINING_S4
    got = numbers_of(rec)
    expected = _expected(s2, s3, s4)  # the rows after 不予处理 5. are lost in the text layer: null
    wrong = {k: (got[k], v) for k, v in expected.items() if got[k] != v}
    assert not wrong, wrong
    assert rec["parse_status"] == "partial"
    assert any("rows not found" in w for w in rec["parse_warnings"])
    assert "加强审核把关" in rec["text"]["s5_problems"]


@pytest.mark.parametrize(
    ("name", "fmt", "year", "agency", "published"),
    [
        ("wuhai-industry-it-bureau_2020.txt", "gb2019", 2020, "乌海市工业和信息化局", None),
        ("jiaxian-xi-town_2022.txt", "gb2019", 2022, "螅镇", "2023-01-31"),
        ("baiyin-district-statistics-bureau_2020.txt", None, 2020, "白银区统计局", "2021-01-06"),
        ("beijing-culture-bureau_2009.txt", "legacy", 2009, "北京市文化局", "2010-03-10"),
        ("taizhou-jiangsu-city_2017.txt", "legacy", 2017, "泰州市人民政府", "2018-02-28"),
        ("changchun-veterans-affairs-bureau_2023.txt", "gb2021", 2023, None, None),
    ],
)
def test_sample_openings_metadata(samples_dir: Path, name: str, fmt: str | None, year: int, agency: str | None,
                                  published: str | None) -> None:
    rec = _parse(samples_dir / name)
    if fmt:
        assert rec["format_version"] == fmt
    assert rec["report_year"] == year
    assert rec["agency_name"] == agency
    assert rec["published_date"] == published


def test_wuhai_signed_changes(samples_dir: Path) -> None:
    rec = _parse(samples_dir / "wuhai-industry-it-bureau_2020.txt")
    s2 = rec["s2"]
    assert s2["art20_5"]["other_external_services"] == {"prev_year_items": 2, "change": 2, "decisions": 114}
    assert s2["art20_6"]["admin_penalty"] == {"prev_year_items": 25, "change": -1, "decisions": 0}
    assert s2["art20_5"]["admin_licensing"] == {"prev_year_items": 1, "change": 0, "decisions": 0}


def test_changchun_pipe_table(samples_dir: Path) -> None:
    rec = _parse(samples_dir / "changchun-veterans-affairs-bureau_2023.txt")
    assert rec["s3"]["new_received"] == dict(zip(C, (3, 0, 0, 0, 0, 0, 3), strict=True))
    assert rec["s3"]["carried_over_in"]["total"] == 0
    assert rec["s2"]["art20_1"]["normative_docs"]["in_force"] == 0


def test_taizhou_index_number(samples_dir: Path) -> None:
    rec = _parse(samples_dir / "taizhou-jiangsu-city_2017.txt")
    assert rec["index_number"] == "014416330/2018-04736"
    assert rec["org_code"] == "014416330"
    assert rec["parse_status"] == "text_only"
