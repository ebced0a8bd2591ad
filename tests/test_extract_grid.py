"""Grid helpers shared by every extractor: span placement, phantom lines, wrapped text."""

from __future__ import annotations

from collector.extract.grid import SpanCell, cells_to_table, collapse_grid, grid_table, is_numeric, join_lines
from collector.models import grid_from_spans


def test_cells_to_table_matches_grid_from_spans() -> None:
    spans = [[("h", 2, 1), ("a", 1, 2)], [("b", 1, 1), ("c", 1, 1)]]
    cells = [SpanCell(0, 0, 2, 1, "h"), SpanCell(0, 1, 1, 3, "a"), SpanCell(1, 1, 2, 2, "b"),
             SpanCell(1, 2, 2, 3, "c")]
    a, b = cells_to_table(cells), grid_from_spans(spans)
    assert (a.rows, a.copies) == (b.rows, b.copies)


def test_collapse_keeps_text_and_drops_slivers() -> None:
    cells = [SpanCell(0, 0, 1, 3, "wide"),                           # spans the sliver column 1
             SpanCell(1, 0, 1 + 1, 2, "label"), SpanCell(1, 2, 2, 3, "7"),
             SpanCell(2, 0, 3, 1, ""), SpanCell(2, 1, 3, 2, ""), SpanCell(2, 2, 3, 3, "")]  # empty row
    out = cells_to_table(collapse_grid(cells))
    assert out.rows == [["wide", "wide"], ["label", "7"]]


def test_text_cell_over_only_phantom_columns_survives() -> None:
    cells = [SpanCell(0, 0, 1, 1, "a"), SpanCell(0, 1, 1, 3, "spanned"), SpanCell(1, 0, 2, 3, "all")]
    t = grid_table(cells)
    assert t is not None and t.rows == [["a", "spanned"], ["all", "all"]]


def test_join_lines_and_numbers() -> None:
    assert join_lines(["12", "34", "5"]) == "12345"
    assert join_lines(["Total", "sum"]) == "Total sum"
    assert join_lines(["（二）部分公开（区分处理的，只计这一", "情形）"]) == "（二）部分公开（区分处理的，只计这一情形）"
    assert is_numeric("+2") and is_numeric("1,965") and is_numeric("251000元") and not is_numeric("一、")
