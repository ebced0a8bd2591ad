"""Every validation rule: one case where it fires and one where it does not."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from collector.parse.record import derive
from collector.validate import validate_dataset, validate_record
from collector.validate.rules import deadline
from tests.reportgen import make_record


def _rec(fmt: str = "gb2021", year: int = 2023, **kw: Any) -> dict[str, Any]:
    rec = make_record(fmt, year, seed=kw.pop("seed", 1))
    rec.update({"report_id": kw.pop("report_id", "r1"), "sections": ["1", "2", "3", "4", "5", "6"],
                "agency_type": "部门", "prose": {"requests_received": None}, "parse_status": "ok",
                "published_date": f"{year + 1}-01-15"})
    rec.update(kw)
    rec["derived"] = derive(rec)
    return rec


def _rules(rec: dict[str, Any], severity: str | None = None) -> set[int]:
    rec["derived"] = derive(rec)
    return {f.rule for f in validate_record(rec) if severity is None or f.severity == severity}


def test_consistent_records_have_no_findings() -> None:
    for fmt, year in (("gb2021", 2023), ("gb2019", 2020)):
        assert _rules(_rec(fmt, year), "error") == set()
        assert _rules(_rec(fmt, year), "warning") == set()


def test_rule1_balance() -> None:
    rec = _rec()
    rec["s3"]["carried_over_out"]["natural_person"] += 1
    rec["s3"]["carried_over_out"]["total"] += 1
    assert 1 in _rules(rec, "error")


def test_rule2_results_total() -> None:
    rec = _rec()
    rec["s3"]["granted"]["natural_person"] += 5
    rec["s3"]["granted"]["total"] += 5
    assert 2 in _rules(rec, "error")
    blank = _rec()
    blank["s3"]["results_total"]["research_institution"] = None
    found = validate_record({**blank, "derived": derive(blank)})
    assert 2 not in {f.rule for f in found if f.severity == "error"} - {1}
    assert any(f.rule == 2 and f.severity == "info" and "derived" in f.message for f in found)


def test_rule3_row_totals_and_blank_total_is_not_an_error() -> None:
    rec = _rec()
    rec["s3"]["granted"]["total"] += 3
    assert 3 in _rules(rec, "error")
    ok = _rec()
    ok["s3"]["granted"]["total"] = None
    assert 3 not in _rules(ok, "error")
    assert 3 in _rules(ok, "info")
    assert ok["derived"]["s3.granted.total"] == sum(ok["s3"]["granted"][c] or 0 for c in (
        "natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
        "legal_service_org", "other_org"))


def test_rule4_counts() -> None:
    rec = _rec()
    rec["s4"]["review"]["upheld"] = -1
    assert 4 in _rules(rec, "error")
    rec2 = _rec()
    rec2["s3"]["granted"]["other_org"] = 1.5
    assert 4 in _rules(rec2, "error")
    assert 4 not in _rules(_rec(), "error")


def test_rule5_s4_totals() -> None:
    rec = _rec()
    rec["s4"]["litigation_direct"]["total"] += 2
    assert 5 in _rules(rec, "error")


def test_rule6_other_rows() -> None:
    rec = _rec("gb2019", 2020)
    rec["s3"]["other_other"]["total"] = 0
    assert 6 in _rules(rec, "error")
    rec2 = _rec("gb2021", 2023)
    for r in ("other_no_correction", "other_fee_unpaid", "other_other"):
        rec2["s3"][r] = dict.fromkeys(rec2["s3"][r])
    assert 6 in _rules(rec2, "error")
    assert 6 not in _rules(_rec("gb2019", 2020))


def test_rule7_s2_values() -> None:
    rec = _rec()
    rec["s2"]["art20_5"]["admin_licensing"]["decisions"] = -3
    rec["s2"]["art20_8"]["admin_fees"]["amount_wan_yuan"] = -1.0
    found = [f for f in validate_record(rec) if f.rule == 7]
    assert len(found) == 2


def test_rule8_fee_looks_like_yuan() -> None:
    rec = _rec()
    rec["s2"]["art20_8"]["admin_fees"]["amount_wan_yuan"] = 250000.0
    assert 8 in _rules(rec, "warning")
    rec["s2"]["art20_8"]["admin_fees"]["amount_wan_yuan"] = 25.6
    assert 8 not in _rules(rec)


def test_rule11_sections() -> None:
    assert 11 in _rules(_rec(sections=["1", "2", "3", "5", "6"]), "warning")
    assert 11 not in _rules(_rec())


def test_rule12_prose_vs_table() -> None:
    rec = _rec()
    rec["prose"] = {"requests_received": rec["s3"]["new_received"]["total"] + 1}
    assert 12 in _rules(rec, "warning")
    rec["prose"] = {"requests_received": rec["s3"]["new_received"]["total"]}
    assert 12 not in _rules(rec)


@pytest.mark.parametrize(("kind", "year", "published", "fires"), [
    ("部门", 2023, "2024-02-15", True),      # departments: 31 January
    ("部门", 2023, "2024-01-31", False),
    ("人民政府", 2023, "2024-03-20", False),  # governments: 31 March
    ("人民政府", 2023, "2024-04-01", True),
    ("部门", 2017, "2018-03-15", False),      # before 2019 everyone had until 31 March
    ("部门", 2023, "2023-06-01", True),       # before the year ended
])
def test_rule13_deadline(kind: str, year: int, published: str, fires: bool) -> None:
    fmt = "gb2021" if year >= 2021 else "gb2019"
    rec = _rec(fmt, max(year, 2019), agency_type=kind)
    rec["report_year"], rec["published_date"] = year, published
    assert (13 in _rules(rec, "warning")) is fires
    assert deadline(rec) is not None


def test_rule14_format_vs_year() -> None:
    assert 14 in _rules(_rec("gb2019", 2022), "warning")
    assert 14 not in _rules(_rec("gb2019", 2020))
    assert 14 not in _rules(_rec("gb2021", 2021))


def _flat(rec: dict[str, Any]) -> dict[str, Any]:
    from collector.store.rows import record_to_report_row

    return record_to_report_row({**rec, "agency_name_normalized": rec["agency_name"], "validation": []})


def test_rule9_carry_over_across_years() -> None:
    a = _rec("gb2021", 2022, report_id="a", seed=3)
    b = _rec("gb2021", 2023, report_id="b", seed=4)
    found = validate_dataset([_flat(a), _flat(b)])
    assert any(f.rule == 9 for _, f in found)  # random tables do not carry over
    b2 = copy.deepcopy(b)
    for col, v in a["s3"]["carried_over_out"].items():
        b2["s3"]["carried_over_in"][col] = v
    assert not any(f.rule == 9 for _, f in validate_dataset([_flat(a), _flat(b2)]))


def test_rule10_in_force() -> None:
    a = _rec("gb2021", 2022, report_id="a", seed=3)
    b = _rec("gb2021", 2023, report_id="b", seed=4)
    reg_a, reg_b = a["s2"]["art20_1"]["regulations"], b["s2"]["art20_1"]["regulations"]
    reg_b["in_force"] = reg_a["in_force"] + reg_b["issued"] - reg_b["repealed"]
    nd_a, nd_b = a["s2"]["art20_1"]["normative_docs"], b["s2"]["art20_1"]["normative_docs"]
    nd_b["in_force"] = nd_a["in_force"] + nd_b["issued"] - nd_b["repealed"]
    assert not any(f.rule == 10 for _, f in validate_dataset([_flat(a), _flat(b)]))
    reg_b["in_force"] += 50
    assert any(f.rule == 10 for _, f in validate_dataset([_flat(a), _flat(b)]))


def test_rule15_near_duplicate_text() -> None:
    text = "本年度我局认真贯彻落实政府信息公开条例，围绕中心工作，主动公开各类政府信息，持续深化重点领域信息公开。" * 4
    a = _rec(report_id="a", agency_name="甲县统计局", text={"s1_overview": text, "s5_problems": None})
    b = _rec(report_id="b", agency_name="乙县统计局", text={"s1_overview": text + "。", "s5_problems": None})
    c = _rec(report_id="c", agency_name="丙县统计局", text={"s1_overview": "完全不同的内容。" * 30, "s5_problems": None})
    found = [(rid, f) for rid, f in validate_dataset([_flat(a), _flat(b), _flat(c)]) if f.rule == 15]
    assert {rid for rid, _ in found} <= {"a", "b"} and found


def test_rule16_ocr_suspects_are_flagged_not_trusted() -> None:
    from collector.models import CellValue
    from collector.validate.ocr import ocr_findings
    from collector.validate.rules import Finding

    cells = {
        "s3.granted.natural_person": CellValue(38, "38", "page 1 table 1 row 6 col 4", confidence=0.71),
        "s3.granted.total": CellValue(83, "83", "page 1 table 1 row 6 col 10", confidence=0.97),
        "s3.granted.commercial_enterprise": CellValue(45, "45", "page 1 table 1 row 6 col 5", confidence=0.99),
    }
    sum_error = Finding(3, "error", "三 granted: 总计 83 ≠ 83?", list(cells))
    found = ocr_findings(cells, [sum_error])
    assert {f.fields[0] for f in found} == {"s3.granted.natural_person"}
    assert all(f.rule == 16 and f.severity == "warning" for f in found)
    # a text-layer document (no confidences) gets no OCR findings
    plain = {k: CellValue(v.value, v.raw, v.where) for k, v in cells.items()}
    assert ocr_findings(plain, [sum_error]) == []
    # a sum that fails with confident cells: the least confident of them is the suspect
    confident = {k: CellValue(v.value, v.raw, v.where, confidence=0.9 + i / 100) for i, (k, v) in enumerate(cells.items())}
    assert [f.fields for f in ocr_findings(confident, [sum_error])] == [["s3.granted.natural_person"]]


def test_rule16_names_an_unreadable_cell_and_passes_a_sure_one() -> None:
    from collector.models import CellValue
    from collector.validate.ocr import ocr_findings

    cells = {
        "s2.art20_5.admin_licensing.decisions": CellValue(None, "", "page 1 table 1 row 6 col 2", confidence=0.0),
        "s2.art20_6.admin_penalty.decisions": CellValue(614, "614", "page 1 table 1 row 9 col 2", confidence=0.99),
        "s2.art20_6.admin_coercion.decisions": CellValue(7, "7", "page 1 table 1 row 10 col 2", confidence=0.84),
    }
    found = {f.fields[0]: f for f in ocr_findings(cells, [])}
    assert set(found) == {"s2.art20_5.admin_licensing.decisions", "s2.art20_6.admin_coercion.decisions"}
    assert "could not read" in found["s2.art20_5.admin_licensing.decisions"].message
    assert "'7'" in found["s2.art20_6.admin_coercion.decisions"].message
    assert "row 10 col 2" in found["s2.art20_6.admin_coercion.decisions"].message


def test_every_rule_the_code_emits_has_a_name_and_every_name_a_rule() -> None:
    """One table of rule names (collector.validate.catalog) for check, the report and the artifacts: kept complete."""
    import re
    from pathlib import Path

    import collector.validate as v
    from collector.validate.catalog import RULES, rule_label

    emitted = set()
    for f in Path(v.__file__).parent.glob("*.py"):
        emitted |= {int(n) for n in re.findall(r"Finding\(\s*(\d+)\s*,", f.read_text("utf-8"))}
    missing = sorted(emitted - set(RULES))
    assert not missing, f"rule(s) {missing} have no name in collector/validate/catalog.py"
    assert not sorted(set(RULES) - emitted), "catalog names rules no code emits"
    assert rule_label(3) == "3 · 三 row 总计 = sum of the applicant columns"
    assert rule_label(99) == "99 · rule 99"  # an unknown number is shown as such, never as another rule's name


def test_a_count_no_float_holds_is_a_recorded_failure_not_a_crash() -> None:
    """A 400-digit number in 四 parses as an int; validation's float() raised out of
    process_document (a whole batch stopped). It is now a failed document with the reason."""
    from collector.pipeline import SourceContext, process_document
    from tests.reportgen import render_text

    text = render_text(make_record("gb2021", 2022, seed=4), mode="pipes").decode()
    rows = [ln for ln in text.splitlines()  # 四's one row of 15 numbers
            if ln.count("|") == 16 and all(c.strip().isdigit() for c in ln.split("|")[1:-1])]
    assert len(rows) == 1
    cells = rows[0].split("|")
    cells[1] = " " + "9" * 400 + " "
    out = process_document(text.replace(rows[0], "|".join(cells)).encode(), SourceContext(source_url="https://a.gov.cn/1"))
    assert out.record is None and out.document["status"] == "failed"
    assert out.document["error_code"] == "internal" and "validation: OverflowError" in out.document["error"]
