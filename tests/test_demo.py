"""``xxgk demo`` on a fresh Prefect home: it finishes, shows the dataset, and prints no Prefect noise."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow
XXGK = str(Path(sys.executable).with_name("xxgk"))
NOISE = re.compile(r"Traceback|Exception|temporary server|Stopping|telemetry|prefect\.|Error|WARNING|ERROR", re.I)


def prefect_home(factory: pytest.TempPathFactory) -> Path:
    """One Prefect home for the subprocess tests of a session: its database is migrated once."""
    return factory.getbasetemp() / "prefect-home"


def clean_env(home: Path) -> dict[str, str]:
    """No configured server (the embedded API path), an empty Prefect home, no inherited Prefect settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "XXGK_"))}
    env.update({"PREFECT_HOME": str(home), "COLUMNS": "120"})
    return env


def test_demo_runs_quietly(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    out = tmp_path / "demo-out"
    res = subprocess.run([XXGK, "demo", "--out", str(out)], env=clean_env(prefect_home(tmp_path_factory)),
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]
    noisy = [line for line in res.stderr.splitlines() if NOISE.search(line)]
    assert not noisy, "\n".join(noisy[:20])
    assert str(out.resolve()) in res.stdout and "duckdb -c" in res.stdout and "read_parquet(" in res.stdout
    m = re.search(r"simulator: \d+ portals, (\d+) reports", res.stderr)
    assert m, res.stderr[-2000:]
    expected = int(m.group(1))
    assert f"first rows of {expected} reports" in res.stdout
    n = duckdb.sql(f"select count(*) from read_parquet('{out}/reports/**/*.parquet', hive_partitioning=true)").fetchall()[0]
    assert n == (expected,)
    # its speed is a benchmark's figure (bench/bench_e2e.py --demo), not a timed assertion: the 300 s
    # timeout above only catches a hang
    _assert_run_recorded(prefect_home(tmp_path_factory) / "prefect.db")


def _assert_run_recorded(db_path: Path) -> None:
    """The embedded API recorded the whole run in the Prefect home's database, every task run in a final
    state: its task-run recorder writes in batches, the last one as the API stops (cli_flows.EMBEDDED_API_ENV)."""
    db = sqlite3.connect(db_path)
    try:
        (run_id, run_state), = db.execute(
            "select fr.id, fr.state_type from flow_run fr join flow f on fr.flow_id = f.id "
            "where f.name = 'xxgk-collect' order by fr.created desc limit 1").fetchall()
        tasks = db.execute("select name, state_type from task_run where flow_run_id = ?", (run_id,)).fetchall()
        n_states = db.execute("select count(*) from task_run_state s join task_run t on s.task_run_id = t.id "
                              "where t.flow_run_id = ?", (run_id,)).fetchone()[0]
    finally:
        db.close()
    assert run_state == "COMPLETED"
    names = [name for name, _ in tasks]
    for step in ("open-output", "discover-", "batch-", "summarise-dataset", "finish-run"):
        assert any(name.startswith(step) for name in names), (step, names)
    assert {state for _, state in tasks} <= {"COMPLETED", "FAILED"}, tasks  # none left pending or running
    assert n_states >= 3 * len(tasks)  # pending, running and a final state each



def test_demo_replaces_only_its_own_output(tmp_path: Path) -> None:
    from collector.cli_flows import DEMO_MARKER, _prepare_demo_dir
    from collector.errors import ConfigError

    out = tmp_path / "demo-out"
    _prepare_demo_dir(out)
    (out / "old.parquet").write_text("x")
    _prepare_demo_dir(out)  # an earlier demo's directory: replaced
    assert (out / DEMO_MARKER).exists() and not (out / "old.parquet").exists()
    other = tmp_path / "data"
    other.mkdir()
    (other / "keep").write_text("x")
    with pytest.raises(ConfigError):
        _prepare_demo_dir(other)
    assert (other / "keep").exists()
