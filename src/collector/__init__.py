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
  and a run's report (loaded on first use: DuckDB and Altair are not needed to parse)
"""

from importlib import import_module
from typing import Any

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
    WrittenBatch,
)
from collector.schema import schema_version
from collector.sink import BatchStats, ParseGroup, store_groups
from collector.stages import chunks, collect
from collector.store.dataset import Dataset
from collector.validate import validate_dataset, validate_record
from collector.workspace import RunContext, Workspace, new_run_id
from collector.years import default_years, parse_years

__version__ = "0.1.0"

_LAZY = {"summarise": "collector.summary", "write_html": "collector.summary", "summary_markdown": "collector.summary",
         "run_markdown": "collector.summary", "DatasetSummary": "collector.summary",
         "run_report_markdown": "collector.summary", "run_table": "collector.summary"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'collector' has no attribute {name!r}")


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
