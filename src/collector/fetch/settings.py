"""Fetch settings: one frozen dataclass with named defaults and range checks."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

# A current desktop Chrome: portals serve mobile or error pages to unknown agents, and a
# Googlebot UA (spider-gov's default) is the wrong thing to claim (portals.md §6).
CHROME_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/126.0.0.0 Safari/537.36")
ROBOTS_TOKEN = "xxgk-collector"


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """How the fetcher behaves. ``polite=False`` drops per-portal rate limits (simulator, bench)."""

    user_agent: str = CHROME_UA
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 180.0          # one request including the body
    max_page_bytes: int = 20 * 2**20      # report pages
    max_listing_bytes: int = 4 * 2**20    # listing pages (real ones: < 300 KB; parsed whole by discovery)
    max_attachment_bytes: int = 100 * 2**20
    max_redirects: int = 5
    retries: int = 3                      # extra attempts on transport errors, 429 and 5xx
    backoff_base: float = 1.0             # seconds; doubled per attempt, with jitter
    backoff_max: float = 30.0
    max_retry_after: float = 120.0        # a longer Retry-After is not waited for: the URL fails
    obey_robots: bool = True
    allow_loopback: bool = False
    polite: bool = True
    unpolite_concurrency: int = 4         # per host when polite=False (more only adds pool overhead)
    max_connections: int = 32             # whole client
    scheme_fallback: bool = True          # http <-> https on transport failure
    blocked_host_threshold: int = 3       # consecutive anti-bot answers before a host is skipped
    jitter: float = 0.5                   # polite spacing is interval * U(1, 1 + jitter)
    portal_budget: float = 3600.0         # seconds per portal and stage (discovery, fetching)
    # seconds one URL may cost in total: every attempt, redirect and backoff of the fetcher and of
    # the Prefect task retries (a 1 byte/s drip would otherwise hold a portal for 40 minutes)
    url_budget: float = 300.0
    url_budget_window: float = 3600.0     # a failing URL's spent seconds add up for this long

    def __post_init__(self) -> None:
        for f in ("connect_timeout", "read_timeout", "total_timeout"):
            if not 0 < getattr(self, f) <= 3600:
                raise ValueError(f"{f} must be in (0, 3600] seconds")
        if not 0 <= self.retries <= 10:
            raise ValueError("retries must be in [0, 10]")
        if not 0 <= self.max_redirects <= 20:
            raise ValueError("max_redirects must be in [0, 20]")
        if min(self.max_page_bytes, self.max_attachment_bytes, self.max_listing_bytes) < 1024:
            raise ValueError("size caps must be at least 1 KiB")
        if self.backoff_base < 0 or self.backoff_max < 0 or self.max_retry_after < 0 or self.jitter < 0:
            raise ValueError("backoff, retry-after and jitter must be >= 0")
        if not 1 <= self.unpolite_concurrency <= 256 or not 1 <= self.max_connections <= 1024:
            raise ValueError("concurrency limits out of range")
        if self.portal_budget <= 0:
            raise ValueError("portal_budget must be > 0 seconds")
        if not self.connect_timeout <= self.url_budget <= 86_400 or self.url_budget_window <= 0:
            raise ValueError("url_budget must be in [connect_timeout, 86400] seconds, url_budget_window > 0")
        if self.blocked_host_threshold < 1:
            raise ValueError("blocked_host_threshold must be >= 1")

    @classmethod
    def resolve(cls, value: FetchSettings | dict[str, Any] | None = None, **overrides: Any) -> FetchSettings:
        """Accept None, a dict of fields or an instance; keyword overrides win."""
        if value is None:
            base = cls()
        elif isinstance(value, cls):
            base = value
        elif isinstance(value, dict):
            known = {f.name for f in fields(cls)}
            unknown = set(value) - known
            if unknown:
                raise ValueError(f"unknown fetch settings: {sorted(unknown)}")
            base = cls(**value)
        else:
            raise TypeError(f"cannot make FetchSettings from {type(value).__name__}")
        return replace(base, **overrides) if overrides else base

    @classmethod
    def for_tests(cls, **overrides: Any) -> FetchSettings:
        """Fast settings against the simulator: no politeness, short timeouts and backoff."""
        base = dict(polite=False, allow_loopback=True, connect_timeout=2.0, read_timeout=2.0, total_timeout=10.0,
                    backoff_base=0.05, backoff_max=0.2, max_retry_after=5.0, url_budget=30.0)
        base.update(overrides)
        return cls(**base)
