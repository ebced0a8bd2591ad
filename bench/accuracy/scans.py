"""Scans: real reports rendered the way they reach portals after a scanner — 150/200/300 dpi,
skewed up to ±2°, blurred, noisy, JPEG-compressed, on grey paper, with a red seal over the table;
as long PNG/JPEG images and as image-only PDFs.

Sources (each: DOCX/HTML -> LibreOffice PDF -> :func:`collector.sim.render_scan.pdf_to_scan`):

* three simulator reports (``collector.sim.truth``: consistent by construction) — a gb2021
  county government, a gb2019 department, a gb2021 township;
* the committed attachment fixtures ``gb2021.pdf`` (awkward numbers: 4-digit counts wrapped in
  narrow cells, blanks, a decimal fee) and, for the borderless variant, ``gb2019_noborder.pdf``;
* the real Shanghai 2019 report of ``../shared/samples`` as LibreOffice prints the article (the
  ``samples`` suite's PDF, when ../shared is present), on fewer variants: eight dense pages, and
  OCR is slow.

Variants are named for what was done to the page (``scan-150dpi-jpeg-seal``); the borderless
one draws the sim reports' tables without rules, so the grid-less fallback is measured too.

Everything is seeded, so a variant is the same bytes on every run of the same machine; the
PDFs and scans are cached in ``bench/accuracy/cache`` (gitignored);
``python -m bench.accuracy.scans --out DIR`` writes them out to look at. Needs the ``[ocr]``
extra (no cases without it); without LibreOffice only the committed fixtures are scanned.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.accuracy import Case
from bench.accuracy.cache import cached, cached_conversions

VERSION = 1  # bump when the renderer changes, so cached scans are regenerated

# variant -> ScanStyle keyword arguments (seed added per report)
VARIANTS: dict[str, dict[str, Any]] = {
    "scan-300dpi": dict(dpi=300, noise=4.0, blur=0.5),
    "scan-200dpi-skew": dict(dpi=200, skew=1.5, blur=0.7, noise=8.0),
    "scan-200dpi-skew-jpeg-seal": dict(dpi=200, skew=-2.0, blur=0.8, noise=10.0, jpeg=50, seal=True, paper=215,
                                       color=True, container="jpeg"),
    "scan-150dpi-jpeg-seal": dict(dpi=150, skew=1.0, blur=0.6, noise=8.0, jpeg=60, seal=True, paper=225, color=True,
                                  container="jpeg"),
    "scan-150dpi-blur-noise": dict(dpi=150, skew=-0.8, blur=1.1, noise=14.0),
    "scan-200dpi-faint-pdf": dict(dpi=200, skew=0.7, blur=0.6, noise=6.0, jpeg=60, faint=True, paper=230,
                                  container="pdf"),
    "scan-300dpi-gray-seal-pdf": dict(dpi=300, skew=-1.2, blur=0.8, noise=8.0, jpeg=70, seal=True, paper=220,
                                      container="pdf"),
    # tables drawn without rules: rows and columns come from the words (the grid-less fallback)
    "scan-200dpi-borderless": dict(dpi=200, skew=0.9, blur=0.6, noise=6.0),
}
BORDERLESS = {"scan-200dpi-borderless"}
SAMPLE_VARIANTS = ("scan-200dpi-skew", "scan-200dpi-skew-jpeg-seal", "scan-150dpi-jpeg-seal")
HINTS = {"png": "png", "jpeg": "jpg", "pdf": "pdf"}


def sim_reports() -> list[dict[str, Any]]:
    """Three consistent records of the simulated world (fixed seed)."""
    from collector.sim.truth import Agency, agency_chain

    region = {"province": "四川省", "city": "江川市", "county": "临溪县"}
    rng = random.Random(20240917)
    gov = agency_chain(rng, Agency("临溪县人民政府", "government", region), "scan", years=(2022, 2023))[-1]
    dept = agency_chain(rng, Agency("临溪县统计局", "department", region), "scan", years=(2019, 2020))[-1]
    town = agency_chain(rng, Agency("临溪县河口镇人民政府", "township", region), "scan", years=(2022,))[-1]
    return [gov.record, dept.record, town.record]


def scan_of(pdf: bytes, variant: str, seed: int, seal_text: str) -> bytes:
    """``pdf`` rendered as ``variant`` (cached by content, style and renderer version)."""
    from collector.sim.render_scan import ScanStyle, pdf_to_scan

    style = ScanStyle(**VARIANTS[variant], seed=seed)
    key = json.dumps({"pdf": hashlib.sha256(pdf).hexdigest(), "style": asdict(style), "seal": seal_text,
                      "v": VERSION}, sort_keys=True, ensure_ascii=False)
    return cached(f"scans/{key}", HINTS[style.container], lambda: pdf_to_scan(pdf, style, seal_text=seal_text))


def _sim_pdf(rec: dict[str, Any], borders: bool) -> bytes | None:
    """The report as LibreOffice prints its DOCX, with or without table rules (None: no soffice)."""
    from collector.sim.layout import record_to_layout
    from collector.sim.render_office import layout_to_docx

    docx = layout_to_docx(record_to_layout(rec), borders=borders)
    key = f"scans/{VERSION}/{hashlib.sha256(docx).hexdigest()}/pdf"
    return cached_conversions([(key, docx)], "docx", "pdf")[0]


def _sample_source() -> Case | None:
    """The Shanghai sample as LibreOffice prints the article (the ``samples`` suite's PDF case)."""
    from bench.accuracy.samples import cases as sample_cases

    return next((c for c in sample_cases() if c.variant == "pdf" and c.name.startswith("shanghai")), None)


def cases() -> Iterator[Case]:
    from collector.extract.ocr_engine import ocr_available

    if not ocr_available():
        return
    from collector.sim.truth import flat_numbers

    sources: list[tuple[str, dict[bool, bytes], dict[str, Any], dict[str, Any], str, tuple[str, ...]]] = []
    for i, rec in enumerate(sim_reports()):
        pdfs = {b: pdf for b in (True, False) if (pdf := _sim_pdf(rec, borders=b)) is not None}
        meta = {k: rec[k] for k in ("format_version", "report_year", "agency_name", "published_date")}
        sources.append((f"sim{i + 1}-{rec['format_version']}", pdfs, flat_numbers(rec), meta, rec["agency_name"],
                        tuple(VARIANTS)))
    fixtures = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "attachments"
    for name, borders in (("gb2021.pdf", True), ("gb2019_noborder.pdf", False)):
        truth = json.loads((fixtures / f"{name}.truth.json").read_text("utf-8"))
        meta = {k: truth[k] for k in ("format_version", "report_year", "agency_name", "published_date")}
        variants = tuple(v for v in VARIANTS if (v in BORDERLESS) != borders)
        sources.append((f"fixture-{name.split('.')[0]}", {borders: (fixtures / name).read_bytes()}, flat_numbers(truth),
                        meta, truth["agency_name"], variants))
    sample = _sample_source()
    if sample is not None:
        sources.append((sample.name.split(".")[0], {True: sample.data}, sample.expected, sample.meta,
                        "上海市人民政府办公厅", SAMPLE_VARIANTS))
    for n, (name, pdfs, expected, meta, seal_text, variants) in enumerate(sources):
        for v, variant in enumerate(variants):
            pdf = pdfs.get(variant not in BORDERLESS)
            if pdf is None:
                continue
            data = scan_of(pdf, variant, seed=1000 * n + v, seal_text=seal_text)
            ext = HINTS[VARIANTS[variant].get("container", "png")]
            yield Case("scans", variant, f"{name}.{ext}", data, expected, hint=ext, meta=meta)


def main() -> None:
    """Write the corpus to a directory to look at: ``python -m bench.accuracy.scans --out DIR``."""
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    n = 0
    for case in cases():
        stem = f"{case.variant}--{case.name.rsplit('.', 1)[0]}"
        (args.out / f"{stem}.{case.hint}").write_bytes(case.data)
        (args.out / f"{stem}.expected.json").write_text(
            json.dumps({"meta": case.meta, "values": case.expected}, ensure_ascii=False, indent=1), "utf-8")
        n += 1
    print(f"{n} scans written to {args.out}" if n else "no scans: LibreOffice or the [ocr] extra is missing")


if __name__ == "__main__":
    main()
