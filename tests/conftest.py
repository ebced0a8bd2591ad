"""Shared fixtures. ``../shared`` (real samples, the spec) is optional: tests that need it skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# Task retry delays are read when flows.runtime is first imported, which collection may do from any test
# module (test_deployment_params imports the flows): set them here, before any test module loads.
os.environ.setdefault("XXGK_RETRY_DELAYS", "0.1,0.1")
# the CLI applies flows.env.quiet_env, but in-process CLI tests may run after Prefect was imported by another
# test: give the embedded API the same start-up allowance here (Prefect's 20 s is short on a busy machine)
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("XXGK_SHARED", ROOT.parent / "shared"))
SAMPLES = SHARED / "samples"


@pytest.fixture
def samples_dir() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip("../shared/samples is not present in this checkout")
    return SAMPLES
