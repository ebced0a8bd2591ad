"""``prefect deploy --all`` accepts deployments/prefect.yaml against a real (temporary) Prefect server."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).with_name("prefect"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("prefect-home")
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
           "PREFECT_SERVER_UI_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("PREFECT_API_URL", None)
    log = open(home / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-services"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("prefect server did not start:\n" + (home / "server.log").read_text()[-3000:])
            time.sleep(0.5)
        yield {**env, "PREFECT_API_URL": api}
    finally:
        _stop(proc)
        log.close()


def _prefect(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    res = subprocess.run([PREFECT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, f"prefect {' '.join(args)}:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


@pytest.fixture(scope="module")
def deployed(server: dict[str, str]) -> dict[str, str]:
    """The work pool and the three deployments of deployments/prefect.yaml on the temporary server."""
    _prefect(server, "work-pool", "create", "xxgk-process", "--type", "process")
    _prefect(server, "--no-prompt", "deploy", "--all", "--prefect-file", "deployments/prefect.yaml")
    return server


def test_deploy_all(deployed: dict[str, str]) -> None:
    server = deployed

    api = server["PREFECT_API_URL"]
    deps = httpx.post(f"{api}/deployments/filter", json={}, timeout=30).json()
    flows = {f["id"]: f["name"] for f in httpx.post(f"{api}/flows/filter", json={}, timeout=30).json()}
    by = {f"{flows[d['flow_id']]}/{d['name']}": d for d in deps}
    assert set(by) == {"xxgk-collect/scheduled", "xxgk-backfill/backfill", "xxgk-reparse/reparse"}

    collect = by["xxgk-collect/scheduled"]
    scheds = [s["schedule"] for s in collect["schedules"]]
    assert sorted(s["cron"] for s in scheds) == ["0 9 * 1-4 *", "0 9 * 5-12 1"]
    assert {s["timezone"] for s in scheds} == {"Asia/Shanghai"}
    assert collect["concurrency_limit"] == 1 or (collect.get("global_concurrency_limit") or {}).get("limit") == 1
    assert (collect.get("concurrency_options") or {}).get("collision_strategy") == "ENQUEUE"
    assert collect["work_pool_name"] == "xxgk-process" and collect["entrypoint"] == "flows/collect.py:collect_flow"
    assert collect["parameters"] == {"portals_file": "deployments/portals", "out": "~/xxgk/data"}
    for name in ("xxgk-backfill/backfill", "xxgk-reparse/reparse"):
        assert by[name]["schedules"] == []
    schema = by["xxgk-backfill/backfill"]["parameter_openapi_schema"]
    assert {"start", "end"} <= set(schema["required"]), json.dumps(schema)[:500]

    # every parameter of every deployment carries its description from the flow's docstring (the UI shows it)
    from prefect.utilities.callables import parameter_schema_from_entrypoint

    for name, dep in by.items():
        path, func = dep["entrypoint"].split(":")
        expected = parameter_schema_from_entrypoint(f"{ROOT / path}:{func}").model_dump()["properties"]
        props = dep["parameter_openapi_schema"]["properties"]
        assert set(props) == set(expected), name
        for param, spec in props.items():
            assert spec.get("description") and spec["description"] == expected[param]["description"], (name, param)

    # the CLI view agrees (what the README tells operators to look at)
    res = _prefect(server, "deployment", "inspect", "xxgk-collect/scheduled")
    assert "Asia/Shanghai" in res.stdout
    assert "Report years to collect" in " ".join(res.stdout.split())


FAST = {"connect_timeout": 2.0, "read_timeout": 2.0, "total_timeout": 10.0, "backoff_base": 0.05,
        "backoff_max": 0.2, "max_retry_after": 5.0}


def _start_worker(env: dict[str, str], name: str, cwd: Path) -> subprocess.Popen[bytes]:
    """A process worker polling its own work queue (named like the worker) of the xxgk-process pool."""
    _prefect(env, "work-queue", "create", name, "--pool", "xxgk-process")
    log = open(cwd / "worker.log", "wb")  # noqa: SIM115 - the process owns it until killed
    return subprocess.Popen([PREFECT, "worker", "start", "--pool", "xxgk-process", "--work-queue", name,
                             "--name", name], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, SIGKILL it if it has not gone within 20 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _api(method: str, url: str, **kw: object) -> httpx.Response:
    """A call to the temporary server, retried on 503/429 as Prefect's own client does (its SQLite
    database answers 503 while the workers' polling holds it on a busy machine)."""
    for attempt in range(8):
        res = httpx.request(method, url, timeout=30, **kw)  # type: ignore[arg-type]
        if res.status_code not in (429, 503):
            break
        time.sleep(0.5 * 2**attempt)
    res.raise_for_status()
    return res


