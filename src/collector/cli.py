"""The ``xxgk`` command: parse, check, collect, backfill, reparse, sim, demo.

Every command turns library errors into one clear line on stderr and a non-zero exit; a
traceback is printed only with ``XXGK_DEBUG=1``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from collector.errors import CollectorError

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
    p = Path(arg)
    if not p.exists():
        raise CollectorError(f"{arg}: no such file")
    if p.is_dir():
        raise CollectorError(f"{arg}: is a directory")
    return p.read_bytes(), str(p.resolve()), None


@app.command()
def parse(
    inputs: Annotated[list[str], typer.Argument(help="files or URLs of reports (HTML, text, PDF, DOC/DOCX, XLS/XLSX)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the record(s) as JSON (JSON Lines for several)")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="write records into this dataset root")] = None,
    year: Annotated[int | None, typer.Option(help="report year hint when the document does not say")] = None,
    agency: Annotated[str | None, typer.Option(help="agency name hint when the document does not say")] = None,
    allow_loopback: Annotated[bool, typer.Option("--allow-loopback", help="allow URLs on private/loopback addresses")] = False,
) -> None:
    """Parse reports into standard records; print them, or store them with --out."""
    from collector.pipeline import Outcome, SourceContext, process_document

    outcomes: list[Outcome] = []
    raws: list[bytes] = []
    failed = 0
    for arg in inputs:
        try:
            data, source, status = _read_input(arg, allow_loopback)
        except CollectorError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            failed += 1
            if out is not None:
                outcomes.append(_read_failure(arg, exc))
                raws.append(b"")
            continue
        hint = Path(source.split("?")[0]).suffix.lstrip(".") or None
        o = process_document(data, SourceContext(source_url=source, report_year=year, agency_name=agency,
                                                  hint=hint, http_status=status))
        if o.error is not None:
            failed += 1
            err_console.print(f"[bold red]error:[/] {arg}: {o.error}", highlight=False, soft_wrap=True)
        outcomes.append(o)
        raws.append(data)
    records = [o.record for o in outcomes if o.record is not None]
    if out is not None:
        from collector.store.dataset import Dataset
        from collector.store.raw import RawStore

        raw = RawStore(out)
        for o, data in zip(outcomes, raws, strict=True):
            if data:
                o.document["raw_path"] = raw.put(data)
        stats = Dataset(out).write(outcomes)
        err_console.print(f"stored {stats.rows.get('reports', 0)} report(s), {len(outcomes)} document(s) in {out}")
    if as_json:
        if len(records) == 1 and len(inputs) == 1:
            out_console.print_json(json.dumps(records[0], ensure_ascii=False, default=str))
        else:
            for rec in records:
                sys.stdout.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
    elif out is None:
        _print_summary(records)
    if failed:
        raise typer.Exit(1)


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
    root: Annotated[Path, typer.Argument(help="dataset root (the --out of collect/parse)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Run dataset-level validation (cross-year rules 9, 10; near-duplicates, 15) and summarise findings."""
    from collector.check import check_dataset

    if not root.exists():
        raise _fail(f"{root}: no such dataset")
    summary = check_dataset(root)
    if as_json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, default=str, indent=1) + "\n")
        return
    out_console.print(f"[bold]{summary['reports']}[/] reports, {summary['documents']} documents "
                      f"({summary['failed_documents']} failed) in {root}")
    t = RichTable(title="validation findings")
    for col in ("rule", "severity", "count", "example"):
        t.add_column(col)
    for row in summary["by_rule"]:
        t.add_row(str(row["rule"]), row["severity"], str(row["count"]), row["example"][:90])
    out_console.print(t)


def main() -> None:
    """Console entry point: clean one-line errors instead of tracebacks."""
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
