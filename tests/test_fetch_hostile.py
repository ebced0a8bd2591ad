"""Hostile inputs on the crawler side: what a portal, a DNS server or a portal file can throw at it.

The twin of ``test_extract_hostile.py`` (hostile documents): bombs on the wire, tag soup,
addresses that only look public, DNS rebinding, a slow drip, an oversized robots.txt, a YAML
file nested a thousand levels deep. Each is refused or bounded, with its specific error, over
real HTTP to servers started here on 127.0.0.x.
"""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from collector.config import load_portals, parse_portals
from collector.errors import ConfigError, FetchError, PrivateAddress, RobotsDisallowed
from collector.fetch import Fetcher, FetchSettings, address_refusal
from tests.test_fetch import MiniServer, Route

REPORT_TITLE = "某市统计局2023年政府信息公开工作年度报告"


def Server(routes: dict[str, Any], host: str = "127.0.0.1", port: int = 0) -> MiniServer:  # noqa: N802
    """A scripted server: ``(body, headers)`` answers 200, ``(status, headers, body)`` as given, and a
    callable writes its own answer."""
    def route(r: Any) -> Route:
        if callable(r):
            return lambda h, n: r(h)
        return (lambda h, n: r) if len(r) == 3 else (lambda h, n: (200, r[1], r[0]))

    return MiniServer({path: route(r) for path, r in routes.items()}, host, port)


