"""Hand-made HTML and text variants with known ground truth: every number must come back."""

from __future__ import annotations

import pytest

from collector.extract import bytes_to_document
from collector.parse.record import document_to_record
from collector.pipeline import SourceContext, process_document
from tests.reportgen import make_record, numbers_of, render_html, render_text


def _check(truth: dict, data: bytes) -> dict:
    out = process_document(data, SourceContext(source_url="https://www.example.gov.cn/t.html"))
    assert out.record is not None, out.document
    rec = out.record
    got, exp = numbers_of(rec), numbers_of(truth)
    if truth["format_version"] == "gb2021":
        # other_handling is the (derived) sum of the three sub-rows in gb2021
        assert set(rec["derived_fields"]) >= {f"s3.other_handling.{c}" for c in ("natural_person", "total")}
    wrong = {k: (got[k], v) for k, v in exp.items() if got[k] != v}
    assert not wrong, wrong
    assert rec["format_version"] == truth["format_version"]
    assert rec["report_year"] == truth["report_year"]
    assert rec["agency_name"] == truth["agency_name"]
    return rec


@pytest.mark.parametrize("fmt", ["gb2021", "gb2019"])
@pytest.mark.parametrize("blank", ["", "—", "/", "无", "-"])
def test_html_rowspan_colspan_and_blanks(fmt: str, blank: str) -> None:
    truth = make_record(fmt, 2023 if fmt == "gb2021" else 2020, seed=len(blank) + 7, blanks=0.6)
    rec = _check(truth, render_html(truth, blank=blank))
    assert not [f for f in rec["validation"] if f["severity"] == "error"], rec["validation"]


@pytest.mark.parametrize("charset", ["gbk", "gb2312", "utf-8"])
def test_html_declared_charsets(charset: str) -> None:
    truth = make_record("gb2021", 2022, seed=3, agency="䶮县镕城街道办事处")  # GBK-extension characters
    rec = _check(truth, render_html(truth, charset=charset))
    assert rec["encoding_detected"] in ("gb18030", "utf-8")


def test_html_wrapped_labels_halfwidth_and_word_noise() -> None:
    truth = make_record("gb2021", 2023, seed=11, big=True)
    _check(truth, render_html(truth, wrap_labels=True, fullwidth=False, word_noise=True))


def test_html_without_cms_markers_uses_heading_title() -> None:
    truth = make_record("gb2019", 2019, seed=5)
    rec = _check(truth, render_html(truth, trs=False))
    assert rec["published_date"] == truth["published_date"]  # from the closing date
    assert rec["published_date_source"] == "closing_date"


def test_traditional_mirror() -> None:
    from collector.parse.normalize import to_simplified

    truth = make_record("gb2021", 2023, seed=9, agency="测试市统计局")
    import opencc

    html = render_html(truth).decode("utf-8")
    trad = opencc.OpenCC("s2t").convert(html)
    assert trad != html
    out = process_document(trad.encode("utf-8"), SourceContext(source_url="https://mirror.example.com/a.html"))
    assert out.record is not None
    got, exp = numbers_of(out.record), numbers_of(truth)
    assert {k: got[k] for k in exp} == exp
    assert to_simplified(out.record["agency_name"]) == "测试市统计局"


@pytest.mark.parametrize("mode", ["tabs", "pipes"])
@pytest.mark.parametrize("fmt", ["gb2021", "gb2019"])
def test_text_tables_with_blanks(mode: str, fmt: str) -> None:
    truth = make_record(fmt, 2023 if fmt == "gb2021" else 2020, seed=21, blanks=0.5)
    _check(truth, render_text(truth, mode=mode))


def test_text_one_cell_per_line() -> None:
    truth = make_record("gb2021", 2021, seed=4, big=True)  # no blanks: positions come from the count
    _check(truth, render_text(truth, mode="lines"))


def test_gb2019_layout_in_a_2022_report_is_gb2019_with_a_warning() -> None:
    truth = make_record("gb2019", 2022, seed=8)
    rec = _check(truth, render_html(truth))
    assert any(f["rule"] == 14 and f["severity"] == "warning" for f in rec["validation"])
    assert all(rec["s3"][r]["total"] is None for r in ("other_no_correction", "other_fee_unpaid", "other_other"))


def test_format_detected_from_labels_not_year() -> None:
    truth = make_record("gb2021", 2023, seed=2)
    html = render_html(truth).decode("utf-8").replace("2023年", "2019年")  # a wrong year must not change the era
    doc = bytes_to_document(html.encode("utf-8"))
    rec = document_to_record(doc, source_url="x").record
    assert rec["format_version"] == "gb2021"
    assert rec["report_year"] == 2019


