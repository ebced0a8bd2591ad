"""Import diet (issue #13): each entry point imports what it uses; heavy libraries load on first use.

Checked in a fresh interpreter (``sys.modules`` after the import), since this test process has
imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pandas", "pyarrow", "pyarrow.dataset", "prefect", "duckdb", "altair", "polars", "PIL", "onnxruntime",
         "pdfplumber", "pypdfium2", "docx", "openpyxl")


def _modules_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


# pyarrow itself is allowed where the store is touched: the raw store and crawl state reach their
# root (a directory or an object store URI) through pyarrow.fs (issue #11 part B)
STORE_OK = tuple(m for m in HEAVY if m != "pyarrow")


@pytest.mark.parametrize(("statement", "forbidden"), [
    # the crawler: HTTP, discovery, raw store and crawl state; no Parquet datasets, no dataframes, no Prefect
    ("import collector.crawl", STORE_OK),
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
