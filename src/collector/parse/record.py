"""Document -> standard record (the JSON shape of the spec). Pure: no I/O, no clock.

Stages: rows + sections (rows.py) -> era (version.py) -> 二/三/四 cells (tables.py) ->
metadata (metadata.py) -> narrative text and prose figures -> derived figures, marked derived.
Validation is a separate stage (collector.validate) so records can be re-checked without parsing.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from collector.errors import NotAReport
from collector.models import CellValue, Document, Table
from collector.parse import legacy as legacy_parse
from collector.parse.labels import (
    S3_COLUMNS,
    S3_DEVIATION,
    S3_OTHER_SUBROWS,
    S3_RESULT_ROWS_2019,
    S3_RESULT_ROWS_2021,
    s3_result_rows,
)
from collector.parse.metadata import extract_metadata, legacy_metadata
from collector.parse.normalize import looks_traditional, nfkc, norm_text, to_simplified
from collector.parse.prose import prose_figures
from collector.parse.rows import Row, document_rows
from collector.parse.tables import extract_s2, extract_s3, extract_s4, s2_layout
from collector.parse.version import detect_format
from collector.schema import field_index, number_fields, schema_version

# XXGK_PARSER_VERSION_SUFFIX (e.g. "+dev1") marks a locally changed parser, so `xxgk reparse` and
# the crawl's skip-if-processed check treat stored records as stale.
PARSER_VERSION = "1.1.0" + os.environ.get("XXGK_PARSER_VERSION_SUFFIX", "")


@dataclass(slots=True)
class ParseResult:
    record: dict[str, Any]
    cells: dict[str, CellValue] = field(default_factory=dict)


def report_id_for(source_url: str | None, sha256: str, report_year: int | None) -> str:
    """Deterministic id: canonical URL + report year (or the document hash when there is no URL)."""
    key = f"{canonical_url(source_url) if source_url else 'sha256:' + sha256}|{report_year}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


_WAP = re.compile(r"_wap(\.s?html?)$")
_SCHEME = re.compile(r"^https?://", re.I)


def canonical_url(url: str) -> str:
    u = url.strip().split("#", 1)[0]
    u = _WAP.sub(r"\1", u)  # Chongqing TRS wap twins
    u = _SCHEME.sub("http://", u)
    scheme_host, _, rest = u.partition("://")
    host, _, path = rest.partition("/")
    return f"{scheme_host}://{host.lower()}/{path}"


@cache
def _parts(path: str) -> tuple[tuple[str, ...], str]:
    """A dotted path split once: (its parents, its leaf) — paths are the schema's few hundred."""
    *parents, leaf = path.split(".")
    return tuple(parents), leaf


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    parents, leaf = _parts(path)
    node = tree
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = value


def _get(tree: dict[str, Any], path: str) -> Any:
    node: Any = tree
    parents, leaf = _parts(path)
    for p in (*parents, leaf):
        if not isinstance(node, dict):
            return None
        node = node.get(p)
    return node


Plan = tuple[Any, ...]  # a node: its keys when every child is a null leaf, else (key, child plan | None) pairs


@cache
def _empty_plan() -> Plan:
    """How to build the tree of every number field (null), from the schema once."""
    tree: dict[str, Any] = {}
    for f in number_fields():
        _set(tree, f.path, None)

    def plan(node: dict[str, Any]) -> Plan:
        if all(v is None for v in node.values()):
            return tuple(node)
        return tuple((k, None if v is None else plan(v)) for k, v in node.items())

    return plan(tree)


def _build(plan: Plan) -> dict[str, Any]:
    if not plan or type(plan[0]) is str:
        return dict.fromkeys(plan)  # a row of null cells, in C (a third of the instructions of a copy)
    return {k: None if child is None else _build(child) for k, child in plan}


def empty_numbers() -> dict[str, Any]:
    """Every number field null (a fresh tree each call: the schema has ~330 fields)."""
    return _empty_builder()()


def _display(plan: Plan) -> str:
    """The plan as one nested dict display ("{'s2': {'art20_1': {...}}}"): what :func:`_build` makes."""
    if not plan or type(plan[0]) is str:
        return "{" + ", ".join(f"{k!r}: None" for k in plan) + "}"
    return "{" + ", ".join(f"{k!r}: {'None' if child is None else _display(child)}" for k, child in plan) + "}"


@cache
def _empty_builder() -> Callable[[], dict[str, Any]]:
    """A function that returns :func:`_build`'s tree from one dict display: the interpreter builds
    each level with one instruction (keys are constants) instead of ~50 Python calls. The source
    is made from the schema's own field names (``repr`` quotes them), never from a document."""
    return eval("lambda: " + _display(_empty_plan()))  # noqa: S307 - the schema's names only