def drip(handler: BaseHTTPRequestHandler, every: float = 0.1, seconds: float = 20.0) -> None:
    """A page that never ends: one byte per ``every`` seconds, no Content-Length."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Connection", "close")
    handler.end_headers()
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(every)
    except OSError:
        pass


def listing(*links: tuple[str, str]) -> bytes:
    items = "".join(f'<li><a href="{href}" title="{title}">{title}</a><span>2024-01-20</span></li>' for href, title in links)
    return f"<html><head><title>政府信息公开年报</title></head><body><ul class='list'>{items}</ul></body></html>".encode()


def _settings(**kw: Any) -> FetchSettings:
    return FetchSettings.for_tests(**{"obey_robots": False, **kw})


def _fetch(url: str, st: FetchSettings, allowed: list[str] | None = None, **kw: Any) -> Any:
    async def run() -> Any:
        async with Fetcher(st) as f:
            return await f.fetch(url, allowed_domains=allowed or ["127.0.0.1"], **kw)

    return asyncio.run(run())


def _portal(base: str, path: str = "/list/") -> Any:
    return parse_portals({"portals": [{"id": "hostile", "name": "恶意门户", "start_urls": [base + path],
                                       "allowed_domains": ["127.0.0.1"], "cms": "generic"}]})[0]


# -- 5: a bomb on the wire, tag soup as a listing ------------------------------------------------------


def test_nul_page_gzip_bomb_is_refused_and_recorded(tmp_path: Path) -> None:
    """19 KB of gzip on the wire, 19 MB of NULs inflated: refused before parsing (the size cap), and
    a smaller one for being NULs; both stored as failed documents, the crawl goes on."""
    def nul_page(n: int) -> bytes:
        return b"<html><body><div class='content'>" + b"\x00" * n + b"</div></body></html>"

    big, small = gzip.compress(nul_page(19_000_000), 9), gzip.compress(nul_page(8_000_000), 9)
    assert len(big) < 40_000
    other = "某县民政局2023年政府信息公开工作年度报告"
    srv = Server({"/list/": (listing(("/nul.html", REPORT_TITLE), ("/nul2.html", other)), {}),
                  "/nul.html": (big, {"Content-Encoding": "gzip"}), "/nul2.html": (small, {"Content-Encoding": "gzip"})})
    try:
        from collector import collect

        summary = collect([_portal(srv.base)], [2023], tmp_path, settings=_settings())
    finally:
        srv.close()
    assert summary.portals[0].found == 2
    from collector.store.dataset import Dataset

    docs = {d["source_url"].rsplit("/", 1)[1]: d for d in Dataset(tmp_path).read("documents").to_pylist()}
    assert (docs["nul.html"]["status"], docs["nul.html"]["error_code"]) == ("failed", "resource_limit")
    assert "byte cap" in docs["nul.html"]["error"] and docs["nul.html"]["size"] == len(nul_page(19_000_000))
    assert (docs["nul2.html"]["status"], docs["nul2.html"]["error_code"]) == ("failed", "corrupt")
    assert "NUL/control" in docs["nul2.html"]["error"]


def test_tag_soup_listing_is_refused_before_discovery_parses_it(tmp_path: Path) -> None:
    soup = b"<html><body>" + b"<p>x" * 2_000_000 + b"</body></html>"  # 8 MB of elements, 4 bytes each
    srv = Server({"/list/": (soup, {})})
    try:
        from collector.crawl import discover_portal

        t0 = time.monotonic()
        with pytest.raises(FetchError, match="over the .* byte cap|tags"):
            discover_portal(_portal(srv.base), [2023], tmp_path, settings=_settings())
        assert time.monotonic() - t0 < 10
    finally:
        srv.close()
    smaller = b"<html><body>" + b"<p>x" * 500_000 + b"</body></html>"  # under the byte cap, still soup
    srv = Server({"/list/": (smaller, {})})
    try:
        with pytest.raises(FetchError, match="tags"):
            discover_portal(_portal(srv.base), [2023], tmp_path / "2", settings=_settings())
    finally:
        srv.close()


# -- 7: the address guard ------------------------------------------------------------------------------


@pytest.mark.parametrize("addr", [
    "100.100.100.200",      # cloud metadata, in the shared address space 100.64.0.0/10
    "100.64.0.1",
    "::ffff:100.100.100.200",
    "64:ff9b::a9fe:a9fe",   # NAT64 -> 169.254.169.254
    "64:ff9b::7f00:1",      # NAT64 -> 127.0.0.1 (refused even with allow_loopback)
    "2002:a64:101::1",      # 6to4 -> 10.100.1.1
    "::a9fe:a9fe",          # IPv4-compatible -> 169.254.169.254
    "192.0.0.170", "198.18.0.1", "240.0.0.1", "0.0.0.0", "224.0.0.1", "fc00::1", "fe80::1",
])
def test_non_public_addresses_are_refused(addr: str) -> None:
    assert address_refusal(ipaddress.ip_address(addr), True) is not None


@pytest.mark.parametrize("addr", ["202.96.0.1", "114.114.114.114", "2400:3200::1", "::ffff:202.96.0.1"])
def test_public_addresses_pass(addr: str) -> None:
    assert address_refusal(ipaddress.ip_address(addr), False) is None


def test_metadata_address_refused_on_a_redirect() -> None:
    srv = Server({"/meta": (302, {"Location": "http://100.100.100.200/latest"}, b"")})
    try:
        with pytest.raises(PrivateAddress, match="non-public"):
            _fetch(srv.base + "/meta", _settings(), allowed=["127.0.0.1", "100.100.100.200"])
    finally:
        srv.close()


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[MiniServer, MiniServer]]:
    """``rebind.test`` answers 127.0.0.1 the first time it is resolved and 127.0.0.2 after that;
    a good server listens on the first, an evil one on the second (same port)."""
    good = Server({"/page": (b"<html>good</html>", {})})
    try:
        evil = Server({"/page": (b"<html>evil</html>", {})}, host="127.0.0.2", port=good.port)
    except OSError:
        good.close()
        pytest.skip("cannot bind 127.0.0.2 here")
    real = socket.getaddrinfo
    calls = {"n": 0}

    def fake(host: Any, *args: Any, **kw: Any) -> Any:
        if host in ("rebind.test", b"rebind.test"):
            calls["n"] += 1
            return real("127.0.0.1" if calls["n"] == 1 else "127.0.0.2", *args, **kw)
        return real(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    yield good, evil
    good.close()
    evil.close()


def test_dns_rebinding_cannot_swap_the_checked_address(rebinding: tuple[MiniServer, MiniServer]) -> None:
    good, evil = rebinding
    r = _fetch(f"http://rebind.test:{good.port}/page", _settings(), allowed=["rebind.test"])
    assert r.body == b"<html>good</html>"
    assert evil.hits("/page") == 0 and good.hits("/page") == 1


def test_fetchers_share_one_verifying_tls_context() -> None:
    """One TLS context per process (each fetcher built two from certifi's bundle: ~60 ms each on
    the event loop, 2 s of a 16-portal crawl), and it still verifies certificates and host names."""
    import ssl

    import httpx

    from collector.fetch.safety import AddressGuard, pinned_transport, tls_context

    limits = httpx.Limits(max_connections=4)
    a, b = (pinned_transport(AddressGuard(False), limits) for _ in range(2))
    ctx = tls_context()
    assert a._pool._ssl_context is ctx and b._pool._ssl_context is ctx  # type: ignore[attr-defined]
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files)."""
    x509 = pytest.importorskip("cryptography.x509")
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_tls_through_the_pinned_backend(tmp_path: Path) -> None:
    """https over the pinned backend's stream (its TLS upgrade, reads and the pool's idle check):
    a certificate the context trusts is accepted and the connection reused; the process's
    verifying context refuses a certificate it does not know."""
    import ssl

    import httpcore

    from collector.errors import TransportError
    from collector.fetch.safety import AddressGuard, PinnedBackend

    cert_file, key_file = _self_signed(tmp_path)
    srv = MiniServer({"/peer": lambda h, n: (200, {}, str(h.client_address[1]).encode())})
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_file, key_file)
    srv.httpd.socket = server_ctx.wrap_socket(srv.httpd.socket, server_side=True)
    url = f"https://127.0.0.1:{srv.port}/peer"
    try:
        async def trusted() -> list[bytes]:
            ctx = ssl.create_default_context(cafile=str(cert_file))
            async with httpcore.AsyncConnectionPool(ssl_context=ctx,
                                                    network_backend=PinnedBackend(AddressGuard(True))) as pool:
                return [(await pool.request("GET", url)).content for _ in range(2)]

        first, second = asyncio.run(trusted())
        assert first.isdigit() and first == second  # one TLS connection, kept alive and reused
        with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED"):
            _fetch(url, _settings(retries=0, scheme_fallback=False), allowed=["127.0.0.1"])
    finally:
        srv.close()


