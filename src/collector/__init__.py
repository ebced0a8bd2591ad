"""xxgk-collector: China's government information-disclosure annual reports as a standard dataset.

Public API (flows and users import from here; everything else is private):

* :func:`process_document` / :func:`process_candidate` — bytes -> validated record (or a recorded failure)
* :func:`bytes_to_document`, :func:`document_to_record`, :func:`validate_record` — the pure stages
* :class:`Dataset` — the Parquet dataset (reports, cells, findings, documents)
* :class:`RunContext` (a run's parameters, validated once) and :class:`Workspace` (the output root's
  raw store, crawl state and dataset, one fetcher per portal) — what every stage works in
* :mod:`collector.stages` — the crawl stages over a workspace (``discover``, ``fetch``, ``write``,
  ``reparse``, ``compact``, ``summarise``) and :func:`collect`, their in-process composition; the flows
  wrap the same calls. :func:`discover_portal`, :func:`fetch_candidates`, :func:`process_refs` run one stage
* :func:`store_groups` — the one sink (parse groups -> dataset, stats counted on the way)
* :class:`RunReport` — the one run report (library, flows, CLI)
* :class:`RetryPolicy`, :func:`is_transient` — which errors are worth another attempt
* :func:`summarise`, :func:`write_html`, :func:`summary_markdown`, :func:`run_markdown` — the dataset summary
  and a run's report

Every name loads on first use, so importing a submodule (``collector.crawl``, ``collector.pipeline``)
costs only what that submodule imports (issue #13).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names as the type checker sees them; at run time each loads on first use
    from collector import stages
    from collector.config import Portal, load_portals
    from collector.crawl import FetchedRef, discover_portal, fetch_candidates, process_refs
    from collector.discover import Candidate
    from collector.errors import CollectorError, ConfigError, StoreError, is_transient
    from collector.extract import bytes_to_document
    from collector.parse.record import PARSER_VERSION, document_to_record
    from collector.pipeline import Outcome, SourceContext, process_candidate, process_document
    from collector.retry import RetryPolicy
    from collector.runreport import (
        DatasetReport,
        Discovered,
        FetchedBatch,
        PortalRow,
        RunFailed,
        RunReport,
        Span,
        WriteFailed,
        WrittenBatch,
    )
    from collector.schema import schema_version
    from collector.sink import BatchStats, ParseGroup, store_groups
    from collector.stages import chunks, collect
    from collector.store.dataset import Dataset
    from collector.summary import (
        DatasetSummary,
        run_markdown,
        run_report_markdown,
        run_table,
        summarise,
        summary_markdown,
        write_html,
    )
    from collector.validate import validate_dataset, validate_record
    from collector.workspace import RunContext, Workspace, new_run_id
    from collector.years import default_years, parse_years

__version__ = "0.1.0"

# Every public name is loaded on first use (PEP 562): ``import collector.crawl`` must not pay for
# pyarrow.dataset, pandas, DuckDB or Altair (a crawl needs none of them; issue #13).
_LAZY: dict[str, str] = {
    **dict.fromkeys(['Portal', 'load_portals'], 'collector.config'),
    **dict.fromkeys(['FetchedRef', 'discover_portal', 'fetch_candidates', 'process_refs'], 'collector.crawl'),
    **dict.fromkeys(['Candidate'], 'collector.discover'),
    **dict.fromkeys(['CollectorError', 'ConfigError', 'StoreError', 'is_transient'], 'collector.errors'),
    **dict.fromkeys(['bytes_to_document'], 'collector.extract'),
    **dict.fromkeys(['PARSER_VERSION', 'document_to_record'], 'collector.parse.record'),
    **dict.fromkeys(['Outcome', 'SourceContext', 'process_candidate', 'process_document'], 'collector.pipeline'),
    **dict.fromkeys(['RetryPolicy'], 'collector.retry'),
    **dict.fromkeys(['DatasetReport', 'Discovered', 'FetchedBatch', 'PortalRow', 'RunFailed', 'RunReport', 'Span', 'WriteFailed', 'WrittenBatch'], 'collector.runreport'),
    **dict.fromkeys(['schema_version'], 'collector.schema'),
    **dict.fromkeys(['BatchStats', 'ParseGroup', 'store_groups'], 'collector.sink'),
    **dict.fromkeys(['chunks', 'collect'], 'collector.stages'),
    **dict.fromkeys(['Dataset'], 'collector.store.dataset'),
    **dict.fromkeys(['DatasetSummary', 'run_markdown', 'run_report_markdown', 'run_table', 'summarise', 'summary_markdown', 'write_html'], 'collector.summary'),
    **dict.fromkeys(['validate_dataset', 'validate_record'], 'collector.validate'),
    **dict.fromkeys(['RunContext', 'Workspace', 'new_run_id'], 'collector.workspace'),
    **dict.fromkeys(['default_years', 'parse_years'], 'collector.years'),
}


def __getattr__(name: str) -> Any:
    if name == "stages":  # a submodule in the public API
        return import_module("collector.stages")
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value  # cache: the next access is a plain module attribute
        return value
    raise AttributeError(f"module 'collector' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "PARSER_VERSION",
    "BatchStats",
    "Candidate",
    "CollectorError",
    "ConfigError",
    "Dataset",
    "DatasetReport",
    "DatasetSummary",
    "Discovered",
    "FetchedBatch",
    "FetchedRef",
    "ParseGroup",
    "Portal",
    "PortalRow",
    "RetryPolicy",
    "RunContext",
    "RunFailed",
    "RunReport",
    "Span",
    "StoreError",
    "Workspace",
    "WriteFailed",
    "WrittenBatch",
    "chunks",
    "collect",
    "default_years",
    "discover_portal",
    "fetch_candidates",
    "is_transient",
    "load_portals",
    "new_run_id",
    "parse_years",
    "process_refs",
    "run_report_markdown",
    "run_table",
    "stages",
    "store_groups",
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
