"""The accuracy corpus: cases (a document's bytes + the values a perfect reading gives) and their scoring.

A *suite* is a module in this package with ``cases() -> Iterable[Case]``; ``bench/bench_accuracy.py``
runs every suite listed in :data:`SUITES`, parses each case exactly as the collector does
(:func:`collector.pipeline.process_document`) and scores it per *variant* (the rendering: ``html``,
``pdftotext-layout``, ``markdown``, ``scan-200dpi-skew``, ``legacy-text`` …).

Scoring, per expected field (dotted path: ``s3.new_received.total``, ``legacy.requests_received``):

* **right** — the output equals the expectation (``None`` == ``None`` counts: a blank read as blank);
* **missing** — expected a value, got ``None`` (a lost cell: bad, but honest);
* **wrong** — got a value that differs from the expectation, or a value where none was expected
  (for ``complete=False`` cases such as legacy texts, every field *not* listed is expected absent);
* **silent** — a wrong value that no validation finding names (its field is not in any finding's
  ``fields``): the worst defect this project can have.

A case with ``assume_report`` is parsed even when the legacy recogniser refuses the document (a field
extraction test of a text that is no annual report, e.g. the yingkou work report of ../shared).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

# Suites run by bench/bench_accuracy.py, in order. A suite module that is missing is reported, not fatal.
SUITES = ("samples", "renderings", "real", "legacy", "scans")

META_KEYS = ("format_version", "report_year", "agency_name", "published_date")


@dataclass(slots=True)
class Case:
    suite: str
    variant: str
    name: str
    data: bytes
    expected: dict[str, Any]                 # dotted field -> value (None = expected blank)
    hint: str | None = None                  # file extension, as SourceContext.hint
    source_url: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # expected metadata (META_KEYS), only keys to check
    complete: bool = True                    # True: every number field not in ``expected`` must be None
    doc_type: str = "report"                 # "report" | "not_report" (a classifier must refuse it)
    assume_report: bool = False              # parse even if the legacy recogniser refuses it (field extraction only)


@dataclass(slots=True)
class Score:
    right: int = 0
    missing: int = 0
    wrong: int = 0
    silent: int = 0
    expected: int = 0
    meta_right: int = 0
    meta_total: int = 0
    errors: list[str] = field(default_factory=list)     # one line per wrong value / meta miss / failure
    seconds: float = 0.0
    filled: int = 0        # expected cells that hold a number (blank ones excluded) ...
    filled_right: int = 0  # ... and how many of them were read right

    def add(self, other: Score) -> None:
        for k in ("right", "missing", "wrong", "silent", "expected", "meta_right", "meta_total", "filled",
                  "filled_right"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.errors.extend(other.errors)
        self.seconds += other.seconds


def flatten(record: dict[str, Any], sections: tuple[str, ...] = ("s2", "s3", "s4", "legacy")) -> dict[str, Any]:
    """``{"s3.new_received.total": 5, "legacy.replies.granted": 3, ...}`` for the numeric sections."""
    out: dict[str, Any] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(f"{prefix}.{k}", v)
        else:
            out[prefix] = node

    for sec in sections:
        if isinstance(record.get(sec), dict):
            walk(sec, record[sec])
    return out


def _equal(got: Any, want: Any) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if isinstance(got, (int, float)) and isinstance(want, (int, float)):
        return abs(float(got) - float(want)) < 1e-6
    return got == want


def score_record(case: Case, record: dict[str, Any] | None) -> Score:
    """Compare one parsed record with the case's expectation (see the module docstring)."""
    sc = Score()
    if case.doc_type == "not_report":
        sc.meta_total = 1
        if record is None:
            sc.meta_right = 1
        else:
            sc.errors.append(f"{case.name}: accepted as a report")
        return sc
    if record is None:
        sc.expected = len(case.expected)
        sc.missing = sum(1 for v in case.expected.values() if v is not None)
        sc.right = sc.expected - sc.missing
        sc.filled = sc.missing
        sc.errors.append(f"{case.name}: no record")
        sc.meta_total = len(case.meta)
        return sc
    got = flatten(record)
    named = {f for finding in record.get("validation") or [] for f in (finding.get("fields") or [])}
    keys = set(case.expected)
    if case.complete:
        keys |= {k for k, v in got.items() if v is not None and k.split(".")[0] in {x.split(".")[0] for x in keys}}
    else:
        keys |= {k for k, v in got.items() if v is not None}
    for k in sorted(keys):
        want, have = case.expected.get(k), got.get(k)
        sc.expected += 1
        sc.filled += want is not None
        if _equal(have, want):
            sc.right += 1
            sc.filled_right += want is not None
        elif have is None:
            sc.missing += 1
        else:
            sc.wrong += 1
            silent = k not in named
            sc.silent += silent
            sc.errors.append(f"{case.name}: {k} = {have!r}, expected {want!r}{' (SILENT)' if silent else ''}")
    for k, want in case.meta.items():
        sc.meta_total += 1
        if _equal(record.get(k), want):
            sc.meta_right += 1
        else:
            sc.errors.append(f"{case.name}: meta {k} = {record.get(k)!r}, expected {want!r}")
    return sc


def load_cases(suites: Iterable[str] = SUITES) -> Iterator[Case | str]:
    """Every case of every suite; a suite that cannot be loaded yields a one-line message instead."""
    for name in suites:
        try:
            mod = importlib.import_module(f"bench.accuracy.{name}")
        except ImportError as exc:
            yield f"suite {name}: not loaded ({exc})"
            continue
        yield from mod.cases()