# -- 8: one URL's time, across both retry layers --------------------------------------------------------


DRIP = {"total_timeout": 1.0, "read_timeout": 1.0, "retries": 3, "url_budget": 2.5, "scheme_fallback": False}


def test_slow_drip_is_bounded_by_the_url_budget() -> None:
    from collector.errors import UrlBudgetSpent, is_transient

    srv = Server({"/drip": drip})
    try:
        t0 = time.monotonic()
        with pytest.raises(FetchError) as ei:
            _fetch(srv.base + "/drip", _settings(**DRIP))
        took = time.monotonic() - t0
    finally:
        srv.close()
    assert isinstance(ei.value, UrlBudgetSpent) and not is_transient(ei.value)
    assert took < DRIP["url_budget"] + 1.0, took  # 4 attempts x 1 s without the budget
    assert srv.hits("/drip") <= 3


def test_budget_spent_carries_over_to_the_next_attempt(tmp_path: Path) -> None:
    """A task retry (a new fetcher, the same crawl state) gets what is left of the budget, then nothing."""
    from collector.workspace import RunContext, Workspace

    srv = Server({"/drip": drip, "/list/": (listing(), {})})
    portal = _portal(srv.base)
    st = _settings(**DRIP)

    def attempt() -> Any:  # a run of its own: a new fetcher over the same crawl state
        with Workspace(RunContext.build(tmp_path, fetch=st)) as ws:
            async def get() -> Any:
                return await (await ws.session(portal)).get(srv.base + "/drip", portal, "page")

            return ws.run_io(get())

    try:
        first = attempt()
        hits = srv.hits("/drip")
        t0 = time.monotonic()
        second = attempt()
        took = time.monotonic() - t0
    finally:
        srv.close()
    assert first.status == "failed" and first.error_code == "url_budget" and first.spent >= 2.0
    # no request and no waiting: a second drip would take the whole budget (>= 2 s) again
    assert second.error_code == "url_budget" and srv.hits("/drip") == hits and took < 1.5


# -- 9: robots.txt over 500 KiB -------------------------------------------------------------------------


def test_long_robots_txt_is_cut_at_500_kib_not_refused() -> None:
    head = b"User-agent: *\nDisallow: /private/\n"
    pad = b"# " + b"x" * 98 + b"\n"
    body = head + pad * 6000 + b"Disallow: /late/\n"  # ~600 KB; the last rule lies beyond 500 KiB
    assert len(body) > 512 * 1024
    srv = Server({"/robots.txt": (body, {"Content-Type": "text/plain"}), "/ok": (b"<html>ok</html>", {}),
                  "/private/x": (b"<html>no</html>", {}), "/late/x": (b"<html>late</html>", {})})
    try:
        st = FetchSettings.for_tests()

        async def run() -> list[Any]:
            out: list[Any] = []
            async with Fetcher(st) as f:
                for path in ("/ok", "/private/x", "/late/x"):
                    try:
                        out.append((await f.fetch(srv.base + path, allowed_domains=["127.0.0.1"])).status)
                    except FetchError as exc:
                        out.append(exc)
            return out

        ok, private, late = asyncio.run(run())
    finally:
        srv.close()
    assert ok == 200 and late == 200
    assert isinstance(private, RobotsDisallowed)


# -- 10: the portal file ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "portals: " + "[" * 1000 + "]" * 1000,
    "portals:\n" + "".join("  " * i + "-\n" for i in range(1, 1001)),
    "portals: " + "{a: " * 1000 + "1" + "}" * 1000,
])
def test_deeply_nested_yaml_is_a_config_error(tmp_path: Path, text: str) -> None:
    p = tmp_path / "portals.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError, match="nested more than"):
        load_portals(p)


def test_yaml_alias_bomb_is_a_config_error(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
              for i in range(1, 30)]
    p = tmp_path / "portals.yaml"
    p.write_text("\n".join(lines) + "\nportals: *a29\n")
    with pytest.raises(ConfigError, match="aliases"):
        load_portals(p)
