"""The library API stage by stage (discover -> fetch -> process), resumability, refusals, the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from collector.config import Portal, parse_portals
from collector.crawl import (
    FetchedRef,
    default_years,
    discover_portal,
    fetch_candidates,
    parse_years,
    process_refs,
)
from collector.errors import ConfigError, PrivateAddress
from collector.fetch import FetchSettings
from collector.sim import run_simulator
from collector.sim.verify import verify
from collector.stages import collect
from collector.store.raw import RawStore, raw_relpath
from collector.store.state import CrawlState

FAST = FetchSettings.for_tests()


@pytest.fixture(scope="module")
def sim() -> Any:
    with run_simulator(seed=21, scale=1, formats=set()) as s:
        yield s


def _portal(sim: Any, pid: str) -> Portal:
    return next(p for p in sim.portals if p.id == pid)


@pytest.mark.parametrize("pid,family", [("sim-trs", "trs"), ("sim-hanweb", "hanweb"), ("sim-vsb", "vsb"),
                                        ("sim-generic", "generic")])
def test_discover_each_family(sim: Any, tmp_path: Path, pid: str, family: str) -> None:
    cands = discover_portal(_portal(sim, pid), "2008-2023", tmp_path, settings=FAST)  # legacy years too
    truth = {t["url"] for t in sim.truth if t["portal_id"] == pid}
    traps = {t["url"] for t in sim.traps}
    got = {c.url for c in cands}
    assert truth <= got and got - truth <= traps
    assert all(c.cms_family == family and c.portal_id == pid for c in cands)
    by_url = {t["url"]: t for t in sim.truth}
    for c in cands:
        if c.url in by_url:  # the year and agency come from the title
            assert c.year == by_url[c.url]["record"]["report_year"]
            assert c.agency_name == by_url[c.url]["record"]["agency_name"]


def test_discover_year_filter(sim: Any, tmp_path: Path) -> None:
    cands = discover_portal(_portal(sim, "sim-generic"), [2022], tmp_path, settings=FAST)
    assert cands and {c.year for c in cands} == {2022}
    hanweb = discover_portal(_portal(sim, "sim-hanweb"), [2021], tmp_path, settings=FAST)
    assert any("fbtime=2021" in c.url for c in hanweb) and not any("fbtime=2020" in c.url for c in hanweb)


def test_stages_pass_references_and_resume(sim: Any, tmp_path: Path) -> None:
    portal = _portal(sim, "sim-trs")
    cands = discover_portal(portal, "2019-2023", tmp_path, settings=FAST)
    half = cands[: len(cands) // 2]
    refs = fetch_candidates(portal, half, tmp_path, settings=FAST)
    for r in refs:
        json.dumps(r.to_dict(), ensure_ascii=False)  # plain data: a Prefect task can return it
        assert FetchedRef.from_dict(r.to_dict()) == r
        if r.ok:
            assert r.raw_path == raw_relpath(r.sha256) and (tmp_path / r.raw_path).is_file()
            assert r.status == "new" and r.http_status == 200 and r.encoding == "utf-8"
    stats = process_refs(refs, tmp_path)
    assert stats.records == sum(1 for r in refs if r.ok and r.kind == "page")
    # "crash" here; the next full run fetches the first half conditionally and the rest anew
    sim.reset_log()
    refs2 = fetch_candidates(portal, cands, tmp_path, settings=FAST)
    status = {r.url: r.status for r in refs2}
    assert all(status[r.url] == "unchanged" for r in refs if r.ok)
    traps = {t["url"] for t in sim.traps}
    expected_new = len([c for c in cands[len(half):] if c.url not in traps])
    assert sum(s == "new" for s in status.values()) == expected_new
    stats2 = process_refs(refs2, tmp_path)
    assert stats2.skipped_unchanged == len([r for r in refs if r.ok])
    assert stats2.records == expected_new


def test_state_and_raw_store(sim: Any, tmp_path: Path) -> None:
    collect([_portal(sim, "sim-vsb")], "2019-2023", tmp_path, settings=FAST)
    with CrawlState(tmp_path) as st:
        rows = st.rows("sim-vsb")
    pages = [r for r in rows if r.kind == "page"]
    assert len(pages) == 15 and all(r.etag and r.sha256 and r.processed_sha256 == r.sha256 for r in pages)
    assert {r.kind for r in rows} == {"listing", "page"}
    gbk = [r for r in pages if r.encoding == "gb18030"]
    assert gbk, "VSB pages are partly GBK"
    raw = RawStore(tmp_path)
    assert all(raw.get(r.sha256) for r in rows if r.sha256)
    assert list((tmp_path / "state" / "fetches" / "portal=sim-vsb").glob("*.jsonl.gz"))  # in the output root


def test_a_crawl_reads_no_page_back_from_the_raw_store(sim: Any, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Discovery and the attachment scan take the page just fetched, not a re-read of the file
    just written (issue #13: a disk round trip per page); a re-run (304s) still reads the store."""
    reads: list[str] = []
    get = RawStore.get
    monkeypatch.setattr(RawStore, "get", lambda self, sha: reads.append(sha) or get(self, sha))
    portal = _portal(sim, "sim-trs")
    first = collect([portal], "2019-2023", tmp_path, settings=FAST, process=False)
    assert first.totals()["documents"] > 5 and reads == []
    collect([portal], "2019-2023", tmp_path, settings=FAST, process=False)
    with CrawlState(tmp_path) as st:
        assert len(set(reads)) == len({r.sha256 for r in st.rows("sim-trs") if r.sha256})


