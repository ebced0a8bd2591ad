"""Turn a dataset into the exact layout schema 1.x wrote, to test that older datasets still read and migrate.

The 1.x ``reports`` columns come from the committed ``schemas/report-record.v1.schema.json`` with
the 1.x rules (``validation`` -> two counts, ``derived`` -> one ``derived_json`` string); 1.x
``cells`` named two columns ``column`` and ``where``; no file carried metadata.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from collector.schema import table_docs, table_specs

ROOT = Path(__file__).resolve().parents[1]
V1_SCHEMA = ROOT / "schemas" / "report-record.v1.schema.json"
V1_CELLS = ["report_id", "field", "column", "value", "value_raw", "unit", "derived", "where", "format_version",
            "document_sha256"]


def _walk(prefix: str, node: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name, sub in node.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        if sub.get("type") == "object" and "properties" in sub:
            out += _walk(path, sub)
        else:
            out.append((path, sub))
    return out


def v1_report_columns() -> list[str]:
    cols = []
    for path, _ in _walk("", json.loads(V1_SCHEMA.read_text("utf-8"))):
        if path == "validation":
            cols += ["validation__errors", "validation__warnings"]
        elif path == "derived":
            cols.append("derived_json")
        else:
            cols.append(path.replace(".", "__"))
    return [c for c in cols if c != "report_year"]  # the partition column is not in the files


def _plain(t: pa.Table) -> pa.Table:
    """The table without any schema or field metadata, as 1.x wrote it."""
    return pa.Table.from_arrays(t.columns, schema=pa.schema([pa.field(f.name, f.type) for f in t.schema]))


def _reports_v1(t: pa.Table) -> pa.Table:
    paths = {c.name: c.path for c in table_docs()["reports"][1]}
    derived = [n for n in t.column_names if n.startswith("derived__")]
    rows = t.select(derived).to_pylist()
    blobs = [json.dumps({paths[k][len("derived."):]: v for k, v in r.items() if v is not None}, ensure_ascii=False,
                        sort_keys=True) for r in rows]
    t = t.append_column("derived_json", pa.array(blobs, pa.string()))
    return t.select(v1_report_columns())


def to_v1(root: str | Path) -> int:
    """Rewrite every Parquet file under ``root`` in the 1.x layout, in place; returns the files rewritten."""
    root = Path(root)
    n = 0
    for name, spec in table_specs().items():
        for f in sorted((root / name).rglob("part-*.parquet")):
            t = pq.read_table(f, partitioning=None)
            if spec.partition in t.column_names:
                t = t.drop_columns([spec.partition])
            if name == "reports":
                t = _reports_v1(t)
            elif name == "cells":
                t = t.rename_columns(["column" if c == "column_name" else "where" if c == "location" else c
                                      for c in t.column_names]).select(V1_CELLS)
            pq.write_table(_plain(t), f, compression="zstd")
            n += 1
    return n


__all__ = ["to_v1", "v1_report_columns"]
