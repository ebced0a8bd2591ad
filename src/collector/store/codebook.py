"""The data dictionary as text: the dataset root's ``README.md`` and ``xxgk schema`` (markdown or JSON).

Generated from the schema file (via :mod:`collector.schema`), like the field metadata inside
every Parquet file, so the three never disagree. Pure functions; :meth:`Dataset.write_codebook`
writes the README when data is written.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import Iterable
from functools import cache
from typing import Any

import pyarrow.fs as pafs

from collector.errors import ConfigError
from collector.schema import META_COLUMNS, TABLES, schema_version, table_specs
from collector.validate.catalog import RULES

_KV_QUERY = (
    "select unnest(from_json(decode(value), '[{\"name\": \"VARCHAR\", \"label_zh\": \"VARCHAR\", "
    "\"unit\": \"VARCHAR\", \"description\": \"VARCHAR\"}]'), recursive := true)\n"
    "from (select value from parquet_kv_metadata('cells/*/*.parquet')\n"
    f"      where decode(key) = '{META_COLUMNS.decode()}' limit 1);"
)

def _tables(only: Iterable[str] | None) -> list[str]:
    names = list(only) if only else list(TABLES)
    unknown = [t for t in names if t not in TABLES]
    if unknown:
        raise ConfigError(f"unknown table(s) {unknown}: choose from {', '.join(TABLES)}")
    return names


def codebook(tables: Iterable[str] | None = None) -> dict[str, Any]:
    """The dictionary as data: schema version, and per table its description, key, partition, columns."""
    specs = table_specs()
    out: dict[str, Any] = {"schema_version": schema_version(), "tables": {}}
    for name in _tables(tables):
        s = specs[name]
        out["tables"][name] = {"description": s.description, "key": list(s.key), "partition": s.partition,
                               "columns": [c.as_dict() for c in s.columns]}
    if tables is None:
        out["rules"] = [{"rule": r.number, "name": r.name, "kind": r.kind, "scope": r.scope} for r in RULES.values()]
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table_markdown(name: str) -> str:
    s = table_specs()[name]
    where = f"`{name}/{s.partition}=YYYY/part-*.parquet`" if s.partition else f"`{name}/part-*.parquet`"
    lines = [f"## {name}", "", f"{s.description}. Files: {where}; key: {', '.join(s.key)}"
             + (f"; partition: {s.partition} (a directory level: read with hive partitioning)" if s.partition else "")
             + f". {len(s.columns)} columns.", "",
             "| column | type | unit | 中文 | description |", "|---|---|---|---|---|"]
    for c in s.columns:
        lines.append(f"| `{c.name}` | {c.type} | {_cell(c.unit)} | {_cell(c.label_zh)} | {_cell(c.description)} |")
    return "\n".join(lines) + "\n"


def rules_markdown() -> str:
    lines = ["## Validation rules (findings.rule)", "", "| rule | kind | scope | name |", "|---|---|---|---|"]
    lines += [f"| {r.number} | {r.kind} | {r.scope} | {_cell(r.name)} |" for r in RULES.values()]
    return "\n".join(lines) + "\n"


def render_markdown(tables: Iterable[str] | None = None) -> str:
    """``xxgk schema``: the tables' columns (and the rules when all tables are shown)."""
    names = _tables(tables)
    parts = [f"# xxgk dataset schema {schema_version()}\n"] + [table_markdown(n) for n in names]
    if tables is None:
        parts.append(rules_markdown())
    return "\n".join(parts)


def render_json(tables: Iterable[str] | None = None) -> str:
    return json.dumps(codebook(tables), ensure_ascii=False, indent=1) + "\n"


@cache
def render_readme() -> str:
    """The dataset root's README.md: what is here, how to read it, every table and column, the rules."""
    specs = table_specs()
    overview = ["| table | rows | columns |", "|---|---|---|"]
    overview += [f"| [`{n}`](#{n}) | {_cell(specs[n].description)} | {len(specs[n].columns)} |" for n in TABLES]
    head = f"""# xxgk dataset — codebook (schema {schema_version()})

Government information-disclosure annual reports (政府信息公开工作年度报告) collected by
xxgk-collector. This file is generated when the dataset is written; `xxgk schema` prints the same
(`--format json` for tools). Every Parquet file carries these descriptions too: as Arrow field
metadata (`description`, `label_zh`, `unit`) and as the file's `{META_COLUMNS.decode()}` key-value entry.

Also here: `raw/` (the exact bytes of every document, by sha256), `state/` (crawl state), and
`summary.html` when a run or `xxgk report` has written one.

{chr(10).join(overview)}

## Reading (paths relative to this directory)

```sql
-- DuckDB (hive partitioning turns report_year=YYYY/ directories into a column)
select agency_name, report_year, s3__new_received__total, derived__grant_rate
from read_parquet('reports/**/*.parquet', hive_partitioning = true);

-- where did a number come from?
select field, value, value_raw, location, document_sha256
from read_parquet('cells/**/*.parquet', hive_partitioning = true)
where field = 's3.new_received.total';

-- the column descriptions, from a file's metadata
{_KV_QUERY}
```

polars: `pl.read_parquet("reports/**/*.parquet", hive_partitioning=True)`; pandas:
`pd.read_parquet("reports")`; pyarrow: `pq.read_schema(file).field("value").metadata`.
Blank cells are null, never 0. Derived figures never replace read ones: they sit in `derived__*`
columns and in `cells` with `derived = true`. Each report's findings are in `findings`; a
report's `validation__errors` counts its hard-rule findings.
"""
    return "\n".join([head] + [table_markdown(n) for n in TABLES] + [rules_markdown()])


def write_readme(fs: pafs.FileSystem, root: str) -> bool:
    """Write ``root/README.md`` if missing or stale (atomically); True if written. Never fails a write:
    the data is what matters, the codebook is its documentation."""
    text = render_readme()
    path = f"{root}/README.md"
    try:
        if fs.get_file_info(path).type == pafs.FileType.File:
            with fs.open_input_stream(path) as fh:
                if fh.read().decode("utf-8", "replace") == text:
                    return False
        tmp = f"{root}/.README.md.{uuid.uuid4().hex[:8]}.tmp"
        try:
            with fs.open_output_stream(tmp) as out:
                out.write(text.encode("utf-8"))
            fs.move(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                fs.delete_file(tmp)  # a full disk must not leave a temp file behind
            raise
    except OSError as exc:
        logging.getLogger(__name__).warning("could not write %s: %s", path, exc)
        return False
    return True


__all__ = ["codebook", "render_json", "render_markdown", "render_readme", "rules_markdown", "table_markdown", "write_readme"]
