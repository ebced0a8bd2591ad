"""Scans: real reports rendered the way they reach portals after a scanner — 150/200/300 dpi,
skewed up to ±2°, blurred, noisy, JPEG-compressed, on grey paper, with a red seal over the table;
as long PNG/JPEG images and as image-only PDFs.

Sources (each: DOCX/HTML -> LibreOffice PDF -> :func:`collector.sim.render_scan.pdf_to_scan`):

* three simulator reports (``collector.sim.truth``: consistent by construction) — a gb2021
  county government, a gb2019 department, a gb2021 township;
* the committed attachment fixtures ``gb2021.pdf`` (awkward numbers: 4-digit counts wrapped in
  narrow cells, blanks, a decimal fee) and, for the borderless variant, ``gb2019_noborder.pdf``;
* the real Shanghai 2019 report of ``../shared/samples`` (when present), on fewer variants
  (eight dense pages: OCR is slow and the machine is shared); its agency is not expected
  (the article's title is not in the body that gets printed).

Variants are named for what was done to the page (``scan-150dpi-jpeg-seal``); the borderless
one draws the sim reports' tables without rules, so the grid-less fallback is measured too.

Everything is seeded, so a variant is the same bytes on every run of the same machine; the
rendered PDFs and scans are cached (``collector.sim.attachments.cache_dir() / "scans"``, outside
the repository); ``python -m bench.accuracy.scans --out DIR`` writes them out to look at. Needs
LibreOffice and the ``[ocr]`` extra; without them the suite has no cases.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.accuracy import Case

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


def _cache(key: str, ext: str) -> Path:
    from collector.sim.attachments import cache_dir

    return cache_dir() / "scans" / f"{key}.{ext}"


def _cached(path: Path, make: Any) -> bytes:
    if path.is_file():
        return path.read_bytes()
    data = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return data


def scan_of(pdf: bytes, variant: str, seed: int, seal_text: str) -> bytes:
    """``pdf`` rendered as ``variant`` (cached by content, style and renderer version)."""
    from collector.sim.render_scan import ScanStyle, pdf_to_scan

    style = ScanStyle(**VARIANTS[variant], seed=seed)
    blob = json.dumps({"pdf": hashlib.sha256(pdf).hexdigest(), "style": asdict(style), "seal": seal_text,
                       "v": VERSION}, sort_keys=True, ensure_ascii=False)
    key = hashlib.sha256(blob.encode()).hexdigest()[:32]
    return _cached(_cache(key, HINTS[style.container]), lambda: pdf_to_scan(pdf, style, seal_text=seal_text))


def _sim_pdf(rec: dict[str, Any], borders: bool) -> bytes:
    from collector.sim.attachments import render_attachment
    from collector.sim.layout import record_to_layout
    from collector.sim.render_office import convert_with_soffice, layout_to_docx

    layout = record_to_layout(rec)
    if borders:
        return render_attachment(layout, "pdf")
    key = hashlib.sha256(json.dumps(rec, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()[:32]
    return _cached(_cache(f"borderless-{key}", "pdf"),
                   lambda: convert_with_soffice(layout_to_docx(layout, borders=False), "docx", "pdf"))


def _available() -> bool:
    from collector.extract.ocr_engine import ocr_available
    from collector.extract.office import soffice_path

    return ocr_available() and soffice_path() is not None


def _sample_source() -> tuple[bytes, dict[str, Any], dict[str, Any], str] | None:
    """The Shanghai sample as PDF (LibreOffice renders the article HTML), its expectations, meta."""
    from bench.accuracy.samples import cases as sample_cases
    from collector.extract.office import convert_one

    case = next((c for c in sample_cases() if c.name.startswith("shanghai")), None)
    if case is None:
        return None
    key = hashlib.sha256(case.data).hexdigest()[:32]
    pdf = _cached(_cache(f"sample-{key}", "pdf"), lambda: convert_one(case.data, "pdf", source_ext="html"))
    # the page's title (the agency) is outside the article body LibreOffice renders: not expected
    meta = {k: v for k, v in case.meta.items() if k != "agency_name"}
    return pdf, case.expected, meta, case.name


def cases() -> Iterator[Case]:
    if not _available():
        return
    from collector.sim.truth import flat_numbers

    sources: list[tuple[str, dict[bool, bytes], dict[str, Any], dict[str, Any], str, tuple[str, ...]]] = []
    for i, rec in enumerate(sim_reports()):
        pdfs = {True: _sim_pdf(rec, borders=True), False: _sim_pdf(rec, borders=False)}
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
        pdf, expected, meta, name = sample
        sources.append((name.split(".")[0], {True: pdf}, expected, meta, "上海市人民政府办公厅", SAMPLE_VARIANTS))
    for n, (name, pdfs, expected, meta, seal_text, variants) in enumerate(sources):
        for v, variant in enumerate(variants):
            data = scan_of(pdfs[variant not in BORDERLESS], variant, seed=1000 * n + v, seal_text=seal_text)
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
