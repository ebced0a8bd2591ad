"""The portal simulator: consistent ground truth, CMS-like pages, conditional GET, faults, CLI."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import defaultdict
from typing import Any

import httpx
import pytest
import yaml

from collector.config import parse_portals
from collector.sim import Faults, run_simulator
from collector.sim.layout import record_to_layout
from collector.sim.render_html import layout_to_html
from collector.sim.sites import build_world
from collector.sim.truth import APPLICANTS, OTHER_2021, RESULT_ROWS


@pytest.fixture(scope="module")
def sim() -> Any:
    with run_simulator(seed=5, scale=1, faults="default", formats=set()) as s:
        yield s


def _hard_rule_failures(rec: dict[str, Any]) -> set[str]:
    s3, s4, out = rec["s3"], rec["s4"], set()
    detail = RESULT_ROWS + (OTHER_2021 if rec["format_version"] == "gb2021" else ["other_handling"])
    for c in [*APPLICANTS, "total"]:
        if s3["new_received"][c] + s3["carried_over_in"][c] != s3["results_total"][c] + s3["carried_over_out"][c]:
            out.add("rule1")
        if s3["results_total"][c] != sum(s3[r][c] for r in detail):
            out.add("rule2")
        if rec["format_version"] == "gb2021" and s3["other_handling"][c] != sum(s3[r][c] for r in OTHER_2021):
            out.add("other_handling")
    for row in s3.values():
        vals = [row[c] for c in APPLICANTS]
        if row["total"] is not None and row["total"] != sum(vals):
            out.add("rule3")
    for b in s4.values():
        if b["total"] != b["upheld"] + b["corrected"] + b["other"] + b["pending"]:
            out.add("rule5")
    if rec["format_version"] == "gb2019" and any(s3[r][c] is not None for r in OTHER_2021 for c in APPLICANTS):
        out.add("rule6")
    return out


def test_truth_is_consistent_except_flagged(sim: Any) -> None:
    truth = sim.truth
    assert len(truth) == 65 + 11  # and 2008–2018 of the Hanweb government (legacy reports)
    flagged = [t for t in truth if t["inconsistent"]]
    assert {r for t in flagged for r in t["inconsistent"]} == {"rule1", "rule5"}
    for t in truth:
        if t["record"]["format_version"] != "legacy":
            assert _hard_rule_failures(t["record"]) == set(t["inconsistent"]), t["key"]


def test_legacy_years_have_known_figures(sim: Any) -> None:
    legacy = [t for t in sim.truth if t["record"]["format_version"] == "legacy"]
    assert sorted(t["record"]["report_year"] for t in legacy) == list(range(2008, 2019))
    assert all(t["portal_id"] == "sim-hanweb" and "xxgkAnnualReport.jsp" in t["url"] for t in legacy)
    stated = [t for t in legacy if any(v is not None for v in t["record"]["legacy"].values() if not isinstance(v, dict))]
    assert len(stated) == 10  # 2012 states no figure (text only)
    r = httpx.get(legacy[6]["url"])  # 2014: national annex form (2016: the form attached, when xlsx renders)
    assert "统计指标" in r.text and "政府信息公开情况统计表" in r.text


def test_truth_formats_and_cross_year_chain(sim: Any) -> None:
    chains: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in sim.truth:
        rec = t["record"]
        if rec["format_version"] == "legacy":
            continue
        expected = "gb2021" if rec["report_year"] >= 2021 else "gb2019"
        if rec["format_version"] != expected:
            assert (rec["report_year"], rec["format_version"]) == (2022, "gb2019")
        chains[rec["agency_name"]].append(rec)
    assert sum(r["report_year"] == 2022 and r["format_version"] == "gb2019" for c in chains.values() for r in c) == 1
    for recs in chains.values():
        recs.sort(key=lambda r: r["report_year"])
        for prev, cur in zip(recs, recs[1:], strict=False):  # rule 9 holds (records are broken in their last year)
            assert all(cur["s3"]["carried_over_in"][c] == prev["s3"]["carried_over_out"][c] for c in APPLICANTS)


def test_world_is_deterministic() -> None:
    a, b = build_world(9, 1, None, set()), build_world(9, 1, None, set())
    assert [r.record for r in a.reports] == [r.record for r in b.reports]
    assert {k: v.body for k, v in a.routes.items()} == {k: v.body for k, v in b.routes.items()}
    assert [r.record for r in build_world(10, 1, None, set()).reports] != [r.record for r in a.reports]
    assert len(build_world(9, 2, None, set()).reports) == 2 * len(a.reports) - 16  # the Hanweb government chain


def test_portals_yaml_is_valid_config(sim: Any) -> None:
    portals = parse_portals(yaml.safe_load(sim.portals_yaml))
    assert {p.id for p in portals} == {"sim-trs", "sim-hanweb", "sim-vsb", "sim-generic", "sim-waf"}
    assert sim.portals_path.read_text("utf-8") == sim.portals_yaml
    assert (sim.truth_dir / "truth.json").exists() and len(list((sim.truth_dir / "reports").glob("*.json"))) == 76


def test_pages_look_like_their_cms(sim: Any) -> None:
    c = httpx.Client(timeout=10)
    get = lambda path: _retry(lambda: c.get(sim.url(path)))  # noqa: E731 - faults are on
    trs = get("/trs/zfxxgk/zfxxgknb/").text
    assert 'createPageHTML(' in trs and "./20" in trs
    han_col = next(p for p in sim.world.portals if p.id == "sim-hanweb").start_urls[0]
    han = get(han_col).text
    assert "<datastore>" in han and "dataproxy.jsp" in han
    assert get(han_col.replace("index.html", "index_1.html")).status_code == 404  # no static pages on Hanweb
    vsb = get("/vsb/xxgk/zfxxgknb.htm").text
    assert "Visual SiteBuilder" in vsb and "zfxxgknb/" in vsb
    gen = get("/gen/xxgk/nianbao/").text
    assert "2022年度" in gen
    gbk = next(t for t in sim.truth if t["encoding"] == "gbk")
    r = get(gbk["url"][len(sim.base_url):])
    assert "gbk" in r.headers["content-type"].lower() and gbk["title"].encode("gbk") in r.content
    c.close()


def _retry(fn: Any, n: int = 4) -> Any:
    for _ in range(n):
        try:
            r = fn()
        except httpx.TransportError:
            continue
        if r.status_code not in (429, 500):
            return r
        time.sleep(0.2)
    raise AssertionError("simulator kept failing")


def test_hanweb_dataproxy_get_and_post() -> None:
    with run_simulator(seed=5, formats=set()) as s:
        col = next(p for p in s.world.portals if p.id == "sim-hanweb").start_urls[0]
        colid = col.split("/col/col")[1].split("/")[0]
        q = f"startrecord=1&endrecord=5&perpage=5&columnid={colid}"
        xml = httpx.get(s.url(f"/hanweb/module/web/jpage/dataproxy.jsp?{q}")).text
        assert "<totalrecord>" in xml and xml.count("<record>") == 5
        posted = httpx.post(s.url("/hanweb/module/web/jpage/dataproxy.jsp"), data=dict(x.split("=") for x in q.split("&")))
        assert posted.text == xml


def test_conditional_get_and_touch() -> None:
    with run_simulator(seed=5, formats=set()) as s:
        url = s.truth[0]["url"]
        r = httpx.get(url)
        assert r.status_code == 200 and r.headers["etag"] and r.headers["last-modified"]
        assert httpx.get(url, headers={"If-None-Match": r.headers["etag"]}).status_code == 304
        assert httpx.get(url, headers={"If-Modified-Since": r.headers["last-modified"]}).status_code == 304
        s.touch(url[len(s.base_url):])
        assert httpx.get(url, headers={"If-None-Match": r.headers["etag"]}).status_code == 200
        assert [x.status for x in s.requests(url[len(s.base_url):])] == [200, 304, 304, 200]


def test_faults_hit_once_per_url() -> None:
    faults = Faults(error_500=0.5, rate_limit=0.5)
    with run_simulator(seed=5, faults=faults, formats=set()) as s:
        url = s.truth[0]["url"]
        first, second = httpx.get(url), httpx.get(url)
        assert first.status_code in (500, 429) and second.status_code == 200
        if first.status_code == 429:
            assert first.headers["retry-after"] == "1"
    with pytest.raises(ValueError):
        Faults(error_500=0.8, reset=0.5)
    with pytest.raises(ValueError):
        Faults.resolve({"errors": 1})


def test_word_pasted_html() -> None:
    rec = build_world(5, 1, None, set()).reports[0].record
    rec["s3"]["granted"]["total"] = None  # a blank cell
    html = layout_to_html(record_to_layout(rec), seed=1, blank="&nbsp;", wrap_labels=True)
    assert 'rowspan="' in html and 'colspan="' in html and "Times New Roman" in html
    assert "商业<br/>企业" in html and "&nbsp;" in html


def test_cli_sim_prints_yaml(tmp_path: Any) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "collector.cli", "sim", "--port", "0", "--seed", "2",
                             "--formats", "", "--truth-dir", str(tmp_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "serving on" in line or not line:
                break
        out = "".join(lines)
        assert "portals:" in out and "# ground truth:" in out
        assert {p.id for p in parse_portals(yaml.safe_load(out))} >= {"sim-trs", "sim-hanweb", "sim-vsb", "sim-generic"}
        assert (tmp_path / "truth.json").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert (tmp_path / "portals.yaml").exists()  # kept after the server stops
