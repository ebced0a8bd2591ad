"""Dataset-level rules over the ``reports`` table (flat rows): 9, 10, 26 (cross-year) and 15.

Rows are matched across years by agency: ``org_code`` (索引号 prefix / Hanweb area) when known,
else the normalised agency name. Rule 15 compares the narrative of reports of the same year by
MinHash over character 5-grams, bucketed with LSH so the cost stays near-linear.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from collector.parse.labels import S3_COLUMNS
from collector.validate.rules import Finding

_PERM = 64
_BANDS = 16
_SIMILAR = 0.9


def _agency_key(row: dict[str, Any]) -> str | None:
    return row.get("org_code") or row.get("agency_name_normalized") or row.get("agency_name")


def rule9_carry_over(prev: dict[str, Any], cur: dict[str, Any]) -> list[Finding]:
    """carried_over_in(N) == carried_over_out(N-1), per column."""
    out = []
    for col in S3_COLUMNS:
        a = prev.get(f"s3__carried_over_out__{col}")
        b = cur.get(f"s3__carried_over_in__{col}")
        if a is None or b is None or a == b:
            continue
        out.append(Finding(9, "warning", f"三 {col}: 上年结转 {b} in {cur['report_year']} ≠ 结转下年 {a} in {prev['report_year']}",
                           [f"s3.carried_over_in.{col}"]))
    return out


def rule10_in_force(prev: dict[str, Any], cur: dict[str, Any]) -> list[Finding]:
    """gb2021: in_force(N) ≈ in_force(N-1) + issued(N) − repealed(N)."""
    if cur.get("format_version") != "gb2021" or prev.get("format_version") != "gb2021":
        return []
    out = []
    for item in ("regulations", "normative_docs"):
        p = f"s2__art20_1__{item}__"
        before, now = prev.get(p + "in_force"), cur.get(p + "in_force")
        issued, repealed = cur.get(p + "issued"), cur.get(p + "repealed")
        if None in (before, now, issued, repealed):
            continue
        expected = before + issued - repealed
        if abs(now - expected) > max(2, 0.05 * expected):
            out.append(Finding(10, "warning", f"二 {item}: 现行有效 {now} ≠ {before} + {issued} − {repealed} = {expected}",
                               [f"s2.art20_1.{item}.in_force"]))
    return out


def rule26_legacy_jump(prev: dict[str, Any], cur: dict[str, Any], factor: float = 100.0) -> list[Finding]:
    """Legacy 主动公开 count jumping 100× between an agency's reports (units or cumulative figures mixed up)."""
    a, b = prev.get("legacy__proactive_items_total"), cur.get("legacy__proactive_items_total")
    if not a or not b or "legacy" not in (prev.get("format_version"), cur.get("format_version")):
        return []
    ratio = max(a, b) / min(a, b)
    if ratio < factor:
        return []
    return [Finding(26, "warning", f"主动公开 {b:g} in {cur['report_year']} vs {a:g} in {prev['report_year']} "
                                   f"({ratio:.0f}×): a cumulative figure or a unit mixed up?",
                    ["legacy.proactive_items_total"])]


def _shingles(text: str, k: int = 5) -> set[str]:
    t = "".join(text.split())
    return {t[i : i + k] for i in range(max(0, len(t) - k + 1))}


def _minhash(sh: set[str]) -> list[int]:
    hashes = [int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little") for s in sh]
    sig = []
    for i in range(_PERM):
        a, b = 0x9E3779B97F4A7C15 * (i + 1) | 1, 0xBF58476D1CE4E5B9 * (i + 7)
        sig.append(min(((a * h + b) & 0xFFFFFFFFFFFFFFFF) for h in hashes))
    return sig


def near_duplicates(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any], float]]:
    """Pairs of different agencies' reports of the same year whose narratives nearly match."""
    pairs = []
    by_year: dict[Any, list[tuple[dict[str, Any], set[str], list[int]]]] = defaultdict(list)
    for row in rows:
        text = " ".join(filter(None, (row.get("text__s1_overview"), row.get("text__s5_problems"))))
        sh = _shingles(text)
        if len(sh) >= 50:
            by_year[row.get("report_year")].append((row, sh, _minhash(sh)))
    r = _PERM // _BANDS
    for items in by_year.values():
        buckets: dict[tuple[int, tuple[int, ...]], list[int]] = defaultdict(list)
        for idx, (_, _, sig) in enumerate(items):
            for band in range(_BANDS):
                buckets[(band, tuple(sig[band * r : (band + 1) * r]))].append(idx)
        seen: set[tuple[int, int]] = set()
        for members in buckets.values():
            for i in range(len(members)):
                for j in range(i + 1, len(members)):
                    a, b = members[i], members[j]
                    if (a, b) in seen:
                        continue
                    seen.add((a, b))
                    ra, sa, _ = items[a]
                    rb, sb, _ = items[b]
                    if _agency_key(ra) == _agency_key(rb):
                        continue
                    jac = len(sa & sb) / len(sa | sb)
                    if jac >= _SIMILAR:
                        pairs.append((ra, rb, jac))
    return pairs


def validate_dataset(rows: Iterable[dict[str, Any]]) -> list[tuple[str, Finding]]:
    """(report_id, finding) for rules 9, 10, 15 and 26 over flat ``reports`` rows."""
    rows = list(rows)
    out: list[tuple[str, Finding]] = []
    by_agency: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        key, year = _agency_key(row), row.get("report_year")
        if key and year:
            by_agency[key][int(year)] = row
    for years in by_agency.values():
        for year, cur in years.items():
            prev = years.get(year - 1)
            if prev is None:
                continue
            for f in rule9_carry_over(prev, cur) + rule10_in_force(prev, cur):
                out.append((cur["report_id"], f))
        legacy_years = sorted(y for y, r in years.items() if r.get("legacy__proactive_items_total"))
        for y0, y1 in zip(legacy_years, legacy_years[1:], strict=False):
            if y1 - y0 <= 2:  # the next report the agency published, a missing year allowed
                out.extend((years[y1]["report_id"], f) for f in rule26_legacy_jump(years[y0], years[y1]))
    for ra, rb, jac in near_duplicates(rows):
        msg = f"text {jac:.0%} identical to {rb.get('agency_name')}'s {rb.get('report_year')} report (内容雷同)"
        out.append((ra["report_id"], Finding(15, "warning", msg, ["text.s1_overview"])))
    return out
