"""Figures stated in the narrative (主动公开信息X条, 收到申请X件, 信息处理费X元) for analysts and rule 12."""

from __future__ import annotations

import re

from collector.parse.normalize import nfkc

_N = r"(\d[\d,]*)"
_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "proactive_items": (re.compile(r"(?:累计|共|全年)?主动公开(?:政府)?(?:信息|政务信息)(?:共|总数|数量)?(?:为|达)?\s*" + _N + r"\s*条"),),
    "press_conferences": (re.compile(r"(?:召开|举办|组织)?新闻发布会\s*" + _N + r"\s*(?:场|次)"),),
    "policy_interpretations": (re.compile(r"(?:发布)?政策解读(?:信息|材料|稿件)?(?:共)?\s*" + _N + r"\s*(?:条|篇|件|期)"),),
    "requests_received": (
        re.compile(r"(?:共|全年|本年度?)?(?:收到|受理|新收)(?:各类)?(?:政府信息公开)?申请(?:共|总数)?(?:为)?\s*" + _N + r"\s*件"),
    ),
}
_FEE = re.compile(r"(?:收取|产生)(?:信息公开)?(?:信息)?处理费(?:共|合计)?\s*(\d+(?:\.\d+)?)\s*元")
_NO_FEE = re.compile(r"(?:未|没有|不)(?:收取|产生)(?:任何)?(?:政府)?(?:信息公开)?(?:信息)?处理费|处理费\s*0\s*元")


def prose_figures(text: str) -> dict[str, int | float | None]:
    t = re.sub(r"\s+", "", nfkc(text))
    out: dict[str, int | float | None] = {}
    for key, pats in _PATTERNS.items():
        out[key] = None
        for p in pats:
            m = p.search(t)
            if m:
                out[key] = int(m.group(1).replace(",", ""))
                break
    m = _FEE.search(t)
    out["processing_fee_yuan"] = float(m.group(1)) if m else (0.0 if _NO_FEE.search(t) else None)
    return out
