"""Older table layouts -> the current one (pure functions over Arrow tables).

Schema 2.0.0 renamed two ``cells`` columns that are reserved words in SQL (``column`` ->
``column_name``, ``where`` -> ``location``) and turned the ``reports`` column ``derived_json`` (a
JSON string) into one ``derived__*`` column per figure. A file written under 1.x keeps its
layout on disk until something rewrites it: :class:`collector.store.dataset.Dataset` upgrades
such files in memory when it reads them and rewrites them in the current layout whenever it
rewrites a file (``xxgk reparse`` runs :meth:`Dataset.migrate` first, so every file is rewritten).
Nothing is dropped silently: a column the current schema does not know is an error.
"""

from __future__ import annotations

import json
from typing import Any

from collector.errors import StoreError
from collector.schema import META_VERSION, TableSpec, schema_version, to_column
from collector.store.arrow import pa

# table -> {old name: new name}
RENAMED: dict[str, dict[str, str]] = {"cells": {"column": "column_name", "where": "location"}}
DERIVED_JSON = "derived_json"  # 1.x reports: every derived figure in one JSON string


def file_version(schema: pa.Schema) -> str:
    """Schema version a file was written under (files of 1.x carry no version: "1")."""
    meta = schema.metadata or {}
    raw = meta.get(META_VERSION)
    return raw.decode() if raw else "1"


def _fields(schema: pa.Schema) -> list[tuple[str, pa.DataType, dict[bytes, bytes]]]:
    return [(f.name, f.type, dict(f.metadata or {})) for f in schema]


def is_current(schema: pa.Schema, spec: TableSpec) -> bool:
    """Written under this schema version with exactly the current columns and their documentation."""
    return file_version(schema) == schema_version() and _fields(schema) == _fields(spec.file_schema)


def _derived_columns(table: pa.Table, spec: TableSpec) -> dict[str, pa.Array]:
    """``derived_json`` -> one array per ``derived__*`` column of the current schema."""
    target = {f.name: f.type for f in spec.file_schema if f.name.startswith("derived__")}
    values: dict[str, list[Any]] = {name: [None] * table.num_rows for name in target}
    for i, text in enumerate(table.column(DERIVED_JSON).to_pylist()):
        for key, v in (json.loads(text) if text else {}).items():
            name = to_column(f"derived.{key}")
            if name not in values:
                raise StoreError(f"reports: derived figure {key!r} of a 1.x file has no column in schema "
                                 f"{schema_version()}")
            values[name][i] = v
    return {name: pa.array(vals, type=target[name]) for name, vals in values.items()}


def upgrade(table: pa.Table, spec: TableSpec) -> pa.Table:
    """A file's table in any known layout -> the current file layout (``spec.file_schema``).

    Columns are renamed and converted, missing ones added as nulls (a field new in this version
    was not read then), and the documentation metadata attached.
    """
    target = spec.file_schema
    renames = RENAMED.get(spec.name, {})
    cols: dict[str, pa.ChunkedArray | pa.Array] = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        cols[renames.get(name, name)] = col
    if spec.name == "reports" and DERIVED_JSON in cols:
        converted = _derived_columns(table, spec)
        del cols[DERIVED_JSON]
        for name, arr in converted.items():
            cols.setdefault(name, arr)
    unknown = sorted(set(cols) - set(target.names) - {spec.partition})
    if unknown:
        raise StoreError(f"{spec.name}: column(s) {unknown} of an older file are unknown to schema "
                         f"{schema_version()}; refusing to drop them")
    arrays = []
    for f in target:
        if f.name in cols:
            try:
                arrays.append(cols[f.name].cast(f.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise StoreError(f"{spec.name}.{f.name}: cannot convert {cols[f.name].type} to {f.type}: {exc}") from exc
        else:
            arrays.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(arrays, schema=target)


__all__ = ["DERIVED_JSON", "RENAMED", "file_version", "is_current", "upgrade"]
