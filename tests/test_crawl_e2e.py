"""The whole crawl over real HTTP against the simulator (with faults): found, right, polite, idempotent."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb
import pytest

from collector import RunReport as RunSummary
from collector import collect
from collector.fetch import FetchSettings
from collector.sim import run_simulator
from collector.sim.verify import verify
from collector.store.state import CrawlState

pytestmark = pytest.mark.slow
SEED = 11  # a seed whose URLs hit every fault kind at least once (asserted below)
YEARS = "2008-2023"  # the legacy years (2008–2018, Hanweb annual module) and the template years


class Crawl:
    def __init__(self, sim: Any, out: Path) -> None:
        self.sim, self.out = sim, out
        t0 = time.monotonic()
        self.first: RunSummary = collect(sim.portals, YEARS, out, settings=FetchSettings.for_tests())
        self.first_seconds = time.monotonic() - t0
        self.first_log = sim.requests()
        self.files_after_first = _snapshot(out)

    def state(self, url: str) -> dict[str, Any] | None:
        with CrawlState(self.out) as st:
            row = st.get(url)
        return asdict(row) if row is not None else None


def _snapshot(out: Path) -> dict[str, float]:
    """The dataset's Parquet files (the crawl state's log, also Parquet, records every run's fetches)."""
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*.parquet")
            if p.relative_to(out).parts[0] != "state"}


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with run_simulator(seed=SEED, scale=1, faults="default") as sim:
        yield Crawl(sim, tmp_path_factory.mktemp("crawl"))


def _by_id(summary: RunSummary) -> dict[str, Any]:
    return {p.portal_id: p for p in summary.portals}


def test_every_report_found_and_numbers_right(crawl: Crawl) -> None:
    v = verify(crawl.out, crawl.sim.truth)
    assert v.found == v.expected == 76
    assert not v.missing and not v.extra
    assert not v.mismatches, "\n".join(v.mismatches[:20])
    media = Counter(t["media"] for t in crawl.sim.truth)
    assert media["html"] >= 72  # plus whatever attachment formats this machine can render


def test_parquet_layout_and_columns(crawl: Crawl) -> None:
    rows = duckdb.sql(f"""SELECT report_year, count(*) n, sum(s3__new_received__total) s
        FROM read_parquet('{crawl.out}/reports/**/*.parquet', hive_partitioning=true) GROUP BY 1 ORDER BY 1""").fetchall()
    assert [r[0] for r in rows] == list(range(2008, 2024))
    truth_sum = sum(t["record"]["s3"]["new_received"]["total"] for t in crawl.sim.truth if "s3" in t["record"])
    assert sum(r[2] or 0 for r in rows) == truth_sum
    assert all(r[2] is None for r in rows if r[0] < 2019)  # legacy years: no template table
    legacy = duckdb.sql(f"""SELECT count(*) FROM read_parquet('{crawl.out}/reports/**/*.parquet', hive_partitioning=true)
        WHERE format_version = 'legacy' AND legacy__proactive_items_total IS NOT NULL""").fetchall()[0][0]
    assert legacy == sum(1 for t in crawl.sim.truth if (t["record"].get("legacy") or {}).get("proactive_items_total"))
    assert list((crawl.out / "reports").glob("report_year=2022/*.parquet"))


def test_validation_flags_only_the_broken_reports(crawl: Crawl) -> None:
    errors = dict(duckdb.sql(f"""SELECT canonical_url, validation__errors
        FROM read_parquet('{crawl.out}/reports/**/*.parquet', hive_partitioning=true)""").fetchall())
    for t in crawl.sim.truth:
        assert (errors[t["url"]] > 0) == bool(t["inconsistent"]), t["key"]


def test_families_detected_and_summary(crawl: Crawl) -> None:
    by = _by_id(crawl.first)
    assert {k: by[k].family for k in ("sim-trs", "sim-hanweb", "sim-vsb", "sim-generic")} == {
        "sim-trs": "trs", "sim-hanweb": "hanweb", "sim-vsb": "vsb", "sim-generic": "generic"}
    assert by["sim-waf"].error_code == "blocked" and not by["sim-waf"].collected
    assert crawl.first.ok and sum(p.records for p in crawl.first.portals) == 76
    assert by["sim-hanweb"].pages > 3  # column page + dataproxy groups + xxgkAnnualReport seeds


def test_noise_pages_never_fetched(crawl: Crawl) -> None:
    fetched = {r.path for r in crawl.first_log}
    noise = {n["url"][len(crawl.sim.base_url):] for n in crawl.sim.noise}
    assert noise and not noise & fetched


def test_faults_survived_and_recorded(crawl: Crawl) -> None:
    kinds = Counter(r.fault for r in crawl.first_log if r.fault)
    assert set(kinds) == {"error_500", "reset", "slow", "truncated", "rate_limit"}
    # every URL that misbehaved (other than the traps) was fetched again and ended in the state as fetched
    traps = {t["url"] for t in crawl.sim.traps}
    for r in crawl.first_log:
        if r.fault and crawl.sim.base_url + r.path not in traps:
            row = crawl.state(crawl.sim.base_url + r.path)
            if row is not None:
                assert row["status"] in ("new", "unchanged"), (r.path, row["error"])


