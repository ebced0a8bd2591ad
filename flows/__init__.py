"""Prefect flows over the collector library: ``collect`` (scheduled), ``backfill``, ``reparse``.

Flows only orchestrate: every fetch, parse and write is a library call wrapped in a coarse task
(per portal, per batch of documents). Importing this package does not import Prefect, so a caller
can apply :func:`flows.env.quiet_env` first; the flows load on first attribute access.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {"collect_flow": "flows.collect", "backfill_flow": "flows.backfill", "reparse_flow": "flows.reparse"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'flows' has no attribute {name!r}")


__all__ = ["backfill_flow", "collect_flow", "reparse_flow"]