def test_private_and_loopback_refused(sim: Any, tmp_path: Path) -> None:
    s = collect(sim.portals[:2], "2022", tmp_path, settings=FetchSettings.for_tests(allow_loopback=False))
    assert not s.ok and all(p.error_code == "private_address" for p in s.portals)
    lan = Portal(id="lan", name="内网", start_urls=["http://10.255.255.1/zfxxgknb/"], allowed_domains=["10.255.255.1"])
    s2 = collect([lan], "2022", tmp_path, allow_loopback=True, settings=FAST)
    assert not s2.ok and s2.portals[0].error_code == "private_address"
    with pytest.raises(PrivateAddress):
        discover_portal(lan, "2022", tmp_path, allow_loopback=True, settings=FAST)
    assert not sim.requests("/private")


def test_years_parsing() -> None:
    assert parse_years("2021-2023") == [2021, 2022, 2023]
    assert parse_years("2019, 2022") == [2019, 2022]
    assert parse_years([2023, 2021]) == [2021, 2023]
    assert len(parse_years(None)) == 2 and parse_years(None) == default_years()
    for bad in ("2023-2021", "abc", "1800"):
        with pytest.raises(ConfigError):
            parse_years(bad)


# -- the CLI -----------------------------------------------------------------------------------


def _cli(*args: str) -> Any:
    from collector.cli import app

    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_cli_collect_ok(sim: Any, tmp_path: Path) -> None:
    cfg = tmp_path / "portals.yaml"
    cfg.write_text(sim.portals_yaml, "utf-8")
    out = tmp_path / "out"
    res = _cli("collect", "--portals", str(cfg), "--out", str(out), "--years", "2019-2023", "--allow-loopback",
               "--no-politeness", "--portal", "sim-vsb")
    assert res.exit_code == 0, res.output
    truth = [t for t in sim.truth if t["portal_id"] == "sim-vsb"]
    assert verify(out, truth).found == len(truth) == 15


def test_cli_collect_config_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump({"portals": [{"id": "x", "name": "n", "start_urls": ["ftp://a.gov.cn/"],
                                                "allowed_domains": ["a.gov.cn"], "rates": {}}]}), "utf-8")
    res = _cli("collect", "--portals", str(cfg), "--out", str(tmp_path / "o"))
    assert res.exit_code == 2
    assert "start_urls[0]" in res.output and "rates: unknown key" in res.output
    assert _cli("collect", "--portals", str(tmp_path / "none.yaml"), "--out", str(tmp_path)).exit_code == 2
    assert _cli("collect", "--portals", str(cfg), "--out", str(tmp_path), "--years", "20x").exit_code == 2


def test_cli_collect_nothing_collected(sim: Any, tmp_path: Path) -> None:
    cfg = tmp_path / "portals.yaml"
    cfg.write_text(sim.portals_yaml, "utf-8")
    res = _cli("collect", "--portals", str(cfg), "--out", str(tmp_path / "o"), "--years", "2022")  # no --allow-loopback
    assert res.exit_code == 1 and "nothing could be collected" in res.output
    assert parse_portals(yaml.safe_load(sim.portals_yaml))


