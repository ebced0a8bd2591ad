"""Template era from the table labels — never from the year (some 2022 reports use 2019 tables)."""

from __future__ import annotations

from collector.parse.labels import GB2019_MARKERS, GB2021_MARKERS, S3_MARKERS, S4_MARKERS


def detect_format(norm_text: str) -> tuple[str, dict[str, int]]:
    """``("gb2021" | "gb2019" | "legacy", marker counts)`` for whitespace-free, NFKC text."""
    score = {
        "gb2021": sum(m in norm_text for m in GB2021_MARKERS),
        "gb2019": sum(m in norm_text for m in GB2019_MARKERS),
        "s3": sum(m in norm_text for m in S3_MARKERS),
        "s4": sum(m in norm_text for m in S4_MARKERS),
    }
    if score["gb2021"] > score["gb2019"]:
        return "gb2021", score
    if score["gb2019"] > 0:
        return "gb2019", score
    if score["s3"] >= 2:
        # Only table 三 survived (e.g. 二 as an image): the 其他处理 sub-rows tell the era.
        return ("gb2021" if score["gb2021"] else "gb2019"), score
    return "legacy", score
