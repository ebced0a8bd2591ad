"""The standard schema: read from ``schemas/report-record.v2.schema.json``, the one source of truth.

Everything structural is derived from that file: the list of number fields the parser fills,
the flat Parquet column names (``s3.new_received.total`` -> ``s3__new_received__total``), and
the Arrow schemas of the four tables, with each column's description, Chinese label and unit as
field metadata, so the data dictionary travels inside every Parquet file. An unknown column
fails (:func:`conform`), as in dlt's frozen schema contract.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

from collector.errors import StoreError

SCHEMA_FILE = "report-record.v2.schema.json"
TABLES = ("reports", "cells", "findings", "documents")

# Parquet key-value metadata written into every file (DuckDB reads it with parquet_kv_metadata()).
META_VERSION = b"xxgk:schema_version"
META_TABLE = b"xxgk:table"
META_COLUMNS = b"xxgk:columns"       # JSON list of {name, type, description, label_zh, unit}


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


# -- the tables: columns with their documentation --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ColumnDoc:
    """One column of one table, as the schema file documents it."""

    name: str
    type: str           # Arrow type as written in the schema file, e.g. "int64", "list<string>"
    description: str
    label_zh: str
    unit: str = ""
    path: str = ""      # the record field a reports column comes from

    def as_dict(self) -> dict[str, str]:
        d = {"name": self.name, "type": self.type, "description": self.description, "label_zh": self.label_zh}
        if self.unit:
            d["unit"] = self.unit
        return d


@cache
def _types() -> dict[str, pa.DataType]:
    # pyarrow loads here, not on import: the parser reads the field list from this module and a
    # parse worker or a crawl never builds an Arrow schema (issue #13)
    import pyarrow as pa

    return {
        "string": pa.string(), "int64": pa.int64(), "int32": pa.int32(), "float64": pa.float64(), "bool": pa.bool_(),
        "date32": pa.date32(), "timestamp[us, tz=UTC]": pa.timestamp("us", tz="UTC"),
        "list<string>": pa.list_(pa.string()),
    }


_STRUCT_LIST = re.compile(r"list<struct<((?:\w+: string)(?:, \w+: string)*)>>")


def arrow_type(name: str) -> pa.DataType:
    """An Arrow type as the schema file writes it (``int64``, ``list<struct<title: string, text: string>>``)."""
    types = _types()
    if name in types:
        return types[name]
    m = _STRUCT_LIST.fullmatch(name)
    if m:  # a list of objects (legacy text.sections): a list of structs of strings
        import pyarrow as pa

        return pa.list_(pa.struct([(f.split(":")[0], pa.string()) for f in m.group(1).split(", ")]))
    raise StoreError(f"schema file: unknown column type {name!r}")


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str
    schema: pa.Schema  # the table as read: every column, the partition column included
    key: tuple[str, ...]  # rows with the same key replace each other (idempotent writes)
    partition: str | None  # hive partition column (a directory level, not stored in the files)
    description: str = ""
    columns: tuple[ColumnDoc, ...] = ()

    @property
    def file_schema(self) -> pa.Schema:
        """What each Parquet file holds: the table without its partition column, plus file metadata."""
        return _file_schema(self.name)


def _field(col: ColumnDoc) -> pa.Field:
    import pyarrow as pa

    meta = {"description": col.description, "label_zh": col.label_zh}
    if col.unit:
        meta["unit"] = col.unit
    return pa.field(col.name, arrow_type(col.type), metadata=meta)


@cache
def table_docs() -> dict[str, tuple[str, tuple[ColumnDoc, ...]]]:
    """Description and documented columns of each table, from the schema file's ``x-tables``."""
    tables = json_schema()["x-tables"]
    return {name: (t["description"], tuple(ColumnDoc(**c) for c in t["columns"])) for name, t in tables.items()}


@cache
def _specs() -> dict[str, TableSpec]:
    import pyarrow as pa

    out = {}
    for name, t in json_schema()["x-tables"].items():
        desc, cols = table_docs()[name]
        schema = pa.schema([_field(c) for c in cols], metadata={META_VERSION: schema_version(), META_TABLE: name})
        out[name] = TableSpec(name, schema, tuple(t["key"]), t.get("partition"), desc, cols)
    return out


@cache
def _file_schema(table: str) -> pa.Schema:
    import pyarrow as pa

    spec = _specs()[table]
    cols = [c for c in spec.columns if c.name != spec.partition]
    meta = dict(spec.schema.metadata)
    if spec.partition:
        meta[b"xxgk:partition"] = spec.partition
    return pa.schema([_field(c) for c in cols], metadata=meta)


@cache
def columns_kv(table: str) -> dict[bytes, bytes]:
    """The ``xxgk:columns`` key-value entry of a file (every column of the table, the partition's too).

    Written beside, not inside, the Arrow schema (which already carries the same docs per field),
    so the footer holds it once; DuckDB reads it with ``parquet_kv_metadata()``.
    """
    cols = [c.as_dict() for c in _specs()[table].columns]
    return {META_COLUMNS: json.dumps(cols, ensure_ascii=False).encode("utf-8")}


def table_specs() -> dict[str, TableSpec]:
    return dict(_specs())


def reports_schema() -> pa.Schema:
    """Flat Arrow schema of the ``reports`` table, as documented in the schema file."""
    return _specs()["reports"].schema


def conform(rows: list[dict[str, Any]], schema: pa.Schema, table: str) -> pa.Table:
    """Build an Arrow table from row dicts; a key the schema does not know is an error."""
    import pyarrow as pa

    names = set(schema.names)
    for row in rows:
        _refuse_unknown(set(row) - names, table)
    return pa.Table.from_pylist(rows, schema=schema)


def conform_columns(columns: dict[str, list[Any]], schema: pa.Schema, table: str) -> pa.Table:
    """:func:`conform` for rows given as columns (a column the schema has and ``columns`` lacks is null)."""
    import pyarrow as pa

    _refuse_unknown(set(columns) - set(schema.names), table)
    n = len(next(iter(columns.values()))) if columns else 0
    return pa.Table.from_pydict({name: columns.get(name, [None] * n) for name in schema.names}, schema=schema)


def _refuse_unknown(unknown: set[str], table: str) -> None:
    if unknown:
        raise StoreError(f"{table}: unknown column(s) {sorted(unknown)} (schema {schema_version()})")
