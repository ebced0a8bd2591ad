"""The HTTP client of the crawler: one ``httpx.AsyncClient`` behind every safety and politeness rule.

Why each rule (portals.md §6): retries with exponential backoff and jitter ride out the flaky
connections of small portals; ``Retry-After`` on 429/503 is honoured (and defers the host);
anti-bot answers (412/521 JS-cookie challenges, WZWS redirects) are *recorded*, never retried in
a loop, and a host that keeps answering them is skipped; redirects are followed by hand so every
hop passes the allow-list, address and robots checks; https that does not answer falls back to
http (and back); conditional GET makes a re-run cheap; bodies are streamed under a size cap.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

import httpx

from collector.config import Rate
from collector.errors import (
    RETRY_STATUS,
    Blocked,
    FetchError,
    FetchTimeout,
    HttpStatusError,
    TooLarge,
    TooManyRedirects,
    TransportError,
    UrlBudgetSpent,
)
from collector.fetch.limiter import HostLimiter
from collector.fetch.robots import ROBOTS_MAX_BYTES, RobotsCache
from collector.fetch.safety import AddressGuard, check_url_allowed, pinned_transport
from collector.fetch.settings import ROBOTS_TOKEN, FetchSettings

REDIRECTS = {301, 302, 303, 307, 308}
CHALLENGE_STATUS = {412, 521}
_HIGH_BYTES = bytes(range(0x80, 0x100))
_CHALLENGE_MARKERS = (b"$_ts", b"__jsl_clearance", b"wzwschallenge", b"_waf_", b"document.cookie", b"acw_sc__v2")


@dataclass(slots=True)
class Response:
    """A final answer: 2xx with a body, or 304 (``not_modified``) without one."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes = b""
    redirects: list[str] = field(default_factory=list)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


@dataclass(slots=True)
class FetchStats:
    requests: int = 0
    bytes: int = 0
    retries: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    fallbacks: int = 0


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, dt.timestamp() - (now if now is not None else time.time()))


def looks_like_challenge(status: int, headers: dict[str, str], body: bytes) -> bool:
    """412/521 (瑞数, 加速乐), or a small script-only page that sets a cookie (WZWS, WAFs)."""
    if status in CHALLENGE_STATUS:
        return True
    if "wzwschallenge" in headers.get("location", ""):
        return True
    if status in (200, 202, 403, 405, 503) and len(body) < 30_000 and b"<table" not in body.lower():
        # a challenge page is script, not text: some WAFs inject their script into real pages too
        if len(body) - len(body.translate(None, _HIGH_BYTES)) > 150:  # bytes >= 0x80, counted in C
            return False
        return any(m in body for m in _CHALLENGE_MARKERS[:4]) or (
            b"document.cookie" in body and b"location" in body and len(body) < 6000)
    return False


class Budget:
    """The seconds one URL may still cost: every attempt, redirect hop and backoff wait is charged
    (waiting for a politeness slot is not: that is other URLs' time)."""

    __slots__ = ("spent", "total")

    def __init__(self, total: float) -> None:
        self.total = total
        self.spent = 0.0

    def remaining(self) -> float:
        return self.total - self.spent

    def spent_error(self, url: str, last: FetchError | None = None) -> UrlBudgetSpent:
        why = f" (last attempt: {last})" if last is not None else ""
        return UrlBudgetSpent(f"{url} used up its time budget of {self.total:.0f}s{why}")


def swap_scheme(url: str) -> str:
    p = urlsplit(url)
    return urlunsplit(("http" if p.scheme == "https" else "https", p.netloc, p.path, p.query, p.fragment))


