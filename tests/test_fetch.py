"""The fetcher against a small scripted HTTP server on 127.0.0.1: retries, limits, safety, charsets."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from collector.errors import (
    Blocked,
    FetchTimeout,
    HttpStatusError,
    OffAllowList,
    PrivateAddress,
    RobotsDisallowed,
    TooLarge,
    TooManyRedirects,
    TransportError,
)
from collector.extract.charset import decode_page
from collector.fetch import (
    Fetcher,
    FetchSettings,
    address_refusal,
    looks_like_challenge,
    retry_after_seconds,
)
from collector.fetch.safety import AddressGuard

# A route returns (status, headers, body), the string "reset", or None when it wrote its own answer
# (a drip); it gets the handler and the hit count.
Route = Callable[[BaseHTTPRequestHandler, int], Any]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        srv: Any = self.server
        with srv.lock:
            srv.hits[self.path] += 1
            srv.log.append((time.monotonic(), self.path, dict(self.headers)))
            n = srv.hits[self.path]
        route = srv.routes.get(self.path)
        if route is None:
            out: Any = (404, {}, b"not found")
        else:
            out = route(self, n)
        if out is None:
            return
        if out == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        status, headers, body = out
        self.send_response(status)
        headers = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body)), **headers}
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if headers.get("X-Truncate"):
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self.wfile.write(body)


class MiniServer:
    def __init__(self, routes: dict[str, Route], host: str = "127.0.0.1", port: int = 0) -> None:
        self.httpd = ThreadingHTTPServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.routes = routes  # type: ignore[attr-defined]
        self.httpd.hits = defaultdict(int)  # type: ignore[attr-defined]
        self.httpd.log = []  # type: ignore[attr-defined]
        self.httpd.lock = threading.Lock()  # type: ignore[attr-defined]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def hits(self, path: str) -> int:
        return self.httpd.hits[path]  # type: ignore[attr-defined]

    @property
    def log(self) -> list[tuple[float, str, dict[str, str]]]:
        return self.httpd.log  # type: ignore[attr-defined]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def ok(body: bytes = b"<html><body>ok</body></html>", **headers: str) -> Route:
    return lambda h, n: (200, headers, body)


def first_then_ok(first: Any) -> Route:
    return lambda h, n: first if n == 1 else (200, {}, b"<html>recovered</html>")


ROUTES: dict[str, Route] = {
    "/robots.txt": ok(b"User-agent: *\nDisallow: /private/\n", **{"Content-Type": "text/plain"}),
    "/ok": ok(),
    "/private/page": ok(),
    "/flaky500": first_then_ok((500, {}, b"oops")),
    "/reset": first_then_ok("reset"),
    "/truncated": first_then_ok((200, {"X-Truncate": "1"}, b"x" * 4000)),
    "/always500": lambda h, n: (503, {}, b"down"),
    "/rate": first_then_ok((429, {"Retry-After": "1"}, b"")),
    "/rate-long": lambda h, n: (429, {"Retry-After": "3600"}, b""),
    "/challenge": lambda h, n: (412, {}, b"<script>document.cookie='a=b';location.reload()</script>"),
    "/jsl": lambda h, n: (521, {}, b"<script>document.cookie=('__jsl_clearance=1')</script>"),
    "/missing": lambda h, n: (404, {}, b"nope"),
    "/forbidden": lambda h, n: (403, {}, b"<html>forbidden</html>"),
    "/redir-foreign": lambda h, n: (302, {"Location": "http://www.spam-mirror.example.com/x"}, b""),
    "/redir-local": lambda h, n: (301, {"Location": "/ok"}, b""),
    "/redir-private": lambda h, n: (302, {"Location": "http://10.1.2.3/x"}, b""),
    "/redir-robots": lambda h, n: (302, {"Location": "/private/page"}, b""),
    "/loop-a": lambda h, n: (302, {"Location": "/loop-b"}, b""),
    "/loop-b": lambda h, n: (302, {"Location": "/loop-a"}, b""),
    "/big": ok(b"y" * 50_000),
    "/etag": lambda h, n: ((304, {"ETag": '"v1"'}, b"") if h.headers.get("If-None-Match") == '"v1"'
                          else (200, {"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}, b"<html>v1</html>")),
    "/slow": lambda h, n: (time.sleep(1.5) if n == 1 else None) or (200, {}, b"<html>late</html>"),
    "/give-cookie": ok(**{"SET-COOKIE": "sid=abc; Path=/"}),
    "/show-cookie": lambda h, n: (200, {}, (h.headers.get("Cookie") or "-").encode()),
    "/peer": lambda h, n: (200, {}, str(h.client_address[1]).encode()),  # the client's port
    "/hang-up": lambda h, n: setattr(h, "close_connection", True) or (200, {}, b"<html>bye</html>"),  # no header
}


@pytest.fixture(scope="module")
def server() -> Iterator[MiniServer]:
    srv = MiniServer(ROUTES)
    yield srv
    srv.close()


def settings(**kw: Any) -> FetchSettings:
    return FetchSettings.for_tests(**kw)


def fetch(url: str, allowed: list[str] | None = None, st: FetchSettings | None = None, **kw: Any) -> Any:
    async def run() -> Any:
        async with Fetcher(st or settings()) as f:
            return await f.fetch(url, allowed_domains=allowed or ["127.0.0.1"], **kw)

    return asyncio.run(run())


def test_ok_and_chrome_user_agent(server: MiniServer) -> None:
    r = fetch(server.base + "/ok")
    assert r.status == 200 and b"ok" in r.body
    ua = next(h for _, p, h in server.log if p == "/ok")["User-Agent"]
    assert "Chrome/" in ua and "Windows NT" in ua


@pytest.mark.parametrize("path", ["/flaky500", "/reset", "/truncated"])
def test_transient_faults_are_retried(server: MiniServer, path: str) -> None:
    r = fetch(server.base + path)
    assert r.status == 200 and b"recovered" in r.body
    assert server.hits(path) == 2


def test_read_timeout_is_retried(server: MiniServer) -> None:
    r = fetch(server.base + "/slow", st=settings(read_timeout=0.5))
    assert r.body == b"<html>late</html>"


def test_persistent_5xx_gives_up_after_retries(server: MiniServer) -> None:
    with pytest.raises(HttpStatusError) as ei:
        fetch(server.base + "/always500", st=settings(retries=2))
    assert ei.value.status == 503
    assert server.hits("/always500") == 3


def test_429_retry_after_is_honoured(server: MiniServer) -> None:
    fetch(server.base + "/rate")
    times = [t for t, p, _ in server.log if p == "/rate"]
    assert len(times) == 2 and times[1] - times[0] >= 0.95


def test_429_retry_after_over_cap_fails_fast(server: MiniServer) -> None:
    t0 = time.monotonic()
    with pytest.raises(HttpStatusError, match="Retry-After"):
        fetch(server.base + "/rate-long")
    assert time.monotonic() - t0 < 2 and server.hits("/rate-long") == 1


@pytest.mark.parametrize("path", ["/challenge", "/jsl"])
def test_js_challenge_is_blocked_not_retried(server: MiniServer, path: str) -> None:
    with pytest.raises(Blocked):
        fetch(server.base + path)
    assert server.hits(path) == 1


def test_host_skipped_after_repeated_challenges(server: MiniServer) -> None:
    async def run() -> list[str]:
        out = []
        async with Fetcher(settings(blocked_host_threshold=2)) as f:
            for _ in range(4):
                try:
                    await f.fetch(server.base + "/jsl", allowed_domains=["127.0.0.1"])
                except Blocked as exc:
                    out.append(str(exc))
        return out

    before = server.hits("/jsl")
    msgs = asyncio.run(run())
    assert len(msgs) == 4 and "skipped" in msgs[-1]
    assert server.hits("/jsl") - before == 2


@pytest.mark.parametrize("path,status", [("/missing", 404), ("/forbidden", 403)])
def test_other_4xx_not_retried(server: MiniServer, path: str, status: int) -> None:
    with pytest.raises(HttpStatusError) as ei:
        fetch(server.base + path)
    assert ei.value.status == status and server.hits(path) == 1


def test_redirects_followed_and_checked(server: MiniServer) -> None:
    r = fetch(server.base + "/redir-local")
    assert r.final_url.endswith("/ok") and r.redirects == [server.base + "/redir-local"]
    with pytest.raises(OffAllowList):
        fetch(server.base + "/redir-foreign")
    with pytest.raises(OffAllowList):  # 10.1.2.3 is not on the allow-list either
        fetch(server.base + "/redir-private")
    with pytest.raises(PrivateAddress):  # ... and when it is, the address is refused
        fetch(server.base + "/redir-private", allowed=["127.0.0.1", "10.1.2.3"])
    with pytest.raises(RobotsDisallowed):
        fetch(server.base + "/redir-robots")
    with pytest.raises(TooManyRedirects):
        fetch(server.base + "/loop-a")


def test_robots_obeyed_and_fetched_once(server: MiniServer) -> None:
    before = server.hits("/robots.txt")

    async def run() -> None:
        async with Fetcher(settings()) as f:
            await asyncio.gather(*(f.fetch(server.base + "/ok", allowed_domains=["127.0.0.1"]) for _ in range(5)))
            with pytest.raises(RobotsDisallowed):
                await f.fetch(server.base + "/private/page", allowed_domains=["127.0.0.1"])

    asyncio.run(run())
    assert server.hits("/robots.txt") - before == 1
    assert server.hits("/private/page") == 0
    assert fetch(server.base + "/private/page", st=settings(obey_robots=False)).status == 200


def test_loopback_refused_without_flag(server: MiniServer) -> None:
    with pytest.raises(PrivateAddress):
        fetch(server.base + "/ok", st=settings(allow_loopback=False))


def test_address_rules() -> None:
    import ipaddress

    ip = ipaddress.ip_address
    assert address_refusal(ip("127.0.0.1"), False) == "loopback address"
    assert address_refusal(ip("127.0.0.1"), True) is None
    assert address_refusal(ip("10.0.0.1"), True) == "private address"
    assert address_refusal(ip("192.168.1.1"), True) == "private address"
    assert address_refusal(ip("169.254.169.254"), True) == "link-local address"
    assert address_refusal(ip("::ffff:10.0.0.1"), True) == "private address"
    assert address_refusal(ip("::1"), False) == "loopback address"
    assert address_refusal(ip("202.96.0.1"), False) is None

    async def resolve() -> None:
        with pytest.raises(PrivateAddress):
            await AddressGuard(allow_loopback=False).check("localhost")
        await AddressGuard(allow_loopback=True).check("localhost")

    asyncio.run(resolve())


def test_off_allow_list_before_any_request(server: MiniServer) -> None:
    with pytest.raises(OffAllowList):
        fetch(server.base + "/ok", allowed=["example.gov.cn"])
    with pytest.raises(OffAllowList):
        fetch("ftp://127.0.0.1/x")


def test_size_cap(server: MiniServer) -> None:
    with pytest.raises(TooLarge):
        fetch(server.base + "/big", max_bytes=10_000)
    assert len(fetch(server.base + "/big").body) == 50_000


def test_conditional_get(server: MiniServer) -> None:
    first = fetch(server.base + "/etag")
    assert first.status == 200 and first.etag == '"v1"' and first.last_modified
    again = fetch(server.base + "/etag", etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.body == b""


def test_https_falls_back_to_http(server: MiniServer) -> None:
    async def run() -> tuple[Any, Any, int]:
        async with Fetcher(settings()) as f:
            r1 = await f.fetch(server.base.replace("http://", "https://") + "/ok", allowed_domains=["127.0.0.1"])
            r2 = await f.fetch(server.base.replace("http://", "https://") + "/ok", allowed_domains=["127.0.0.1"])
            return r1, r2, f.stats.fallbacks

    r1, r2, fallbacks = asyncio.run(run())
    assert r1.final_url.startswith("http://") and r2.final_url.startswith("http://")
    assert fallbacks == 1  # the second request used the remembered scheme directly


def test_idle_connections_reused_until_the_server_hangs_up(server: MiniServer) -> None:
    """The pool's check of an idle connection (``_SocketStream`` answers it from the socket it
    keeps): a live one is reused, one the server closed is replaced before a request is sent on
    it — no request fails on a dead socket and is retried."""
    async def run() -> tuple[list[bytes], int]:
        async with Fetcher(settings()) as f:
            bodies = [(await f.fetch(server.base + "/peer", allowed_domains=["127.0.0.1"])).body for _ in range(2)]
            await f.fetch(server.base + "/hang-up", allowed_domains=["127.0.0.1"])
            await asyncio.sleep(0.2)  # the server's FIN arrives
            bodies.append((await f.fetch(server.base + "/peer", allowed_domains=["127.0.0.1"])).body)
            return bodies, f.stats.retries

    (first, second, after), retries = asyncio.run(run())
    assert first == second and after != first and retries == 0


def test_cookies_kept_for_the_session(server: MiniServer) -> None:
    """A portal's session cookie is sent back (the jar skips only answers without Set-Cookie)."""
    async def run() -> list[bytes]:
        async with Fetcher(settings()) as f:
            assert isinstance(f._client.cookies, httpx.Cookies)  # type: ignore[union-attr]
            out = []
            for path in ("/show-cookie", "/ok", "/give-cookie", "/ok", "/show-cookie"):
                out.append((await f.fetch(server.base + path, allowed_domains=["127.0.0.1"])).body)
            return out

    first, *_, last = asyncio.run(run())
    assert first == b"-" and last == b"sid=abc"