def test_time_budget_caps_fetching(sim: Any, tmp_path: Path) -> None:
    portal = _portal(sim, "sim-vsb")
    cands = discover_portal(portal, "2019-2023", tmp_path, settings=FAST)
    refs = fetch_candidates(portal, cands, tmp_path, settings=FetchSettings.for_tests(portal_budget=1e-6))
    assert refs and all(r.status == "failed" and r.error_code == "portal_budget" for r in refs)
    with CrawlState(tmp_path) as st:
        assert st.get(cands[0].url).error_code == "portal_budget"  # type: ignore[union-attr]


def test_damaged_raw_body_is_fetched_again(sim: Any, tmp_path: Path) -> None:
    portal = _portal(sim, "sim-generic")
    collect([portal], "2022", tmp_path, settings=FAST)
    with CrawlState(tmp_path) as st:
        page = next(r for r in st.rows("sim-generic") if r.kind == "page" and r.status == "new")
    path = RawStore(tmp_path).path(page.sha256)  # type: ignore[arg-type]
    path.write_bytes(path.read_bytes()[:100])  # a power loss truncated it
    sim.reset_log()
    collect([portal], "2022", tmp_path, settings=FAST)
    full = [r.path for r in sim.requests() if r.status == 200 and r.path != "/robots.txt"]
    assert full == [page.url[len(sim.base_url):]]
    assert RawStore(tmp_path).valid(page.sha256)


@pytest.mark.filterwarnings("ignore::bs4.XMLParsedAsHTMLWarning")  # Hanweb dataproxy replies are XML
def test_listing_soups_read_as_full_soups_on_every_simulated_listing(sim: Any, tmp_path: Path) -> None:
    """Discovery's listing soup (only href/title attributes, no whitespace-only strings) against
    a plain BeautifulSoup of each listing page the simulator serves, Hanweb's records included."""
    from bs4 import BeautifulSoup

    from collector.crawl import _decode
    from collector.discover.base import make_soup
    from collector.discover.hanweb import _RECORD
    from tests.test_crawl_discover import soup_reads

    for p in sim.portals:
        discover_portal(p, "2019-2023", tmp_path, settings=FAST)
    raw = RawStore(tmp_path)
    with CrawlState(tmp_path) as st:
        pages = [_decode(raw.get(r.sha256), r) for r in st.rows() if r.kind == "listing" and r.sha256]
    pages += [rec for html in pages for rec in _RECORD.findall(html)]
    assert len(pages) > 20
    for html in pages:
        assert soup_reads(make_soup(html)) == soup_reads(BeautifulSoup(html, "lxml"))


def test_downloads_start_before_the_dataset_opens_yet_a_damaged_file_is_rebuilt(
        sim: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The library path downloads while the dataset opens (issue #13), but classifies the downloads
    and decides what to parse only once the open's repair is done: a file it sets aside makes the
    crawl state forget what was processed, so those pages count as new and their rows come back."""
    import threading
    import time

    from collector import stages
    from collector.crawl import CrawlSession

    truth = [t for t in sim.truth if t["record"]["report_year"] == 2021]
    out = tmp_path / "out"
    first = collect(sim.portals, "2021", out, settings=FAST)
    assert first.totals()["new"] > 0 and verify(out, truth).ok
    victim = next((out / "reports" / "report_year=2021").glob("part-*.parquet"))
    victim.write_bytes(victim.read_bytes()[:100])

    real_open, real_fetch_all = stages.open_output, CrawlSession.fetch_all
    opened, fetched_during_open = threading.Event(), threading.Event()

    async def fetch_all(self: Any, portal: Any, cands: Any) -> Any:
        refs = await real_fetch_all(self, portal, cands)
        if not opened.is_set():
            fetched_during_open.set()
        return refs

    def slow_open(ws: Any, **kw: Any) -> Any:
        time.sleep(1.5)  # the downloads finish first
        try:
            return real_open(ws, **kw)
        finally:
            opened.set()

    monkeypatch.setattr(stages, "open_output", slow_open)
    monkeypatch.setattr(CrawlSession, "fetch_all", fetch_all)
    sim.reset_log()
    second = collect(sim.portals, "2021", out, settings=FAST)
    assert fetched_during_open.is_set()
    assert any("_quarantine" in n and victim.name in n for n in second.notes), second.notes
    totals = second.totals()
    assert totals["unchanged"] == 0 and totals["new"] == first.totals()["new"], totals
    assert verify(out, truth).ok
