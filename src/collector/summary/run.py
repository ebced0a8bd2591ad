"""What a collect / backfill / reparse run did, for its operator: markdown and a per-portal table.

Input is the run's summary dict (``flows.report.RunReport.to_dict()``: per-portal tallies, the
failed and blocked URLs with their reasons, findings counted as ``"rule 3 error"``), so any
orchestrator that produces it can reuse these renderers. Rule numbers come with their names.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from collector.summary.markdown import table
from collector.validate.catalog import rule_name

MAX_FAILURES = 20  # failed/blocked URLs listed in the markdown; the rest are counted


def _findings(run: dict[str, Any]) -> Counter[tuple[int, str]]:
    out: Counter[tuple[int, str]] = Counter()
    for p in run.get("portals") or []:
        for key, n in (p.get("findings") or {}).items():
            _, rule, severity = key.split()
            out[(int(rule), severity)] += n
    return out


def _portal_findings(p: dict[str, Any]) -> str:
    parts = []
    for key, n in sorted((p.get("findings") or {}).items(), key=lambda kv: int(kv[0].split()[1])):
        _, rule, severity = key.split()
        parts.append(f"{n} × rule {rule} {severity} ({rule_name(int(rule))})")
    return "; ".join(parts)


def _years(run: dict[str, Any]) -> str:
    ys = run.get("years") or []
    return f"{ys[0]}–{ys[-1]}" if ys else "all years"


def run_markdown(run: dict[str, Any], *, max_failures: int = MAX_FAILURES, title: str | None = None) -> str:
    """The run summary: totals, portals with problems, failed/blocked URLs with reasons, findings by rule."""
    t = run["totals"]
    portals = run.get("portals") or []
    done = sum(1 for p in portals if p.get("collected"))
    heading = title or f"xxgk {run['kind']}: {_years(run)}"
    lines = [f"# {heading}", "",
             f"**{done} of {len(portals)} portals collected.** {t['found']} reports found: {t['new']} new, "
             f"{t['updated']} updated, {t['unchanged']} unchanged, {t['failed']} failed, {t['blocked']} blocked; "
             f"{t['records']} records written ({t['documents']} documents fetched, {t['documents_failed']} of them "
             f"not), in {run.get('seconds', 0):.0f} s.", "", f"Dataset: `{run['out']}`", ""]
    if t.get("legacy_with_figures") or t.get("legacy_without_figures"):
        lines[-3:-3] = ["", f"Legacy reports (2008–2018): {t.get('legacy_with_figures', 0)} with figures, "
                            f"{t.get('legacy_without_figures', 0)} text only."]
    if run.get("fatal"):
        lines += [f"**The run failed:** {run['fatal']}", ""]
    bad = [p for p in portals if not p.get("collected") or p.get("failed") or p.get("blocked")]
    if bad:
        lines += ["## Portals with problems", ""]
        for p in bad:
            what = p.get("error") or f"{p.get('failed', 0)} failed, {p.get('blocked', 0)} blocked"
            code = f" [{p['error_code']}]" if p.get("error_code") else ""
            lines.append(f"- `{p['portal_id']}` ({p.get('name') or '-'}): {what}{code}")
        lines.append("")
    failures = run.get("failures") or []
    total = max(run.get("failures_total", len(failures)), len(failures))
    if total:
        shown = failures[:max_failures]
        lines += [f"## Failed and blocked URLs ({len(shown)} of {total} shown)", ""]
        lines += table(["portal", "what", "status", "reason", "URL", "detail"],
                       [[f.get("portal_id") or "-", f.get("kind") or "-", f.get("status") or "-",
                         f.get("reason") or "-", f.get("url") or "-", (f.get("message") or "")[:200]] for f in shown])
        if total > len(shown):
            lines.append(f"\n… and {total - len(shown)} more (every document's status and error are in the "
                         "`documents` table; `xxgk check` counts them).")
        lines.append("")
    findings = _findings(run)
    if findings:
        lines += ["## Validation findings by rule (records written by this run)", ""]
        lines += table(["rule", "name", "severity", "findings"],
                       [[str(r), rule_name(r), sev, str(n)] for (r, sev), n in sorted(findings.items())])
        lines.append("")
    if run.get("notes"):
        lines += ["## Notes", "", *(f"- {n}" for n in run["notes"]), ""]
    return "\n".join(lines)


def run_report_markdown(run: dict[str, Any], title: str | None = None) -> str:
    """A run's whole markdown report: what it did and what went wrong, then the dataset summary it computed."""
    parts = [run_markdown(run, title=title)]
    if run.get("dataset"):
        parts.append(run["dataset"]["markdown"])
    return "\n".join(parts)


def run_table(run: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per portal, for a Prefect table artifact; findings named, failures explained."""
    rows = []
    for p in run.get("portals") or []:
        rows.append({"portal": p["portal_id"], "cms": p.get("family") or "",
                     **{k: p.get(k, 0) for k in ("found", "new", "updated", "unchanged", "failed", "blocked")},
                     "records": p.get("records", 0), "legacy_with_figures": p.get("legacy_with_figures", 0),
                     "legacy_without_figures": p.get("legacy_without_figures", 0), "findings": _portal_findings(p),
                     "status": "ok" if p.get("collected") else f"FAILED: {p.get('error') or 'nothing fetched'}"})
    return rows


__all__ = ["MAX_FAILURES", "run_markdown", "run_report_markdown", "run_table"]
