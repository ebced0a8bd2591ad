"""Summaries for analysts and operators: the dataset's figures (DuckDB), as HTML with charts and as markdown.

``summarise(root)`` computes the figures; ``write_html`` renders the self-contained report
(``xxgk report``); ``summary_markdown`` gives the same tables for a Prefect artifact;
``run_markdown`` tells an operator what a collect/backfill/reparse run did and what went wrong.
"""

from collector.summary.figures import DatasetSummary, summarise
from collector.summary.html import render_html, write_html
from collector.summary.markdown import summary_markdown
from collector.summary.run import run_markdown, run_report_markdown, run_table

__all__ = ["DatasetSummary", "render_html", "run_markdown", "run_report_markdown", "run_table", "summarise",
           "summary_markdown", "write_html"]