def test_connection_refused_is_transport_error() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(TransportError):
        fetch(f"http://127.0.0.1:{port}/x", st=settings(retries=1, scheme_fallback=False))


def test_timeout_error_class() -> None:
    assert issubclass(FetchTimeout, Exception)


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 10) == pytest.approx(10)
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_challenge_detection() -> None:
    assert looks_like_challenge(412, {}, b"")
    assert looks_like_challenge(200, {}, b"<script>$_ts=window['$_ts'];</script>")
    assert looks_like_challenge(302, {"location": "/x?wzwschallenge=abc"}, b"")
    assert not looks_like_challenge(200, {}, b"<html><table><tr><td>1</td></tr></table>document.cookie</html>")
    assert not looks_like_challenge(404, {}, b"")
    text = "政府信息公开工作年度报告".encode() * 10
    assert not looks_like_challenge(200, {}, b"<script src='/_waf_/a.js'>$_ts=1</script><p>" + text + b"</p>")


def test_charset_order() -> None:
    text = "政府信息公开工作年度报告"
    gbk = f'<html><head><meta charset="gb2312"></head><body>{text}</body></html>'.encode("gbk")
    assert decode_page(gbk, "text/html") == (gbk.decode("gb18030"), "gb18030")
    assert decode_page(gbk, "text/html; charset=GBK")[1] == "gb18030"
    # header wins over meta
    utf = f'<html><head><meta charset="gb2312"></head><body>{text}</body></html>'.encode()
    assert decode_page(utf, "text/html; charset=utf-8") == (utf.decode(), "utf-8")
    # a GB meta on a UTF-8 body (old 中国上海 templates) is not trusted
    assert decode_page(utf, "text/html")[1] == "utf-8"
    # latin-1 headers on Chinese pages are ignored
    assert decode_page(gbk, "text/html; charset=iso-8859-1")[1] == "gb18030"
    # no declaration at all: detection
    bare = ("<html><body>" + text * 20 + "</body></html>").encode("gb18030")
    assert text in decode_page(bare, None)[0]
    # a UTF-8 body cut inside a character still counts as UTF-8
    assert decode_page(utf[:-len("</body></html>") - 2], None)[1] == "utf-8"


def test_settings_resolve_and_checks() -> None:
    assert FetchSettings.resolve(None) == FetchSettings()
    assert FetchSettings.resolve({"retries": 1}).retries == 1
    assert FetchSettings.resolve(FetchSettings(), polite=False).polite is False
    with pytest.raises(ValueError):
        FetchSettings(retries=-1)
    with pytest.raises(ValueError):
        FetchSettings.resolve({"retry": 1})
