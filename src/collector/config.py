"""Portal configuration: the YAML list of portals a crawl walks, validated strictly.

A portal file is the operators' entry point, edited by hand: every mistake (a misspelt key, a
seed URL outside ``allowed_domains``, a missing field) must fail loudly with the file, the entry
and the field named, not be silently ignored — hence pydantic models with ``extra="forbid"``
and :func:`load_portals` turning validation errors into one readable :class:`ConfigError`.

``start_urls`` may contain ``{year}`` (report year) or ``{pub_year}`` (report year + 1); such a
seed is expanded once per requested year (Hanweb ``xxgkAnnualReport.jsp?fbtime=…`` pages).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from collector.errors import ConfigError

CmsName = Literal["auto", "trs", "hanweb", "vsb", "generic"]
PublisherType = Literal["government", "gov_department", "ministry", "township", "vertical", "other"]

MAX_YAML_DEPTH = 32       # a portal file nests 4 levels; 1,000 levels recurse PyYAML's composer to death
MAX_YAML_ALIASES = 100    # anchors/aliases: a "billion laughs" file multiplies nodes with them
MAX_YAML_BYTES = 4 * 2**20

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Region(_Strict):
    province: str | None = None
    city: str | None = None
    county: str | None = None
    code: str | None = Field(default=None, pattern=r"^[0-9]{6}$", description="6-digit 行政区划代码")


class Rate(_Strict):
    """Politeness per host; ``requests_per_second: 0`` means unlimited (simulator, benchmarks)."""

    requests_per_second: float = Field(default=1.0, ge=0, le=100)
    concurrency: int = Field(default=2, ge=1, le=32)


def host_allowed(host: str, allowed_domains: Iterable[str]) -> bool:
    """``host`` equals an allowed domain or is a subdomain of one (bare IPs match exactly)."""
    host = host.lower().rstrip(".")
    for dom in allowed_domains:
        dom = dom.lower().rstrip(".")
        if host == dom or (not _is_ip(dom) and host.endswith("." + dom)):
            return True
    return False


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"bad URL {url!r}: scheme must be http or https")
    if not parts.hostname:
        raise ValueError(f"bad URL {url!r}: no host")
    if any(ch.isspace() for ch in url):
        raise ValueError(f"bad URL {url!r}: contains whitespace")
    try:
        _ = parts.port
    except ValueError as exc:
        raise ValueError(f"bad URL {url!r}: {exc}") from None
    probe = url.replace("{year}", "2022").replace("{pub_year}", "2023")
    if "{" in probe or "}" in probe:
        raise ValueError(f"bad URL {url!r}: only {{year}} and {{pub_year}} placeholders are allowed")
    return url


def _check_domain(d: str) -> str:
    d = d.strip().lower().rstrip(".")
    if d.startswith("*."):
        d = d[2:]
    if not (_is_ip(d) or _DOMAIN.match(d)):
        raise ValueError(f"bad domain {d!r} (write a host name such as example.gov.cn)")
    return d


SeedUrl = Annotated[str, AfterValidator(lambda u: _check_url(u.strip()))]
Domain = Annotated[str, AfterValidator(_check_domain)]


class Portal(_Strict):
    """One publishing site (or one column of it) and how to crawl it."""

    id: str
    name: str = Field(min_length=1)
    region: Region = Field(default_factory=Region)
    publisher_type: PublisherType = "government"
    start_urls: list[SeedUrl] = Field(min_length=1)
    cms: CmsName = "auto"
    allowed_domains: list[Domain] = Field(min_length=1)
    max_pages: int = Field(default=50, ge=1, le=10_000)
    rate: Rate = Field(default_factory=Rate)
    unverified: bool = False
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not _SLUG.match(v):
            raise ValueError(f"id {v!r} must be a lowercase slug (a-z, 0-9, '-', '_')")
        return v


    @model_validator(mode="after")
    def _seeds_in_domains(self) -> Portal:
        for url in self.start_urls:
            host = urlsplit(url).hostname or ""
            if not host_allowed(host, self.allowed_domains):
                raise ValueError(f"start URL {url!r} is outside allowed_domains {self.allowed_domains}")
        return self

    def seeds(self, years: Iterable[int] | None) -> list[str]:
        """Start URLs with ``{year}`` / ``{pub_year}`` expanded for each report year."""
        out: list[str] = []
        for url in self.start_urls:
            if "{year}" in url or "{pub_year}" in url:
                for y in sorted(set(years or ())):
                    out.append(url.replace("{year}", str(y)).replace("{pub_year}", str(y + 1)))
            else:
                out.append(url)
        return list(dict.fromkeys(out))


class PortalsFile(_Strict):
    portals: list[Portal] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> PortalsFile:
        seen: set[str] = set()
        for p in self.portals:
            if p.id in seen:
                raise ValueError(f"duplicate portal id {p.id!r}")
            seen.add(p.id)
        return self


def _format_errors(exc: ValidationError, data: Any) -> str:
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ""
        for part in loc:
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
        # Name the portal by its id when we can: "portals[3] (id=mva)".
        if len(loc) >= 2 and loc[0] == "portals" and isinstance(loc[1], int):
            try:
                pid = data["portals"][loc[1]].get("id")
            except (KeyError, IndexError, TypeError, AttributeError):
                pid = None
            if pid:
                where = where.replace(f"portals[{loc[1]}]", f"portals[{loc[1]}] (id={pid})", 1)
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; allowed keys are listed in deployments/portals/example.yaml)"
        elif err["type"] == "missing":
            msg = "missing required field"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        lines.append(f"{where or '(top level)'}: {msg}")
    return "; ".join(lines)


def parse_portals(data: Any, source: str = "<portals>") -> list[Portal]:
    """Validate already-loaded YAML/JSON data; raise :class:`ConfigError` listing every problem."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping with a 'portals:' list at the top level")
    try:
        return list(PortalsFile.model_validate(data).portals)
    except ValidationError as exc:
        raise ConfigError(f"{source}: invalid portal configuration: {_format_errors(exc, data)}") from None


