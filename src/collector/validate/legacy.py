"""Soft checks of legacy (2008–2018) records: rules 21–25, warnings only, each naming its fields.

From ../shared/spec/legacy.md ("Validation"): definitions varied by province and year, so nothing
here is an error — a finding points an analyst at a figure worth a look.

* 21 (L1) request channels add up to the requests received;
* 22 (L2) replies do not exceed their total, and the total does not far exceed the requests
  (the carry-over from last year is rarely stated: only a large excess is flagged);
* 23 (L3) review and litigation outcomes add up to their totals;
* 24 (L4) fees stated as charged while the text says none were charged (or the reverse);
* 25 a figure the parser left out or chose between readings (annex vs prose, two statements,
  an undetermined flattened annex row), named in ``parse_warnings``.

The dataset-level 100× jump of ``proactive_items_total`` (rule 26) is in :mod:`collector.validate.dataset`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from collector.parse.legacy.prose import fee_statements
from collector.validate.rules import Finding

CHANNELS = ("in_person", "fax", "online", "email", "letter", "other")
NATIONAL_CHANNELS = ("in_person", "fax", "online", "letter")  # 国办发〔2014〕32号: 当面/传真/网络/信函
REPLIES = ("already_public", "granted", "partially_granted", "denied", "not_held", "not_exist", "unclear",
           "redirect", "other")


def _lg(rec: dict[str, Any], path: str) -> Any:
    node: Any = rec.get("legacy") or {}
    for p in path.split("."):
        node = node.get(p) if isinstance(node, dict) else None
    return node


def rule21_channels(rec: dict[str, Any]) -> list[Finding]:
    total = _lg(rec, "requests_received")
    given = {c: _lg(rec, f"requests_by_channel.{c}") for c in CHANNELS}
    given = {c: v for c, v in given.items() if v is not None}
    if total is None or not given:
        return []
    s = sum(given.values())
    complete = set(NATIONAL_CHANNELS) <= set(given) or len(given) == len(CHANNELS)
    if s > total or (complete and s != total):
        parts = " + ".join(f"{c} {v:g}" for c, v in given.items())
        return [Finding(21, "warning", f"request channels {parts} = {s:g} ≠ requests received {total:g}",
                        ["legacy.requests_received", *(f"legacy.requests_by_channel.{c}" for c in given)])]
    return []


def rule22_replies(rec: dict[str, Any]) -> list[Finding]:
    out = []
    total, requests = _lg(rec, "replies_total"), _lg(rec, "requests_received")
    given = {k: v for k in REPLIES if (v := _lg(rec, f"replies.{k}")) is not None}
    if total is not None and given and sum(given.values()) > total:
        out.append(Finding(22, "warning", f"replies by kind add up to {sum(given.values()):g}, more than the "
                                          f"{total:g} replies stated",
                           ["legacy.replies_total", *(f"legacy.replies.{k}" for k in given)]))
    if total is not None and requests is not None and total > 1.5 * requests + 3:
        out.append(Finding(22, "warning", f"{total:g} replies for {requests:g} requests received: more than the "
                                          "carry-over from last year can explain",
                           ["legacy.replies_total", "legacy.requests_received"]))
    return out


def rule23_outcomes(rec: dict[str, Any]) -> list[Finding]:
    out = []
    for block, parts in (("review", ("upheld", "corrected", "other")),
                         ("litigation", ("upheld_or_dismissed", "corrected", "other"))):
        total = _lg(rec, f"{block}_total")
        given = {p: v for p in parts if (v := _lg(rec, f"{block}.{p}")) is not None}
        if total is None or not given:
            continue
        s = sum(given.values())
        if s > total or (len(given) == len(parts) and s != total):
            out.append(Finding(23, "warning", f"{block} outcomes add up to {s:g}, total stated {total:g}",
                               [f"legacy.{block}_total", *(f"legacy.{block}.{p}" for p in given)]))
    return out


def rule24_fees(rec: dict[str, Any]) -> list[Finding]:
    fees = _lg(rec, "fees_collected")
    text = (rec.get("text") or {}).get("full") or ""
    if fees is None or not text:
        return []
    zero, charged = fee_statements(text)
    if fees > 0 and zero:
        return [Finding(24, "warning", f"fees collected {fees:g} {_lg(rec, 'fees_unit') or ''} while the text says "
                                       f"{zero!r}", ["legacy.fees_collected"])]
    if fees == 0 and charged:
        return [Finding(24, "warning", f"fees collected 0 while the text says {charged!r}", ["legacy.fees_collected"])]
    return []


_FIELD_WARNING = re.compile(r"^(legacy\.[a-z_.]+): ")


def rule25_readings(rec: dict[str, Any]) -> list[Finding]:
    """What the parser noticed about a legacy figure (conflicts, undetermined annex rows), as findings."""
    out = []
    for w in rec.get("parse_warnings") or []:
        m = _FIELD_WARNING.match(w)
        if m:
            out.append(Finding(25, "warning", w, [m.group(1)]))
    return out


LEGACY_RULES: tuple[Callable[[dict[str, Any]], list[Finding]], ...] = (
    rule21_channels, rule22_replies, rule23_outcomes, rule24_fees, rule25_readings,
)


def legacy_findings(rec: dict[str, Any]) -> list[Finding]:
    if rec.get("format_version") != "legacy":
        return []
    return [f for rule in LEGACY_RULES for f in rule(rec)]


__all__ = ["LEGACY_RULES", "legacy_findings"]
