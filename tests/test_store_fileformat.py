"""How the store writes its data files (issue #13, the write transaction's CPU): dictionary encoding
only where values repeat, the documented footer built once per table, and a transaction that lists
each table directory once. The data and the documentation read back exactly as before."""

from __future__ import annotations

import copy
import functools
import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from collector.pipeline import Outcome, SourceContext, process_document
from collector.schema import TABLES, columns_kv, schema_version, table_specs
from collector.store.dataset import Dataset
from collector.store.fileformat import DICTIONARY_TABLES, SMALL_FILE_ROWS, file_format
from tests.reportgen import make_record, render_html


def _outcomes(n: int, start: int = 0) -> list[Outcome]:
    out = []
    for i in range(start, start + n):
        rec = make_record("gb2021" if i % 2 else "gb2019", 2020 + i % 3, seed=i, agency=f"测试{i}局")
        o = process_document(render_html(rec), SourceContext(source_url=f"https://t.gov.cn/{i}.html", portal_id="t"))
        assert o.record is not None
        out.append(o)
    return out


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fileformat") / "out"
    Dataset(root).write(_outcomes(6))
    return root


def _files(root: Path, table: str) -> list[Path]:
    files = sorted((root / table).rglob("part-*.parquet"))
    assert files, table
    return files


def _pyarrow_default(table: pa.Table, table_name: str) -> bytes:
    """The same rows as pyarrow writes them by default (what the store wrote before issue #13's round 3)."""
    buf = io.BytesIO()
    with pq.ParquetWriter(buf, table_specs()[table_name].file_schema, compression="zstd") as w:
        w.write_table(table)
        w.add_key_value_metadata(columns_kv(table_name))
    return buf.getvalue()


@pytest.mark.parametrize("name", TABLES)
def test_files_read_back_as_pyarrow_s_own_footer_says(written: Path, name: str) -> None:
    """Same schema, documentation and values as a file pyarrow writes with its own Arrow schema."""
    spec = table_specs()[name]
    for f in _files(written, name):
        mine = pq.read_table(f)
        reference = pq.read_table(io.BytesIO(_pyarrow_default(mine, name)))
        assert [f.metadata for f in mine.schema] == [f.metadata for f in spec.file_schema]  # the column docs
        assert mine.equals(reference) and mine.schema.equals(reference.schema, check_metadata=True)
        meta = pq.read_metadata(f).metadata
        assert meta == pq.read_metadata(io.BytesIO(_pyarrow_default(mine, name))).metadata  # every key-value entry
        assert meta[b"xxgk:schema_version"].decode() == schema_version()  # DuckDB's parquet_kv_metadata sees it
        assert [c["name"] for c in json.loads(meta[b"xxgk:columns"])] == spec.schema.names


def test_dictionary_encoding_only_where_values_repeat(written: Path) -> None:
    for name in TABLES:
        fmt = file_format(name)
        strings = {f.name for f in fmt.schema if pa.types.is_string(f.type)}
        assert set(fmt.dictionary) == (strings if name in DICTIONARY_TABLES else set()), name
        md = pq.read_metadata(_files(written, name)[0])
        for i in range(md.num_columns):
            col = md.row_group(0).column(i)
            assert col.has_dictionary_page == (col.path_in_schema in fmt.dictionary), (name, col.path_in_schema)


def test_duckdb_and_pyarrow_datasets_read_the_rows_and_docs(written: Path) -> None:
    lib = Dataset(written, repair=False)
    for name in TABLES:
        spec = table_specs()[name]
        glob = f"{written}/{name}/**/*.parquet"
        n = duckdb.sql(f"select count(*) from read_parquet('{glob}', hive_partitioning = true)").fetchall()[0]
        assert n is not None and n[0] == lib.read(name).num_rows > 0
        kv = duckdb.sql(f"select decode(value) from parquet_kv_metadata('{glob}') "
                        "where decode(key) = 'xxgk:columns' limit 1").fetchall()[0]
        assert kv is not None and [c["name"] for c in json.loads(kv[0])] == spec.schema.names
        part = pads.partitioning(flavor="hive") if spec.partition else None
        dset = pads.dataset(str(written / name), format="parquet", partitioning=part)
        assert dset.count_rows() == n[0]
        assert dset.schema.field(spec.schema.names[0]).metadata[b"description"]


