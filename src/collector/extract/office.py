"""Legacy Office formats (DOC, WPS, ET, XLS that xlrd cannot read, RTF) via LibreOffice headless.

LibreOffice converts to DOCX/XLSX and the ordinary extractors take over, so there is one table
reader per family. Conversion is the slow, risky step, so it is fenced in:

* a private profile per process (``-env:UserInstallation``), seeded to disable macros;
* inputs written to a fresh temp dir under fixed names (``in_0003.doc``), never a document name;
* one soffice invocation converts a whole batch (:func:`convert_many`): start-up (~1-2 s)
  dominates a single conversion, so batching is what makes DOC cost well under 1 s/file;
* a timeout that kills the whole process group (soffice forks ``soffice.bin``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from collector.errors import CorruptFile, ExtractError, NeedsLibreOffice, ResourceLimit
from collector.extract.limits import ExtractLimits, check_size, guarded
from collector.extract.sniff import OLE_MAGIC, ole_stream_names, sniff
from collector.models import Document

# LibreOffice filter names per target extension (explicit, so a Calc file is never saved as Writer)
FILTERS = {
    "docx": "docx:MS Word 2007 XML",
    "doc": "doc:MS Word 97",
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
    "xls": "xls:MS Excel 97",
    "pdf": "pdf",
}
_SOURCE_EXT = {"doc": "doc", "wps": "wps", "xls": "xls", "et": "et", "docx": "docx", "xlsx": "xlsx",
               "rtf": "rtf", "html": "html", "pdf": "pdf"}

_MACRO_OFF = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""

_lock = threading.Lock()  # one soffice per profile at a time: a second one would attach to the first
_profile: dict[int, Path] = {}


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _profile_dir() -> Path:
    """A private LibreOffice profile for this process (created once, macros disabled)."""
    pid = os.getpid()
    if pid not in _profile:
        base = Path(tempfile.mkdtemp(prefix=f"xxgk-lo-{pid}-"))
        user = base / "user"
        user.mkdir(parents=True)
        (user / "registrymodifications.xcu").write_text(_MACRO_OFF, encoding="utf-8")
        _profile[pid] = base
        atexit.register(shutil.rmtree, base, True)
    return _profile[pid]


def convert_many(
    items: list[bytes],
    target: str,
    *,
    source_ext: str | None = None,
    limits: ExtractLimits | dict[str, Any] | None = None,
) -> list[bytes | ExtractError]:
    """Convert many documents in one soffice run; per item the converted bytes or the error.

    ``source_ext`` forces the input extension (else it is sniffed per item); LibreOffice detects
    the real type by content anyway, the extension only helps it choose between lookalikes.
    """
    if target not in FILTERS:
        raise ValueError(f"unsupported conversion target {target!r}")
    exe = soffice_path()
    if exe is None:
        err = NeedsLibreOffice("converting DOC/WPS/ET/XLS needs LibreOffice (soffice) on PATH; "
                               "install libreoffice-writer-nogui and libreoffice-calc-nogui")
        return [err for _ in items]
    lim = ExtractLimits.resolve(limits)
    results: list[bytes | ExtractError | None] = [None] * len(items)
    names: dict[int, str] = {}
    with tempfile.TemporaryDirectory(prefix="xxgk-conv-") as tmp:
        indir, outdir = Path(tmp, "in"), Path(tmp, "out")
        indir.mkdir()
        outdir.mkdir()
        for i, data in enumerate(items):
            try:
                check_size(data, lim)
                _precheck(data)
            except ExtractError as e:
                results[i] = e
                continue
            ext = source_ext or _SOURCE_EXT.get(_kind(data) or "", "bin")
            names[i] = f"in_{i:04d}"
            (indir / f"{names[i]}.{ext}").write_bytes(data)
        if names:
            timeout = lim.soffice_timeout + lim.soffice_timeout_per_file * len(names)
            inputs = sorted(str(p) for p in indir.iterdir())
            _run_soffice(exe, FILTERS[target], inputs, outdir, timeout)
        for i, stem in names.items():
            out = outdir / f"{stem}.{target}"
            if out.is_file() and out.stat().st_size > 0:
                results[i] = out.read_bytes()
            else:
                results[i] = CorruptFile(f"LibreOffice could not convert the document to {target} "
                                         "(damaged, encrypted or not an office file)")
    return [r if r is not None else CorruptFile("not converted") for r in results]


_OFFICE_STREAMS = {"WordDocument", "Workbook", "Book", "WpsCustomData"}


def _precheck(data: bytes) -> None:
    """Refuse OLE files LibreOffice would otherwise import as plain text (garbage in, garbage
    out) and encrypted OOXML, which sits in an OLE container too."""
    if not data.startswith(OLE_MAGIC):
        return
    names = ole_stream_names(data)
    if "EncryptedPackage" in names or "EncryptionInfo" in names:
        raise CorruptFile("the Office document is password-protected (encrypted package)")
    if not names & _OFFICE_STREAMS:
        raise CorruptFile("OLE file without a Word/Excel/WPS stream (damaged or not an office document)")


def _kind(data: bytes) -> str | None:
    if data[:5] == b"{\\rtf":
        return "rtf"
    return sniff(data)


def _run_soffice(exe: str, filt: str, inputs: list[str], outdir: Path, timeout: float) -> None:
    with _lock:
        profile = _profile_dir()
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible", "--nologo",
               "--nodefault", "--norestore", "--nolockcheck", "--convert-to", filt, "--outdir", str(outdir),
               *inputs]
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR")}
        env.setdefault("HOME", str(profile))
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True, env=env,
                                    cwd=str(outdir))
        except OSError as e:
            raise NeedsLibreOffice(f"soffice could not be started ({e})") from None
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise ResourceLimit(f"LibreOffice conversion exceeded {timeout:g} s and was killed") from None
        finally:
            if proc.poll() is None:
                _kill_group(proc)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def convert_one(data: bytes, target: str, *, source_ext: str | None = None,
                limits: ExtractLimits | dict[str, Any] | None = None) -> bytes:
    result = convert_many([data], target, source_ext=source_ext, limits=limits)[0]
    if isinstance(result, ExtractError):
        raise result
    return result


def _via_docx(kind: str, ext: str):  # noqa: ANN202 - returns an extractor
    @guarded(kind.upper())
    def extract(data: bytes, *, source_url: str | None = None, encoding: str | None = None,
                limits: ExtractLimits | dict[str, Any] | None = None) -> Document:
        from collector.extract.docx import docx_to_document

        check_size(data, ExtractLimits.resolve(limits))  # before LibreOffice is even looked for
        src = "rtf" if data[:5] == b"{\\rtf" else ext  # RTF saved as .doc is common on portals
        converted = convert_one(data, "docx", source_ext=src, limits=limits)
        doc = docx_to_document(converted, source_url=source_url, limits=limits)
        doc.media_type = kind  # type: ignore[assignment]
        doc.extractor = "libreoffice+python-docx"
        return doc

    extract.__name__ = f"{kind}_to_document"
    extract.__doc__ = f"{kind.upper()} -> DOCX with LibreOffice, then the DOCX extractor."
    return extract


doc_to_document = _via_docx("doc", "doc")
wps_to_document = _via_docx("wps", "wps")

