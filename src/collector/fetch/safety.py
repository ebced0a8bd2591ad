"""Where the crawler may connect: allowed domains and public addresses only.

Checked before every request and on every redirect hop, so a listing link or a ``Location``
header cannot lead the crawler to a mirror/spam site (portals.md §7) or into the local network
(a redirect to ``169.254.169.254`` or ``127.0.0.1``). ``allow_loopback`` opens loopback only —
for the simulator and tests; private and link-local ranges stay closed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from collector.config import host_allowed
from collector.errors import OffAllowList, PrivateAddress, TransportError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_refusal(ip: IPAddress, allow_loopback: bool) -> str | None:
    """Why ``ip`` must not be contacted, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_private:
        return "private address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "reserved address"
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
    """Resolves hosts once per run and refuses non-public addresses (cached per host)."""

    def __init__(self, allow_loopback: bool = False) -> None:
        self.allow_loopback = allow_loopback
        self._cache: dict[str, str | None] = {}

    async def check(self, host: str, port: int | None = None) -> None:
        if host not in self._cache:
            self._cache[host] = await self._refusal(host, port)
        reason = self._cache[host]
        if reason:
            raise PrivateAddress(f"{host} resolves to a {reason}; refused")

    async def _refusal(self, host: str, port: int | None) -> str | None:
        try:
            return address_refusal(ipaddress.ip_address(host.strip("[]")), self.allow_loopback)
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port or 80, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise TransportError(f"cannot resolve {host}: {exc}") from None
        for info in infos:
            ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            reason = address_refusal(ip, self.allow_loopback)
            if reason:
                return reason
        return None
