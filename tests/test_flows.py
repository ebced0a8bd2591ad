"""The Prefect flows end to end, as real flow runs (temporary Prefect API) against the portal simulator."""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pytest
import yaml

os.environ.setdefault("XXGK_RETRY_DELAYS", "0.1,0.1")  # before flows.runtime reads it

from flows.backfill import backfill_flow  # noqa: E402
from flows.collect import collect_flow  # noqa: E402
from flows.reparse import reparse_flow  # noqa: E402
from flows.report import RunFailed  # noqa: E402
from prefect.testing.utilities import prefect_test_harness  # noqa: E402

from collector.config import portals_to_yaml  # noqa: E402
from collector.schema import schema_version  # noqa: E402
from collector.sim import run_simulator  # noqa: E402
from collector.sim.verify import verify  # noqa: E402
from tests.v1layout import to_v1  # noqa: E402

pytestmark = pytest.mark.slow
SEED = 11
YEARS = (2008, 2023)  # the legacy years (2008–2018) and the template years
# fast fetches against the simulator (FetchSettings.for_tests, as a flow parameter)
FAST = {"connect_timeout": 2.0, "read_timeout": 2.0, "total_timeout": 10.0, "backoff_base": 0.05,
        "backoff_max": 0.2, "max_retry_after": 5.0}


@pytest.fixture(scope="module")
def prefect_api() -> Any:
    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="module")
def sim() -> Any:
    with run_simulator(seed=SEED, scale=1, faults="default") as s:
        yield s


def _run(flow: Any, **kw: Any) -> dict[str, Any]:
    return flow(allow_loopback=True, polite=False, fetch=FAST, **kw)


def _parquet_files(out: Path) -> dict[str, int]:
    """The dataset's Parquet files (the crawl state's log, also Parquet, records every run's fetches)."""
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*.parquet")
            if p.relative_to(out).parts[0] != "state"}


def _table(out: Path, name: str) -> list[dict[str, Any]]:
    part = "hive" if name != "documents" else None
    return pads.dataset(str(out / name), format="parquet", partitioning=part).to_table().to_pylist()