def safe_load_yaml(text: str, source: str = "<yaml>") -> Any:
    """``yaml.safe_load`` after a pass over the event stream (iterative, no recursion) refusing
    deep nesting and alias bombs, which the recursive composer would turn into a RecursionError
    or an exponential structure."""
    depth = aliases = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise ConfigError(f"{source}: YAML nested more than {MAX_YAML_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                raise ConfigError(f"{source}: more than {MAX_YAML_ALIASES} YAML aliases (an alias bomb?)")
    return yaml.safe_load(text)


def load_portals(path: str | Path) -> list[Portal]:
    """Load one YAML file, or every ``*.yaml``/``*.yml`` file of a directory (ids unique across files;
    ``example.yaml`` is skipped in a directory — it documents the format with a placeholder site)."""
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in [*p.glob("*.yaml"), *p.glob("*.yml")] if f.stem != "example")
        if not files:
            raise ConfigError(f"{p}: no *.yaml portal files in this directory")
    elif p.exists():
        files = [p]
    else:
        raise ConfigError(f"{p}: portal file not found")
    portals: list[Portal] = []
    seen: dict[str, Path] = {}
    for f in files:
        try:
            if f.stat().st_size > MAX_YAML_BYTES:
                raise ConfigError(f"{f}: {f.stat().st_size} bytes; a portal file is at most {MAX_YAML_BYTES}")
            data = safe_load_yaml(f.read_text(encoding="utf-8"), str(f))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{f}: not valid YAML: {exc}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{f}: not UTF-8 text") from None
        for portal in parse_portals(data, str(f)):
            if portal.id in seen:
                raise ConfigError(f"{f}: portal id {portal.id!r} already defined in {seen[portal.id]}")
            seen[portal.id] = f
            portals.append(portal)
    return portals


def portals_to_yaml(portals: Iterable[Portal]) -> str:
    """Serialise portals back to the YAML format (the simulator prints its config with this)."""
    items = [p.model_dump(mode="json", exclude_none=True) for p in portals]
    return yaml.safe_dump({"portals": items}, allow_unicode=True, sort_keys=False)


__all__ = ["Portal", "PortalsFile", "Rate", "Region", "host_allowed", "load_portals", "parse_portals",
           "portals_to_yaml", "safe_load_yaml"]
