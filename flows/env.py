"""Quiet Prefect defaults, applied before Prefect is imported (its settings and logging are read then).

Kept free of Prefect imports so a CLI can call :func:`quiet_env` first and import the flows after.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

QUIET_ENV = {
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL",  # the caller prints its own summary
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",            # no telemetry attempts (offline machines)
    "PREFECT_SERVER_LOGGING_LEVEL": "ERROR",
    "PREFECT_LOGGING_INTERNAL_LEVEL": "ERROR",
    # the embedded API creates and migrates its database on first start: on a busy 2-core machine that
    # takes longer than Prefect's 20 s default, and `xxgk demo` failed with a timeout
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def quiet_env(environ: MutableMapping[str, str] | None = None) -> None:
    """Default Prefect to quiet: run logs go to the API, not the console; explicit settings win.

    ``PREFECT_LOGGING_LEVEL`` stays INFO when a server is configured (its UI shows the run logs)
    and is WARNING with the embedded API, where nobody would read them.
    """
    env = os.environ if environ is None else environ
    for k, v in QUIET_ENV.items():
        env.setdefault(k, v)
    env.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if env.get("PREFECT_API_URL") else "WARNING")


__all__ = ["QUIET_ENV", "quiet_env"]
