"""A ``xxgk collect`` killed with SIGKILL midway and started again: no duplicate, no missing report —
on a local disk and on S3 (moto's server on loopback)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pytest

from collector.sim import run_simulator
from collector.sim.verify import verify
from collector.store.location import open_root
from tests.s3server import moto_s3
from tests.test_demo import clean_env, prefect_home

pytestmark = pytest.mark.slow
XXGK = str(Path(sys.executable).with_name("xxgk"))


def _files(out: str, table: str) -> list[str]:
    fs, path = open_root(out)
    return [i.path for i in fs.get_file_info(pafs.FileSelector(f"{path}/{table}", allow_not_found=True, recursive=True))
            if i.type == pafs.FileType.File and i.base_name.startswith("part-")]


def _rows(out: str, table: str) -> list[dict[str, object]]:
    """Every row of the files published under ``out/table`` (what a glob reader sees), on any filesystem."""
    fs, path = open_root(out)
    files = _files(out, table)
    if not files:
        return []
    return pads.dataset(files, filesystem=fs, format="parquet", partition_base_dir=f"{path}/{table}",
                        partitioning="hive" if table != "documents" else None).to_table().to_pylist()


@pytest.fixture(params=["local", "s3"])
def root(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, tuple[int, int]]]:
    """The output root and the years to collect: a local directory (every simulated year), or a
    bucket on a local S3 server (moto; the template years only: its round trips cost CI time)."""
    if request.param == "local":
        yield str(tmp_path / "out"), (2008, 2023)
        return
    with moto_s3() as s3:
        yield s3.bucket(), (2022, 2023)


def test_killed_run_resumes_without_duplicates(root: tuple[str, tuple[int, int]], tmp_path: Path,
                                               tmp_path_factory: pytest.TempPathFactory) -> None:
    out, (first, last) = root
    env = clean_env(prefect_home(tmp_path_factory))
    with run_simulator(seed=5, scale=1, faults="default") as sim:
        truth = [t for t in sim.truth if first <= int(t["record"]["report_year"]) <= last]
        cmd = [XXGK, "collect", "--portals", str(sim.portals_path), "--out", out, "--years", f"{first}-{last}",
               "--allow-loopback", "--no-politeness", "--batch-size", "2"]
        log = open(tmp_path / "first.log", "wb")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 180
            while not _files(out, "reports"):
                assert proc.poll() is None, "the run ended before it wrote anything:\n" + \
                    (tmp_path / "first.log").read_text(errors="replace")[-3000:]
                assert time.monotonic() < deadline, "nothing written in time"
                time.sleep(0.02)
            os.killpg(proc.pid, signal.SIGKILL)  # the process and its embedded Prefect API, mid-write
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            log.close()
        partial = len(_rows(out, "reports"))
        assert 0 < partial < len(truth), f"killed too late to test resuming ({partial} reports)"

        res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
        v = verify(out, truth)
        assert not v.missing and not v.extra and not v.mismatches, (v.missing[:5], v.extra[:5], v.mismatches[:5])
        ids = Counter(r["report_id"] for r in _rows(out, "reports"))
        assert len(ids) == len(truth) and max(ids.values()) == 1
        docs = Counter((r["source_url"], r["document_sha256"]) for r in _rows(out, "documents"))
        assert max(docs.values()) == 1
        cells = Counter((r["report_id"], r["field"]) for r in _rows(out, "cells"))
        assert max(cells.values()) == 1