@lru_cache(maxsize=4096)
def _slot(path: str) -> tuple[tuple[str, ...], str, bool] | None:
    """Where a cell's value goes in the record: (parents, leaf, integer field?); None when the
    path is no number field of the schema."""
    field = field_index().get(path)
    return None if field is None else (*_parts(path), field.kind == "integer")


def _row_texts(rows: list[Row]) -> list[str | None]:
    """Each text row's cells joined by spaces (None for a table row): what the metadata's lines and
    the sections' narratives are made of, joined once for both."""
    return [None if r.from_table else " ".join([c.text for c in r.cells if c.text]) for r in rows]


def _section_texts(rows: list[Row], wanted: tuple[int, ...] = (1, 5, 6),
                   joined: list[str | None] | None = None) -> dict[int, str | None]:
    """Each kept section's narrative: its text rows (not headings, not table rows) joined by line,
    None when it has none — for all of them in one pass over the rows. ``joined``: the rows'
    :func:`_row_texts`."""
    parts: dict[int, list[str]] = {n: [] for n in wanted}
    for r, p in zip(rows, _row_texts(rows) if joined is None else joined, strict=True):
        if r.section in parts and r.heading is None and p is not None and p.strip():
            parts[r.section].append(p)
    return {n: "\n".join(ps) or None for n, ps in parts.items()}


