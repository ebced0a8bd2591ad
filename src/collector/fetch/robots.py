"""robots.txt, fetched once per origin per run and obeyed by default (protego).

RFC 9309 §2.3.1: a 4xx robots.txt means no restrictions; a 5xx means the site is
"unreachable" and everything is disallowed until it answers. §2.5: a crawler parses at least
the first 500 KiB; a longer file is cut there (at the last whole line), not refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from protego import Protego

from collector.errors import RobotsDisallowed

ROBOTS_MAX_BYTES = 500 * 1024

# (origin) -> (status, body) ; raises FetchError for transport problems
RobotsGetter = Callable[[str], Awaitable[tuple[int, bytes]]]


def robots_text(body: bytes) -> str:
    """The parsed part of a robots.txt: its first 500 KiB, without a line the cut broke."""
    if len(body) >= ROBOTS_MAX_BYTES:
        body = body[:ROBOTS_MAX_BYTES]
        body = body[: body.rfind(b"\n") + 1]
    return body.decode("utf-8", "replace")


class RobotsCache:
    def __init__(self, token: str) -> None:
        self.token = token
        self._rules: dict[str, Protego | None | bool] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @staticmethod
    def origin(url: str) -> str:
        p = urlsplit(url)
        return f"{p.scheme}://{p.netloc}"

    async def check(self, url: str, getter: RobotsGetter) -> None:
        """Raise :class:`RobotsDisallowed` when robots.txt forbids ``url``."""
        origin = self.origin(url)
        if origin not in self._rules:
            async with self._locks.setdefault(origin, asyncio.Lock()):  # one robots.txt fetch per origin
                if origin not in self._rules:
                    status, body = await getter(origin + "/robots.txt")
                    if 200 <= status < 300:
                        self._rules[origin] = Protego.parse(robots_text(body))
                    elif 400 <= status < 500:
                        self._rules[origin] = None
                    else:
                        self._rules[origin] = False
        rules = self._rules[origin]
        if rules is False:
            raise RobotsDisallowed(f"robots.txt of {origin} unreachable (server error): crawling not allowed")
        if rules is not None and not rules.can_fetch(url, self.token):
            raise RobotsDisallowed(f"robots.txt disallows {url}")

    def crawl_delay(self, url: str) -> float | None:
        rules = self._rules.get(self.origin(url))
        if isinstance(rules, Protego):
            d = rules.crawl_delay(self.token)
            return float(d) if d else None
        return None
