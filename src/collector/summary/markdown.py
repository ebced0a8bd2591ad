"""The dataset summary as markdown tables (no charts): ``xxgk report`` on a terminal, the Prefect artifact."""

from __future__ import annotations

from collector.summary.figures import DatasetSummary
from collector.summary.tables import Section, overview_line, sections


def cell(text: str) -> str:
    """A markdown table cell: pipes escaped, one line (the text may come from a hostile document)."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def table(columns: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return lines


def section_markdown(sec: Section, level: int = 2) -> list[str]:
    lines = [f"{'#' * level} {sec.title}", "", sec.intro, ""]
    if sec.rows:
        lines += table(sec.columns, sec.rows)
        if sec.more:
            lines.append(f"\n… and {sec.more:,} more rows (the HTML report lists them all).")
    else:
        lines.append("Nothing to show.")
    lines += ["", *(f"*{n}*" for n in sec.notes)]
    return lines


def summary_markdown(s: DatasetSummary, *, html_link: str | None = None, level: int = 2,
                     limit: int | None = 50) -> str:
    """Every section of the summary as markdown, headed by the overview and a link to the HTML report."""
    lines = [f"{'#' * level} Dataset `{s.root}`", "", overview_line(s), ""]
    if html_link:
        lines += [f"HTML report with charts: [{html_link.rsplit('/', 1)[-1]}]({html_link})", ""]
    for sec in sections(s, limit):
        lines += section_markdown(sec, level + 1)
    lines += ["", *(f"- {n}" for n in s.notes), ""]
    return "\n".join(lines)


__all__ = ["cell", "section_markdown", "summary_markdown", "table"]