class _CountingFs:
    """A filesystem that counts directory listings (what an object store bills as LIST requests)."""

    def __init__(self, fs: pafs.FileSystem) -> None:
        self._fs, self.listings = fs, 0

    def get_file_info(self, what: Any) -> Any:
        if isinstance(what, pafs.FileSelector):
            self.listings += 1
        return self._fs.get_file_info(what)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fs, name)


def test_a_write_lists_the_root_a_bounded_number_of_times(tmp_path: Path) -> None:
    """A transaction lists each table directory and the pending commits once, however many lookups
    it makes (before: ~25 listings per batch, each a LIST request on S3)."""
    ds = Dataset(tmp_path / "out")
    ds.write(_outcomes(3))
    counting = _CountingFs(ds.fs)
    ds.fs = counting  # type: ignore[assignment]
    batch = _outcomes(3, start=3)
    batch.append(copy.deepcopy(batch[0]))  # a replaced report: the old file's rows are looked up again
    ds.write(batch)
    # four table directories + the pending commits; publishing lists none
    assert counting.listings <= 5, counting.listings  # main before this change: 28
    assert Dataset(tmp_path / "out", repair=False).read("reports").num_rows == 6


def test_small_files_snappy_larger_ones_zstd(written: Path, tmp_path: Path) -> None:
    """A batch's few-row files skip zstd (their footer outweighs their pages); merged files get it."""
    codecs = {}
    for name in TABLES:
        for f in _files(written, name):
            md = pq.read_metadata(f)
            codecs[name, md.num_rows >= SMALL_FILE_ROWS] = {md.row_group(0).column(i).compression
                                                           for i in range(md.num_columns)}
    assert codecs[("reports", False)] == {"SNAPPY"} and codecs[("cells", True)] == {"ZSTD"}
    # a compaction's merged file is zstd and reads back the rows of the small files it replaced
    ds = Dataset(tmp_path / "out")
    for i in range(0, 2 * SMALL_FILE_ROWS, 16):
        ds.write([copy.copy(o) for o in _many(16, i)])
    before = ds.read("reports").sort_by("report_id")
    assert ds.compact() > 0
    files = _files(tmp_path / "out", "reports")
    assert len(files) == 1 and pq.read_metadata(files[0]).row_group(0).column(0).compression == "ZSTD"
    assert ds.read("reports").sort_by("report_id").equals(before)


def _many(n: int, start: int) -> list[Outcome]:
    """``n`` distinct reports of one year cloned from one parsed template (cheap)."""
    t = _template()
    out = []
    for i in range(start, start + n):
        rec = copy.deepcopy(t.record)
        assert rec is not None
        url = f"https://m.gov.cn/{i}.html"
        rec.update(report_id=f"{i:032x}", source_url=url, canonical_url=url, document_sha256=f"{i:064x}")
        out.append(Outcome(rec, dict(t.document, source_url=url, document_sha256=f"{i:064x}",
                                     report_id=rec["report_id"]), None, t.cells))
    return out


@functools.cache
def _template() -> Outcome:
    return _outcomes(1)[0]


def test_the_commit_log_records_each_file_s_size(written: Path) -> None:
    """The size comes from the bytes written (no stat, a HEAD request on S3) and is the file's."""
    added = [a for f in (written / "_store" / "log").glob("*.json") for a in json.loads(f.read_text())["add"]]
    assert added and all((written / a["path"]).stat().st_size == a["bytes"] for a in added)


def test_own_files_are_read_back_without_parsing_their_footers_twice(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Files this process wrote are known to be in the current layout: reading them back (the summary a
    run ends with) skips the footer parse that tells; a file replaced by another of a different size
    (an older layout put there by hand) is checked again, and upgraded."""
    from collector.store import dataset as dataset_mod

    root = tmp_path / "out"
    Dataset(root).write(_outcomes(3))
    calls: list[str] = []
    real = dataset_mod.pq.read_schema
    monkeypatch.setattr(dataset_mod.pq, "read_schema", lambda path, **kw: calls.append(path) or real(path, **kw))
    first = Dataset(root, repair=False).read("reports")
    assert first.num_rows == 3 and calls == []
    victim = _files(root, "reports")[0]
    old = pq.read_table(victim)
    # an older layout: one documented column gone (the reader upgrades it back, null-filled)
    dropped = next(n for n in old.column_names if n not in table_specs()["reports"].key and n != "source_url")
    pq.write_table(old.drop_columns([dropped]), victim)
    again = Dataset(root, repair=False).read("reports")
    assert calls == [str(victim)] and again.num_rows == 3
    assert again.schema.names == first.schema.names