class Hosts:
    """What a run knows about each host, whichever portal's fetcher asks: its politeness slots
    and rate, robots.txt, resolved addresses, https/http preference and anti-bot streak.
    The fetchers of one run (one per portal) share it, so two portals on one host are polite
    together and its robots.txt is read once."""

    def __init__(self, settings: FetchSettings) -> None:
        self.limiters: dict[str, HostLimiter] = {}
        self.rates: dict[str, Rate] = {}
        self.guard = AddressGuard(settings.allow_loopback)
        self.robots = RobotsCache(ROBOTS_TOKEN)
        self.scheme_pref: dict[str, str] = {}
        self.blocked_streak: Counter[str] = Counter()


class _Cookies(httpx.Cookies):
    """The client's cookie jar, skipping the answers that set no cookie.

    httpx hands every response to ``http.cookiejar`` (two urllib-compatible wrappers and a
    ``urllib.request.Request`` built per response: ~3 % of a crawl's CPU, issue #13), which
    then reads the ``Set-Cookie`` / ``Set-Cookie2`` headers; without them nothing is stored."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers or "set-cookie2" in response.headers:
            super().extract_cookies(response)


class Fetcher:
    """Async fetcher of one portal for a run (``async with Fetcher(...) as f``); ``hosts`` is shared by
    the run's fetchers (default: its own)."""

    def __init__(self, settings: FetchSettings | dict[str, Any] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, hosts: Hosts | None = None) -> None:
        self.settings = FetchSettings.resolve(settings)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self.hosts = hosts or Hosts(self.settings)
        self._limiters = self.hosts.limiters
        self._rates = self.hosts.rates
        self._guard = self.hosts.guard
        self._robots = self.hosts.robots
        self._scheme_pref = self.hosts.scheme_pref
        self._blocked_streak = self.hosts.blocked_streak
        self.stats = FetchStats()

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        limits = httpx.Limits(max_connections=s.max_connections, max_keepalive_connections=s.max_connections)
        self._client = httpx.AsyncClient(
            # connections go to the addresses the guard vetted (no second DNS lookup to rebind)
            transport=self._transport or pinned_transport(self._guard, limits),
            follow_redirects=False,
            timeout=httpx.Timeout(connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout,
                                  pool=s.total_timeout),
            limits=limits,
            headers={"User-Agent": s.user_agent, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
                     "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
            trust_env=False,
            verify=True,
        )
        # the client reads its jar through this attribute (tests/test_fetch.py checks it)
        self._client._cookies = _Cookies(self._client.cookies)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- politeness -------------------------------------------------------------------------------

    def set_rate(self, host: str, rate: Rate) -> None:
        """Register a portal's rate for its hosts (the first registration wins)."""
        self._rates.setdefault(host.lower(), rate)

    def _limiter(self, url: str) -> HostLimiter:
        host = (urlsplit(url).hostname or "").lower()
        lim = self._limiters.get(host)
        if lim is None:
            s = self.settings
            if s.polite:
                rate = self._rates.get(host, Rate())
                interval = 1.0 / rate.requests_per_second if rate.requests_per_second > 0 else 0.0
                delay = self._robots.crawl_delay(url)
                lim = HostLimiter(rate.concurrency, max(interval, delay or 0.0), s.jitter)
            else:
                lim = HostLimiter(s.unpolite_concurrency, 0.0, 0.0)
            self._limiters[host] = lim
        return lim

    # -- public -----------------------------------------------------------------------------------

    async def fetch(self, url: str, *, allowed_domains: list[str], etag: str | None = None,
                    last_modified: str | None = None, max_bytes: int | None = None,
                    budget: float | None = None) -> Response:
        """GET ``url`` under every rule; raise a :class:`FetchError` subclass on failure.

        ``budget``: the seconds this URL may still cost (default ``settings.url_budget``; less
        when earlier attempts — a failed Prefect task — already spent some). The error raised
        carries ``spent``, the seconds this call charged.
        """
        b = Budget(self.settings.url_budget if budget is None else budget)
        try:
            return await self._fetch(urldefrag(url)[0], allowed_domains, etag, last_modified, max_bytes, b)
        except FetchError as exc:
            exc.spent = b.spent  # type: ignore[attr-defined]
            raise

    async def _fetch(self, url: str, allowed_domains: list[str], etag: str | None, last_modified: str | None,
                     max_bytes: int | None, budget: Budget) -> Response:
        if budget.remaining() <= 0:
            raise budget.spent_error(url)
        host = (urlsplit(url).hostname or "").lower()
        if self._blocked_streak[host] >= self.settings.blocked_host_threshold:
            raise Blocked(f"{host} answered {self._blocked_streak[host]} anti-bot challenges; skipped "
                          "(queue it for a browser pass)")
        pref = self._scheme_pref.get(host)
        if pref and urlsplit(url).scheme != pref:
            url = swap_scheme(url)
        cap = max_bytes or self.settings.max_page_bytes
        try:
            resp = await self._fetch_chain(url, allowed_domains, etag, last_modified, cap, budget)
        except (TransportError, FetchTimeout) as first:
            if not self.settings.scheme_fallback or pref or isinstance(first, UrlBudgetSpent):
                raise
            alt = swap_scheme(url)
            try:
                resp = await self._fetch_chain(alt, allowed_domains, etag, last_modified, cap, budget, retries=1)
            except UrlBudgetSpent as spent:
                raise budget.spent_error(url, first) from spent
            except FetchError:
                raise first from None
            self.stats.fallbacks += 1
            self._scheme_pref[host] = urlsplit(alt).scheme
        except Blocked:
            self._blocked_streak[host] += 1
            raise
        self._blocked_streak[host] = 0
        return resp

    # -- internals --------------------------------------------------------------------------------

    async def _check(self, url: str, allowed_domains: list[str], robots: bool = True) -> None:
        host = check_url_allowed(url, allowed_domains)
        await self._guard.check(host, urlsplit(url).port)
        if robots and self.settings.obey_robots:
            await self._robots.check(url, lambda u: self._robots_get(u, allowed_domains))

    async def _robots_get(self, url: str, allowed_domains: list[str]) -> tuple[int, bytes]:
        budget = Budget(self.settings.url_budget)
        for _ in range(self.settings.max_redirects + 1):
            await self._check(url, allowed_domains, robots=False)
            try:
                # RFC 9309 §2.5: parse at least the first 500 KiB; a longer file is cut, not refused
                status, headers, body = await self._request(url, {}, ROBOTS_MAX_BYTES, self.settings.retries,
                                                            budget, raise_status=False, truncate=True)
            except HttpStatusError as exc:
                return exc.status or 500, b""
            if status in REDIRECTS and headers.get("location"):
                url = urljoin(url, headers["location"])
                continue
            return status, body
        return 404, b""

    async def _fetch_chain(self, url: str, allowed_domains: list[str], etag: str | None, last_modified: str | None,
                           cap: int, budget: Budget, retries: int | None = None) -> Response:
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        hops: list[str] = []
        current = url
        for _ in range(self.settings.max_redirects + 1):
            await self._check(current, allowed_domains)
            status, resp_headers, body = await self._request(
                current, headers, cap, self.settings.retries if retries is None else retries, budget)
            if status in REDIRECTS:
                loc = resp_headers.get("location")
                if not loc:
                    raise HttpStatusError(f"HTTP {status} without Location at {current}", status)
                if looks_like_challenge(status, resp_headers, body):
                    raise _with_status(Blocked(f"anti-bot challenge redirect at {current}"), status)
                hops.append(current)
                current = urldefrag(urljoin(current, loc))[0]
                if current in hops:
                    raise TooManyRedirects(f"redirect loop at {current}")
                continue
            return Response(url=url, final_url=current, status=status, headers=resp_headers, body=body, redirects=hops)
        raise TooManyRedirects(f"more than {self.settings.max_redirects} redirects from {url}")

    async def _request(self, url: str, headers: dict[str, str], cap: int, retries: int, budget: Budget,
                       raise_status: bool = True, truncate: bool = False) -> tuple[int, dict[str, str], bytes]:
        """One URL, with retries within ``budget``; returns 2xx/3xx/304 answers, raises for the rest."""
        assert self._client is not None, "use 'async with Fetcher(...)'"
        s = self.settings
        limiter = self._limiter(url)
        attempt = 0
        while True:
            if budget.remaining() <= 0:
                raise budget.spent_error(url)
            try:
                async with limiter.slot():
                    started = time.monotonic()
                    try:
                        async with asyncio.timeout(min(s.total_timeout, budget.remaining())):
                            self.stats.requests += 1
                            status, resp_headers, body = await self._once(url, headers, cap, truncate)
                    finally:
                        budget.spent += time.monotonic() - started
            except (httpx.TimeoutException, TimeoutError) as exc:
                err: FetchError = FetchTimeout(f"timeout fetching {url}: {type(exc).__name__}")
                if budget.remaining() <= 0:
                    raise budget.spent_error(url, err) from None
                delay = None
            except httpx.TransportError as exc:
                err = TransportError(f"{type(exc).__name__} fetching {url}: {exc}")
                delay = None
            else:
                self.stats.statuses[status] += 1
                if looks_like_challenge(status, resp_headers, body):
                    raise _with_status(Blocked(f"anti-bot challenge (HTTP {status}) at {url}"), status)
                if status < 400:
                    return status, resp_headers, body
                if status not in RETRY_STATUS:
                    if not raise_status:
                        return status, resp_headers, body
                    raise HttpStatusError(f"HTTP {status} at {url}", status)
                err = HttpStatusError(f"HTTP {status} at {url}", status)
                delay = retry_after_seconds(resp_headers.get("retry-after"))
                if delay is not None:
                    if delay > s.max_retry_after:
                        raise HttpStatusError(f"HTTP {status} at {url}: Retry-After {delay:.0f}s exceeds the "
                                              f"{s.max_retry_after:.0f}s cap", status)
                    limiter.defer(delay)
            if attempt >= retries:
                raise err
            attempt += 1
            if delay is None:
                base = min(s.backoff_max, s.backoff_base * 2 ** (attempt - 1))
                delay = base / 2 + random.uniform(0, base / 2)
            if delay >= budget.remaining():  # no time left for another attempt after the wait
                raise budget.spent_error(url, err) from None
            self.stats.retries += 1
            budget.spent += delay
            await asyncio.sleep(delay)

    async def _once(self, url: str, headers: dict[str, str], cap: int,
                    truncate: bool = False) -> tuple[int, dict[str, str], bytes]:
        client = self._client
        assert client is not None
        # client.stream() without its context-manager wrapper: the same request, send and close
        r = await client.send(client.build_request("GET", url, headers=headers), stream=True)
        try:
            resp_headers = {k.lower(): v for k, v in r.headers.items()}
            status = r.status_code
            if status >= 300 and status not in CHALLENGE_STATUS and status not in (403, 405, 503):
                return status, resp_headers, b""  # redirects, 304, errors: the body is not needed
            length = resp_headers.get("content-length", "")
            if length.isdigit() and int(length) > cap and not truncate:
                raise TooLarge(f"{url}: Content-Length {length} over the {cap} byte cap")
            chunks: list[bytes] = []
            size = 0
            async for chunk in r.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    if truncate:  # keep the first ``cap`` bytes, stop reading
                        chunks.append(chunk[: len(chunk) - (size - cap)])
                        size = cap
                        break
                    raise TooLarge(f"{url}: body over the {cap} byte cap")
                chunks.append(chunk)
            self.stats.bytes += size
            return status, resp_headers, b"".join(chunks)
        finally:
            await r.aclose()


def _with_status(exc: FetchError, status: int) -> FetchError:
    exc.status = status  # type: ignore[attr-defined]
    return exc


__all__ = ["Budget", "FetchStats", "Fetcher", "Hosts", "Response", "looks_like_challenge", "retry_after_seconds", "swap_scheme"]
