"""Fetching: safe, polite, resumable HTTP for the crawler (httpx, async).

:class:`Fetcher` is the only way the crawler touches the network; :func:`decode_page` turns the
bytes it returns into text for the discovery adapters.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collector.fetch.charset import decode_page, normalize_charset
    from collector.fetch.client import (
        Fetcher,
        FetchStats,
        Response,
        looks_like_challenge,
        retry_after_seconds,
    )
    from collector.fetch.safety import AddressGuard, address_refusal, check_url_allowed
    from collector.fetch.settings import CHROME_UA, FetchSettings

# Loaded on first use: the extractors import ``collector.fetch.charset`` (one decoder for crawl and
# parse) and must not pay for httpx, pydantic and the address guard with it (issue #13).
_LAZY = {
    "decode_page": "charset", "normalize_charset": "charset",
    "Fetcher": "client", "FetchStats": "client", "Response": "client", "looks_like_challenge": "client",
    "retry_after_seconds": "client",
    "AddressGuard": "safety", "address_refusal": "safety", "check_url_allowed": "safety",
    "CHROME_UA": "settings", "FetchSettings": "settings",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(f"collector.fetch.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'collector.fetch' has no attribute {name!r}")


__all__ = ["CHROME_UA", "AddressGuard", "FetchSettings", "FetchStats", "Fetcher", "Response", "address_refusal",
           "check_url_allowed", "decode_page", "looks_like_challenge", "normalize_charset", "retry_after_seconds"]
