"""Peak memory per input kind at the size caps; writes ``bench/results/memory.json``.

Each case runs in a fresh Python process: the input is read from a file, modules are warmed up
on a small document, then ``process_document`` (extract + parse + validate: what the crawl does
with every document) runs once. The figure is the peak RSS above that settled baseline (Linux
``VmHWM``, reset through ``/proc/self/clear_refs`` just before the run; the input's own bytes
are in the baseline), and its ratio to the input size. Issue #10's bound: the HTML path stays within ~20x its input.

Inputs sit at the caps of :class:`collector.extract.limits.ExtractLimits`: Word-pasted report
HTML and report text grown to the markup byte cap, the largest tag soup the tag cap accepts,
pages of NULs, a PDF at the page cap, a DOCX whose document.xml is at the XML-part cap; and
inputs just over each cap, which must be refused before they cost memory.

Run: ``.venv/bin/python bench/bench_memory.py [--case NAME]``. Figures taken on a machine shared
with other work are noisy; compare ratios, not megabytes to the last digit.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIX = ROOT / "tests" / "fixtures" / "attachments"
OUT = ROOT / "bench" / "results" / "memory.json"


def _limits() -> Any:
    from collector.extract.limits import DEFAULT_LIMITS

    return DEFAULT_LIMITS


def _grow(parts: Callable[[int], bytes], size: int) -> bytes:
    out, n, total = [], 0, 0
    while total < size:
        chunk = parts(n)
        out.append(chunk)
        total += len(chunk)
        n += 1
    return b"".join(out)[:size]


def _report_html(i: int) -> bytes:
    from tests.reportgen import make_record, render_html

    return render_html(make_record("gb2021" if i % 2 else "gb2019", 2020 + i % 4, seed=i, big=True), word_noise=True)


def _report_text(i: int) -> bytes:
    from tests.reportgen import make_record, render_text

    return render_text(make_record("gb2021", 2021 + i % 3, seed=i), mode="tabs")


def html_at_byte_cap() -> bytes:
    """Word-pasted report pages, one after another, up to the markup byte cap."""
    return _grow(lambda i: _report_html(i % 40), _limits().max_markup_bytes - 1024)


def html_sample_at_byte_cap() -> bytes:
    """The real Shanghai sample page (../shared), repeated up to the markup byte cap."""
    sample = Path(os.environ.get("XXGK_SHARED", ROOT.parent / "shared")) / "samples" / "shanghai-gov-office-2019.html"
    return _grow(lambda i: sample.read_bytes(), _limits().max_markup_bytes - 1024) if sample.is_file() else b""


def html_over_byte_cap() -> bytes:
    return _grow(lambda i: _report_html(i % 40), 100 * 2**20)


def html_of_nuls() -> bytes:
    return b"<html><body><div class='content'>" + b"\0" * 15_000_000 + b"</div></body></html>"


def html_tag_soup_at_tag_cap() -> bytes:
    """The largest ``<a>x<a>x...`` the tag cap lets through: 4 bytes an element, all inline, so
    the block cap does not stop it first (``<p>x...`` is refused sooner, by the block cap)."""
    lim = _limits()
    n = int(lim.max_tags / (1 - 4 / 16)) - 100
    return b"<html><body>" + b"<a>x" * n + b"</body></html>"


def text_at_block_cap() -> bytes:
    """Report text up to the cap on lines (the byte cap lets through more lines than that)."""
    one = _report_text(0)
    lines = one.count(b"\n")
    return _grow(lambda i: _report_text(i % 20), int(len(one) * _limits().max_blocks / lines * 0.98))


def text_at_byte_cap() -> bytes:
    return _grow(lambda i: _report_text(i % 20), _limits().max_markup_bytes - 1024)


def pdf_at_page_cap() -> bytes:
    """The gb2021 fixture's ruled tables, page after page, up to the page cap."""
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument((FIX / "gb2021.pdf").read_bytes())
    out = pdfium.PdfDocument.new()
    cap = _limits().max_pages
    while len(out) < cap:
        out.import_pages(src, list(range(min(len(src), cap - len(out)))))
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def docx_at_xml_cap() -> bytes:
    """The gb2021 fixture's body repeated until word/document.xml is at the XML-part cap."""
    src = (FIX / "gb2021.docx").read_bytes()
    zin = zipfile.ZipFile(io.BytesIO(src))
    xml = zin.read("word/document.xml").decode()
    m = re.search(r"<w:body>(.*)(<w:sectPr.*</w:sectPr>)\s*</w:body>", xml, re.S)
    assert m is not None
    body = m.group(1)
    k = (_limits().max_markup_bytes - len(xml.encode())) // len(body.encode())
    new = (xml[: m.start(1)] + body * k + xml[m.start(2):]).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, new if info.filename == "word/document.xml" else zin.read(info))
    return buf.getvalue()


