"""``prefect deploy --all`` accepts deployments/prefect.yaml against a real (temporary) Prefect server."""

from __future__ import annotations

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
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _prefect(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    res = subprocess.run([PREFECT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, f"prefect {' '.join(args)}:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


def test_deploy_all(server: dict[str, str]) -> None:
    _prefect(server, "work-pool", "create", "xxgk-process", "--type", "process")
    _prefect(server, "--no-prompt", "deploy", "--all", "--prefect-file", "deployments/prefect.yaml")

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