def test_missing_row_is_left_null_and_reported() -> None:
    truth = make_record("gb2021", 2023, seed=12)
    text = render_text(truth, mode="tabs").decode("utf-8")
    lines = [ln for ln in text.split("\n") if "重复申请" not in ln]
    out = process_document("\n".join(lines).encode("utf-8"), SourceContext(source_url="x.txt"))
    rec = out.record
    assert rec is not None
    assert rec["s3"]["not_processed_duplicate"]["total"] is None
    assert rec["parse_status"] == "partial"
    assert any("not_processed_duplicate" in w for w in rec["parse_warnings"])


def test_scrambled_row_with_too_few_values_is_not_guessed() -> None:
    truth = make_record("gb2021", 2023, seed=13, big=True)
    text = render_text(truth, mode="tabs").decode("utf-8")
    # a PDF text layer that lost one value of the 予以公开 row: the row must stay blank
    lines = []
    for ln in text.split("\n"):
        if "予以公开" in ln and "不予" not in ln:
            cells = ln.split("\t")
            ln = "\t".join(cells[:-2] + cells[-1:])
            ln = ln.replace("\t\t", "\t")
        lines.append(ln)
    rec = process_document("\n".join(lines).encode(), SourceContext(source_url="y.txt")).record
    assert rec is not None
    assert rec["s3"]["granted"]["natural_person"] is None
    assert rec["s3"]["new_received"] == truth["s3"]["new_received"]


def test_all_tables_in_one_grid_with_headings_in_rows() -> None:
    """Some portals paste 二/三/四 as one big table whose headings are full-width rows."""
    from collector.sim.layout import LayoutTable, record_to_layout
    from tests.reportgen import layout_to_html

    truth = make_record("gb2021", 2023, seed=41)
    lay = record_to_layout(truth)
    merged_rows, rest = [], []
    pending_heading = None
    for block in lay.blocks:
        if isinstance(block, LayoutTable):
            width = max(sum(cs for _, _, cs in row) for row in block.rows)
            if pending_heading:
                merged_rows.append([(pending_heading, 1, 15)])
                pending_heading = None
            merged_rows.extend(row + [("", 1, 1)] * 0 for row in block.rows)
            assert width <= 15
        elif block.startswith(("二", "三", "四")):
            pending_heading = block
        else:
            rest.append(block)
    big = LayoutTable(merged_rows)
    lay.blocks = [rest[0], rest[1], big] + rest[2:]
    rec = process_document(layout_to_html(lay), SourceContext(source_url="https://a.gov.cn/big.html")).record
    assert rec is not None
    got, exp = numbers_of(rec), numbers_of(truth)
    assert {k: got[k] for k in exp} == exp


def _scramble(text: str, seed: int) -> str:
    """PDF text-layer artefacts seen in real reports (portals.md §3): labels broken across lines and
    pages, characters spread apart, vertical merged-cell labels, page markers, lost copies."""
    import random

    rnd = random.Random(seed)
    out: list[str] = []
    for ln in text.split("\n"):
        cells = ln.split("\t")
        label_idx = max((i for i, c in enumerate(cells) if c and not c.lstrip("+-").replace(".", "").isdigit()),
                        default=-1)
        if label_idx >= 0 and len(cells) > label_idx + 1 and len(cells[label_idx]) > 8 and rnd.random() < 0.5:
            lab = cells[label_idx]
            cut = rnd.randint(4, len(lab) - 3)
            out.append("\t".join(cells[:label_idx] + [lab[:cut]]))
            if rnd.random() < 0.3:
                out.append(f"- {rnd.randint(2, 9)} -")
            out.append("\t".join([lab[cut:]] + cells[label_idx + 1 :]))
            continue
        if label_idx >= 0 and rnd.random() < 0.3:
            cells[label_idx] = " ".join(cells[label_idx])
        out.append("\t".join(cells))
        if ln.startswith("三、收到和处理"):
            out.extend(["三、", "本", "年", "度"])  # a vertical merged label read as lines
    return "\n".join(out)


@pytest.mark.parametrize("seed", range(12))
def test_scrambled_pdf_text_layer(seed: int) -> None:
    truth = make_record("gb2021" if seed % 2 else "gb2019", 2023 if seed % 2 else 2020, seed=50 + seed, big=True)
    text = _scramble(render_text(truth, mode="tabs").decode("utf-8"), seed)
    _check(truth, text.encode("utf-8"))
