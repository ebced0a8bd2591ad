"""A ``xxgk collect`` killed with SIGKILL midway and started again: no duplicate, no missing report."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow.dataset as pads
import pytest

from collector.sim import run_simulator
from collector.sim.verify import verify
from tests.test_demo import clean_env, prefect_home

pytestmark = pytest.mark.slow
XXGK = str(Path(sys.executable).with_name("xxgk"))


def _rows(out: Path, table: str) -> list[dict[str, object]]:
    if not (out / table).exists():
        return []
    return pads.dataset(str(out / table), format="parquet",
                        partitioning="hive" if table != "documents" else None).to_table().to_pylist()


def test_killed_run_resumes_without_duplicates(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    out = tmp_path / "out"
    env = clean_env(prefect_home(tmp_path_factory))
    with run_simulator(seed=5, scale=1, faults="default") as sim:
        cmd = [XXGK, "collect", "--portals", str(sim.portals_path), "--out", str(out), "--years", "2008-2023",
               "--allow-loopback", "--no-politeness", "--batch-size", "2"]
        log = open(tmp_path / "first.log", "wb")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 180
            while not list((out / "reports").glob("*/part-*.parquet")):
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
        assert 0 < partial < len(sim.truth), f"killed too late to test resuming ({partial} reports)"

        res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
        v = verify(out, sim.truth)
        assert not v.missing and not v.extra and not v.mismatches, (v.missing[:5], v.extra[:5], v.mismatches[:5])
        ids = Counter(r["report_id"] for r in _rows(out, "reports"))
        assert len(ids) == len(sim.truth) and max(ids.values()) == 1
        docs = Counter((r["source_url"], r["document_sha256"]) for r in _rows(out, "documents"))
        assert max(docs.values()) == 1
        cells = Counter((r["report_id"], r["field"]) for r in _rows(out, "cells"))
        assert max(cells.values()) == 1
