"""Deployment parameters: described in the flows' docstrings (what Prefect shows), listed truly in the README."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SPEC = yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text("utf-8"))


def _flows() -> dict[str, object]:
    from flows.backfill import backfill_flow
    from flows.collect import collect_flow
    from flows.reparse import reparse_flow

    return {"flows/collect.py:collect_flow": collect_flow, "flows/backfill.py:backfill_flow": backfill_flow,
            "flows/reparse.py:reparse_flow": reparse_flow}


@pytest.mark.parametrize("entrypoint", sorted(_flows()))
def test_every_parameter_has_a_description_prefect_reads(entrypoint: str) -> None:
    from prefect.utilities.callables import parameter_schema, parameter_schema_from_entrypoint

    flow = _flows()[entrypoint]
    names = list(inspect.signature(flow.fn).parameters)  # type: ignore[attr-defined]
    runtime = parameter_schema(flow.fn).model_dump()["properties"]  # type: ignore[attr-defined]
    path, func = entrypoint.split(":")
    deployed = parameter_schema_from_entrypoint(f"{ROOT / path}:{func}").model_dump()["properties"]
    for name in names:
        assert runtime[name].get("description"), f"{entrypoint}: {name} has no description in its Args: section"
        assert deployed[name]["description"] == runtime[name]["description"], name


def test_readme_parameter_table_is_generated_from_the_flows() -> None:
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "deployment_params.py"), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0, "README's deployment parameters are stale: run python scripts/deployment_params.py"
    readme = (ROOT / "README.md").read_text("utf-8")
    for entrypoint, flow in _flows().items():
        for name in inspect.signature(flow.fn).parameters:  # type: ignore[attr-defined]
            assert f"| `{name}` |" in readme, (entrypoint, name)


def test_no_default_crawls_real_portals_into_the_checkout() -> None:
    for entrypoint, flow in _flows().items():
        params = inspect.signature(flow.fn).parameters  # type: ignore[attr-defined]
        for name in ("portals_file", "out"):
            if name in params:
                assert params[name].default is inspect.Parameter.empty, f"{entrypoint}: {name} has a default"
    for dep in SPEC["deployments"]:
        out = dep["parameters"]["out"]
        assert out.startswith(("~", "/")), f"{dep['name']}: out={out!r} would land in the checkout"
        flow = _flows()[dep["entrypoint"]]
        assert set(dep["parameters"]) <= set(inspect.signature(flow.fn).parameters)  # type: ignore[attr-defined]


def test_readme_states_the_true_schedule() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    crons = [s["cron"] for d in SPEC["deployments"] for s in d.get("schedules") or []]
    hours = {int(c.split()[1]) for c in crons}
    assert hours == {9} and "daily at 09:00" in readme and "06:00" not in readme


def test_backfill_describes_its_collect_parameters_as_collect_does() -> None:
    """The backfill passes its parameters to the collect flow; the Args: text is repeated in each flow's source
    (Prefect reads it from there), so the copies are kept equal."""
    from prefect.utilities.callables import parameter_schema

    flows = _flows()
    collect = parameter_schema(flows["flows/collect.py:collect_flow"].fn).model_dump()["properties"]  # type: ignore[attr-defined]
    backfill = parameter_schema(flows["flows/backfill.py:backfill_flow"].fn).model_dump()["properties"]  # type: ignore[attr-defined]
    shared = set(collect) & set(backfill)
    assert {"portals_file", "out", "portal_ids", "force", "fetch"} <= shared
    for name in shared:
        assert backfill[name]["description"] == collect[name]["description"], name
