"""Legacy reports (report years 2008–2018): recognition, figures from prose and annex, reconciliation.

Before 2019 there was no national report table (../shared/spec/legacy.md). :func:`prepare` reads the
document once into logical paragraphs and finds annex tables; :func:`recognise` decides whether it
is an annual report at all (each refusal says why); :func:`read_figures` reads the prose with the
one pattern table (:mod:`.patterns`), the annex with the form labels (:mod:`.forms`), and keeps the
annex value where both state a field. Pure functions: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from collector.models import Document
from collector.parse.legacy.annex import AnnexResult, read_tables
from collector.parse.legacy.prose import Reading, read_prose
from collector.parse.legacy.recognise import Verdict, recognise
from collector.parse.legacy.reconcile import reconcile
from collector.parse.legacy.text import Para, Section, document_paragraphs, sections


@dataclass(slots=True)
class Prepared:
    paras: list[Para]           # the prose (annex rows left out)
    annex: AnnexResult          # first pass: where the annexes are


@dataclass(slots=True)
class LegacyFigures:
    values: dict[str, Reading] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    annex_found: bool = False

    @property
    def fees_unit(self) -> str | None:
        r = self.values.get("fees_collected")
        return r.unit if r is not None and r.unit in ("元", "万元") else None


def prepare(doc: Document) -> Prepared:
    annex = read_tables(doc, {})
    return Prepared(document_paragraphs(doc, annex.blocks), annex)


def read_figures(doc: Document, prep: Prepared, year: int | None) -> LegacyFigures:
    """Every legacy figure the document states (prose and annex), with its phrase and place."""
    prose = read_prose(prep.paras, year)
    # the annex is read again only when a flattened row could not be split and the prose may settle it
    annex = read_tables(doc, prose.values) if prep.annex.undetermined and prose.values else prep.annex
    values, warnings = reconcile(prose.values, annex.values)
    return LegacyFigures(_in_field_units(values), prose.warnings + annex.warnings + warnings, sections(prep.paras),
                         annex.found)


def attached_annex(doc: Document) -> AnnexResult:
    """The annex statistics form of an attachment (a bare 统计表 that is no report on its own)."""
    annex = read_tables(doc, {})
    _in_field_units(annex.values)
    return annex


def merge_annex(record: dict[str, Any], cells: dict[str, Any], annex: AnnexResult, source: str) -> None:
    """Put an attached annex's figures into a legacy page's record and cells (the annex wins, disagreements said)."""
    from collector.models import CellValue

    legacy = record["legacy"]
    warnings = list(annex.warnings)
    for name, r in annex.values.items():
        key = f"legacy.{name}"
        old = cells.get(key)
        if old is not None and _yuan(old.value, old.unit) != _yuan(r.value, r.unit):
            warnings.append(f"{key}: the attached annex says {r.value:g} ({source} {r.where}) but the page says "
                            f"{old.value:g} ({old.where}: {old.raw}); kept the annex value")
        cells[key] = CellValue(r.value, r.raw, f"{source} {r.where}", r.unit)
        node = legacy
        parts = name.split(".")
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = r.value
        if name == "fees_collected":
            legacy["fees_unit"] = r.unit if r.unit in ("元", "万元") else None
    record["parse_status"] = "ok"
    record["parse_warnings"] = list(record.get("parse_warnings") or []) + warnings


def _yuan(value: float | int | None, unit: str | None) -> float | None:
    return None if value is None else float(value) * (10000 if unit == "万元" else 1)


def _in_field_units(values: dict[str, Reading]) -> dict[str, Reading]:
    """The two money fields with a fixed unit: 专项经费 in 万元, 减免 in 元 (the phrase keeps what was written)."""
    for name, want, factor in (("special_budget_wan_yuan", "万元", 1 / 10000), ("fee_waivers", "元", 10000)):
        r = values.get(name)
        if r is not None and r.unit is not None and r.unit != want:
            r.value, r.unit = round(float(r.value) * factor, 6), want
    return values


__all__ = ["LegacyFigures", "Prepared", "Reading", "Verdict", "attached_annex", "merge_annex", "prepare", "read_figures",
           "recognise"]
