"""xxgk-collector: China's government information-disclosure annual reports as a standard dataset.

Public API (flows and users import from here; everything else is private):

* :func:`process_document` / :func:`process_candidate` — bytes -> validated record (or a recorded failure)
* :func:`bytes_to_document`, :func:`document_to_record`, :func:`validate_record` — the pure stages
* :class:`Dataset` — the Parquet dataset (reports, cells, findings, documents)
* :func:`discover_portal`, :func:`fetch_candidates`, :func:`process_refs`, :func:`collect` — the crawl stages
  (:func:`prepare_output` repairs the output root before a run)
* :func:`is_transient` — the retry policy: which errors are worth another attempt
* :func:`summarise`, :func:`write_html`, :func:`summary_markdown`, :func:`run_markdown` — the dataset summary
  and a run's report

Every name loads on first use, so importing a submodule (``collector.crawl``, ``collector.pipeline``)
costs only what that submodule imports.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names as the type checker sees them; at run time each loads on first use
    from collector.config import Portal, load_portals
    from collector.crawl import collect, discover_portal, fetch_candidates, prepare_output, process_refs
    from collector.errors import is_transient
    from collector.extract import bytes_to_document
    from collector.parse.record import PARSER_VERSION, document_to_record
    from collector.pipeline import Outcome, SourceContext, process_candidate, process_document
    from collector.schema import schema_version
    from collector.store.dataset import Dataset
    from collector.summary import DatasetSummary, run_markdown, summarise, summary_markdown, write_html
    from collector.validate import validate_dataset, validate_record

__version__ = "0.1.0"

# Every public name is loaded on first use (PEP 562): ``import collector.crawl`` must not pay for
# pyarrow.dataset, pandas, DuckDB or Altair (a crawl needs none of them; issue #13).
_LAZY = {
    "Portal": "collector.config", "load_portals": "collector.config",
    "collect": "collector.crawl", "discover_portal": "collector.crawl", "fetch_candidates": "collector.crawl",
    "prepare_output": "collector.crawl", "process_refs": "collector.crawl",
    "is_transient": "collector.errors",
    "bytes_to_document": "collector.extract",
    "PARSER_VERSION": "collector.parse.record", "document_to_record": "collector.parse.record",
    "Outcome": "collector.pipeline", "SourceContext": "collector.pipeline",
    "process_candidate": "collector.pipeline", "process_document": "collector.pipeline",
    "schema_version": "collector.schema",
    "Dataset": "collector.store.dataset",
    "validate_dataset": "collector.validate", "validate_record": "collector.validate",
    "summarise": "collector.summary", "write_html": "collector.summary", "summary_markdown": "collector.summary",
    "run_markdown": "collector.summary", "DatasetSummary": "collector.summary",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value  # cache: the next access is a plain module attribute
        return value
    raise AttributeError(f"module 'collector' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "PARSER_VERSION",
    "Dataset",
    "DatasetSummary",
    "Portal",
    "collect",
    "discover_portal",
    "fetch_candidates",
    "is_transient",
    "load_portals",
    "prepare_output",
    "process_refs",
    "Outcome",
    "SourceContext",
    "bytes_to_document",
    "document_to_record",
    "process_candidate",
    "process_document",
    "run_markdown",
    "schema_version",
    "summarise",
    "summary_markdown",
    "validate_dataset",
    "validate_record",
    "write_html",
]
