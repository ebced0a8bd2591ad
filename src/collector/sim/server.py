"""The simulator's HTTP server: the world's routes on 127.0.0.1, with switchable faults.

A threaded ``http.server`` speaking HTTP/1.1 (keep-alive, like real portals), answering
conditional requests (ETag / Last-Modified -> 304) and logging every request so tests can count
what the crawler asked for. Faults are deterministic per URL (a seeded hash picks the affected
URLs; each misbehaves for its first ``fail_times`` requests), so a crawler that retries properly
always gets through and a test run is reproducible.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import struct
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FAULT_KINDS = ("error_500", "reset", "slow", "truncated", "rate_limit")


@dataclass(frozen=True, slots=True)
class Faults:
    """Shares of URLs hit by each transient fault, and the permanent traps to include."""

    error_500: float = 0.0
    reset: float = 0.0
    slow: float = 0.0
    truncated: float = 0.0
    rate_limit: float = 0.0
    fail_times: int = 1
    slow_seconds: float = 2.5
    retry_after: int = 1
    challenge: bool = False         # a 412 JS-challenge report page, and a portal behind one
    foreign_redirect: bool = False  # a listing link that redirects to a mirror site

    def __post_init__(self) -> None:
        if any(not 0 <= getattr(self, k) <= 1 for k in FAULT_KINDS) or sum(getattr(self, k) for k in FAULT_KINDS) > 1:
            raise ValueError("fault shares must be in [0, 1] and sum to at most 1")

    @classmethod
    def default(cls) -> Faults:
        return cls(error_500=0.06, reset=0.04, slow=0.01, truncated=0.04, rate_limit=0.02,
                   challenge=True, foreign_redirect=True)

    @classmethod
    def resolve(cls, value: Faults | dict[str, Any] | str | None) -> Faults:
        if value is None or value == "none":
            return cls()
        if isinstance(value, cls):
            return value
        if value in ("default", "all"):
            return cls.default()
        if isinstance(value, dict):
            known = {f.name for f in fields(cls)}
            bad = set(value) - known
            if bad:
                raise ValueError(f"unknown faults {sorted(bad)}; known: {sorted(known)}")
            return cls(**value)
        raise ValueError(f"bad faults value {value!r}")


@dataclass(slots=True)
class RequestLog:
    t: float
    method: str
    path: str          # path with query
    status: int
    size: int
    fault: str | None = None
    conditional: bool = False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes: without NODELAY, Nagle + delayed ACK add 40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve({})

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve({}, head=True)

    def do_POST(self) -> None:  # noqa: N802 - Hanweb dataproxy accepts POST forms
        n = int(self.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(self.rfile.read(n).decode("utf-8", "replace"))) if n else {}
        self._serve(form)

    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None, head: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _serve(self, form: dict[str, str], head: bool = False) -> None:
        sim = self.server.sim
        parts = urlsplit(self.path)
        key = parts.path + (f"?{parts.query}" if parts.query else "")
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        query.update(form)
        conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
        if parts.path == "/robots.txt":
            body = sim.world.robots.encode()
            sim.log(self.command, key, 200, len(body), None, conditional)
            self._send(200, body, "text/plain; charset=utf-8", head=head)
            return
        fault = sim.fault_for(key)
        if fault == "reset":
            sim.log(self.command, key, 0, 0, fault, conditional)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        if fault == "error_500":
            body = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
            sim.log(self.command, key, 500, len(body), fault, conditional)
            self._send(500, body, head=head)
            return
        if fault == "rate_limit":
            sim.log(self.command, key, 429, 0, fault, conditional)
            self._send(429, b"Too Many Requests", "text/plain", {"Retry-After": str(sim.faults.retry_after)}, head)
            return
        res = sim.lookup(parts.path, query)
        if res is None:
            body = b"<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>"
            sim.log(self.command, key, 404, len(body), None, conditional)
            self._send(404, body, head=head)
            return
        if res.status != 200:
            sim.log(self.command, key, res.status, len(res.body), None, conditional)
            self._send(res.status, res.body, res.content_type, res.headers, head)
            return
        etag = '"' + hashlib.sha1(res.body).hexdigest()[:20] + '"'
        validators = {"ETag": etag, **({"Last-Modified": res.last_modified} if res.last_modified else {})}
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if (inm and etag in [t.strip() for t in inm.split(",")]) or (not inm and ims and ims == res.last_modified):
            self.send_response(304)
            for k, v in validators.items():
                self.send_header(k, v)
            self.send_header("Content-Length", "0")
            sim.log(self.command, key, 304, 0, None, conditional)
            self.end_headers()
            return
        if fault == "slow":
            time.sleep(sim.faults.slow_seconds)
        if fault == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", res.content_type)
            self.send_header("Content-Length", str(len(res.body)))
            self.end_headers()
            sim.log(self.command, key, 200, len(res.body) // 2, fault, conditional)
            self.wfile.write(res.body[: len(res.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        sim.log(self.command, key, 200, len(res.body), fault, conditional)
        self._send(200, res.body, res.content_type, {**validators, **res.headers}, head)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    sim: Simulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (timeouts against slow replies) is expected, not an error."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class Simulator:
    """A running simulated world. Use :func:`run_simulator` (a context manager) to get one."""

    def __init__(self, seed: int = 0, scale: int = 1, faults: Faults | dict[str, Any] | str | None = None,
                 port: int = 0, formats: set[str] | None = None, truth_dir: str | Path | None = None) -> None:
        from collector.sim.sites import build_world

        self.faults = Faults.resolve(faults)
        self.seed = seed
        self.world = build_world(seed, scale, self.faults, formats)
        self._port = port
        self._own_dir = truth_dir is None
        self.truth_dir = Path(truth_dir) if truth_dir else Path(tempfile.mkdtemp(prefix="xxgk-sim-"))
        self._lock = threading.Lock()
        self._log: list[RequestLog] = []
        self._hits: Counter[str] = Counter()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> Simulator:
        self._server = _Server(("127.0.0.1", self._port), _Handler)
        self._server.sim = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="xxgk-sim", daemon=True)
        self._thread.start()
        self.write_truth()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._own_dir:
            shutil.rmtree(self.truth_dir, ignore_errors=True)

    def __enter__(self) -> Simulator:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "simulator not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    # -- serving ---------------------------------------------------------------------------------

    def lookup(self, path: str, query: dict[str, str]) -> Any:
        dyn = self.world.dynamic.get(path)
        if dyn is not None:
            return dyn(query)
        return self.world.routes.get(path)

    def fault_for(self, key: str) -> str | None:
        """The fault this request suffers: URL picked by a seeded hash, first ``fail_times`` hits only."""
        with self._lock:
            self._hits[key] += 1
            n = self._hits[key]
        if n > self.faults.fail_times:
            return None
        u = int(hashlib.sha256(f"{self.seed}:{key}".encode()).hexdigest()[:8], 16) / 2**32
        acc = 0.0
        for kind in FAULT_KINDS:
            acc += getattr(self.faults, kind)
            if u < acc:
                return kind
        return None

    def log(self, method: str, path: str, status: int, size: int, fault: str | None, conditional: bool) -> None:
        with self._lock:
            self._log.append(RequestLog(time.monotonic(), method, path, status, size, fault, conditional))

    def requests(self, prefix: str | None = None) -> list[RequestLog]:
        with self._lock:
            return [r for r in self._log if prefix is None or r.path.startswith(prefix)]

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    def touch(self, path: str, note: str = "更正") -> None:
        """Change a page's bytes (a republished correction): its ETag changes, a re-crawl sees it."""
        res = self.world.routes[path]
        res.body = res.body.replace(b"</body>", f"<!-- {note} -->".encode() + b"</body>", 1)

    # -- what tests and users read ---------------------------------------------------------------

    @property
    def portals(self) -> list[Any]:
        from collector.config import Portal, Rate, Region

        out = []
        for p in self.world.portals:
            out.append(Portal(id=p.id, name=p.name, region=Region(**p.region), publisher_type=p.publisher_type,
                              start_urls=[self.url(u) for u in p.start_urls], cms=p.cms,
                              allowed_domains=["127.0.0.1"], max_pages=200,
                              rate=Rate(requests_per_second=20.0, concurrency=4)))
        return out

    @property
    def portals_yaml(self) -> str:
        from collector.config import portals_to_yaml

        return f"# xxgk simulator portals (seed {self.seed})\n" + portals_to_yaml(self.portals)

    @property
    def portals_path(self) -> Path:
        return self.truth_dir / "portals.yaml"

    @property
    def truth(self) -> list[dict[str, Any]]:
        """Per report: the record and where it lives (absolute URLs)."""
        return [{"key": r.key, "portal_id": r.portal_id, "url": self.url(r.url),
                 "attachment_url": self.url(r.attachment_url) if r.attachment_url else None,
                 "media": r.media, "encoding": r.encoding, "inconsistent": list(r.inconsistent),
                 "title": r.title, "record": r.record} for r in self.world.reports]

    @property
    def traps(self) -> list[dict[str, str]]:
        return [{**asdict(t), "url": self.url(t.url)} for t in self.world.traps]

    @property
    def noise(self) -> list[dict[str, str]]:
        return [{"url": self.url(p), "title": t} for p, t in self.world.noise]

    def write_truth(self) -> Path:
        """``truth_dir/reports/<key>.json`` per report, ``truth.json`` (index, traps, noise), ``portals.yaml``."""
        rep_dir = self.truth_dir / "reports"
        rep_dir.mkdir(parents=True, exist_ok=True)
        for item in self.truth:
            (rep_dir / f"{item['key']}.json").write_text(json.dumps(item, ensure_ascii=False, indent=1), "utf-8")
        index = {"seed": self.seed, "scale": self.world.scale, "base_url": self.base_url,
                 "faults": asdict(self.faults), "reports": [{k: v for k, v in t.items() if k != "record"}
                                                            for t in self.truth],
                 "traps": self.traps, "noise": self.noise}
        (self.truth_dir / "truth.json").write_text(json.dumps(index, ensure_ascii=False, indent=1), "utf-8")
        self.portals_path.write_text(self.portals_yaml, "utf-8")
        return self.truth_dir


@contextmanager
def run_simulator(seed: int = 0, scale: int = 1, faults: Faults | dict[str, Any] | str | None = None,
                  port: int = 0, formats: set[str] | None = None,
                  truth_dir: str | Path | None = None) -> Iterator[Simulator]:
    """Start a simulator on 127.0.0.1 (a free port by default) for the duration of the block."""
    sim = Simulator(seed=seed, scale=scale, faults=faults, port=port, formats=formats, truth_dir=truth_dir)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


__all__ = ["Faults", "RequestLog", "Simulator", "run_simulator"]

