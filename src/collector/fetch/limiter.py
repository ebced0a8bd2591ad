"""Per-host politeness: a concurrency cap and a minimum spacing between request starts.

A 429's ``Retry-After`` defers the whole host, not just the URL that got it: the other
requests queued for that host would otherwise walk into the same limit.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class HostLimiter:
    def __init__(self, concurrency: int, interval: float, jitter: float = 0.5) -> None:
        self._sem = asyncio.Semaphore(max(1, concurrency))
        self._lock = asyncio.Lock()
        self.interval = max(0.0, interval)
        self.jitter = jitter
        self._next = 0.0

    def defer(self, seconds: float) -> None:
        """No request to this host starts before ``seconds`` from now."""
        self._next = max(self._next, time.monotonic() + max(0.0, seconds))

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._sem:
            async with self._lock:
                wait = self._next - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if self.interval:
                    gap = self.interval * random.uniform(1.0, 1.0 + self.jitter)
                    self._next = time.monotonic() + gap
            yield
