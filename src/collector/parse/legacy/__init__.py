"""Legacy reports (report years 2008–2018): recognition, figures from prose and annex, reconciliation.

Before 2019 there was no national report table (../shared/spec/legacy.md). :func:`prepare` reads the
document once into logical paragraphs and finds annex tables; :func:`recognise` decides whether it
is an annual report at all (each refusal says why); :func:`read_figures` reads the prose with the
one pattern table (:mod:`.patterns`), the annex with the form labels (:mod:`.forms`), and keeps the
annex value where both state a field. Pure functions: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


def _in_field_units(values: dict[str, Reading]) -> dict[str, Reading]:
    """The two money fields with a fixed unit: 专项经费 in 万元, 减免 in 元 (the phrase keeps what was written)."""
    for name, want, factor in (("special_budget_wan_yuan", "万元", 1 / 10000), ("fee_waivers", "元", 10000)):
        r = values.get(name)
        if r is not None and r.unit is not None and r.unit != want:
            r.value, r.unit = round(float(r.value) * factor, 6), want
    return values


__all__ = ["LegacyFigures", "Prepared", "Reading", "Verdict", "prepare", "read_figures", "recognise"]
