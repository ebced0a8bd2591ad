"""The validation rules by number: name, kind and scope — one table for every place that shows a rule.

Findings store only the rule number (``findings.rule``); the codebook, ``xxgk check``, the HTML
report and the Prefect artifacts put the name beside it from here. Numbers 1–15 are the spec's
(report-template.md, "Validation rules"); 16 (suspect OCR readings) and 17 (implausible values)
are the project's; 21–26 check legacy (2008–2018) reports (../shared/spec/legacy.md, L1–L4 and more).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    number: int
    name: str
    kind: str    # hard (error) | soft (warning) | project
    scope: str   # record | dataset


RULES: dict[int, Rule] = {r.number: r for r in (
    Rule(1, "三 balance: new + carried over = results + carried forward", "hard", "record"),
    Rule(2, "三 （七）总计 = sum of the result rows", "hard", "record"),
    Rule(3, "三 row 总计 = sum of the applicant columns", "hard", "record"),
    Rule(4, "三/四 counts are non-negative integers", "hard", "record"),
    Rule(5, "四 总计 = upheld + corrected + other + pending", "hard", "record"),
    Rule(6, "其他处理 sub-rows match the format (gb2019 none, gb2021 three)", "hard", "record"),
    Rule(7, "二 (gb2021) counts are integers, fee amount a decimal ≥ 0", "hard", "record"),
    Rule(8, "二 fee looks entered in 元, not 万元", "soft", "record"),
    Rule(9, "cross-year: carried over in = last year's carried forward", "soft", "dataset"),
    Rule(10, "cross-year: regulations in force = last year + issued − repealed", "soft", "dataset"),
    Rule(11, "the six sections present and in order", "soft", "record"),
    Rule(12, "figures stated in the text agree with the tables", "soft", "record"),
    Rule(13, "published within the legal deadline", "soft", "record"),
    Rule(14, "template format matches the report year", "soft", "record"),
    Rule(15, "near-duplicate of another agency's report (内容雷同)", "soft", "dataset"),
    Rule(16, "suspect OCR reading (low confidence, or in a sum that fails)", "project", "record"),
    Rule(17, "implausible value (above the report's own totals, or a hard cap)", "project", "record"),
    # legacy (2008–2018) reports, soft checks of ../shared/spec/legacy.md (collector.validate.legacy)
    Rule(21, "legacy: request channels add up to the requests received (L1)", "soft", "record"),
    Rule(22, "legacy: replies do not exceed their total or the requests (L2)", "soft", "record"),
    Rule(23, "legacy: review and litigation outcomes add up to their totals (L3)", "soft", "record"),
    Rule(24, "legacy: fees stated against the text's 未收取 (or the reverse) (L4)", "soft", "record"),
    Rule(25, "legacy: a figure left out or chosen between readings (parse warning)", "soft", "record"),
    Rule(26, "legacy cross-year: 主动公开 total jumps 100× between years", "soft", "dataset"),
)}


def rule_name(number: int) -> str:
    """The rule's name; an unknown number (a rule added elsewhere) is named by its number."""
    rule = RULES.get(int(number))
    return rule.name if rule else f"rule {number}"


def rule_label(number: int) -> str:
    """``"3 · 三 row 总计 = sum of the applicant columns"``: number and name, for tables and logs."""
    return f"{number} · {rule_name(number)}"


__all__ = ["RULES", "Rule", "rule_label", "rule_name"]
