"""The ``xxgk`` command as users run it: JSON output, clean one-line errors, batches that go on."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.reportgen import make_record, render_html, render_text


def xxgk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("xxgk", path=str(Path(sys.executable).parent)) or shutil.which("xxgk")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "collector.cli", *args]
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    truth = make_record("gb2021", 2023, seed=31, agency="某县交通运输局")
    (tmp_path / "good.html").write_bytes(render_html(truth))
    (tmp_path / "good.txt").write_bytes(render_text(make_record("gb2019", 2020, seed=32, agency="某镇"), "pipes"))
    (tmp_path / "empty.html").write_bytes(b"")
    # seeded: os.urandom once gave bytes the sniffer took for a damaged known format (flaky "corrupt")
    (tmp_path / "junk.bin").write_bytes(random.Random(4096).randbytes(4096))
    (tmp_path / "unrelated.html").write_text("<html><body><p>欢迎访问本网站。今日天气晴。</p></body></html>", encoding="utf-8")
    for p in tmp_path.iterdir():
        out[p.name] = p
    out["truth"] = truth  # type: ignore[assignment]
    return out


def test_parse_json_prints_the_record(files: dict) -> None:
    r = xxgk("parse", str(files["good.html"]), "--json")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["s3"]["new_received"]["total"] == files["truth"]["s3"]["new_received"]["total"]
    assert rec["format_version"] == "gb2021" and rec["agency_name"] == "某县交通运输局"
    assert {"rule", "severity", "message"} <= set(rec["validation"][0]) if rec["validation"] else True


@pytest.mark.parametrize(("name", "needle"), [
    ("missing.html", "no such file"),
    ("empty.html", "empty document"),
    ("junk.bin", "unknown format"),
    ("unrelated.html", "not a government information-disclosure annual report"),
])
def test_bad_input_one_line_error(files: dict, tmp_path: Path, name: str, needle: str) -> None:
    path = files.get(name, tmp_path / name)
    r = xxgk("parse", str(path), "--json")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], r.stderr
    assert r.stdout.strip() == ""


def test_batch_goes_on_and_records_failures(files: dict, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [str(files[n]) for n in ("junk.bin", "good.html", "empty.html", "good.txt", "unrelated.html")]
    r = xxgk("parse", *args, "--out", str(out))
    assert r.returncode == 1  # some inputs failed
    assert "Traceback" not in r.stderr
    reports = pq.read_table(out / "reports").to_pylist()
    assert {x["agency_name"] for x in reports} == {"某县交通运输局", "某镇"}
    docs = {Path(d["source_url"]).name: d for d in pq.read_table(out / "documents").to_pylist()}
    assert docs["junk.bin"]["status"] == "failed" and docs["junk.bin"]["error_code"] == "unsupported_format"
    assert docs["unrelated.html"]["status"] == "not_a_report"
    assert docs["good.html"]["status"] == "parsed" and docs["good.html"]["media_type"] == "html"
    # the raw bytes are kept for re-parsing, even for failures
    assert (out / docs["junk.bin"]["raw_path"]).read_bytes() == files["junk.bin"].read_bytes()
    # a second identical run adds nothing
    xxgk("parse", *args, "--out", str(out))
    assert pq.read_table(out / "reports").num_rows == 2
    assert pq.read_table(out / "documents").num_rows == 5


def test_check_summarises(files: dict, tmp_path: Path) -> None:
    out = tmp_path / "out"
    xxgk("parse", str(files["good.html"]), str(files["good.txt"]), "--out", str(out))
    r = xxgk("check", str(out), "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["reports"] == 2 and summary["documents"] == 2
    from collector.validate import rule_name

    assert all(row["name"] == rule_name(row["rule"]) and not row["name"].startswith("rule ")
               for row in summary["by_rule"])
    r2 = xxgk("check", str(tmp_path / "nope"))
    assert r2.returncode != 0 and "no such dataset" in r2.stderr


def _parse_quickly(path: Path | str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("xxgk", path=str(Path(sys.executable).parent)) or "xxgk"
    return subprocess.run([exe, "parse", str(path), "--json"], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})


def test_parse_refuses_a_fifo_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "report.html"
    os.mkfifo(fifo)
    r = _parse_quickly(fifo)  # reading it would wait for a writer forever
    assert r.returncode != 0 and "FIFO, not a regular file" in r.stderr and "Traceback" not in r.stderr


def test_parse_refuses_a_device() -> None:
    r = _parse_quickly("/dev/zero")  # reading it never ends
    assert r.returncode != 0 and "device, not a regular file" in r.stderr


def test_parse_checks_the_size_before_reading(tmp_path: Path) -> None:
    sparse = tmp_path / "huge.html"
    with open(sparse, "wb") as fh:
        fh.truncate(1 << 30)  # 1 GB that takes no disk: read whole, it would take 1 GB of memory
    r = _parse_quickly(sparse)
    assert r.returncode != 0 and "1073741824 bytes, over the" in r.stderr and "byte cap" in r.stderr


def test_read_local_file_reads_with_a_bound(tmp_path: Path) -> None:
    from collector.cli import read_local_file
    from collector.errors import ResourceLimit

    p = tmp_path / "a.txt"
    p.write_bytes(b"x" * 5000)
    assert read_local_file(p, cap=5000) == b"x" * 5000
    with pytest.raises(ResourceLimit):
        read_local_file(p, cap=4999)


def test_flow_runs_on_the_embedded_api_send_no_heartbeats() -> None:
    """Each flow run joined its heartbeat thread (1 s sleeps) at exit: 0.5-1 s per run for nothing,
    since the embedded API runs no automation that reads heartbeats. A frequency the user set stays."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from collector.cli_flows import embedded_client_settings

    updates = embedded_client_settings({})
    assert updates == {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    with temporary_settings(updates=updates):
        from prefect.settings import get_current_settings

        assert get_current_settings().flows.heartbeat_frequency is None
    assert embedded_client_settings({"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "60"}) == {}
    assert embedded_client_settings({"PREFECT_RUNNER_HEARTBEAT_FREQUENCY": "60"}) == {}
