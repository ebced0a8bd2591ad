"""Generate the attachment fixtures in ``tests/fixtures/attachments/`` with their ground truth.

Every file is drawn from a known record through the same layout (``collector.sim.layout``), the
way agencies produce them: DOCX written directly, PDF/DOC/XLS made by LibreOffice from the
DOCX/XLSX, scans by rasterising the PDF. Each ``<name>`` gets ``<name>.truth.json`` (the record:
blank cells null, gb2021 ``other_handling`` the sum of its three rows). Numbers are deliberately
awkward: 3-5 digits (a 4-digit total in a narrow column wraps as "196/5"), blanks, signed
changes ("+2", "-1"), a decimal fee. Files stay < 200 KB so they can be committed.

Run: ``.venv/bin/python scripts/make_fixtures.py`` (needs LibreOffice for PDF/DOC/XLS);
``… make_fixtures.py textlayer`` regenerates only ``gb2021_textlayer.pdf``.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from collector.schema import number_fields
from collector.sim.layout import record_to_layout
from collector.sim.render_office import convert_with_soffice, layout_to_docx, layout_to_xlsx

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "attachments"
S3_COLS = ["natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
           "legal_service_org", "other_org"]
MAX_BYTES = 200 * 1024


def _empty(fmt: str) -> dict[str, Any]:
    rec: dict[str, Any] = {}
    for f in number_fields():
        if fmt not in f.formats:
            continue
        node = rec
        *parents, leaf = f.path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = None
    return rec


def _s3(rec: dict[str, Any], fmt: str, rows: dict[str, list[int | None]], carried_in: list[int | None],
        carried_out: list[int | None]) -> None:
    """Fill 三 from the result rows; new_received is derived so rule 1 holds per column."""
    s3 = rec["s3"]
    for row, vals in rows.items():
        for col, v in zip(S3_COLS, vals, strict=True):
            s3[row][col] = v
    if fmt == "gb2021":
        for i, col in enumerate(S3_COLS):
            parts = [rows[r][i] for r in ("other_no_correction", "other_fee_unpaid", "other_other")]
            s3["other_handling"][col] = None if all(p is None for p in parts) else sum(p or 0 for p in parts)
    result_rows = list(rows)
    for i, col in enumerate(S3_COLS):
        vals = [rows[r][i] for r in result_rows]
        total = None if all(v is None for v in vals) else sum(v or 0 for v in vals)
        s3["results_total"][col] = total
        s3["carried_over_in"][col] = carried_in[i]
        s3["carried_over_out"][col] = carried_out[i]
        new = (total or 0) + (carried_out[i] or 0) - (carried_in[i] or 0)
        s3["new_received"][col] = None if total is None and carried_out[i] is None else new
    for cells in s3.values():
        vals = [cells[c] for c in S3_COLS]
        cells["total"] = None if all(v is None for v in vals) else sum(v or 0 for v in vals)


def _s4(rec: dict[str, Any], blocks: dict[str, list[int | None]]) -> None:
    for block, vals in blocks.items():
        for col, v in zip(("upheld", "corrected", "other", "pending"), vals, strict=True):
            rec["s4"][block][col] = v
        rec["s4"][block]["total"] = sum(v or 0 for v in vals)


def record_gb2021() -> dict[str, Any]:
    rec = {"format_version": "gb2021", "report_year": 2023, "agency_name": "江川市市场监督管理局",
           "published_date": "2024-01-18", **_empty("gb2021")}
    a1 = rec["s2"]["art20_1"]
    a1["regulations"].update(issued=0, repealed=None, in_force=3)
    a1["normative_docs"].update(issued=12, repealed=4, in_force=156)
    rec["s2"]["art20_5"]["admin_licensing"]["decisions"] = 12456
    rec["s2"]["art20_6"]["admin_penalty"]["decisions"] = 1378
    rec["s2"]["art20_6"]["admin_coercion"]["decisions"] = 96
    rec["s2"]["art20_8"]["admin_fees"]["amount_wan_yuan"] = 35.6
    z = [None] * 6
    _s3(rec, "gb2021", {
        "granted": [1203, 45, None, 2, 7, 11],
        "partially_granted": [164, 9, None, None, 1, 3],
        "withheld_state_secret": list(z),
        "withheld_law_prohibits": [3, None, None, None, None, None],
        "withheld_three_security_one_stability": [1, None, None, None, None, None],
        "withheld_third_party_rights": [12, 2, None, None, None, None],
        "withheld_internal_affairs": [5, None, None, None, None, None],
        "withheld_process_info": [18, 1, None, None, None, None],
        "withheld_enforcement_file": [7, None, None, None, None, None],
        "withheld_admin_inquiry": [26, 3, None, None, None, 1],
        "unable_not_held": [231, 14, None, 1, 2, 4],
        "unable_needs_creation": [19, 2, None, None, None, None],
        "unable_unclear_after_correction": [8, None, None, None, None, None],
        "not_processed_petition": [57, 1, None, None, None, None],
        "not_processed_duplicate": [33, 2, None, None, None, None],
        "not_processed_publication": [2, None, None, None, None, None],
        "not_processed_excessive": [4, None, None, None, None, None],
        "not_processed_confirm_reissue": [6, None, None, None, None, None],
        "other_no_correction": [21, 1, None, None, None, None],
        "other_fee_unpaid": list(z),
        "other_other": [9, None, None, None, None, 2],
    }, carried_in=[37, 4, None, None, 1, None], carried_out=[52, 3, None, 1, None, 2])
    _s4(rec, {"review": [12, 3, 1, 2], "litigation_direct": [1203, 0, 762, None],
              "litigation_after_review": [4, 1, None, 2]})
    received = rec["s3"]["new_received"]["total"]
    rec["text"] = {"s1_overview": "2023年，本局认真贯彻落实《中华人民共和国政府信息公开条例》，全年共收到政府信息公开"
                                  f"申请{received}件，依法按时答复。"}
    return rec


def record_gb2019() -> dict[str, Any]:
    rec = {"format_version": "gb2019", "report_year": 2020, "agency_name": "临河区统计局",
           "published_date": "2021-01-25", **_empty("gb2019")}
    s2 = rec["s2"]
    s2["art20_1"]["regulations"].update(new_made=0, new_published=0, total_published=0)
    s2["art20_1"]["normative_docs"].update(new_made=3, new_published=3, total_published=47)
    s2["art20_5"]["admin_licensing"].update(prev_year_items=128, change=2, decisions=3504)
    s2["art20_5"]["other_external_services"].update(prev_year_items=35, change=-1, decisions=None)
    s2["art20_6"]["admin_penalty"].update(prev_year_items=412, change=0, decisions=1378)
    s2["art20_6"]["admin_coercion"].update(prev_year_items=27, change=None, decisions=64)
    s2["art20_8"]["admin_fees"].update(prev_year_items=5, change=-2)
    s2["art20_9"]["centralized_procurement"].update(project_count=18, total_amount_yuan=2510000)
    _s3(rec, "gb2019", {
        "granted": [98, 12, 1, None, 3, None],
        "partially_granted": [21, None, None, None, None, None],
        "withheld_state_secret": [None] * 6,
        "withheld_law_prohibits": [2, None, None, None, None, None],
        "withheld_three_security_one_stability": [None] * 6,
        "withheld_third_party_rights": [4, 1, None, None, None, None],
        "withheld_internal_affairs": [None] * 6,
        "withheld_process_info": [3, None, None, None, None, None],
        "withheld_enforcement_file": [None] * 6,
        "withheld_admin_inquiry": [7, None, None, None, None, None],
        "unable_not_held": [45, 2, None, None, None, 1],
        "unable_needs_creation": [6, None, None, None, None, None],
        "unable_unclear_after_correction": [2, None, None, None, None, None],
        "not_processed_petition": [11, None, None, None, None, None],
        "not_processed_duplicate": [5, None, None, None, None, None],
        "not_processed_publication": [None] * 6,
        "not_processed_excessive": [1, None, None, None, None, None],
        "not_processed_confirm_reissue": [None] * 6,
        "other_handling": [8, 1, None, None, None, None],
    }, carried_in=[6, None, None, None, None, None], carried_out=[9, 1, None, None, None, None])
    _s4(rec, {"review": [3, 1, None, None], "litigation_direct": [2, None, 1, 1],
              "litigation_after_review": [None, None, None, None]})
    return rec


def record_gb2021_filled() -> dict[str, Any]:
    """The gb2021 record with every blank cell printed as 0 (how most reports fill the template),
    for the text-layer fixture: a PDF text layer keeps no trace of a blank cell."""
    rec = json.loads(json.dumps(record_gb2021()))
    for sec in ("s3", "s4"):
        for row in rec[sec].values():
            for col, v in row.items():
                if v is None:
                    row[col] = 0
    rec["s2"]["art20_1"]["regulations"]["repealed"] = 0
    rec["agency_name"] = "江川市东湖区人民政府"
    rec["published_date"] = "2024-03-15"
    return rec


def display_record(rec: dict[str, Any]) -> dict[str, Any]:
    """The record as printed: signed changes keep their sign ("+2")."""
    out = json.loads(json.dumps(rec))
    for art in out.get("s2", {}).values():
        for item in art.values():
            if isinstance(item.get("change"), int) and item["change"] > 0:
                item["change"] = f"+{item['change']}"
    return out


def _write(name: str, data: bytes, truth: dict[str, Any]) -> None:
    if len(data) > MAX_BYTES:
        raise SystemExit(f"{name} is {len(data)} bytes (> {MAX_BYTES}); shrink it")
    (OUT / name).write_bytes(data)
    (OUT / f"{name}.truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{name:28s} {len(data):7d} bytes")


def rasterise(pdf: bytes, dpi: int = 150) -> list[Any]:
    """PDF pages -> 1-bit PIL images (a fax-like scan keeps the fixture small)."""
    import pypdfium2 as pdfium
    from PIL import Image

    doc = pdfium.PdfDocument(pdf)
    pages = [doc[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for i in range(len(doc))]
    doc.close()
    return [p.point(lambda v: 255 if v > 160 else 0).convert("1", dither=Image.Dither.NONE) for p in pages]


def text_layer_fixture() -> None:
    """gb2021_textlayer.pdf: zeros printed, the title broken over two lines, the tables cut by
    page breaks — the PDF whose text layers (pdftotext -layout, pdfplumber, PDFium) tests read."""
    from collector.sim.variants import broken_title

    rec = record_gb2021_filled()
    lay = broken_title(record_to_layout(display_record(rec)), rec["agency_name"], rec["report_year"], "cut")
    _write("gb2021_textlayer.pdf", convert_with_soffice(layout_to_docx(lay, intro_paragraphs=6), "docx", "pdf"), rec)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    if sys.argv[1:] == ["textlayer"]:  # regenerate only this one (the others keep their bytes)
        text_layer_fixture()
        return
    r21, r19 = record_gb2021(), record_gb2019()
    lay21 = record_to_layout(display_record(r21))
    lay19 = record_to_layout(display_record(r19), blank="—")
    docx21 = layout_to_docx(lay21, intro_paragraphs=7)
    docx19 = layout_to_docx(lay19, sliver=True, intro_paragraphs=2)
    _write("gb2021.docx", docx21, r21)
    _write("gb2019_sliver.docx", docx19, r19)
    xlsx21 = layout_to_xlsx(lay21)
    _write("gb2021.xlsx", xlsx21, r21)
    if shutil.which("soffice") is None:
        print("soffice not found: PDF, DOC, XLS and scans were not generated", file=sys.stderr)
        return
    pdf21 = convert_with_soffice(docx21, "docx", "pdf")
    _write("gb2021.pdf", pdf21, r21)
    _write("gb2019.doc", convert_with_soffice(docx19, "docx", "doc"), r19)
    _write("gb2019.xls", convert_with_soffice(layout_to_xlsx(lay19), "xlsx", "xls"), r19)
    _write("gb2019_noborder.pdf",
           convert_with_soffice(layout_to_docx(lay19, borders=False, intro_paragraphs=0), "docx", "pdf"), r19)
    pages = rasterise(pdf21)
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", resolution=150, save_all=True, append_images=pages[1:])
    _write("gb2021_scan.pdf", buf.getvalue(), r21)
    from PIL import Image

    gap = 40
    tall = Image.new("1", (pages[0].width, sum(p.height for p in pages) + gap * (len(pages) - 1)), 1)
    y = 0
    for p in pages:
        tall.paste(p, (0, y))
        y += p.height + gap
    buf = io.BytesIO()
    tall.save(buf, "PNG", optimize=True, dpi=(150, 150))
    _write("gb2021_scan.png", buf.getvalue(), r21)
    # hostile / edge PDFs (no truth: they must fail cleanly or still parse)
    enc = ('pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
           '"DocumentOpenPassword":{"type":"string","value":"secret"}}')
    owner = ('pdf:writer_pdf_Export:{"RestrictPermissions":{"type":"boolean","value":"true"},'
             '"PermissionPassword":{"type":"string","value":"owner"},"Printing":{"type":"long","value":"0"},'
             '"EnableCopyingOfContent":{"type":"boolean","value":"false"}}')
    _write_raw("encrypted_open_password.pdf", _soffice_filter(docx21, enc))
    _write("gb2021_owner_password.pdf", _soffice_filter(docx21, owner), r21)
    text_layer_fixture()


def _write_raw(name: str, data: bytes) -> None:
    (OUT / name).write_bytes(data)
    print(f"{name:28s} {len(data):7d} bytes")


def _soffice_filter(docx: bytes, filt: str) -> bytes:
    """docx -> pdf with explicit PDF export options (encryption), via the office module's runner."""
    import tempfile

    from collector.extract.office import _run_soffice, soffice_path

    exe = soffice_path()
    assert exe is not None
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "in_0000.docx")
        src.write_bytes(docx)
        out = Path(tmp, "out")
        out.mkdir()
        _run_soffice(exe, filt, [str(src)], out, 120)
        return (out / "in_0000.pdf").read_bytes()


if __name__ == "__main__":
    main()
