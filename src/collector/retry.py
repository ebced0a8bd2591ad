"""The one retry policy: which failures are worth another attempt, and how often a task tries again.

"Transient" is defined once, on the error classes (:func:`collector.errors.is_transient`: timeouts,
dropped connections, 429 and the 5xx that are not a verdict, a busy crawl-state file). The
fetcher retries those itself within a URL's time budget (``FetchSettings.url_budget``, charged
across every attempt of both layers and kept in the crawl state); a stage raises them only when
its caller will try again, and the Prefect tasks retry on exactly this policy — never a refusal,
a bug, or a URL whose budget is spent (:class:`collector.errors.UrlBudgetSpent` is not transient).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from collector.errors import ConfigError, is_transient

DEFAULT_TASK_DELAYS = (10.0, 60.0)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Waits between the attempts of a retried task (the fetcher already retried each URL)."""

    task_delays: tuple[float, ...] = DEFAULT_TASK_DELAYS

    @staticmethod
    def retry(exc: BaseException) -> bool:
        """Worth another attempt (the one definition, :func:`collector.errors.is_transient`)."""
        return is_transient(exc)

    def attempts_left(self, run_count: int) -> bool:
        """After attempt ``run_count`` (1-based) failed, will there be another?"""
        return run_count <= len(self.task_delays)

    @classmethod
    def from_env(cls, name: str = "XXGK_RETRY_DELAYS") -> RetryPolicy:
        """``XXGK_RETRY_DELAYS=10,60`` (seconds between task attempts; tests shorten them)."""
        raw = os.environ.get(name)
        if raw is None:
            return cls()
        try:
            return cls(tuple(float(x) for x in raw.split(",") if x.strip()))
        except ValueError:
            raise ConfigError(f"{name} must be comma-separated seconds, e.g. 10,60") from None


__all__ = ["DEFAULT_TASK_DELAYS", "RetryPolicy"]
