"""Ground truth for the simulator: random but consistent report records, seeded.

Each agency gets a chain of yearly records that satisfy the template's hard rules (per column
``new_received + carried_over_in == results_total + carried_over_out``; ``results_total`` = sum of
the result rows; ``total`` = sum of the six applicant columns; 表四 block totals; gb2021
``other_handling`` = sum of the three ``other_*`` rows) and the cross-year ones (this year's
``carried_over_in`` is last year's ``carried_over_out``; ``in_force`` grows by issued - repealed).
A few records are then broken on purpose, and the broken rule is written next to them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from collector.sim.layout import S3_COLS, S3_OTHER_2021, S3_RESULT_GROUPS, S4_BLOCKS, S4_COLS

APPLICANTS = S3_COLS[:-1]
RESULT_ROWS = [k for _, items in S3_RESULT_GROUPS for k, _ in items]
OTHER_2021 = [k for k, _ in S3_OTHER_2021]
YEARS = (2019, 2020, 2021, 2022, 2023)

DEPARTMENTS = [
    "发展和改革委员会", "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局", "财政局",
    "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "水务局", "农业农村局",
    "商务局", "文化广电旅游局", "卫生健康委员会", "退役军人事务局", "应急管理局", "审计局", "市场监督管理局",
    "统计局", "医疗保障局", "城市管理局", "林业局", "体育局", "信访局", "数据资源管理局", "行政审批服务局",
]
TOWNS = ["城关镇", "新添镇", "东城街道", "西城街道", "南湖镇", "北山乡", "荫子镇", "河口镇"]


@dataclass(slots=True)
class Agency:
    name: str
    kind: str  # "government" | "department" | "township"
    region: dict[str, Any]


@dataclass(slots=True)
class SimReport:
    """One report of the simulated world; ``record`` is the truth the parser should recover."""

    key: str
    portal_id: str
    agency: Agency
    record: dict[str, Any]
    title: str
    media: str = "html"            # html | pdf | docx | doc | xlsx
    encoding: str = "utf-8"        # utf-8 | gbk
    charset_in_header: bool = True
    style: dict[str, Any] = field(default_factory=dict)
    inconsistent: list[str] = field(default_factory=list)
    url: str = ""                  # the report page (absolute path on the simulator)
    attachment_url: str = ""

    @property
    def year(self) -> int:
        return int(self.record["report_year"])


def _split(rng: random.Random, total: int, n: int, weights: list[float]) -> list[int]:
    """Split ``total`` into ``n`` non-negative parts, roughly by ``weights``."""
    out = [0] * n
    for _ in range(total):
        out[rng.choices(range(n), weights=weights)[0]] += 1
    return out


def _applicant_counts(rng: random.Random, big: bool) -> dict[str, int]:
    hi = 60 if big else 8
    return {
        "natural_person": rng.randint(0, hi),
        "commercial_enterprise": rng.randint(0, max(1, hi // 8)),
        "research_institution": rng.choice([0, 0, 0, 1]),
        "social_welfare_org": rng.choice([0, 0, 0, 1]),
        "legal_service_org": rng.choice([0, 0, 1, 2]),
        "other_org": rng.choice([0, 0, 1]),
    }


def make_s3(rng: random.Random, fmt: str, carried_in: dict[str, int], big: bool) -> dict[str, dict[str, int | None]]:
    """A consistent 表三 for one year given last year's carried-over requests."""
    rows: dict[str, dict[str, int | None]] = {}
    new = _applicant_counts(rng, big)
    rows["new_received"] = dict(new)
    rows["carried_over_in"] = dict(carried_in)
    detail_rows = RESULT_ROWS + (OTHER_2021 if fmt == "gb2021" else ["other_handling"])
    weights = [30, 6] + [0.3] * 8 + [4, 2, 1] + [1.5, 0.5, 0.3, 0.2, 0.2] + ([0.5, 0.2, 0.5] if fmt == "gb2021" else [1])
    for r in detail_rows:
        rows[r] = {}
    rows["results_total"], rows["carried_over_out"] = {}, {}
    for c in APPLICANTS:
        avail = new[c] + carried_in[c]
        out = rng.randint(0, min(2, avail)) if avail else 0
        parts = _split(rng, avail - out, len(detail_rows), weights)
        for r, v in zip(detail_rows, parts, strict=True):
            rows[r][c] = v
        rows["results_total"][c] = avail - out
        rows["carried_over_out"][c] = out
    if fmt == "gb2021":
        rows["other_handling"] = {c: sum(int(rows[k][c] or 0) for k in OTHER_2021) for c in APPLICANTS}
    else:
        for k in OTHER_2021:
            rows[k] = {c: None for c in APPLICANTS}
    for r in rows.values():
        vals = [r[c] for c in APPLICANTS]
        r["total"] = None if any(v is None for v in vals) else sum(int(v or 0) for v in vals)
    return rows


def make_s4(rng: random.Random) -> dict[str, dict[str, int]]:
    out = {}
    for b in S4_BLOCKS:
        vals = {c: rng.choice([0, 0, 0, 0, 1, 2]) for c in S4_COLS[:-1]}
        vals["total"] = sum(vals.values())
        out[b] = vals
    return out


