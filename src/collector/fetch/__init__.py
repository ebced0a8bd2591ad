"""Fetching: safe, polite, resumable HTTP for the crawler (httpx, async).

:class:`Fetcher` is the only way the crawler touches the network. Bytes become text with
:func:`collector.extract.charset.decode_page`, the decoding the extractors use.
"""

from __future__ import annotations

from collector.fetch.client import (
           Fetcher,
           FetchStats,
           Hosts,
           Response,
           looks_like_challenge,
           retry_after_seconds,
)
from collector.fetch.safety import AddressGuard, address_refusal, check_url_allowed
from collector.fetch.settings import CHROME_UA, FetchSettings

__all__ = ["CHROME_UA", "AddressGuard", "FetchSettings", "FetchStats", "Fetcher", "Hosts", "Response", "address_refusal",
           "check_url_allowed", "looks_like_challenge", "retry_after_seconds"]