CASES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "html_at_byte_cap": ("html", html_at_byte_cap),
    "html_sample_at_byte_cap": ("html", html_sample_at_byte_cap),
    "html_tag_soup_at_tag_cap": ("html", html_tag_soup_at_tag_cap),
    "html_of_nuls": ("html", html_of_nuls),
    "html_over_byte_cap": ("html", html_over_byte_cap),
    "text_at_block_cap": ("text", text_at_block_cap),
    "text_at_byte_cap": ("text", text_at_byte_cap),
    "pdf_at_page_cap": ("pdf", pdf_at_page_cap),
    "docx_at_xml_cap": ("docx", docx_at_xml_cap),
}


def _child(path: Path, hint: str) -> dict[str, Any]:
    """In the fresh process: warm up, settle, run once, report the peak above the baseline."""
    from collector.pipeline import SourceContext, process_document

    for name in ("gb2021.pdf", "gb2021.docx"):  # import and initialise every extractor we will use
        process_document((FIX / name).read_bytes())
    process_document(_report_html(1))
    data = path.read_bytes()
    gc.collect()
    base = _reset_peak()
    t0 = time.perf_counter()
    o = process_document(data, SourceContext(source_url=f"https://www.example.gov.cn/x.{hint}", hint=hint))
    seconds = time.perf_counter() - t0
    peak = _status("VmHWM")
    extra = max(0, peak - base)
    return {"input_mib": round(len(data) / 2**20, 2), "peak_extra_mib": round(extra / 2**20, 1),
            "ratio_to_input": round(extra / len(data), 1), "seconds": round(seconds, 2),
            "outcome": "parsed" if o.record is not None else f"refused: {o.document.get('error_code')}",
            "error": o.document.get("error"), "baseline_mib": round(base / 2**20, 1)}


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> int:
    """Reset the peak RSS to the current RSS (``ru_maxrss`` cannot be reset, and survives exec)."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", action="append", choices=sorted(CASES), help="only these cases (repeatable)")
    ap.add_argument("--child", nargs=2, metavar=("INPUT", "HINT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(Path(args.child[0]), args.child[1])))
        return
    lim = _limits()
    results: dict[str, Any] = {
        "python": platform.python_version(), "machine": platform.machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "note": "peak RSS above a settled baseline, one fresh process per case; shared machine",
        "caps": {"max_bytes": lim.max_bytes, "max_markup_bytes": lim.max_markup_bytes, "max_tags": lim.max_tags,
                 "max_blocks": lim.max_blocks, "max_pages": lim.max_pages},
        "cases": {},
    }
    for name in args.case or list(CASES):
        kind, build = CASES[name]
        data = build()
        if not data:
            continue  # its input is not here (../shared)
        with tempfile.NamedTemporaryFile(suffix=f".{kind}") as fh:
            fh.write(data)
            del data
            fh.flush()
            res = subprocess.run([sys.executable, __file__, "--child", fh.name, kind], capture_output=True, text=True,
                                 timeout=1800)
        if res.returncode:
            results["cases"][name] = {"failed": res.stderr.strip().splitlines()[-1:]}
        else:
            results["cases"][name] = json.loads(res.stdout.strip().splitlines()[-1])
        print(name, json.dumps(results["cases"][name], ensure_ascii=False), flush=True)
    if not args.case:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