def make_s2(rng: random.Random, fmt: str, prev_in_force: dict[str, int], big: bool) -> dict[str, Any]:
    if fmt == "gb2021":
        art1 = {}
        for key in ("regulations", "normative_docs"):
            issued = rng.randint(0, 3 if key == "regulations" else 12) if big or key == "normative_docs" else 0
            repealed = rng.randint(0, min(2, prev_in_force[key])) if prev_in_force[key] else 0
            in_force = prev_in_force[key] + issued - repealed
            prev_in_force[key] = in_force
            art1[key] = {"issued": issued, "repealed": repealed, "in_force": in_force}
        return {
            "art20_1": art1,
            "art20_5": {"admin_licensing": {"decisions": rng.randint(0, 5000 if big else 300)}},
            "art20_6": {"admin_penalty": {"decisions": rng.randint(0, 800 if big else 40)},
                        "admin_coercion": {"decisions": rng.randint(0, 60 if big else 5)}},
            # 万元 with two decimals; never a multiple of 10000 (rule 8 would flag it as 元)
            "art20_8": {"admin_fees": {"amount_wan_yuan": round(rng.randint(0, 60000) / 100 + 0.01, 2)}},
        }
    def items(prev_hi: int) -> dict[str, int]:
        return {"prev_year_items": rng.randint(0, prev_hi), "change": rng.randint(-3, 5),
                "decisions": rng.randint(0, 2000 if big else 200)}

    new_made = rng.randint(0, 8)
    return {
        "art20_1": {k: {"new_made": m, "new_published": m, "total_published": prev_in_force[k] + m}
                    for k, m in (("regulations", 0 if not big else rng.randint(0, 2)), ("normative_docs", new_made))},
        "art20_5": {"admin_licensing": items(200), "other_external_services": items(50)},
        "art20_6": {"admin_penalty": items(30), "admin_coercion": items(10)},
        "art20_8": {"admin_fees": {"prev_year_items": rng.randint(0, 20), "change": rng.randint(-2, 2)}},
        "art20_9": {"centralized_procurement": {"project_count": rng.randint(0, 40),
                                                "total_amount_yuan": rng.randint(1, 9000) * 1000 + 500}},
    }


def _texts(agency: Agency, year: int, s3: dict[str, Any]) -> dict[str, str]:
    n = s3["new_received"]["total"]
    return {
        "s1_overview": (f"{year}年，{agency.name}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国"
                        f"政府信息公开条例》，全面推进政务公开工作。本年度共收到政府信息公开申请{n}件，均已按时答复。"),
        "s5_problems": "政府信息公开工作仍存在主动公开内容不够全面、政策解读形式较为单一等问题。下一步将加强培训，提升公开质量。",
        "s6_other": "本机关未收取信息处理费。无其他需要报告的事项。",
    }


def published_date(rng: random.Random, agency: Agency, year: int) -> str:
    """Within the legal deadline: departments by 31 January, governments by 31 March (条例 art. 49)."""
    if agency.kind == "department":
        return f"{year + 1}-01-{rng.randint(5, 30):02d}"
    return f"{year + 1}-{rng.choice([1, 2, 3]):02d}-{rng.randint(5, 28):02d}"


def make_title(rng: random.Random, agency: str, year: int) -> str:
    """The three title patterns of portals.md §5."""
    return rng.choice([
        f"{agency}{year}年政府信息公开工作年度报告",
        f"{agency}{year}年度政府信息公开工作年度报告",
        f"{year}年度{agency}政府信息公开工作年度报告",
        f"{agency}{year}年政府信息公开工作年度报告",
    ])


def agency_chain(rng: random.Random, agency: Agency, portal_id: str, years: tuple[int, ...] = YEARS,
                 gb2019_in: int | None = None) -> list[SimReport]:
    """Consistent yearly records of one agency (cross-year rules hold along the chain)."""
    big = agency.kind == "government"
    carried = {c: 0 for c in APPLICANTS}
    in_force = {"regulations": rng.randint(0, 5) if big else 0, "normative_docs": rng.randint(5, 60)}
    out = []
    for y in years:
        fmt = "gb2021" if y >= 2021 and y != gb2019_in else "gb2019"
        s3 = make_s3(rng, fmt, carried, big)
        carried = {c: int(s3["carried_over_out"][c] or 0) for c in APPLICANTS}
        rec: dict[str, Any] = {
            "format_version": fmt, "report_year": y, "agency_name": agency.name, "region": dict(agency.region),
            "published_date": published_date(rng, agency, y), "s2": make_s2(rng, fmt, in_force, big),
            "s3": s3, "s4": make_s4(rng), "text": _texts(agency, y, s3),
        }
        title = make_title(rng, agency.name, y)
        rec["title"] = title
        out.append(SimReport(key=f"{portal_id}-{len(out):02d}-{y}", portal_id=portal_id, agency=agency, record=rec,
                             title=title))
    return out


def break_record(rep: SimReport, rule: str) -> None:
    """Make one hard rule fail on purpose (the parser must read it as printed; validation flags it)."""
    s3, s4 = rep.record["s3"], rep.record["s4"]
    if rule == "rule1":  # one more carried over than balances (row total kept, so rule 3 holds)
        s3["carried_over_out"]["natural_person"] += 1
        s3["carried_over_out"]["total"] += 1
    elif rule == "rule5":
        s4["review"]["total"] += 1
    else:
        raise ValueError(rule)
    rep.inconsistent.append(rule)


def flat_numbers(rec: dict[str, Any]) -> dict[str, Any]:
    """``{"s3.new_received.total": 5, "legacy.requests_received": 2, ...}`` for the numeric sections (what tests compare)."""
    out: dict[str, Any] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(f"{prefix}.{k}" if prefix else k, v)
        else:
            out[prefix] = node

    for sec in ("s2", "s3", "s4", "legacy"):
        walk(sec, rec.get(sec) or {})
    return out
