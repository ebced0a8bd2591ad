"""The standard schema: read from ``schemas/report-record.v1.schema.json``, the one source of truth.

Everything structural is derived from that file: the list of number fields the parser fills,
the flat Parquet column names (``s3.new_received.total`` -> ``s3__new_received__total``) and the
Arrow schemas of the four tables. An unknown column fails (:func:`conform`), as in dlt's frozen
schema contract.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from collector.errors import StoreError

SCHEMA_FILE = "report-record.v1.schema.json"


def _schema_dir() -> Path:
    here = Path(__file__).resolve()
    for cand in (here.parents[2] / "schemas", here.parent / "data" / "schemas"):
        if (cand / SCHEMA_FILE).exists():
            return cand
    raise StoreError(f"schema file {SCHEMA_FILE} not found next to the package")


@cache
def json_schema() -> dict[str, Any]:
    return json.loads((_schema_dir() / SCHEMA_FILE).read_text(encoding="utf-8"))


@cache
def schema_version() -> str:
    return str(json_schema()["x-schema-version"])


@dataclass(frozen=True, slots=True)
class NumberField:
    path: str  # dotted: s3.new_received.total
    kind: str  # "integer" | "number"
    label_zh: str
    unit: str
    formats: tuple[str, ...]
    signed: bool

    @property
    def column(self) -> str:
        return to_column(self.path)


def to_column(path: str) -> str:
    return path.replace(".", "__")


def _walk(prefix: str, node: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for name, sub in node.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        if sub.get("type") == "object" and "properties" in sub:
            out.extend(_walk(path, sub))
        else:
            out.append((path, sub))
    return out


NUMBER_SECTIONS = ("s2", "s3", "s4", "legacy")  # the read figures; ``legacy`` holds the 2008–2018 reports'


@cache
def number_fields() -> tuple[NumberField, ...]:
    out = []
    for path, spec in _walk("", json_schema()):
        types = spec.get("type")
        if path.split(".")[0] in NUMBER_SECTIONS and isinstance(types, list) and {"integer", "number"} & set(types):
            kind = next(t for t in spec["type"] if t != "null")
            out.append(NumberField(path, kind, spec["x-label-zh"], spec["x-unit"], tuple(spec["x-formats"]),
                                   signed="minimum" not in spec))
    return tuple(out)


@cache
def field_index() -> dict[str, NumberField]:
    return {f.path: f for f in number_fields()}


def _arrow_type(spec: dict[str, Any]) -> pa.DataType:
    if "enum" in spec:
        return pa.string()
    types = spec.get("type", "string")
    t = next((x for x in ([types] if isinstance(types, str) else types) if x != "null"), "string")
    if t == "array":
        props = (spec.get("items") or {}).get("properties")
        if props:  # a list of objects (text.sections): a list of structs of strings
            return pa.list_(pa.struct([(k, pa.string()) for k in props]))
        return pa.list_(pa.string())
    if t == "integer":
        return pa.int64()
    if t == "number":
        return pa.float64()
    if spec.get("format") == "date":
        return pa.date32()
    if spec.get("format") == "date-time":
        return pa.timestamp("us", tz="UTC")
    return pa.string()


@cache
def reports_schema() -> pa.Schema:
    """Flat Arrow schema of the ``reports`` table, derived from the JSON Schema."""
    fields: list[pa.Field] = []
    for path, spec in _walk("", json_schema()):
        if path == "validation":
            fields += [pa.field("validation__errors", pa.int32()), pa.field("validation__warnings", pa.int32())]
            continue
        if path == "derived":
            fields.append(pa.field("derived_json", pa.string()))
            continue
        fields.append(pa.field(to_column(path), _arrow_type(spec)))
    return pa.schema(fields)


CELLS_SCHEMA = pa.schema([
    ("report_id", pa.string()), ("report_year", pa.int64()), ("field", pa.string()), ("column", pa.string()),
    ("value", pa.float64()), ("value_raw", pa.string()), ("unit", pa.string()), ("derived", pa.bool_()),
    ("where", pa.string()), ("format_version", pa.string()), ("document_sha256", pa.string()),
])
FINDINGS_SCHEMA = pa.schema([
    ("report_id", pa.string()), ("report_year", pa.int64()), ("rule", pa.int32()), ("severity", pa.string()),
    ("message", pa.string()), ("fields", pa.list_(pa.string())), ("scope", pa.string()),
    ("agency_name", pa.string()),
])
DOCUMENTS_SCHEMA = pa.schema([
    ("source_url", pa.string()), ("document_sha256", pa.string()), ("media_type", pa.string()),
    ("size", pa.int64()), ("status", pa.string()), ("error_code", pa.string()), ("error", pa.string()),
    ("extractor", pa.string()), ("report_id", pa.string()), ("report_year", pa.int64()),
    ("portal_id", pa.string()), ("parent_url", pa.string()), ("raw_path", pa.string()),
    ("http_status", pa.int64()), ("encoding", pa.string()), ("parser_version", pa.string()),
    ("processed_at", pa.timestamp("us", tz="UTC")),
])


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str
    schema: pa.Schema
    key: tuple[str, ...]  # rows with the same key replace each other (idempotent writes)
    partition: str | None  # hive partition column


def table_specs() -> dict[str, TableSpec]:
    return {
        "reports": TableSpec("reports", reports_schema(), ("report_id",), "report_year"),
        "cells": TableSpec("cells", CELLS_SCHEMA, ("report_id",), "report_year"),
        "findings": TableSpec("findings", FINDINGS_SCHEMA, ("report_id", "scope"), "report_year"),
        "documents": TableSpec("documents", DOCUMENTS_SCHEMA, ("source_url", "document_sha256"), None),
    }


def conform(rows: list[dict[str, Any]], schema: pa.Schema, table: str) -> pa.Table:
    """Build an Arrow table from row dicts; a key the schema does not know is an error."""
    names = set(schema.names)
    for row in rows:
        unknown = set(row) - names
        if unknown:
            raise StoreError(f"{table}: unknown column(s) {sorted(unknown)} (schema {schema_version()})")
    return pa.Table.from_pylist(rows, schema=schema)
