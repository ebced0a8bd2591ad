"""Where the crawler may connect: allowed domains and public addresses only.

Checked before every request and on every redirect hop, so a listing link or a ``Location``
header cannot lead the crawler to a mirror/spam site (portals.md §7) or into the local network
(a redirect to ``169.254.169.254`` or ``127.0.0.1``). ``allow_loopback`` opens loopback only —
for the simulator and tests; every other non-global range stays closed, including the shared
address space 100.64.0.0/10 (``100.100.100.200`` is a cloud metadata service) and IPv4 hidden
in IPv6 (NAT64, 6to4, Teredo, IPv4-compatible).

The connection goes to the address that was checked: :class:`PinnedBackend` is the network
backend of the fetcher's connection pool, and connects to the addresses the guard resolved and
vetted for the host, never to a second resolution — so DNS rebinding (a public answer for the
check, ``127.0.0.1`` for the connect) cannot swap them. The TLS handshake still uses the host
name (SNI and certificate checks are unchanged).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from httpcore._utils import is_socket_readable

from collector.config import host_allowed
from collector.errors import OffAllowList, PrivateAddress, TransportError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address routes to (or may): mapped, NAT64, 6to4, Teredo, compatible."""
    out = []
    if ip.ipv4_mapped is not None:
        out.append(ip.ipv4_mapped)
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        out.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        out.append(ip.sixtofour)
    if ip.teredo is not None:
        out.extend(ip.teredo)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # ::a.b.c.d (deprecated IPv4-compatible)
        out.append(ipaddress.IPv4Address(int(ip)))
    return out


def address_refusal(ip: IPAddress, allow_loopback: bool) -> str | None:
    """Why ``ip`` must not be contacted, or None when it is a public (``is_global``) address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if ip.ipv4_mapped is not None:
            return address_refusal(ip.ipv4_mapped, allow_loopback)
        for v4 in embedded:  # a tunnel to a loopback/private IPv4 is refused even with allow_loopback
            reason = address_refusal(v4, False)
            if reason:
                return f"{reason} (inside {ip})"
    if ip.is_loopback:
        return None if allow_loopback else "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_private:
        return "private address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "reserved address"
    if not ip.is_global:  # shared address space 100.64.0.0/10 (carrier NAT, cloud metadata), ...
        return "non-public address"
    return None


def check_url_allowed(url: str, allowed_domains: Iterable[str]) -> str:
    """Raise :class:`OffAllowList` unless the URL is http(s) on an allowed domain; return its host."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise OffAllowList(f"not an http(s) URL: {url}")
    if not host_allowed(host, allowed_domains):
        raise OffAllowList(f"{host} is not in allowed_domains ({url})")
    return host


class AddressGuard:
    """Resolves each host once per run, refuses non-public addresses, and remembers the vetted
    addresses: the fetcher's connections go to exactly those (:class:`PinnedBackend`)."""

    def __init__(self, allow_loopback: bool = False) -> None:
        self.allow_loopback = allow_loopback
        self._cache: dict[str, list[str] | PrivateAddress] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def check(self, host: str, port: int | None = None) -> None:
        await self.addresses(host, port)

    async def addresses(self, host: str, port: int | None = None) -> list[str]:
        """The vetted IP addresses of ``host`` (resolved once); raises :class:`PrivateAddress`."""
        host = host.strip("[]").lower()
        if host not in self._cache:
            async with self._locks.setdefault(host, asyncio.Lock()):
                if host not in self._cache:
                    self._cache[host] = await self._resolve(host, port)
        found = self._cache[host]
        if isinstance(found, PrivateAddress):
            raise PrivateAddress(str(found))
        return found

    async def _resolve(self, host: str, port: int | None) -> list[str] | PrivateAddress:
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            reason = address_refusal(literal, self.allow_loopback)
            return PrivateAddress(f"{host} is a {reason}; refused") if reason else [host]
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port or 80, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise TransportError(f"cannot resolve {host}: {exc}") from None
        vetted: list[str] = []
        for info in infos:
            addr = str(info[4][0])
            reason = address_refusal(ipaddress.ip_address(addr.split("%")[0]), self.allow_loopback)
            if reason:  # one bad answer taints the name: a rebinding service mixes them
                return PrivateAddress(f"{host} resolves to a {reason} ({addr}); refused")
            if addr not in vetted:
                vetted.append(addr)
        if not vetted:
            raise TransportError(f"cannot resolve {host}: no addresses")
        return vetted


class _SocketStream(httpcore.AsyncNetworkStream):
    """A connection's stream that knows its socket.

    httpcore asks every pooled connection, on every request, whether its idle socket turned
    readable (the server closed it); anyio answers each ask by building a dict of its socket's
    attributes, a ``getpeername`` call included: ~4 % of a crawl's CPU (issue #13). The socket
    does not change while the stream lives, so it is looked up once; the answer is the same
    ``is_socket_readable`` check on the same socket."""

    __slots__ = ("_inner", "_sock")

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._sock = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        return _SocketStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if self._sock is not None:  # (a stream without a socket answers for itself)
            if info == "is_readable":
                return is_socket_readable(self._sock)
            if info == "socket":
                return self._sock
        return self._inner.get_extra_info(info)


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that connects to the guard's vetted addresses for a host."""

    def __init__(self, guard: AddressGuard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.guard = guard
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        last: Exception | None = None
        for addr in await self.guard.addresses(host, port):
            try:
                return _SocketStream(await self.inner.connect_tcp(
                    addr, port, timeout=timeout, local_address=local_address, socket_options=socket_options))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc  # the next vetted address of the same host
        assert last is not None
        raise last

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by the crawler")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The verifying TLS context of every fetcher in this process (certifi's CA bundle).

    Building one reads and parses the whole bundle (~60 ms of CPU on the event loop, ~1 MB):
    each fetcher (one per portal) used to build two, so a 16-portal crawl spent 2 s before its
    first request. A context is meant to be shared; it holds no per-connection state."""
    return httpx.create_ssl_context(trust_env=False)


def pinned_transport(guard: AddressGuard, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections go only to addresses ``guard`` vetted."""
    transport = httpx.AsyncHTTPTransport(verify=tls_context(), limits=limits, trust_env=False)
    # httpx builds its httpcore pool without a way to pass a network backend: build the same pool
    # with ours (tests/test_fetch_hostile.py fails if an httpx upgrade changes this).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=tls_context(),
        max_connections=limits.max_connections, max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry, http1=True, http2=False, network_backend=PinnedBackend(guard))
    return transport