def _run_deployment(api: str, dep_id: str, params: dict[str, object], queue: str) -> str:
    res = _api("POST", f"{api}/deployments/{dep_id}/create_flow_run",
               json={"parameters": params, "work_queue_name": queue})
    return str(res.json()["id"])


def _wait(api: str, run_ids: list[str], timeout: float = 420) -> dict[str, dict[str, object]]:
    deadline = time.monotonic() + timeout
    while True:
        runs = {r: _api("GET", f"{api}/flow_runs/{r}").json() for r in run_ids}
        if all(run["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") for run in runs.values()):
            return runs
        if time.monotonic() > deadline:
            pytest.fail(f"flow runs not finished: { {r: v['state_type'] for r, v in runs.items()} }")
        time.sleep(1)


def _rows(root: str) -> dict[str, list[dict[str, object]]]:
    """What an analyst reads, without the columns that name the run or the time of writing."""
    from collector.store.dataset import Dataset

    ds = Dataset(root, repair=False)
    out: dict[str, list[dict[str, object]]] = {}
    for table in ("reports", "cells", "findings"):
        rows = ds.read(table).to_pylist()
        for r in rows:
            for col in ("run_id", "fetched_at", "processed_at"):
                r.pop(col, None)
        out[table] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return out


def test_two_workers_backfill_one_bucket(deployed: dict[str, str], tmp_path: Path) -> None:
    """Issue #11: two Prefect process workers, each in its own working directory, one server and one S3
    root; two backfills of different portals run at once, their commits serialised by the writer slot,
    and the dataset equals a serial run of both portals (written by one of the same workers)."""
    from collector.config import portals_to_yaml
    from collector.sim import run_simulator
    from tests.s3server import moto_s3

    api = deployed["PREFECT_API_URL"]
    deps = _api("POST", f"{api}/deployments/filter", json={}).json()
    flows = {f["id"]: f["name"] for f in _api("POST", f"{api}/flows/filter", json={}).json()}
    backfill = next(d["id"] for d in deps if flows[d["flow_id"]] == "xxgk-backfill")
    with moto_s3() as s3, run_simulator(seed=11, scale=1) as sim:
        portals = tmp_path / "portals.yaml"
        picked = [p for p in sim.portals if p.id in ("sim-trs", "sim-vsb")]
        assert len(picked) == 2
        portals.write_text(portals_to_yaml(picked), "utf-8")
        shared, serial = s3.bucket("shared"), s3.bucket("serial")
        workers = []
        for name in ("w1", "w2"):
            wd = tmp_path / name
            wd.mkdir()
            env = {**deployed, **s3.env, "PREFECT_HOME": str(wd / "prefect-home"), "PREFECT_WORKER_QUERY_SECONDS": "1",
                   "PREFECT_WORKER_PREFETCH_SECONDS": "0"}
            workers.append(_start_worker(env, name, wd))
        try:
            common = {"start": 2022, "end": 2023, "portals_file": str(portals), "allow_loopback": True,
                      "polite": False, "fetch": FAST, "batch_size": 5}
            both = [_run_deployment(api, backfill, {**common, "out": shared, "portal_ids": [p.id]}, queue)
                    for p, queue in zip(picked, ("w1", "w2"), strict=True)]
            runs = list(_wait(api, both).values())
            assert all(r["state_type"] == "COMPLETED" for r in runs), runs
            # one run per worker, and they ran at the same time
            assert {r["work_queue_name"] for r in runs} == {"w1", "w2"}
            a, b = runs
            assert a["start_time"] < b["end_time"] and b["start_time"] < a["end_time"], runs
            solo = _wait(api, [_run_deployment(api, backfill, {**common, "out": serial}, "w1")])
            assert all(r["state_type"] == "COMPLETED" for r in solo.values()), solo
        finally:
            for w in workers:
                _stop(w)
        limits = _api("POST", f"{api}/v2/concurrency_limits/filter", json={}).json()
        assert "xxgk-dataset-writer" in {lim["name"] for lim in limits}  # the slot the commits queued on
        got, want = _rows(shared), _rows(serial)
        assert len(want["reports"]) >= 4 and {r["portal_id"] for r in got["reports"]} == {"sim-trs", "sim-vsb"}
        assert got == want
