"""Progress events of a run, for an in-process watcher (the ``xxgk`` CLI's progress bars).

The stages emit ``(event, **info)`` — ``discovered``, ``document``, ``fetched``, ``processed``,
``planned`` — and whoever registered a callback with :func:`progress_hook` in this process
receives them (with Prefect's thread-pool runner the tasks run in the caller's process; with a
process-based runner nobody here listens, and nothing is lost but the bars).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

_HOOKS: list[Callable[..., None]] = []


@contextlib.contextmanager
def progress_hook(callback: Callable[..., None]) -> Iterator[None]:
    """Receive ``callback(event, **info)`` from the stages run in this process while the block runs."""
    _HOOKS.append(callback)
    try:
        yield
    finally:
        _HOOKS.remove(callback)


def emit(event: str, **info: Any) -> None:
    """Tell every registered watcher; a watcher's failure never reaches the run."""
    for cb in list(_HOOKS):
        with contextlib.suppress(Exception):
            cb(event, **info)


__all__ = ["emit", "progress_hook"]