def document_to_record(doc: Document, *, source_url: str | None = None, sha256: str = "",
                       year_hint: int | None = None, agency_hint: str | None = None,
                       region_hint: dict[str, Any] | None = None, assume_report: bool = False) -> ParseResult:
    """Parse one Document into the standard record; raises NotAReport for unrelated pages.

    ``assume_report`` parses a document the legacy recogniser would refuse (the caller knows it is a
    report); the refusal is kept in ``parse_warnings``.
    """
    full_text = _simplify(doc)
    rows, sections = document_rows(doc)
    fmt, score = detect_format(norm_text(full_text))
    joined = _row_texts(rows)
    lines = [ln.strip() for ln in joined if ln is not None]
    lines = [ln for ln in lines if ln]

    warnings: list[str] = list(doc.warnings)
    legacy_doc = legacy_parse.prepare(doc) if fmt == "legacy" else None
    if legacy_doc is not None:
        verdict = legacy_parse.recognise(doc.meta, legacy_doc.paras, legacy_doc.annex.found)
        if not verdict.is_report:
            if not assume_report:
                raise NotAReport(f"not a government information-disclosure annual report: {verdict.reason}")
            warnings.append(f"recognition: {verdict.reason} (parsed as a report on request)")
    deviations: list[str] = []
    cells: dict[str, CellValue] = {}
    s3_layout = fmt
    if fmt != "legacy":
        have = set(sections)
        # Rows are read only inside their section; where a heading is missing (lost in a PDF
        # text layer, or a bare table attachment) the labels alone anchor the rows.
        s2_rows = [r for r in rows if r.section == 2] if 2 in have else [r for r in rows if r.section in (0, 1)]
        s3_rows = [r for r in rows if r.section == 3] if 3 in have else [r for r in rows if r.section not in (4, 5, 6)]
        # Each block is read in the layout it is printed in (hybrids exist: a gb2021 二 over a 三
        # with the gb2019 single 其他处理 row); the record's era is 二's, deviations are listed.
        fmt = s2_layout(s2_rows) or fmt
        s3, leftovers = extract_s3(s3_rows, warnings, fmt)
        s3_layout = s3.layout or fmt
        s2 = extract_s2(s2_rows, fmt, warnings, deviations)
        if s3_layout != fmt:
            deviations.append(S3_DEVIATION[s3_layout])
            warnings.append(f"三 is printed in the {s3_layout} layout in a {fmt} report "
                            f"({'one （六）其他处理 row' if s3_layout == 'gb2019' else 'three 其他处理 rows'}); "
                            "read as printed")
        s4_rows = [r for r in rows if r.section == 4] or leftovers
        s4 = extract_s4(s4_rows, warnings)
        if not s4.cells and leftovers and s4_rows is not leftovers:
            s4 = extract_s4(leftovers, warnings)
        cells.update(s2.cells)
        cells.update(s3.cells)
        cells.update(s4.cells)
        if not s2.cells:
            warnings.append("二: no table found")
        expected_rows = _expected_s3_rows(s3_layout)
        missing = [k for k in expected_rows if k not in s3.rows_found]
        if len(missing) == len(expected_rows):
            warnings.append("三: no table found")
        else:
            blank = [k for k in missing if k in s3.blank_rows]
            lost = [k for k in missing if k not in s3.blank_rows]
            if lost:
                warnings.append("三: rows not found: " + ", ".join(lost))
            if blank:
                warnings.append("三: rows with a label but no numbers (blank cells, or numbers a text layer lost): "
                                + ", ".join(blank))
        if not s4.cells:
            warnings.append("四: no table found")

    md = extract_metadata(lines, doc.meta, full_text, year_hint, agency_hint)
    legacy = None
    if legacy_doc is not None:
        md = legacy_metadata(md, lines, [p.text for p in legacy_doc.paras], doc.meta, full_text, year_hint, agency_hint)
        legacy = legacy_parse.read_figures(doc, legacy_doc, md.report_year)
        warnings.extend(legacy.warnings)
        for name, r in legacy.values.items():
            cells[f"legacy.{name}"] = CellValue(r.value, r.raw, r.where, r.unit)
    numbers = empty_numbers()
    for path, cv in cells.items():
        slot = _slot(path)
        if slot is None:
            continue
        parents, leaf, integer = slot
        v = cv.value  # _set(numbers, path, v) inlined (~200 cells a record); integers as int
        if integer and isinstance(v, float) and v.is_integer():
            v = int(v)
        node = numbers
        for p in parents:  # node.setdefault(p, {}) without a new dict per call: the tree has the schema's nodes
            child = node.get(p)
            node = child if child is not None else node.setdefault(p, {})
        node[leaf] = v
    derived_fields: list[str] = []
    if s3_layout == "gb2021":
        for col in S3_COLUMNS:
            subs = [_get(numbers, f"s3.{k}.{col}") for k in S3_OTHER_SUBROWS]
            if any(v is not None for v in subs):
                _set(numbers, f"s3.other_handling.{col}", sum(v or 0 for v in subs))
                derived_fields.append(f"s3.other_handling.{col}")
    region = {"province": None, "city": None, "county": None, "code": None}
    region.update({k: v for k, v in (md.region or {}).items() if v})
    if region_hint:
        region.update({k: v for k, v in region_hint.items() if v and k in region})
    if legacy is not None:
        numbers["legacy"]["fees_unit"] = legacy.fees_unit
    section_texts = _section_texts(rows, joined=joined)
    prose = prose_figures(section_texts[1] or full_text[:5000])
    if legacy is not None:
        # the legacy reader's guarded figures (cumulative, approximate, look-alikes) replace the unguarded ones
        for key, name in (("proactive_items", "proactive_items_total"), ("requests_received", "requests_received")):
            r = legacy.values.get(name)
            prose[key] = int(r.value) if r is not None else None
        status = "ok" if legacy.values else "text_only"
    elif any(_lost(w) for w in warnings):
        status = "partial"
    else:
        status = "ok"
    report_id = report_id_for(source_url, sha256, md.report_year)
    record: dict[str, Any] = {
        "schema_version": schema_version(),
        "report_id": report_id,
        "format_version": fmt,
        "report_year": md.report_year,
        "title": md.title,
        "agency_name": md.agency_name,
        "agency_name_normalized": normalize_agency(md.agency_name),
        "agency_level": agency_level(md.agency_name),
        "agency_type": agency_type(md.agency_name),
        "region": region,
        "published_date": md.published_date.isoformat() if md.published_date else None,
        "published_date_source": md.published_date_source,
        "index_number": md.index_number,
        "org_code": md.org_code,
        "source_url": source_url,
        "document_sha256": sha256,
        "media_type": doc.media_type,
        "extractor": doc.extractor,
        "encoding_detected": doc.meta.get("encoding"),
        "parser_version": PARSER_VERSION,
        "parse_status": status,
        "parse_warnings": warnings,
        "format_deviations": deviations,
        "derived_fields": derived_fields,
        "sections": [str(n) for n in sections],
        **numbers,
        "prose": prose,
        "text": _legacy_text(legacy, full_text) if legacy is not None else {
            "s1_overview": section_texts[1],
            "s5_problems": section_texts[5],
            "s6_other": section_texts[6],
            "full": None,
        },
    }
    record["derived"] = derive(record)
    return ParseResult(record=record, cells=cells)


def _legacy_text(legacy: legacy_parse.LegacyFigures, full_text: str) -> dict[str, Any]:
    """Legacy narrative: the original section titles and texts; s1/s5/s6 where a section clearly matches."""
    def first(topic: str) -> str | None:
        hit = next((s for s in legacy.sections if topic in s.topics and s.text), None)
        return hit.text if hit else None

    return {"s1_overview": first("overview"), "s5_problems": first("problems"), "s6_other": first("other"),
            "full": full_text,
            "sections": [{"title": s.title, "text": s.text} for s in legacy.sections]}


_LOSS = ("no table found", "rows not found", "left blank", "but no numbers")


