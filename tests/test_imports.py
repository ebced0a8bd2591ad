"""Import diet (issue #13): each entry point imports what it uses; heavy libraries load on first use.

Checked in a fresh interpreter (``sys.modules`` after the import), since this test process has
imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HEAVY = ("pandas", "pyarrow", "pyarrow.dataset", "prefect", "duckdb", "altair", "polars", "PIL", "onnxruntime",
         "pdfplumber", "pypdfium2", "docx", "openpyxl")


def _modules_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


# a crawl of a local root: plain file I/O for the raw store and the crawl state's log; pyarrow (and
# the numpy and pandas it loads) only for a URI root or the dataset
CRAWL_FORBIDDEN = (*HEAVY, "numpy", "pyarrow.fs", "pyarrow.parquet")


@pytest.mark.parametrize(("statement", "forbidden"), [
    # the crawler: HTTP, discovery, raw store and crawl state; no Arrow, no dataframes, no Prefect
    ("import collector.crawl", CRAWL_FORBIDDEN),
    # the library's composition (what bench_crawl and ``collect(process=False)`` import)
    ("import collector.stages, collector.workspace", CRAWL_FORBIDDEN),
    # the package itself and its public names' registry
    ("import collector", (*HEAVY, "bs4", "httpx", "lxml")),
    # what a parse worker imports: the parser, no HTTP client, no discovery, no Arrow
    ("import collector.pipeline", (*HEAVY, "httpx", "bs4", "pydantic")),
    # the CLI parses its arguments before importing the command it runs
    ("import collector.cli", (*HEAVY, "httpx", "bs4", "lxml")),
])
def test_entry_point_imports_no_heavy_library(statement: str, forbidden: tuple[str, ...]) -> None:
    loaded = _modules_after(statement)
    assert not loaded & set(forbidden), f"{statement} imports {sorted(loaded & set(forbidden))}"


def test_every_public_name_resolves() -> None:
    import collector
    import collector.discover
    import collector.fetch

    for mod in (collector, collector.fetch, collector.discover):
        for name in mod.__all__:
            assert getattr(mod, name) is not None, f"{mod.__name__}.{name}"
    assert list(collector.discover.CMS_ADAPTERS) == ["trs", "hanweb", "vsb", "generic"]
    with pytest.raises(AttributeError):
        collector.no_such_name  # noqa: B018


def test_discover_walk_is_the_function_whichever_module_loads_first() -> None:
    """The submodule ``collector.discover.walk`` and the function ``walk`` share a name."""
    code = ("import inspect, collector.discover.walk\nfrom collector.discover import walk\n"
            "import collector.discover as d\nprint(inspect.iscoroutinefunction(walk), inspect.isfunction(d.walk))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["True", "True"]


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    from collector.sim import run_simulator

    with run_simulator(seed=31, scale=1, formats=set()) as s:
        yield s


_CRAWL = """
import json, sys
from collector import collect
from collector.config import load_portals
from collector.fetch import FetchSettings
portals = load_portals(sys.argv[1])
runs = [collect(portals, "2019-2023", sys.argv[2], settings=FetchSettings.for_tests(), process=False)
        for _ in range(2)]  # the second run reads the first's crawl state and raw store back
print(json.dumps({"requests": [r.requests for r in runs], "documents": [r.totals()["documents"] for r in runs],
                  "modules": sorted(sys.modules)}))
"""


def _run_against_sim(script: str, sim: Any, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """Run ``script`` (argv: the simulator's portals file, an output root) in a fresh interpreter;
    returns the output root and the JSON the script printed last."""
    from collector.config import portals_to_yaml

    portals = tmp_path / "portals.yaml"
    portals.write_text(portals_to_yaml(sim.portals), "utf-8")
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-c", script, str(portals), str(out)], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return out, json.loads(res.stdout.strip().splitlines()[-1])


def test_a_crawl_of_a_local_root_never_loads_arrow(sim: Any, tmp_path: Path) -> None:
    """A real crawl against the simulator, twice (fetch and store, then resume from the state), in
    a fresh interpreter: what it loaded on the way, not only at import (pyarrow building one array
    loaded pandas: a crawl went from 68 to 160 MB)."""
    out, got = _run_against_sim(_CRAWL, sim, tmp_path)
    assert got["requests"][0] > 10 and min(got["documents"]) > 5, got
    assert list((out / "raw").rglob("*")) and list((out / "state" / "fetches").rglob("*.jsonl.gz"))
    loaded = set(got["modules"]) & set(CRAWL_FORBIDDEN)
    assert not loaded, f"a local crawl loaded {sorted(loaded)}"


_COLLECT = """
import json, sys
from collector import collect
from collector.config import load_portals
from collector.fetch import FetchSettings
report = collect(load_portals(sys.argv[1]), "2019-2023", sys.argv[2], settings=FetchSettings.for_tests())
loaded = sorted(sys.modules)
import pyarrow.dataset as ds
frame = ds.dataset(sys.argv[2] + "/reports", partitioning="hive").to_table().to_pandas()
print(json.dumps({"records": report.totals()["records"], "modules": loaded, "frame_rows": len(frame)}))
"""


def test_a_collect_writes_the_dataset_without_loading_pandas(sim: Any, tmp_path: Path) -> None:
    """pyarrow loads pandas by itself (at ``import pyarrow.dataset`` and on its first array from a
    list): ~0.6 s of CPU and ~45 MB a collect never uses (``collector.store.arrow``). A real collect
    (fetch, parse, write) in a fresh interpreter, then pandas asked for explicitly still works."""
    _, got = _run_against_sim(_COLLECT, sim, tmp_path)
    assert got["records"] > 5 and got["frame_rows"] == got["records"], got
    assert "pyarrow.dataset" in got["modules"] and "pandas" not in got["modules"]
