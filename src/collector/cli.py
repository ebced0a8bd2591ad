"""The ``xxgk`` command: parse, check, schema, report, collect, backfill, reparse, sim, demo.

Every command turns library errors into one clear line on stderr and a non-zero exit; a
traceback is printed only with ``XXGK_DEBUG=1``.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from collector.errors import BadLocation, CollectorError, ResourceLimit, StoreError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Collect 政府信息公开工作年度报告 into a validated Parquet dataset.")
out_console = Console()
err_console = Console(stderr=True)


def _fail(msg: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {msg}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _read_input(arg: str, allow_loopback: bool) -> tuple[bytes, str, int | None]:
    """Bytes of a path or URL (fetched with the crawler's safety checks)."""
    if arg.startswith(("http://", "https://")):
        from collector.fetch.simple import fetch_once

        res = fetch_once(arg, allow_loopback=allow_loopback)
        return res.content, arg, res.status
    return read_local_file(Path(arg)), str(Path(arg).resolve()), None


def read_local_file(path: Path, cap: int | None = None) -> bytes:
    """A regular file's bytes, never more than ``cap`` (the extraction size cap).

    Opened without blocking and checked on the open descriptor (no race with a swap): a FIFO
    would hang the read, ``/dev/zero`` never ends, and a sparse 1 GB file is refused from its
    size before a byte is read.
    """
    from collector.extract.limits import DEFAULT_LIMITS

    cap = DEFAULT_LIMITS.max_bytes if cap is None else cap
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise CollectorError(f"{path}: no such file") from None
    except OSError as exc:
        raise CollectorError(f"{path}: cannot open ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise CollectorError(f"{path}: is a directory")
        if not stat.S_ISREG(st.st_mode):
            kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode) or \
                stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a file"
            raise CollectorError(f"{path}: {kind}, not a regular file; refused")
        if st.st_size > cap:
            raise ResourceLimit(f"{path}: {st.st_size} bytes, over the {cap} byte cap; refused")
        try:
            data = fh.read(cap + 1)
        except OSError as exc:
            raise CollectorError(f"{path}: cannot read ({exc.strerror})") from None
    if len(data) > cap:
        raise ResourceLimit(f"{path}: grew past the {cap} byte cap while being read; refused")
    return data


@app.command()
def parse(
    inputs: Annotated[list[str], typer.Argument(help="files or URLs of reports (HTML, text, PDF, DOC/DOCX, XLS/XLSX)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the record(s) as JSON (JSON Lines for several)")] = False,
    out: Annotated[str | None, typer.Option("--out", help="write records into this dataset root (path or URI)")] = None,
    year: Annotated[int | None, typer.Option(help="report year hint when the document does not say")] = None,
    agency: Annotated[str | None, typer.Option(help="agency name hint when the document does not say")] = None,
    allow_loopback: Annotated[bool, typer.Option("--allow-loopback", help="allow URLs on private/loopback addresses")] = False,
    assume_report: Annotated[bool, typer.Option("--assume-report", help="parse a legacy document the recogniser "
                                                "refuses (its reason is kept in parse_warnings)")] = False,
) -> None:
    """Parse reports into standard records; print them, or store them with --out."""
    from collector.pipeline import Outcome, process_document

    outcomes: list[Outcome] = []
    failed = 0
    if out is not None:
        return _parse_into(out, inputs, as_json, year, agency, allow_loopback, assume_report)
    for arg in inputs:
        try:
            data, source, status = _read_input(arg, allow_loopback)
        except CollectorError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            failed += 1
            continue
        o = process_document(data, _parse_context(source, status, year, agency, assume_report))
        if o.error is not None:
            failed += 1
            err_console.print(f"[bold red]error:[/] {arg}: {o.error}", highlight=False, soft_wrap=True)
        outcomes.append(o)
    _print_records([o.record for o in outcomes if o.record is not None], as_json, len(inputs))
    if failed:
        raise typer.Exit(1)


def _parse_context(source: str, status: int | None, year: int | None, agency: str | None,
                   assume_report: bool) -> Any:
    from collector.pipeline import SourceContext

    hint = Path(source.split("?")[0]).suffix.lstrip(".") or None
    return SourceContext(source_url=source, report_year=year, agency_name=agency, hint=hint, http_status=status,
                         assume_report=assume_report)


def _parse_into(out: str, inputs: list[str], as_json: bool, year: int | None, agency: str | None,
                allow_loopback: bool, assume_report: bool) -> None:
    """``xxgk parse --out``: the bytes go to the raw store, then through the one sink like a crawl's."""
    from collector.sink import ParseGroup, store_groups
    from collector.workspace import RunContext, Workspace

    read_failures, groups = [], []
    try:
        ws = Workspace(RunContext.build(out))
        with ws:
            for arg in inputs:
                try:
                    data, source, status = _read_input(arg, allow_loopback)
                except CollectorError as exc:
                    err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
                    read_failures.append(_read_failure(arg, exc))
                    continue
                sha, ctx = ws.raw.store(data)[0], _parse_context(source, status, year, agency, assume_report)
                ctx.raw_path = ws.raw.relpath(sha)
                groups.append(ParseGroup([(sha, ctx)]))
            stats = store_groups(ws, groups, extra=read_failures, keep=True)
    except StoreError as exc:  # an unusable location is a configuration error (2); a full disk is not (1)
        raise _fail(str(exc), 2 if isinstance(exc, BadLocation) else 1) from None
    for o in stats.outcomes:
        if o.error is not None and o.document.get("document_sha256"):
            err_console.print(f"[bold red]error:[/] {o.document.get('source_url')}: {o.error}", highlight=False,
                              soft_wrap=True)
    for q in stats.quarantined:
        err_console.print(f"[yellow]warning:[/] {q}; moved to _quarantine/ (its rows are missing until the documents "
                          "are processed again)", highlight=False, soft_wrap=True)
    err_console.print(f"stored {stats.rows_written.get('reports', 0)} report(s), {len(stats.outcomes)} document(s) "
                      f"in {out}")
    _print_records([o.record for o in stats.outcomes if o.record is not None], as_json, len(inputs), table=False)
    if read_failures or stats.document_errors:
        raise typer.Exit(1)


def _existing(root: str) -> str:
    """``root`` normalised, or exit in one line when it holds no dataset (nothing is created)."""
    from collector.store.location import holds, normalise

    try:
        if holds(root):
            return normalise(root)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    raise _fail(f"{root}: no such dataset")


def _print_records(records: list[dict[str, Any]], as_json: bool, n_inputs: int, table: bool = True) -> None:
    if as_json:
        if len(records) == 1 and n_inputs == 1:
            out_console.print_json(json.dumps(records[0], ensure_ascii=False, default=str))
        else:
            for rec in records:
                sys.stdout.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
    elif table:
        _print_summary(records)


def _read_failure(arg: str, exc: CollectorError) -> Any:
    from datetime import UTC, datetime

    from collector.parse.record import PARSER_VERSION
    from collector.pipeline import Outcome

    return Outcome(None, {"source_url": arg, "document_sha256": "", "status": "failed", "error_code": exc.code,
                          "error": str(exc), "size": 0, "parser_version": PARSER_VERSION,
                          "processed_at": datetime.now(UTC)}, exc)


def _print_summary(records: list[dict[str, Any]]) -> None:
    t = RichTable(title="parsed reports")
    for col in ("agency", "year", "format", "published", "status", "三 new", "errors", "warnings"):
        t.add_column(col)
    for r in records:
        v = r.get("validation") or []
        t.add_row(str(r.get("agency_name")), str(r.get("report_year")), str(r.get("format_version")),
                  str(r.get("published_date")), str(r.get("parse_status")),
                  str((r.get("s3") or {}).get("new_received", {}).get("total")),
                  str(sum(f["severity"] == "error" for f in v)), str(sum(f["severity"] == "warning" for f in v)))
    out_console.print(t)


@app.command()
def check(
    root: Annotated[str, typer.Argument(help="dataset root (the --out of collect/parse): path or URI")],
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Run dataset-level validation (cross-year rules 9, 10; near-duplicates, 15) and summarise findings.

    Works on a read-only dataset. Exits 1 when files of the dataset were unreadable (set aside
    in OUT/_quarantine/, or named): rows are missing.
    """
    from collector.check import check_dataset, damaged

    root = _existing(root)
    try:
        summary = check_dataset(root)
    except StoreError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, default=str, indent=1) + "\n")
        raise typer.Exit(1 if damaged(summary) else 0)
    codes = ", ".join(f"{k} {v}" for k, v in summary["fetch_failures_by_code"].items())
    out_console.print(f"[bold]{summary['reports']}[/] reports, {summary['documents']} documents in {root}: "
                      f"{summary['failed_documents']} failed to parse, {summary['fetch_failures']} could not be "
                      f"fetched{f' ({codes})' if codes else ''}, {summary['blocked_documents']} blocked",
                      highlight=False, soft_wrap=True)
    t = RichTable(title="validation findings")
    for col in ("rule", "name", "severity", "count", "example"):
        t.add_column(col)
    for row in summary["by_rule"]:
        t.add_row(str(row["rule"]), row["name"], row["severity"], str(row["count"]), row["example"][:90])
    out_console.print(t)
    store = summary["store"]
    if not store["dataset_findings_stored"]:
        err_console.print("note: the dataset is read-only; dataset findings were computed, not stored",
                          highlight=False)
    for n in store["quarantined"]:
        err_console.print(f"[bold red]damaged:[/] {n['path']}: {n['reason']}; moved to {n['quarantined_to']}, "
                          "and its rows are missing (the next collect re-processes the raw documents; delete "
                          "the quarantined file once checked)", highlight=False, soft_wrap=True)
    for u in store["unreadable"]:
        err_console.print(f"[bold red]damaged:[/] {u['path']}: {u['reason']} (read-only: left in place, skipped)",
                          highlight=False, soft_wrap=True)
    if damaged(summary):
        raise typer.Exit(1)


@app.command()
def schema(
    table: Annotated[list[str] | None, typer.Option("--table", help="only this table (repeatable): reports, cells, findings, documents")] = None,
    fmt: Annotated[str, typer.Option("--format", help="md (markdown) or json")] = "md",
) -> None:
    """Print the data dictionary: every column of every table with type, unit, Chinese label and description."""
    from collector.store.codebook import render_json, render_markdown

    if fmt not in ("md", "json"):
        raise _fail(f"--format {fmt!r}: use md or json", 2)
    try:
        text = render_json(table or None) if fmt == "json" else render_markdown(table or None)
    except CollectorError as exc:
        raise _fail(str(exc), 2) from None
    sys.stdout.write(text)


@app.command()
def report(
    root: Annotated[str, typer.Argument(help="dataset root (the --out of collect/parse): path or URI")],
    html: Annotated[str | None, typer.Option("--html", help="write the HTML report here (default: ROOT/summary.html)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary figures as JSON instead of markdown")] = False,
) -> None:
    """Summarise the dataset (coverage, timeliness, findings, key figures, data quality) into a self-contained HTML report."""
    from collector.summary import summarise, write_html

    root = _existing(root)
    summary = summarise(root)
    target = write_html(summary, html or f"{root}/summary.html")
    if as_json:
        sys.stdout.write(json.dumps(summary.to_dict(), ensure_ascii=False, default=str, indent=1) + "\n")
    else:
        from collector.summary import summary_markdown

        sys.stdout.write(summary_markdown(summary))
    err_console.print(f"HTML report: {target}", highlight=False, soft_wrap=True)


@app.command()
def collect(
    portals: Annotated[Path, typer.Option("--portals", help="portal YAML file (or a directory of them)")],
    out: Annotated[str, typer.Option("--out", help="output root: Parquet dataset, raw store, crawl state (path or URI: s3://bucket/prefix)")],
    years: Annotated[str | None, typer.Option(help="report years, e.g. 2021-2023 or 2019,2022 (default: last two)")] = None,
    allow_loopback: Annotated[bool, typer.Option("--allow-loopback", help="allow loopback addresses (simulator, tests)")] = False,
    portal: Annotated[list[str] | None, typer.Option("--portal", help="only these portal ids (repeatable)")] = None,
    force: Annotated[bool, typer.Option("--force", help="re-parse documents that were already stored")] = False,
    impolite: Annotated[bool, typer.Option("--no-politeness", help="ignore per-portal rate limits (simulator only)")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", help="report pages per fetch/parse task")] = 25,
) -> None:
    """Discover, fetch, parse, validate and store the reports of the configured portals (a Prefect flow run)."""
    from collector.cli_flows import run_collect_flow

    code = run_collect_flow(portals, out, years, allow_loopback, only=portal, force=force, polite=not impolite,
                            batch_size=batch_size)
    if code:
        raise typer.Exit(code)


@app.command()
def backfill(
    start: Annotated[int, typer.Option("--from", help="first report year")],
    end: Annotated[int, typer.Option("--to", help="last report year")],
    out: Annotated[str, typer.Option("--out", help="output root: Parquet dataset, raw store, crawl state (path or URI: s3://bucket/prefix)")],
    portals: Annotated[Path, typer.Option("--portals", help="portal YAML file (or a directory of them), e.g. deployments/portals")],
    portal: Annotated[list[str] | None, typer.Option("--portal", help="only these portal ids (repeatable)")] = None,
    force: Annotated[bool, typer.Option("--force", help="re-parse documents already processed by this parser version")] = False,
    allow_loopback: Annotated[bool, typer.Option("--allow-loopback", help="allow loopback addresses (simulator, tests)")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", help="report pages per fetch/parse task")] = 25,
) -> None:
    """Collect a range of report years (resumable: a re-run skips what is already stored)."""
    from collector.cli_flows import run_backfill

    code = run_backfill(start, end, portals, out, portal, force, allow_loopback, batch_size=batch_size)
    if code:
        raise typer.Exit(code)


@app.command()
def reparse(
    out: Annotated[str, typer.Option("--out", help="dataset root to re-parse in place (path or URI)")],
    year: Annotated[list[int] | None, typer.Option("--year", help="only these report years (repeatable)")] = None,
    portal: Annotated[list[str] | None, typer.Option("--portal", help="only these portal ids (repeatable)")] = None,
) -> None:
    """Re-parse every stored raw document with the current parser version (no network)."""
    from collector.cli_flows import run_reparse

    code = run_reparse(out, year, portal)
    if code:
        raise typer.Exit(code)


@app.command()
def demo(
    out: Annotated[str | None, typer.Option("--out", help="where to write the demo dataset (default: demo-out)")] = None,
) -> None:
    """Start the portal simulator, collect from it with a Prefect flow, and show the dataset with DuckDB."""
    from collector.cli_flows import run_demo

    code = run_demo(out)
    if code:
        raise typer.Exit(code)


@app.command()
def sim(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1 (0: a free one)")] = 8765,
    seed: Annotated[int, typer.Option(help="random seed of the simulated world")] = 0,
    scale: Annotated[int, typer.Option(help="agencies per portal = 3 x scale")] = 1,
    faults: Annotated[str, typer.Option(help="none | default")] = "none",
    truth_dir: Annotated[Path | None, typer.Option("--truth-dir", help="where to write portals.yaml and the truth")] = None,
    formats: Annotated[str | None, typer.Option(help="attachment formats, e.g. docx,xlsx,pdf,doc (default: all available)")] = None,
) -> None:
    """Serve simulated portals (TRS, Hanweb, VSB, generic) with generated reports; print their portal YAML."""
    from collector.cli_crawl import run_sim

    code = run_sim(port, seed, scale, faults, truth_dir, formats)
    if code:
        raise typer.Exit(code)


def main() -> None:
    """Console entry point: clean one-line errors instead of tracebacks."""
    if not os.environ.get("XXGK_DEBUG"):  # the commands print their own one-line reports
        logging.getLogger("collector").addHandler(logging.NullHandler())
    try:
        app()
    except CollectorError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        if os.environ.get("XXGK_DEBUG"):
            raise
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