def _lost(warning: str) -> bool:
    """Does a parse warning say that numbers of 二/三/四 were not read (status ``partial``)?"""
    return warning.startswith(("二", "三", "四")) and any(k in warning for k in _LOSS)


def _simplify(doc: Document) -> str:
    """Mirrors publish traditional characters: convert the whole document once, when it looks so.
    Returns the document's text (after the conversion)."""
    text = doc.text()
    if not looks_traditional(text[:20000]):
        return text
    for b in doc.blocks:
        if isinstance(b, Table):
            b.rows = [[to_simplified(c, force=True) for c in row] for row in b.rows]
        else:
            b.text = to_simplified(b.text, force=True)
    for k, v in list(doc.meta.items()):
        if isinstance(v, str) and k != "source_url":
            doc.meta[k] = to_simplified(v, force=True)
    return doc.text()


def _expected_s3_rows(fmt: str) -> list[str]:
    rows = S3_RESULT_ROWS_2021 if fmt == "gb2021" else S3_RESULT_ROWS_2019
    return ["new_received", "carried_over_in", *rows, "results_total", "carried_over_out"]


def derive(rec: dict[str, Any]) -> dict[str, float | int | None]:
    """Analyst figures computed from the table, always under ``derived`` (never mixed with read cells)."""
    s3 = rec.get("s3") or {}
    fmt = rec.get("format_version")
    out: dict[str, float | int | None] = {}
    if fmt == "legacy" or not s3:
        return out

    def tot(row: str) -> int | None:
        r = s3.get(row) or {}
        if r.get("total") is not None:
            return r["total"]
        parts = [r.get(c) for c in S3_COLUMNS[:-1]]
        return sum(p or 0 for p in parts) if any(p is not None for p in parts) else None

    for row in s3:
        r = s3[row] or {}
        if r.get("total") is None and any(r.get(c) is not None for c in S3_COLUMNS[:-1]):
            out[f"s3.{row}.total"] = tot(row)
    groups = {
        "withheld_total": [k for k in s3 if k.startswith("withheld_")],
        "unable_total": [k for k in s3 if k.startswith("unable_")],
        "not_processed_total": [k for k in s3 if k.startswith("not_processed_")],
    }
    for name, keys in groups.items():
        vals = [tot(k) for k in keys]
        out[name] = sum(v or 0 for v in vals) if any(v is not None for v in vals) else None
    result_rows = s3_result_rows(rec)
    results_total = tot("results_total")
    if results_total is None:
        vals = [tot(k) for k in result_rows]
        results_total = sum(v or 0 for v in vals) if any(v is not None for v in vals) else None
    granted = (tot("granted") or 0) + (tot("partially_granted") or 0)
    out["grant_rate"] = round(granted / results_total, 6) if results_total else None
    out["not_held_share"] = round((tot("unable_not_held") or 0) / results_total, 6) if results_total else None
    new = s3.get("new_received") or {}
    new_total = tot("new_received")
    out["natural_person_share"] = (round((new.get("natural_person") or 0) / new_total, 6) if new_total else None)
    return out


_AGENCY_STRIP = re.compile(r"[\s()（）【】\[\]“”\"'·]")


def normalize_agency(name: str | None) -> str | None:
    if not name:
        return None
    return _AGENCY_STRIP.sub("", to_simplified(nfkc(name))) or None


def agency_type(name: str | None) -> str | None:
    if not name:
        return None
    n = nfkc(name)
    if re.search(r"(税务局|海关|调查队|气象局|邮政管理局|烟草专卖局|银保监|证监局|国家安全)", n):
        return "垂直管理"
    if re.search(r"人民政府办公(厅|室)$|政府办公(厅|室)$|政府办$", n):
        return "办公厅(室)"
    if re.search(r"人民政府$", n) and not re.search(r"(镇|乡|街道)人民政府$", n):
        return "人民政府"
    if re.search(r"(镇|乡|街道|街道办事处|苏木)(人民政府)?$", n):
        return "乡镇街道"
    return "部门"


def agency_level(name: str | None) -> str | None:
    if not name:
        return None
    n = nfkc(name)
    if re.search(r"(镇|乡|街道|街道办事处|苏木)(人民政府)?$", n):
        return "township"
    if re.match(r"^(国家|中华人民共和国|国务院)", n) or re.search(r"^[^省市县区]{2,12}部$", n):
        return "ministry"
    if re.search(r"(省|自治区)人民政府(办公厅)?$", n) or re.fullmatch(r"(北京|天津|上海|重庆)市人民政府(办公厅)?", n):
        return "province"
    if re.search(r"(市|州|盟)人民政府(办公室|办公厅)?$", n):
        return "prefecture"
    if re.search(r"(县|区|旗)人民政府(办公室)?$", n):
        return "county"
    return "department"
