"""Portal YAML validation: every mistake fails with the file, the entry and the field named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from collector.config import Portal, host_allowed, load_portals, parse_portals, portals_to_yaml
from collector.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
GOOD = {
    "id": "yining-amr",
    "name": "伊宁市市场监督管理局",
    "region": {"province": "新疆维吾尔自治区", "city": "伊犁哈萨克自治州", "county": "伊宁市", "code": "654002"},
    "publisher_type": "gov_department",
    "start_urls": ["https://www.example.gov.cn/zwgk/zfxxgk/zfxxgknb/"],
    "cms": "auto",
    "allowed_domains": ["example.gov.cn"],
    "max_pages": 50,
    "rate": {"requests_per_second": 1.0, "concurrency": 2},
}


def bad(**changes: object) -> str:
    entry = {**GOOD, **changes}
    for k, v in list(entry.items()):
        if v is None:
            del entry[k]
    with pytest.raises(ConfigError) as ei:
        parse_portals({"portals": [entry]}, "portals.yaml")
    return str(ei.value)


def test_good_entry() -> None:
    (p,) = parse_portals({"portals": [GOOD]})
    assert p.id == "yining-amr" and p.rate.concurrency == 2 and not p.unverified
    assert p.region.code == "654002"


def test_unknown_key_is_named() -> None:
    msg = bad(max_page=3)
    assert "portals[0] (id=yining-amr).max_page" in msg and "unknown key" in msg
    msg = bad(rate={"requests_per_second": 1, "burst": 3})
    assert "rate.burst" in msg and "unknown key" in msg
    with pytest.raises(ConfigError, match="unknown key"):
        parse_portals({"portals": [GOOD], "defaults": {}})


def test_missing_fields() -> None:
    assert "start_urls: missing required field" in bad(start_urls=None)
    assert "allowed_domains: missing required field" in bad(allowed_domains=None)
    assert "name: missing required field" in bad(name=None)
    with pytest.raises(ConfigError, match="portals"):
        parse_portals({"portals": []})
    with pytest.raises(ConfigError, match="mapping"):
        parse_portals([GOOD])


@pytest.mark.parametrize("url,needle", [
    ("ftp://www.example.gov.cn/x", "scheme must be http or https"),
    ("www.example.gov.cn/zfxxgknb/", "scheme must be http or https"),
    ("https:///zfxxgknb/", "no host"),
    ("https://www.example.gov.cn/a b", "whitespace"),
    ("https://www.example.gov.cn:99999/", "bad URL"),
    ("https://www.example.gov.cn/{month}/", "placeholders"),
])
def test_bad_urls(url: str, needle: str) -> None:
    msg = bad(start_urls=[url])
    assert "start_urls[0]" in msg and needle in msg


def test_seed_outside_allowed_domains() -> None:
    assert "outside allowed_domains" in bad(allowed_domains=["other.gov.cn"])


def test_bad_values() -> None:
    assert "id" in bad(id="Yining AMR")
    assert "cms" in bad(cms="wordpress")
    assert "region.code" in bad(region={"code": "65400"})
    assert "max_pages" in bad(max_pages=0)
    assert "bad domain" in bad(allowed_domains=["http://example.gov.cn"])
    assert "publisher_type" in bad(publisher_type="company")


def test_duplicate_ids() -> None:
    with pytest.raises(ConfigError, match="duplicate portal id"):
        parse_portals({"portals": [GOOD, GOOD]})


def test_year_templates_expand() -> None:
    p = Portal.model_validate({**GOOD, "start_urls": ["https://www.example.gov.cn/a/{year}nb/",
                                                      "https://www.example.gov.cn/m.jsp?fbtime={pub_year}"]})
    assert p.seeds([2022, 2021]) == ["https://www.example.gov.cn/a/2021nb/", "https://www.example.gov.cn/a/2022nb/",
                                     "https://www.example.gov.cn/m.jsp?fbtime=2022",
                                     "https://www.example.gov.cn/m.jsp?fbtime=2023"]


def test_host_allowed() -> None:
    assert host_allowed("www.example.gov.cn", ["example.gov.cn"])
    assert host_allowed("example.gov.cn", ["example.gov.cn"])
    assert not host_allowed("example.gov.cn.evil.com", ["example.gov.cn"])
    assert not host_allowed("badexample.gov.cn", ["example.gov.cn"])
    assert host_allowed("61.150.65.235", ["61.150.65.235"])


def test_load_files_and_errors(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text(yaml.safe_dump({"portals": [GOOD]}, allow_unicode=True), "utf-8")
    assert load_portals(f)[0].id == "yining-amr"
    (tmp_path / "q.yaml").write_text(yaml.safe_dump({"portals": [GOOD]}, allow_unicode=True), "utf-8")
    with pytest.raises(ConfigError, match="already defined"):
        load_portals(tmp_path)
    (tmp_path / "broken.yaml").write_text("portals: [\n", "utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_portals(tmp_path / "broken.yaml")
    with pytest.raises(ConfigError, match="not found"):
        load_portals(tmp_path / "none.yaml")


def test_round_trip() -> None:
    portals = parse_portals({"portals": [GOOD]})
    assert parse_portals(yaml.safe_load(portals_to_yaml(portals))) == portals


def test_shipped_portal_lists_are_valid() -> None:
    example = load_portals(REPO / "deployments/portals/example.yaml")
    assert example[0].id == "yining-amr"
    shipped = load_portals(REPO / "deployments/portals")
    assert len(shipped) >= 20 and all(p.unverified for p in shipped)
    assert {"mva", "csrc", "customs"} <= {p.id for p in shipped}
    assert {p.cms for p in shipped} >= {"trs", "hanweb", "vsb", "generic"}
