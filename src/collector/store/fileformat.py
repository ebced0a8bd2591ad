"""How a data file is written: codec, which columns get a dictionary, and the documented footer.

Measured on the scale-4 simulator's batches (issue #13), a ``reports`` file of a dozen rows cost
~17 ms of the writing process's CPU, most of it per column (345 of them), not per row:

* **Dictionary encoding only where values repeat across rows**: the string columns of ``cells``
  and ``findings`` (report ids, hashes, field names, units, messages recur row after row). A
  ``reports`` or ``documents`` row is one report or document, so a dictionary there is built for
  nothing (its pages are thrown away for plain ones): without it their files are written ~25 %
  faster and come out slightly smaller. The numbers of ``cells`` get none either: their
  dictionary cost a merged 50,000-row file ~28 against ~21 ms for ~5 % fewer bytes.
* **The footer serialised once per table**: the documentation every file carries (issue #12:
  each column's description, label and unit as Arrow field metadata in ``ARROW:schema``, the
  ``xxgk:columns`` entry DuckDB reads, the schema-level ``xxgk:*`` entries) is the same in every
  file of a table, so it is built here once and handed to the writer, which would otherwise
  serialise and base64-encode the Arrow schema (~175 KB for ``reports``) for every file. The
  footer holds the same entries as pyarrow's own ``store_schema`` writes (test: read back equal).

* **zstd, but not for a handful of rows**: a file of fewer than :data:`SMALL_FILE_ROWS` rows
  (a batch's file of one partition, before the size-tiered merges rewrite it) is written with
  snappy: its footer outweighs its pages (a 12-row ``reports`` file is ~355 KB with either codec,
  within 1 %), and zstd's per-column-chunk cost was ~30 % of its write time (~4 of ~13 ms). Larger
  files keep zstd (a merged 245-row ``reports`` file: 396 KB against snappy's 446 KB; a merged
  ``cells`` file is 4-15x smaller than with snappy or lz4).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache
from typing import Any

from collector.schema import columns_kv, table_specs
from collector.store.arrow import pa

CODEC = "zstd"
SMALL_CODEC = "snappy"   # Parquet's most widely read codec
SMALL_FILE_ROWS = 32
ARROW_SCHEMA = b"ARROW:schema"   # where pyarrow keeps the Arrow schema (field metadata included)
DICTIONARY_TABLES = ("cells", "findings")  # many rows per report: their strings repeat


@dataclass(frozen=True, slots=True)
class FileFormat:
    """The writer settings and footer of one table's data files."""

    schema: pa.Schema               # the file schema the footer describes (the table must have it)
    footer: dict[bytes, bytes]      # key-value metadata: ARROW:schema, xxgk:* entries
    dictionary: tuple[str, ...]     # columns written with dictionary encoding

    def writer_options(self, rows: int) -> dict[str, Any]:
        """Keyword arguments of :class:`pyarrow.parquet.ParquetWriter` for a file of ``rows`` rows
        (the footer is added after the rows)."""
        return {"compression": CODEC if rows >= SMALL_FILE_ROWS else SMALL_CODEC,
                "use_dictionary": list(self.dictionary), "store_schema": False}


@cache
def file_format(table: str) -> FileFormat:
    """The format of ``table``'s data files (built once per process)."""
    schema = table_specs()[table].file_schema
    footer = {ARROW_SCHEMA: base64.b64encode(schema.serialize().to_pybytes())}
    footer.update(schema.metadata or {})
    footer.update(columns_kv(table))
    dictionary = tuple(f.name for f in schema if table in DICTIONARY_TABLES and pa.types.is_string(f.type))
    return FileFormat(schema, footer, dictionary)


__all__ = ["ARROW_SCHEMA", "CODEC", "DICTIONARY_TABLES", "SMALL_CODEC", "SMALL_FILE_ROWS", "FileFormat", "file_format"]