@pytest.fixture(scope="module")
def collected(prefect_api: Any, sim: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A backfill of the simulator's years: the collect flow as a subflow, with explicit years."""
    out = tmp_path_factory.mktemp("flows") / "out"
    summary = _run(backfill_flow, start=YEARS[0], end=YEARS[1], portals_file=str(sim.portals_path), out=str(out),
                   batch_size=10)
    return out, summary


def test_backfill_equals_ground_truth(collected: tuple[Path, dict[str, Any]], sim: Any) -> None:
    out, summary = collected
    v = verify(out, sim.truth)
    assert v.found == v.expected == len(sim.truth)
    assert not v.missing and not v.extra, (v.missing[:5], v.extra[:5])
    assert not v.mismatches, "\n".join(v.mismatches[:20])
    ids = [r["report_id"] for r in _table(out, "reports")]
    assert len(ids) == len(set(ids))
    by = {p["portal_id"]: p for p in summary["portals"]}
    assert summary["ok"] and summary["totals"]["records"] == len(sim.truth)
    assert by["sim-waf"]["blocked"] == 1 and not by["sim-waf"]["collected"]  # refused, reported, run not failed
    assert all(by[p]["collected"] and by[p]["new"] > 0 for p in ("sim-trs", "sim-hanweb", "sim-vsb", "sim-generic"))
    assert sum(p["findings"].get("rule 1 error", 0) for p in summary["portals"]) >= 1  # broken reports flagged
    # the artifact counts the legacy reports with and without figures (the simulator's 2012 is text only)
    assert (summary["totals"]["legacy_with_figures"], summary["totals"]["legacy_without_figures"]) == (10, 1)


def test_every_row_names_the_flow_run_that_wrote_it(collected: tuple[Path, dict[str, Any]]) -> None:
    from prefect.client.orchestration import get_client

    out, summary = collected
    run_id = summary["run_id"]
    with get_client(sync_client=True) as client:  # the id is the collect flow run's (the backfill's subflow)
        assert client.read_flow(client.read_flow_run(run_id).flow_id).name == "xxgk-collect"
    for table in ("reports", "cells", "findings", "documents"):
        rows = _table(out, table)
        assert rows and {r["run_id"] for r in rows} == {run_id}, table


def _artifacts(key: str) -> list[tuple[str, Any]]:
    """(flow name, artifact) of every artifact with ``key``, newest first."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
        out = [(client.read_flow(client.read_flow_run(a.flow_run_id).flow_id).name, a) for a in arts]
    return sorted(out, key=lambda fa: fa[1].created, reverse=True)


def test_artifacts_say_what_went_wrong(collected: tuple[Path, dict[str, Any]], sim: Any) -> None:
    out, summary = collected
    # the run's result lists the failed and blocked URLs with their reasons
    fails = {f["url"]: f for f in summary["failures"]}
    waf = next(p for p in sim.portals if p.id == "sim-waf")
    assert fails[waf.start_urls[0]]["status"] == "blocked" and fails[waf.start_urls[0]]["reason"] == "blocked"
    assert summary["failures_total"] == len(summary["failures"]) >= 2
    assert all(f["reason"] and f["url"] for f in summary["failures"])
    html = Path(summary["dataset"]["html"])
    assert html.is_file() and html.parent == out

    # the backfill's parent run has its own summary, beside its collect subflow's
    parent = [a for flow, a in _artifacts("xxgk-backfill-summary") if flow == "xxgk-backfill"]
    child = [a for flow, a in _artifacts("xxgk-collect-summary") if flow == "xxgk-collect"]
    assert parent and child
    md = parent[0].data
    assert md.startswith(f"# xxgk backfill: {YEARS[0]}–{YEARS[1]}")
    assert "## Failed and blocked URLs" in md and waf.start_urls[0] in md and "| blocked | blocked |" in md
    assert "三 balance: new + carried over = results + carried forward" in md  # rule 1 broken reports, named
    assert "### Reports by province and year" in md and "### Timeliness against the legal deadline" in md
    assert html.as_uri() in md
    table = json.loads([a for flow, a in _artifacts("xxgk-backfill-portals") if flow == "xxgk-backfill"][0].data)
    assert any("rule 1 error (三 balance" in row["findings"] for row in table)
    link = [a for flow, a in _artifacts("xxgk-backfill-report") if flow == "xxgk-backfill"][0].data
    assert link.endswith(f"({html.as_uri()})")


def test_second_run_adds_nothing(collected: tuple[Path, dict[str, Any]], sim: Any) -> None:
    out, _ = collected
    before = _parquet_files(out)
    again = _run(collect_flow, portals_file=str(sim.portals_path), out=str(out), years=list(range(YEARS[0], YEARS[1] + 1)))
    t = again["totals"]
    assert t["new"] == t["updated"] == t["records"] == 0 and again["rows_written"] == 0
    assert t["unchanged"] == len(sim.truth)
    assert _parquet_files(out) == before

    # a republished page (a correction) is counted as updated and is the only report re-written
    target = next(x for x in sim.truth if x["portal_id"] == "sim-vsb" and x["media"] == "html")
    sim.touch(target["url"][len(sim.base_url):])
    third = _run(collect_flow, portals_file=str(sim.portals_path), out=str(out), portal_ids=["sim-vsb"],
                 years=list(range(YEARS[0], YEARS[1] + 1)))
    assert third["totals"]["updated"] == 1 and third["totals"]["new"] == 0 and third["totals"]["records"] == 1
    assert verify(out, sim.truth).ok


def test_failed_portal_is_reported_others_complete(prefect_api: Any, sim: Any, tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on: the portal's server is down
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    vsb = next(p for p in sim.portals if p.id == "sim-vsb")
    down = vsb.model_copy(update={"id": "sim-down", "start_urls": [f"http://127.0.0.1:{dead}/zfxxgknb/"]})
    cfg = tmp_path / "portals.yaml"
    cfg.write_text(portals_to_yaml([vsb, down]), "utf-8")
    fetch = {**FAST, "retries": 0}
    summary = collect_flow(portals_file=str(cfg), out=str(tmp_path / "out"), years=[2022, 2023], allow_loopback=True,
                           polite=False, fetch=fetch)
    by = {p["portal_id"]: p for p in summary["portals"]}
    assert summary["ok"]
    assert not by["sim-down"]["collected"] and by["sim-down"]["failed"] == 1 and by["sim-down"]["error"]
    assert by["sim-vsb"]["collected"] and by["sim-vsb"]["records"] > 0

    cfg.write_text(portals_to_yaml([down]), "utf-8")
    with pytest.raises(RunFailed) as err:  # every portal failed: the run fails (after reporting)
        collect_flow(portals_file=str(cfg), out=str(tmp_path / "out2"), years=[2023], allow_loopback=True,
                     polite=False, fetch=fetch)
    assert err.value.summary["portals"][0]["portal_id"] == "sim-down"
    assert err.value.summary["failures"][0]["url"] == down.start_urls[0]

    # a backfill in which every portal failed still publishes its parent summary, then fails
    with pytest.raises(RunFailed):
        backfill_flow(start=2023, end=2023, portals_file=str(cfg), out=str(tmp_path / "out3"), allow_loopback=True,
                      polite=False, fetch=fetch)
    latest = [a for flow, a in _artifacts("xxgk-backfill-summary") if flow == "xxgk-backfill"][0]
    assert "0 of 1 portals collected" in latest.data and down.start_urls[0] in latest.data


def test_reparse_after_parser_bump_without_network(collected: tuple[Path, dict[str, Any]], sim: Any,
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, _ = collected
    out = tmp_path / "out"
    shutil.copytree(src, out)
    before = {r["report_id"]: r for r in _table(out, "reports")}
    n_old = to_v1(out)  # …and as written by schema 1.x: the re-parse also rewrites every file in 2.x
    import collector.parse.record as record
    import collector.pipeline as pipeline

    bumped = record.PARSER_VERSION + "+bump"
    monkeypatch.setattr(record, "PARSER_VERSION", bumped)
    monkeypatch.setattr(pipeline, "PARSER_VERSION", bumped)
    sim.reset_log()
    summary = reparse_flow(out=str(out), batch_size=20)
    assert sim.requests() == []  # no HTTP at all
    after = {r["report_id"]: r for r in _table(out, "reports")}
    assert set(after) == set(before)
    assert {r["parser_version"] for r in after.values()} == {bumped}
    latest: dict[str, dict[str, Any]] = {}  # an older body of a republished page keeps its old row, as history
    for r in sorted(_table(out, "documents"), key=lambda r: r["processed_at"]):
        if r["document_sha256"]:  # a fetch failure has no bytes to re-parse
            latest[r["source_url"]] = r
    assert {r["parser_version"] for r in latest.values()} == {bumped}
    assert summary["totals"]["records"] == len(before) and summary["ok"]
    assert verify(out, sim.truth).ok
    assert any(f"{n_old} files of an older schema layout" in note for note in summary["notes"])
    for f in out.rglob("part-*.parquet"):
        assert pads.dataset(str(f)).schema.metadata[b"xxgk:schema_version"].decode() == schema_version(), f
    assert {r["schema_version"] for r in after.values()} == {schema_version()}
    cells = _table(out, "cells")
    assert cells and all(c["column_name"] and c["location"] for c in cells)
    # every row the re-parse wrote names the reparse flow run
    assert summary["run_id"] and summary["run_id"] != collected[1]["run_id"]
    for table in ("reports", "cells", "findings"):
        assert {r["run_id"] for r in _table(out, table)} == {summary["run_id"]}, table
    assert {r["run_id"] for r in latest.values()} == {summary["run_id"]}

    # the re-parse marked the crawl state: a collect run with the bumped parser has nothing left to do
    again = _run(collect_flow, portals_file=str(sim.portals_path), out=str(out), years=[2023])
    assert again["rows_written"] == 0 and again["totals"]["records"] == 0


def _downgrade_to_parser_1_0(out: Path) -> None:
    """Make ``out`` look collected by parser 1.0.0 / schema 1.0.0: no legacy columns, no legacy cells."""
    import pyarrow.parquet as pq

    for path in (out / "reports").rglob("part-*.parquet"):
        t = pq.read_table(path)
        t = t.drop_columns([c for c in t.column_names if c.startswith("legacy__") or c == "text__sections"])
        t = t.set_column(t.column_names.index("parser_version"), "parser_version",
                         pa.array(["1.0.0"] * t.num_rows, pa.string()))
        pq.write_table(t, path)
    for path in (out / "cells").rglob("part-*.parquet"):
        t = pq.read_table(path)
        pq.write_table(t.filter(pc.invert(pc.starts_with(t.column("field"), "legacy."))), path)


def test_reparse_fills_legacy_figures_without_network(collected: tuple[Path, dict[str, Any]], sim: Any,
                                                      tmp_path: Path) -> None:
    """A dataset stored before the legacy reader existed gets its 2008–2018 figures from raw/, no HTTP."""
    import duckdb

    src, _ = collected
    out = tmp_path / "out"
    shutil.copytree(src, out)
    _downgrade_to_parser_1_0(out)
    legacy_truth = [t for t in sim.truth if t["record"]["format_version"] == "legacy"]
    assert len(verify(out, legacy_truth).mismatches) >= 50  # the old dataset lacks them (all null)
    sim.reset_log()
    summary = reparse_flow(out=str(out), years=list(range(2008, 2019)), batch_size=4)
    assert sim.requests() == []  # no HTTP at all
    v = verify(out, legacy_truth)
    assert v.found == 11 and not v.mismatches, v.mismatches[:10]
    assert (summary["totals"]["legacy_with_figures"], summary["totals"]["legacy_without_figures"]) == (10, 1)
    q = f"""SELECT count(*) FROM read_parquet('{out}/cells/**/*.parquet', hive_partitioning=true, union_by_name=true)
            WHERE field = 'legacy.proactive_items_total' AND value_raw IS NOT NULL AND location IS NOT NULL"""
    assert duckdb.sql(q).fetchall()[0][0] >= 9
    assert verify(out, sim.truth).ok  # the other years untouched by the filter, all still right


def test_reparse_filters(collected: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    src, _ = collected
    out = tmp_path / "out"
    shutil.copytree(src, out)
    summary = reparse_flow(out=str(out), years=[2021], portal_ids=["sim-trs"], compact=False)
    assert [p["portal_id"] for p in summary["portals"]] == ["sim-trs"]
    n = sum(1 for r in _table(out, "reports") if r["report_year"] == 2021 and r["portal_id"] == "sim-trs")
    assert summary["totals"]["records"] == n > 0


def test_deployment_file_entrypoints_load() -> None:
    """Every entry point of deployments/prefect.yaml names a flow (the deploy test checks the server side)."""
    from prefect.flows import load_flow_from_entrypoint

    root = Path(__file__).resolve().parents[1]
    spec = yaml.safe_load((root / "deployments" / "prefect.yaml").read_text("utf-8"))
    cwd = os.getcwd()
    os.chdir(root)
    try:
        names = {load_flow_from_entrypoint(d["entrypoint"]).name for d in spec["deployments"]}
    finally:
        os.chdir(cwd)
    assert names == {"xxgk-collect", "xxgk-backfill", "xxgk-reparse"}


def test_damaged_file_is_set_aside_and_its_rows_restored(collected: tuple[Path, dict[str, Any]], sim: Any,
                                                         tmp_path: Path) -> None:
    """A truncated part file no longer breaks every later run: the next run quarantines it, says so,
    and re-processes the raw documents so the rows it held come back."""
    src, _ = collected
    out = tmp_path / "out"
    shutil.copytree(src, out)
    victim = next((out / "reports" / "report_year=2021").glob("part-*.parquet"))
    victim.write_bytes(victim.read_bytes()[:100])
    sim.reset_log()
    summary = _run(collect_flow, years=[2021], portals_file=str(sim.portals_path), out=str(out))
    assert summary["ok"] and any("_quarantine" in n and victim.name in n for n in summary["notes"])
    assert (out / "_quarantine" / victim.relative_to(out)).is_file()
    assert not [r for r in sim.requests() if r.status == 200 and r.path != "/robots.txt"]  # from raw/, not the network
    assert verify(out, sim.truth).ok


def test_full_disk_fails_the_run_in_one_line(collected: tuple[Path, dict[str, Any]], sim: Any,
                                             tmp_path: Path) -> None:
    """A disk that fills during the run fails it (it used to exit 0 having written nothing),
    with "No space left on device"; no half-written report is visible."""
    from tests.test_store_faults import _assert_consistent, _leave_free, _tmpfs

    src, _ = collected
    with _tmpfs(tmp_path / "fs", size="3m") as mounted:
        out = tmp_path / "fs" / "out"
        hook = None
        if mounted:
            _leave_free(tmp_path / "fs", tmp_path / "fs" / "filler", 256 * 1024)
        else:  # no tmpfs without root: the store's fault point raises ENOSPC on the first staged file
            import errno

            from collector.store import faults

            def hook(name: str) -> None:
                if name == "stage":
                    raise OSError(errno.ENOSPC, "No space left on device")

            faults.FAULT_HOOK = hook
        try:
            with pytest.raises(RunFailed) as err:
                _run(backfill_flow, start=YEARS[0], end=YEARS[1], portals_file=str(sim.portals_path), out=str(out))
        finally:
            if hook is not None:
                faults.FAULT_HOOK = None
        msg = str(err.value)
        assert "No space left on device" in msg and "\n" not in msg
        assert err.value.summary["fatal"] == msg
        (tmp_path / "fs" / "filler").unlink(missing_ok=True)
        from collector.store.dataset import Dataset

        _assert_consistent(out, Dataset(out))
    assert src.exists()


def test_failed_write_counts_the_fetch_and_notes_the_batch(prefect_api: Any, sim: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """One task per portal batch fetches, then writes: when the write fails (here a bug in one
    portal's parse path), the task fails, the fetched pages still count, the run says which batch
    failed and the other portal's batches are written; a transient cause is retried, this one not."""
    import pickle

    from collector import FetchedBatch, WriteFailed, stages

    vsb, trs = (next(p for p in sim.portals if p.id == i) for i in ("sim-vsb", "sim-trs"))
    cfg = tmp_path / "portals.yaml"
    cfg.write_text(portals_to_yaml([vsb, trs]), "utf-8")
    real, calls = stages.write, []

    def write(ws: Any, batch: Any) -> Any:
        calls.append(batch.portal_id)
        if batch.portal_id == "sim-vsb":
            raise RuntimeError("parser bug")
        return real(ws, batch)

    monkeypatch.setattr(stages, "write", write)
    summary = _run(collect_flow, years=[2022, 2023], portals_file=str(cfg), out=str(tmp_path / "out"))
    by = {p["portal_id"]: p for p in summary["portals"]}
    assert summary["ok"] and by["sim-trs"]["records"] > 0
    assert by["sim-vsb"]["records"] == 0 and by["sim-vsb"]["found"] > 0
    assert sum(by["sim-vsb"][k] for k in ("new", "updated", "unchanged", "failed", "blocked")) == by["sim-vsb"]["found"]
    assert any("a write batch failed: RuntimeError: parser bug" in n for n in summary["notes"]), summary["notes"]
    assert calls.count("sim-vsb") == -(-by["sim-vsb"]["found"] // 25)  # not retried: one call per batch

    err = WriteFailed(FetchedBatch("p", [], {"new": 1}), TimeoutError("slow"))
    back = pickle.loads(pickle.dumps(err))  # crosses processes on Dask
    assert back.fetched.reports == {"new": 1} and str(back) == "TimeoutError: slow" and not back.transient
    import sqlite3

    assert WriteFailed(back.fetched, sqlite3.OperationalError("database is locked")).transient


def test_slow_seed_costs_one_url_budget_across_task_retries(prefect_api: Any, tmp_path: Path) -> None:
    """A listing page that drips 1 byte at a time: the fetcher gives up when the URL's budget is
    spent, and the Prefect task does not try it again (it used to: 4 attempts x 3 task runs)."""
    from tests.test_fetch_hostile import Server, drip

    srv = Server({"/zfxxgknb/": drip})
    cfg = tmp_path / "portals.yaml"
    cfg.write_text(yaml.safe_dump({"portals": [{"id": "drip", "name": "慢门户", "start_urls": [srv.base + "/zfxxgknb/"],
                                                "allowed_domains": ["127.0.0.1"]}]}, allow_unicode=True), "utf-8")
    fetch = {**FAST, "total_timeout": 1.0, "read_timeout": 1.0, "retries": 3, "url_budget": 2.5,
             "obey_robots": False, "scheme_fallback": False}
    try:
        t0 = time.monotonic()
        with pytest.raises(RunFailed) as err:
            collect_flow(portals_file=str(cfg), out=str(tmp_path / "out"), years=[2023], allow_loopback=True,
                         polite=False, fetch=fetch)
        took = time.monotonic() - t0
        hits = srv.hits("/zfxxgknb/")
    finally:
        srv.close()
    portal = err.value.summary["portals"][0]
    assert portal["error_code"] == "url_budget", portal
    assert hits <= 3, hits  # one budget, not 4 attempts x 3 task runs
    assert took < 30, took


@pytest.fixture(scope="module")
def s3() -> Any:
    from tests.s3server import moto_s3

    with moto_s3() as server:
        yield server


def test_backfill_on_s3_equals_the_local_run_and_a_rerun_adds_nothing(collected: tuple[Path, dict[str, Any]],
                                                                       sim: Any, s3: Any) -> None:
    """The same backfill into a bucket (moto's S3 server): raw bytes, crawl state and dataset all in
    the bucket; the same rows as on a local disk; a second run fetches and writes nothing."""
    from collector.store.dataset import Dataset

    root = s3.bucket()
    years = list(range(2020, 2024))  # a legacy-free slice: the S3 round trips cost CI time
    truth = [t for t in sim.truth if int(t["record"]["report_year"]) in years]
    summary = _run(backfill_flow, start=years[0], end=years[-1], portals_file=str(sim.portals_path), out=root,
                   batch_size=5)
    assert summary["ok"] and summary["totals"]["records"] == len(truth) > 10
    v = verify(root, truth)
    assert v.found == v.expected == len(truth) and not v.missing and not v.extra and not v.mismatches
    cols = ["report_id", "report_year", "s3__new_received__total", "parse_status"]
    remote = Dataset(root, repair=False).read("reports", columns=cols).sort_by("report_id").to_pylist()
    local = Dataset(collected[0], repair=False).read("reports", columns=cols).sort_by("report_id").to_pylist()
    assert remote == [r for r in local if r["report_year"] in years]
    prefix = root.split("/", 3)[3]
    keys = s3.keys(root)
    assert any(k.startswith(f"{prefix}/raw/") for k in keys)
    assert any(k.startswith(f"{prefix}/state/fetches/portal=sim-trs/") for k in keys)  # the state is in the root
    assert summary["dataset"]["html"] == f"{root}/summary.html" and f"{prefix}/summary.html" in keys

    tables = ("reports/", "cells/", "findings/", "documents/")
    before = {k: e for k, e in keys.items() if k[len(prefix) + 1:].startswith(tables)}
    again = _run(collect_flow, portals_file=str(sim.portals_path), out=root, years=years)
    t = again["totals"]
    assert t["new"] == t["updated"] == t["records"] == 0 and again["rows_written"] == 0
    assert t["unchanged"] == len(truth)
    after = {k: e for k, e in s3.keys(root).items() if k[len(prefix) + 1:].startswith(tables)}
    assert after == before
