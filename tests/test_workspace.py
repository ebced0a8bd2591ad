"""One composition: the import graph, the one sink (same counts from every path), one fetcher per portal per run."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from collector import RunContext, Workspace, stages
from collector.crawl import FetchedRef, process_refs
from collector.discover import Candidate
from collector.fetch import FetchSettings
from collector.sim import run_simulator
from collector.store.dataset import Dataset
from tests.reportgen import make_record, render_html

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "collector"


# -- the import graph ----------------------------------------------------------------------------------


def _imports(path: Path, package: str) -> set[str]:
    """Modules ``path`` imports (absolute names; relative imports resolved against ``package``)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def _module(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_import_cycles_in_extract() -> None:
    mods = {_module(p): p for p in (SRC / "extract").rglob("*.py")}
    graph = {m: {i for i in _imports(p, m if p.name == "__init__.py" else m.rsplit(".", 1)[0]) if i in mods and i != m}
             for m, p in mods.items()}
    # the package __init__ re-exports its modules; a module importing the package is what would cycle
    seen: dict[str, int] = {}
    cycle: list[str] = []

    def visit(m: str, stack: list[str]) -> None:
        seen[m] = 1
        for n in graph[m]:
            if seen.get(n) == 1 and not cycle:
                cycle.extend(stack[stack.index(n):] + [n])
            elif n not in seen:
                visit(n, [*stack, n])
        seen[m] = 2

    for m in graph:
        if m not in seen:
            visit(m, [m])
    assert not cycle, " -> ".join(cycle)
    assert "collector.extract.pdf" not in graph["collector.extract.ocr"]  # the geometry they share is its own module


def test_flows_import_only_the_public_api() -> None:
    """Flows hold no logic beyond task calls: from the library they import ``collector`` and nothing deeper."""
    deep = {}
    for p in (ROOT / "flows").glob("*.py"):
        found = sorted(i for i in _imports(p, "flows") if i.startswith("collector.")
                       and not (i.count(".") == 1 and p.name != "env.py"))
        # ``from collector import X`` shows up as ``collector.X``: allowed when X is a public name
        import collector

        found = [i for i in found if i.split(".", 1)[1] not in collector.__all__]
        if found:
            deep[p.name] = found
    assert not deep, deep


def test_flow_bodies_are_task_calls() -> None:
    """A flow's body has no loops over data but the batching, no try/except, no arithmetic."""
    for name in ("collect.py", "reparse.py"):
        tree = ast.parse((ROOT / "flows" / name).read_text("utf-8"))
        fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
        body = [n for stmt in fn.body for n in ast.walk(stmt)]
        assert not any(isinstance(n, ast.Try | ast.While | ast.BinOp | ast.AugAssign) for n in body), name
        assert sum(isinstance(n, ast.stmt) for n in body) <= 22, name


# -- the one sink --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("docs")
    recs = [make_record("gb2021", 2023, seed=1), make_record("gb2019", 2020, seed=2, blanks=0.5),
            make_record("gb2021", 2022, seed=3, agency="测试县教育局")]
    recs[2]["s3"]["new_received"]["total"] += 7  # a sum that does not add up: a rule 1 error
    paths = []
    for i, rec in enumerate(recs):
        p = d / f"report{i}.html"
        p.write_bytes(render_html(rec))
        paths.append(p)
    junk = d / "junk.bin"
    junk.write_bytes(b"\x00\x01 not a document")
    return [*paths, junk]


def _stored_findings(root: Path) -> Counter[str]:
    t = Dataset(root, repair=False).read("findings", columns=["rule", "severity", "scope"]).to_pylist()
    return Counter(f"rule {f['rule']} {f['severity']}" for f in t if f["scope"] == "record")


def _refs(ws: Workspace, files: list[Path]) -> list[FetchedRef]:
    refs = []
    for f in files:
        sha, rel = ws.raw.store(f.read_bytes())
        cand = Candidate(url=f"https://example.gov.cn/{f.name}", title=f.stem, year=None,
                         listing_url="https://example.gov.cn/", cms_family="generic", portal_id="p")
        refs.append(FetchedRef(url=cand.url, candidate=cand, kind="page", status="new", sha256=sha, raw_path=rel,
                               http_status=200, encoding="utf-8", fetched_at="2024-02-01T00:00:00+00:00"))
    return refs


def test_one_sink_same_counts_from_parse_crawl_and_reparse(documents: list[Path], tmp_path: Path) -> None:
    from collector.cli import app

    # xxgk parse --out
    parsed = tmp_path / "parsed"
    r = CliRunner().invoke(app, ["parse", *map(str, documents), "--out", str(parsed)])
    assert r.exit_code == 1, r.output  # the junk file failed; the rest were stored
    # the crawl's sink (the write task): the same bytes as fetched references
    crawled = tmp_path / "crawled"
    with Workspace(RunContext.build(crawled)) as ws:
        crawl = process_refs(_refs(ws, documents), ws)
    # reparse (the reparse flow's stages) over the crawled dataset
    with Workspace(RunContext.build(crawled)) as ws:
        again = stages.reparse(ws, stages.plan_reparse(ws))

    stored = _stored_findings(crawled)
    assert stored == _stored_findings(parsed) and stored["rule 1 error"] >= 1
    assert crawl.records == again.records == 3 == pq.read_table(parsed / "reports").num_rows
    assert crawl.document_errors == again.document_errors == 1
    assert Counter(crawl.findings) == Counter(again.findings) == stored  # counted on the way, equal to what is stored
    for table in ("reports", "cells", "findings"):
        assert crawl.rows_written[table] == again.rows[table] > 0
    assert [f["reason"] for f in crawl.failures] == [f["reason"] for f in again.failures] == ["unsupported_format"]


def test_run_id_on_every_row(documents: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Workspace(RunContext.build(out, run_id="run-1")) as ws:
        process_refs(_refs(ws, documents[:2]), ws)
    with Workspace(RunContext.build(out, run_id="run-2")) as ws:
        process_refs(_refs(ws, documents[2:]), ws)
    ds = Dataset(out, repair=False)
    ids = {}
    for table in ("reports", "cells", "findings", "documents"):
        t = ds.read(table).to_pylist()
        assert t and all(row["run_id"] in ("run-1", "run-2") for row in t), table
        ids[table] = Counter(row["run_id"] for row in t)
    assert set(ids["reports"]) == set(ids["documents"]) == {"run-1", "run-2"}
    assert ids["reports"]["run-1"] == 2 and ids["documents"]["run-2"] == 2


# -- one fetcher per portal per run ---------------------------------------------------------------------


def test_one_fetcher_per_portal_for_the_whole_run(tmp_path: Path) -> None:
    with run_simulator(seed=21, scale=1, formats=set()) as sim:
        portal = next(p for p in sim.portals if p.id == "sim-trs")
        ctx = RunContext.build(tmp_path, years="2019-2023", portals=[portal], fetch=FetchSettings.for_tests(),
                               batch_size=4)
        sim.reset_log()
        ws = Workspace.for_run(ctx)
        try:
            assert Workspace.for_run(ctx) is ws  # the tasks of a run share it
            d = stages.discover(ws, portal)
            batches = stages.chunks(d.candidates, ctx.batch_size)
            assert len(batches) >= 3
            for b in batches:
                stages.fetch(ws, portal, b)
            assert list(ws._fetchers) == [portal.id]
            # robots.txt is read once per run, not once per batch: the fetcher (and its caches) lived on
            assert len(sim.requests("/robots.txt")) == 1
        finally:
            stages.finish(ws)
        assert ws.closed and Workspace.for_run(ctx) is not ws


def test_run_context_validated_once(tmp_path: Path) -> None:
    from collector.errors import ConfigError

    ctx = RunContext.build(tmp_path, years="2021-2022", allow_loopback=True, polite=False, batch_size=3)
    assert ctx.years == (2021, 2022) and ctx.fetch.allow_loopback and not ctx.fetch.polite and ctx.run_id
    with pytest.raises(ConfigError):
        RunContext.build(tmp_path, years="2022-2019")
    with pytest.raises(ConfigError):
        RunContext.build(tmp_path, fetch={"retries": 99})
    with pytest.raises(ConfigError):
        RunContext.build(tmp_path, batch_size=0)

