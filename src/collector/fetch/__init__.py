"""Fetching: safe, polite, resumable HTTP for the crawler (httpx, async).

:class:`Fetcher` is the only way the crawler touches the network; :func:`decode_page` turns the
bytes it returns into text for the discovery adapters.
"""

from __future__ import annotations

from collector.fetch.charset import decode_page, normalize_charset
from collector.fetch.client import Fetcher, FetchStats, Response, looks_like_challenge, retry_after_seconds
from collector.fetch.safety import AddressGuard, address_refusal, check_url_allowed
from collector.fetch.settings import CHROME_UA, FetchSettings

__all__ = ["CHROME_UA", "AddressGuard", "FetchSettings", "FetchStats", "Fetcher", "Response", "address_refusal",
           "check_url_allowed", "decode_page", "looks_like_challenge", "normalize_charset", "retry_after_seconds"]