def test_429_retry_after_honoured(crawl: Crawl) -> None:
    limited = [r for r in crawl.first_log if r.status == 429]
    assert limited
    for r in limited:
        later = [x.t for x in crawl.first_log if x.path == r.path and x.t > r.t]
        assert later and later[0] - r.t >= 0.95


def test_traps(crawl: Crawl) -> None:
    base = crawl.sim.base_url
    traps = {t["kind"]: t["url"] for t in crawl.sim.traps}
    paths = Counter(r.path for r in crawl.first_log)
    # robots.txt obeyed: the disallowed report page is never requested
    assert paths[traps["robots"][len(base):]] == 0
    assert crawl.state(traps["robots"])["error_code"] == "robots"
    # the redirect to a mirror site is refused (the mirror is never contacted: it does not exist)
    assert crawl.state(traps["foreign_redirect"])["error_code"] == "off_allow_list"
    # 412 challenge: recorded as blocked, asked once, not retried in a loop
    challenge = [t["url"] for t in crawl.sim.traps if t["kind"] == "challenge"]
    for url in challenge:
        assert crawl.state(url)["status"] == "blocked" and crawl.state(url)["http_status"] == 412
        assert paths[url[len(base):]] == 1
    # broken links are failures, not crashes; the report with a broken attachment is still stored
    assert crawl.state(traps["broken"])["http_status"] == 404
    assert crawl.state(traps["broken_attachment"])["status"] == "failed"
    assert paths["/robots.txt"] == 1


def test_fetch_failures_are_documents_and_check_counts_them(crawl: Crawl, tmp_path: Path) -> None:
    """Every document seen is in ``documents``, fetched or not: a 404, a robots refusal, an
    off-allow-list redirect and an anti-bot answer each leave a row with the error."""
    from collector.check import check_dataset

    traps = {t["kind"]: t["url"] for t in crawl.sim.traps}
    rows = duckdb.sql(f"""SELECT source_url, status, error_code, http_status, document_sha256, error
        FROM read_parquet('{crawl.out}/documents/*.parquet') WHERE document_sha256 IS NULL""").fetchall()
    by_url = {r[0]: r for r in rows}
    assert by_url[traps["broken"]][1:4] == ("fetch_failed", "http_status", 404)
    assert by_url[traps["robots"]][1:3] == ("fetch_failed", "robots")
    assert by_url[traps["foreign_redirect"]][1:3] == ("fetch_failed", "off_allow_list")
    assert by_url[traps["broken_attachment"]][1] == "fetch_failed"
    challenge = [t["url"] for t in crawl.sim.traps if t["kind"] == "challenge" and t["url"] in by_url]
    assert challenge and all(by_url[u][1:4] == ("blocked", "blocked", 412) for u in challenge)
    assert all(r[5] for r in rows)  # each with its message
    shutil.copytree(crawl.out, tmp_path / "out")  # check writes its findings: leave the shared crawl alone
    summary = check_dataset(tmp_path / "out")
    assert summary["fetch_failures"] == sum(1 for r in rows if r[1] == "fetch_failed")
    assert summary["fetch_failures_by_code"]["http_status"] >= 1 and summary["fetch_failures_by_code"]["robots"] == 1
    assert summary["blocked_documents"] == len(challenge)


def test_second_run_fetches_nothing_unchanged(crawl: Crawl) -> None:
    crawl.sim.reset_log()
    second = collect(crawl.sim.portals, YEARS, crawl.out, settings=FetchSettings.for_tests())
    log = [r for r in crawl.sim.requests() if r.path != "/robots.txt"]
    full = [r.path for r in log if r.status == 200]
    assert not full, full[:5]
    assert log and all(r.status == 304 for r in log if r.conditional)
    assert sum(p.new for p in second.portals) == 0 and sum(p.records for p in second.portals) == 0
    # the one run report counts report pages (the flows' counting): every report page is unchanged
    assert sum(p.unchanged for p in second.portals) == len(crawl.sim.truth)
    assert sum(p.documents for p in second.portals) >= 80  # pages and attachments, all re-validated (304)
    assert _snapshot(crawl.out) == crawl.files_after_first  # nothing written

    # a republished page (a correction) is the only thing fetched and re-stored in a third run
    target = next(t for t in crawl.sim.truth if t["portal_id"] == "sim-vsb")
    crawl.sim.touch(target["url"][len(crawl.sim.base_url):])
    crawl.sim.reset_log()
    third = collect(crawl.sim.portals, YEARS, crawl.out, settings=FetchSettings.for_tests())
    assert [r.path for r in crawl.sim.requests() if r.status == 200 and r.path != "/robots.txt"] == [
        target["url"][len(crawl.sim.base_url):]]
    # a changed body of a stored report page is "updated" (the one run report's counting, as in the flows)
    assert sum(p.updated for p in third.portals) == 1 and sum(p.new for p in third.portals) == 0
    assert sum(p.records for p in third.portals) == 1
    assert verify(crawl.out, crawl.sim.truth).ok


def test_run_time_budget(crawl: Crawl) -> None:
    assert crawl.first_seconds < 45
