"""Record -> table rows (pure): flat ``reports`` row, long ``cells`` rows, ``findings`` rows.

Every row of every table carries ``run_id``, the run that wrote it (schema 2.1.0): the sink gives
it to the outcomes it stores, so an analyst can trace any row to its run (a Prefect flow run).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from functools import cache
from typing import Any

from collector.models import CellValue
from collector.schema import field_index, number_fields, to_column


def _flatten(prefix: str, node: dict[str, Any], out: dict[str, Any], skip: str | None = None) -> None:
    """``node``'s leaves into ``out`` under their column names: ``prefix`` and the key path joined
    by ``__``, a dot inside a key too (``derived["s3.granted.total"]``); ``skip``: a key left out."""
    for k, v in node.items():
        if k == skip:
            continue
        name = prefix + k.replace(".", "__")
        if isinstance(v, dict):
            _flatten(name + "__", v, out)
        else:
            out[name] = v


def document_row(doc: dict[str, Any], run_id: str | None = None) -> dict[str, Any]:
    """The ``documents`` row of a pipeline outcome, stamped with the run that writes it."""
    return {**doc, "run_id": run_id}


def record_to_report_row(rec: dict[str, Any], run_id: str | None = None) -> dict[str, Any]:
    """The flat ``reports`` row: every field a column (``a.b`` -> ``a__b``), derived figures included.

    Nothing is dropped: a field the schema does not know makes the write fail (``conform``).
    ``derived`` keys are dotted paths themselves (``derived["s3.granted.total"]`` ->
    ``derived__s3__granted__total``).
    """
    row: dict[str, Any] = {}
    _flatten("", rec, row, skip="validation")
    findings = rec.get("validation") or []
    row["validation__errors"] = sum(1 for f in findings if f.get("severity") == "error")
    row["validation__warnings"] = sum(1 for f in findings if f.get("severity") == "warning")
    if isinstance(row.get("published_date"), str):
        row["published_date"] = date.fromisoformat(row["published_date"][:10])
    if isinstance(row.get("fetched_at"), str):
        row["fetched_at"] = datetime.fromisoformat(row["fetched_at"])
    row["run_id"] = run_id
    return row


@cache
def _columns() -> dict[str, str]:
    """Number field path -> its ``reports`` column (``s3.granted.total`` -> ``s3__granted__total``)."""
    return {f.path: f.column for f in number_fields()}


def _cell_entries(rec: dict[str, Any], cells: dict[str, CellValue],
                  row: dict[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
    """(field, value, value_raw, unit, derived, location) of every number field read or derived.

    ``row``: the record's ``reports`` row when already built: values are read from its columns
    (one dict lookup) instead of walking the record's nesting per cell."""
    derived = set(rec.get("derived_fields") or [])
    fields = field_index()
    if row is None:
        def value(path: str) -> float | None:
            return _value(rec, path)
    else:
        columns = _columns()

        def value(path: str) -> float | None:
            v = row.get(columns[path])
            return None if v is None else float(v)
    for path, cv in cells.items():
        if path not in fields:
            continue
        # a legacy figure keeps the unit it was written in (件/宗/条, 元/万元); template cells the template's
        unit = cv.unit if path.startswith("legacy.") and cv.unit else fields[path].unit
        yield path, value(path), cv.raw, unit, False, cv.where
    for path in sorted(derived):
        yield path, value(path), None, fields[path].unit, True, "derived: sum of the 其他处理 sub-rows"
    for key, v in sorted((rec.get("derived") or {}).items()):
        if key in fields and v is not None:
            yield key, float(v), None, fields[key].unit, True, "derived: blank 总计 = sum of the row"


def record_to_cell_rows(rec: dict[str, Any], cells: dict[str, CellValue],
                        run_id: str | None = None) -> list[dict[str, Any]]:
    """One row per number field that was read or derived, with its raw text and location."""
    base = {"report_id": rec["report_id"], "report_year": rec.get("report_year"),
            "format_version": rec.get("format_version"), "document_sha256": rec.get("document_sha256"),
            "run_id": run_id}
    return [{**base, "field": path, "column_name": to_column(path), "value": value, "value_raw": raw, "unit": unit,
             "derived": derived, "location": where}
            for path, value, raw, unit, derived, where in _cell_entries(rec, cells)]


CELL_COLUMNS = ("report_id", "report_year", "format_version", "document_sha256", "run_id", "field", "column_name",
                "value", "value_raw", "unit", "derived", "location")


def cell_columns(items: Iterable[tuple[dict[str, Any], dict[str, CellValue]]], run_id: str | None = None,
                 into: dict[str, list[Any]] | None = None,
                 rows: Iterable[dict[str, Any]] | None = None) -> dict[str, list[Any]]:
    """The ``cells`` rows of many records as columns: what :func:`record_to_cell_rows` gives, row
    for row, without a dict per cell (a batch holds ~200 cells per report; building and then
    reading back 50,000 dicts cost the writing process ~2 ms per report, issue #13).
    ``into``: columns to append to (a batch's, report by report), returned. ``rows``: the records'
    ``reports`` rows (:func:`record_to_report_row`), one per item, when the caller built them
    anyway: the values are read from them (~2x cheaper than walking each record per cell)."""
    cols = into if into is not None else {}
    for k in CELL_COLUMNS:
        cols.setdefault(k, [])
    per_row = [cols[k] for k in ("field", "value", "value_raw", "unit", "derived", "location")]
    columns = _columns()
    flat = iter(rows) if rows is not None else None
    for rec, cells in items:
        entries = list(_cell_entries(rec, cells, next(flat) if flat is not None else None))
        for col, values in zip(per_row, zip(*entries, strict=True) if entries else [()] * 6, strict=True):
            col.extend(values)
        cols["column_name"].extend(map(columns.__getitem__, cols["field"][len(cols["column_name"]):]))
        n = len(entries)
        for k, v in (("report_id", rec["report_id"]), ("report_year", rec.get("report_year")),
                     ("format_version", rec.get("format_version")), ("document_sha256", rec.get("document_sha256")),
                     ("run_id", run_id)):
            cols[k].extend([v] * n)
    return cols


def _value(rec: dict[str, Any], path: str) -> float | None:
    node: Any = rec
    for p in path.split("."):
        node = node.get(p) if isinstance(node, dict) else None
    return None if node is None else float(node)


def record_to_finding_rows(rec: dict[str, Any], scope: str = "record", run_id: str | None = None) -> list[dict[str, Any]]:
    return [
        {"report_id": rec["report_id"], "report_year": rec.get("report_year"), "rule": int(f["rule"]),
         "severity": f["severity"], "message": f["message"], "fields": list(f.get("fields") or []),
         "scope": scope, "agency_name": rec.get("agency_name"), "run_id": run_id}
        for f in rec.get("validation") or []
    ]
