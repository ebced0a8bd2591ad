"""One-off fetch of a URL given on the command line (``xxgk parse URL``), with the crawler's rules.

The user named the URL, so its own host is the allow-list; redirects elsewhere, private
addresses (unless ``allow_loopback``), robots.txt, the size cap and anti-bot answers are
handled exactly as in a crawl.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

from collector.fetch.client import Fetcher
from collector.fetch.settings import FetchSettings


@dataclass(slots=True)
class FetchOnce:
    url: str
    final_url: str
    status: int
    content: bytes
    content_type: str


def fetch_once(url: str, *, allow_loopback: bool = False, settings: FetchSettings | None = None,
               max_bytes: int | None = None) -> FetchOnce:
    """GET ``url``; raise a :class:`~collector.errors.FetchError` subclass on failure."""
    st = FetchSettings.resolve(settings, allow_loopback=allow_loopback or (settings.allow_loopback
                                                                         if settings else False))
    host = urlsplit(url).hostname or ""

    async def run() -> FetchOnce:
        async with Fetcher(st) as f:
            r = await f.fetch(url, allowed_domains=[host], max_bytes=max_bytes or st.max_attachment_bytes)
            return FetchOnce(url, r.final_url, r.status, r.body, r.content_type)

    return asyncio.run(run())
