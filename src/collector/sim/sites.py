"""The simulated world: four portals (TRS, Hanweb, VSB, generic), their reports, noise and traps.

:func:`build_world` is deterministic for a seed: the same agencies, numbers, URLs and bytes
every time, so tests can compare the crawl's Parquet output with the ground truth. Routes are
static :class:`Resource` bodies plus a few dynamic handlers for query-driven endpoints (Hanweb
``dataproxy.jsp`` and ``xxgkAnnualReport.jsp``, generic ``?page=N``).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

from collector.sim import pages as P
from collector.sim.attachments import available_formats, render_attachment
from collector.sim.layout import record_to_layout
from collector.sim.legacy import sim_legacy_reports
from collector.sim.render_html import layout_to_html
from collector.sim.truth import DEPARTMENTS, TOWNS, YEARS, Agency, SimReport, agency_chain, break_record


@dataclass(slots=True)
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: str | None = None


Dynamic = Callable[[dict[str, str]], Resource | None]


@dataclass(slots=True)
class SimPortal:
    id: str
    name: str
    family: str
    cms: str
    start_urls: list[str]
    region: dict[str, Any]
    publisher_type: str = "government"


@dataclass(slots=True)
class Trap:
    url: str
    kind: str  # robots | broken | challenge | foreign_redirect | broken_attachment
    title: str = ""


@dataclass(slots=True)
class World:
    seed: int
    scale: int
    portals: list[SimPortal] = field(default_factory=list)
    reports: list[SimReport] = field(default_factory=list)
    noise: list[tuple[str, str]] = field(default_factory=list)
    traps: list[Trap] = field(default_factory=list)
    routes: dict[str, Resource] = field(default_factory=dict)
    dynamic: dict[str, Dynamic] = field(default_factory=dict)
    robots: str = ""


def http_date(day: str) -> str:
    y, m, d = (int(x) for x in day.split("-"))
    return format_datetime(datetime(y, m, d, 1, 30, tzinfo=UTC), usegmt=True)


def html_resource(text: str, *, encoding: str = "utf-8", header_charset: bool = True, day: str | None = None) -> Resource:
    enc = "gbk" if encoding == "gbk" else "utf-8"
    ct = f"text/html; charset={'GBK' if enc == 'gbk' else 'UTF-8'}" if header_charset else "text/html"
    return Resource(text.encode(enc, errors="xmlcharrefreplace"), ct, last_modified=http_date(day) if day else None)


OFFICE_TYPES = {
    "pdf": "application/pdf", "doc": "application/msword", "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

PORTAL_SPECS = [
    # id, family, cms in YAML, government name, prefix, region
    ("sim-trs", "trs", "auto", "模拟省人民政府", "模拟省", {"province": "模拟省", "code": "990000"}),
    ("sim-hanweb", "hanweb", "auto", "模拟市人民政府", "模拟市", {"province": "模拟省", "city": "模拟市", "code": "990100"}),
    ("sim-vsb", "vsb", "vsb", "模拟县人民政府", "模拟县",
     {"province": "模拟省", "city": "模拟市", "county": "模拟县", "code": "990121"}),
    ("sim-generic", "generic", "auto", "模拟区人民政府", "模拟区",
     {"province": "模拟省", "city": "模拟市", "county": "模拟区", "code": "990102"}),
]


def _agencies(rng: random.Random, family: str, gov: str, prefix: str, region: dict[str, Any], n: int) -> list[Agency]:
    out: list[Agency] = []
    if family in ("vsb", "generic"):
        out.append(Agency(gov, "government", region))
    depts = rng.sample(DEPARTMENTS, k=min(len(DEPARTMENTS), n))
    i = 0
    while len(out) < n:
        if family == "vsb" and i % 3 == 2:
            out.append(Agency(f"{prefix}{TOWNS[(i // 3) % len(TOWNS)]}{'' if i < 24 else i}人民政府", "township", region))
        else:
            name = depts[i % len(depts)] + ("" if i < len(depts) else f"第{i // len(depts) + 1}分局")
            out.append(Agency(f"{prefix}{name}", "department", region))
        i += 1
    return out


def _report_body(rep: SimReport, seed: int) -> str:
    layout = record_to_layout(rep.record)
    return layout_to_html(layout, seed=seed, blank=rep.style.get("blank"), wrap_labels=rep.style.get("wrap"))


def _attachment_body(rep: SimReport) -> str:
    return (f'<p style="text-indent:2em;"><span style="font-family: 仿宋_GB2312;">{P.esc(rep.title)}全文详见附件。</span></p>')


def _noise_titles(agency: str, year: int) -> list[str]:
    return [f"关于《{agency}{year}年政府信息公开工作年度报告》的解读",
            f"{agency}关于做好{year}年度政府信息公开工作年度报告编制发布工作的通知",
            f"{agency}{year + 1}年政务公开工作要点",
            f"{agency}{year}年部门决算公开"]


class _Builder:
    def __init__(self, world: World, faults: Any, formats: set[str]) -> None:
        self.w = world
        self.faults = faults
        self.formats = formats
        self.rng = random.Random(world.seed * 7919 + 17)
        self.ids = iter(range(100_000 + world.seed % 1000 * 1000, 10**9))

    def add(self, path: str, res: Resource) -> None:
        self.w.routes[path] = res

    def report_page(self, rep: SimReport, render: Callable[[str, str, str], str]) -> None:
        """Register a report page (``render(body_html, attachments_html, charset)``) and its attachment."""
        att_html = ""
        if rep.media != "html":
            body = _attachment_body(rep)
            data = render_attachment(record_to_layout(rep.record), rep.media)
            self.add(rep.attachment_url, Resource(data, OFFICE_TYPES[rep.media],
                                                  last_modified=http_date(rep.record["published_date"])))
            name = f"{rep.title}.{rep.media}"
            att_html = self.attachment_html(rep.attachment_url, name)
        else:
            body = rep.style.get("body_html") or _report_body(rep, self.w.seed + len(self.w.routes))
        if rep.style.get("annex_file"):  # a legacy page with its 统计表 attached
            ext, data = rep.style["annex_file"]
            self.add(rep.attachment_url, Resource(data, OFFICE_TYPES[ext], last_modified=http_date(rep.record["published_date"])))
            att_html = self.attachment_html(rep.attachment_url, f"{rep.title}附表.{ext}")
        if rep.style.get("broken_attachment"):
            att_html += f'<p>附件：<a href="{P.esc(rep.style["broken_attachment"])}">统计表.xls</a></p>'
        charset = "gbk" if rep.encoding == "gbk" else "utf-8"
        text = render(body, att_html, charset)
        self.add(rep.url, html_resource(text, encoding=rep.encoding, header_charset=rep.charset_in_header,
                                        day=rep.record["published_date"]))

    def attachment_html(self, url: str, name: str) -> str:
        style = self.rng.choice(["href", "href", "onclick"])
        if style == "onclick":
            return (f'<p>附件：<a href="javascript:void(0);" onclick="window.open(\'{P.esc(url)}\')">'
                    f"{P.esc(name)}</a></p>")
        return f'<p class="attach">附件：<a href="{P.esc(url)}" target="_blank">{P.esc(name)}</a></p>'

    def noise_page(self, path: str, title: str, day: str) -> None:
        self.w.noise.append((path, title))
        self.add(path, html_resource(P.generic_article(title, day, P.noise_body(title), site="模拟", agency="模拟",
                                                       index_no="000000/2024-00001"), day=day))


def _items(reps: list[SimReport], href: Callable[[SimReport], str]) -> list[tuple[str, str, str]]:
    return [(href(r), r.title, r.record["published_date"]) for r in reps]


def _sorted(items: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return sorted(items, key=lambda it: (it[2], it[0]), reverse=True)


# -- the four families ---------------------------------------------------------------------------


def _build_trs(b: _Builder, portal: SimPortal, reps: list[SimReport]) -> None:
    col = "/trs/zfxxgk/zfxxgknb/"
    site, column = "模拟省人民政府门户网站", "政府信息公开年报"
    items: list[tuple[str, str, str]] = []
    for r in reps:
        d = r.record["published_date"].replace("-", "")
        r.url = f"{col}{d[:6]}/t{d}_{next(b.ids)}.html"
        if r.media != "html":
            r.attachment_url = f"{col}{d[:6]}/P0{d}{next(b.ids):012d}.{r.media}"
        b.report_page(r, lambda body, att, cs, r=r: P.trs_article(
            r.title, r.record["published_date"], body, site=site, source=r.agency.name, column=column,
            attachments=att.replace(f'href="{col}{r.url[len(col):len(col) + 7]}', 'href="./'), charset=cs))
        items.append((f"./{r.url[len(col):]}", r.title, r.record["published_date"]))
    for i, r in enumerate(reps[: 2 * b.w.scale]):
        for title in _noise_titles(r.agency.name, r.year)[i % 2:: 2]:
            d = r.record["published_date"].replace("-", "")
            path = f"{col}{d[:6]}/t{d}_{next(b.ids)}.html"
            b.noise_page(path, title, r.record["published_date"])
            items.append((f"./{path[len(col):]}", title, r.record["published_date"]))
    trap = f"/trs/private/202301/t20230110_{next(b.ids)}.html"
    title = "模拟省审计厅2022年政府信息公开工作年度报告"
    b.w.traps.append(Trap(trap, "robots", title))
    b.add(trap, html_resource(P.trs_article(title, "2023-01-10", "<p>内部稿</p>", site=site, source="审计厅",
                                            column=column)))
    items.append((trap, title, "2023-01-10"))
    items = _sorted(items)
    per = 10
    count = max(1, (len(items) + per - 1) // per)
    for n in range(count):
        page = P.trs_listing(items[n * per:(n + 1) * per], count, n, site=site, column=column)
        b.add(f"{col}index.html" if n == 0 else f"{col}index_{n}.html", html_resource(page))
    b.add(col, b.w.routes[f"{col}index.html"])
    b.w.robots += "User-agent: *\nDisallow: /trs/private/\n"


def _build_hanweb(b: _Builder, portal: SimPortal, reps: list[SimReport], gov_reps: list[SimReport]) -> None:
    colid, unitid, webid = 1229000 + b.w.seed % 1000, 4567, 3
    site = "模拟市人民政府"
    items: list[tuple[str, str, str]] = []
    for r in reps:
        y, m, d = (int(x) for x in r.record["published_date"].split("-"))
        r.url = f"/hanweb/art/{y}/{m}/{d}/art_{colid}_{next(b.ids)}.html"
        if r.media != "html":
            r.attachment_url = f"/hanweb/picture/0/{next(b.ids)}.{r.media}"
        b.report_page(r, lambda body, att, cs, r=r: P.hanweb_article(
            r.title, r.record["published_date"], body, site=site, source=r.agency.name, attachments=att, charset=cs))
        items.append((r.url, r.title, r.record["published_date"]))
    for i, r in enumerate(reps[: 2 * b.w.scale]):
        for title in _noise_titles(r.agency.name, r.year)[(i + 1) % 2:: 2]:
            y, m, d = (int(x) for x in r.record["published_date"].split("-"))
            path = f"/hanweb/art/{y}/{m}/{d}/art_{colid}_{next(b.ids)}.html"
            b.noise_page(path, title, r.record["published_date"])
            items.append((path, title, r.record["published_date"]))
    if b.faults.challenge:
        trap = f"/hanweb/art/2023/2/1/art_{colid}_412412.html"
        title = "模拟市公安局交通警察支队2022年政府信息公开工作年度报告"
        b.w.traps.append(Trap(trap, "challenge", title))
        b.add(trap, Resource(P.challenge_page().encode(), status=412))
        items.append((trap, title, "2023-02-01"))
    items = _sorted(items)
    perpage = 10
    webname = quote(site)
    proxy = (f"/hanweb/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid={webid}&path=/&columnid={colid}"
             f"&unitid={unitid}&webname={webname}&permissiontype=0")
    column_page = P.hanweb_column(items[:perpage], proxy, perpage, site=site, column="政府信息公开年报", unit_id=unitid)
    b.add(f"/hanweb/col/col{colid}/index.html", html_resource(column_page))
    portal.start_urls = [f"/hanweb/col/col{colid}/index.html",
                         "/hanweb/module/xxgk/xxgkAnnualReport.jsp?area=113710820043628502&fbtime={year}"]

    def dataproxy(q: dict[str, str]) -> Resource | None:
        if q.get("columnid") != str(colid):
            return None
        start = max(1, int(q.get("startrecord", "1") or 1))
        end = max(start, int(q.get("endrecord", str(start + 29)) or start))
        pp = int(q.get("perpage", str(perpage)) or perpage)
        body = P.hanweb_dataproxy(items[start - 1:end], len(items), pp)
        return Resource(body.encode("utf-8"), "text/xml; charset=UTF-8")

    b.w.dynamic["/hanweb/module/web/jpage/dataproxy.jsp"] = dataproxy
    by_year: dict[str, SimReport] = {}
    for r in gov_reps:
        r.url = f"/hanweb/module/xxgk/xxgkAnnualReport.jsp?area=113710820043628502&fbtime={r.year}"
        by_year[str(r.year)] = r
        b.report_page(r, lambda body, att, cs, r=r: P.hanweb_article(
            r.title, r.record["published_date"], body, site=site, source=r.agency.name, attachments=att, charset=cs))

    def annual(q: dict[str, str]) -> Resource | None:
        r = by_year.get(q.get("fbtime", ""))
        if r is None or q.get("area") != "113710820043628502":
            return None
        return b.w.routes[r.url]

    b.w.dynamic["/hanweb/module/xxgk/xxgkAnnualReport.jsp"] = annual


def _build_vsb(b: _Builder, portal: SimPortal, reps: list[SimReport]) -> None:
    col, site, column = "/vsb/xxgk/zfxxgknb", "模拟县人民政府", "政府信息公开年报"
    items: list[tuple[str, str, str]] = []
    for r in reps:
        r.url = f"/vsb/info/1050/{next(b.ids)}.htm"
        b.report_page(r, lambda body, att, cs, r=r: P.vsb_article(
            r.title, r.record["published_date"], body, site=site, attachments=att, charset=cs))
        items.append((r.url, r.title, r.record["published_date"]))
    for i, r in enumerate(reps[: 2 * b.w.scale]):
        for title in _noise_titles(r.agency.name, r.year)[i % 2:: 2]:
            path = f"/vsb/info/1050/{next(b.ids)}.htm"
            b.noise_page(path, title, r.record["published_date"])
            items.append((path, title, r.record["published_date"]))
    items = _sorted(items)
    per = 8
    total = max(1, (len(items) + per - 1) // per)
    # visible page v (1 = newest) lives in file number total - v + 1; the newest is the column page
    for v in range(1, total + 1):
        first = v == 1
        up = "../" if first else "../../"
        hrefs = {k: (f"{'' if first else '../'}zfxxgknb.htm" if k == 1 else
                     f"{'zfxxgknb/' if first else ''}{total - k + 1}.htm") for k in range(1, total + 1)}
        page_items = [(up + h[len("/vsb/"):], t, d) for h, t, d in items[(v - 1) * per: v * per]]
        page = P.vsb_listing(page_items, total, v, hrefs, site=site, column=column, total_items=len(items))
        b.add(f"{col}.htm" if first else f"{col}/{total - v + 1}.htm", html_resource(page))
    portal.start_urls = [f"{col}.htm"]


def _build_generic(b: _Builder, portal: SimPortal, reps: list[SimReport]) -> None:
    root, site, column = "/gen/xxgk/nianbao/", "模拟区人民政府", "政府信息公开年报"
    by_year: dict[int, list[tuple[str, str, str]]] = {y: [] for y in YEARS}
    for i, r in enumerate(reps):
        if i % 3 == 2:
            d = r.record["published_date"].replace("-", "")
            r.url = f"/gen/gkml/{d[:6]}/{hashlib.md5(r.key.encode()).hexdigest()}.shtml"
        else:
            r.url = f"/gen/content/post_{next(b.ids)}.html"
        index_no = f"11{b.w.seed % 1000:04d}{i % 10}/{r.year + 1}-{i:05d}"
        b.report_page(r, lambda body, att, cs, r=r, ix=index_no: P.generic_article(
            r.title, r.record["published_date"], body, site=site, agency=r.agency.name, index_no=ix,
            attachments=att, charset=cs, declare_charset=r.charset_in_header or r.encoding == "gbk"))
        by_year[r.year].append((r.url, r.title, r.record["published_date"]))
    for i, r in enumerate(reps[: 2 * b.w.scale]):
        for title in _noise_titles(r.agency.name, r.year)[(i + 1) % 2:: 2]:
            path = f"/gen/content/post_{next(b.ids)}.html"
            b.noise_page(path, title, r.record["published_date"])
            by_year[r.year].append((path, title, r.record["published_date"]))
    broken = "/gen/content/post_404404.html"
    b.w.traps.append(Trap(broken, "broken", "模拟区档案馆2022年政府信息公开工作年度报告"))
    by_year[2022].append((broken, "模拟区档案馆2022年政府信息公开工作年度报告", "2023-01-20"))
    if b.faults.foreign_redirect:
        path = "/gen/content/post_302302.html"
        title = "模拟区供销合作社2022年政府信息公开工作年度报告"
        b.w.traps.append(Trap(path, "foreign_redirect", title))
        b.add(path, Resource(b"", status=302, headers={"Location": "http://www.gov-mirror.example.com/gen/post_302302.html"}))
        by_year[2022].append((path, title, "2023-01-21"))
    per = 6
    subs = [(f"{root}{y}/", f"{y}年度") for y in sorted(by_year, reverse=True)]
    latest = _sorted([it for its in by_year.values() for it in its])[:5]
    b.add(root, html_resource(P.generic_listing(latest, 1, 1, site=site, column=column, subcolumns=subs)))
    for y, its in by_year.items():
        its = _sorted(its)
        pages = max(1, (len(its) + per - 1) // per)
        rendered = {n: html_resource(P.generic_listing(its[(n - 1) * per: n * per], n, pages, site=site,
                                                       column=f"{y}年度{column}", subcolumns=subs))
                    for n in range(1, pages + 1)}

        def listing(q: dict[str, str], rendered: dict[int, Resource] = rendered) -> Resource | None:
            page = q.get("page", "1")
            return rendered.get(int(page)) if page.isdigit() else None

        b.w.dynamic[f"{root}{y}/"] = listing
    portal.start_urls = [root]


def _assign_variants(b: _Builder, chains: dict[str, list[list[SimReport]]]) -> None:
    """Attachment formats, encodings, blanks and the deliberately broken records."""
    fm = b.formats
    trs, han, vsb, gen = (chains[p] for p in ("sim-trs", "sim-hanweb", "sim-vsb", "sim-generic"))
    wanted = [("pdf", trs[1][3]), ("docx", trs[2][2]), ("xlsx", han[2][3]), ("doc", han[0][2])]
    for fmt, rep in wanted:
        if fmt in fm:
            rep.media = fmt
    for i, chain in enumerate(vsb):
        for j, rep in enumerate(chain):
            if (i + j) % 2 == 0:
                rep.encoding = "gbk"
    gen[1][4].encoding, gen[1][4].charset_in_header = "gbk", False   # GBK declared in <meta> only
    gen[2][3].style["broken_attachment"] = "/gen/upload/2023/tjb_missing.xls"
    b.w.traps.append(Trap(gen[2][3].style["broken_attachment"], "broken_attachment"))
    for chain in (*trs, *han, *vsb, *gen):
        for rep in chain:
            rep.style.setdefault("blank", b.rng.choice(["&nbsp;", ""]))
            rep.style.setdefault("wrap", b.rng.random() < 0.3)
    break_record(han[1][4], "rule1")
    break_record(gen[0][4], "rule5")


def build_world(seed: int = 0, scale: int = 1, faults: Any = None, formats: set[str] | None = None) -> World:
    """The whole simulated world for ``seed``; ``scale`` multiplies the agencies per portal."""
    from collector.sim.server import Faults

    faults = Faults.resolve(faults)
    w = World(seed=seed, scale=max(1, scale))
    fm = available_formats() if formats is None else set(formats) & available_formats()
    b = _Builder(w, faults, fm)
    rng = random.Random(seed)
    chains: dict[str, list[list[SimReport]]] = {}
    gov_chain: list[SimReport] = []
    for pid, family, cms, gov, prefix, region in PORTAL_SPECS:
        agencies = _agencies(rng, family, gov, prefix, region, 3 * w.scale)
        chains[pid] = [agency_chain(rng, a, pid, gb2019_in=2022 if (pid == "sim-trs" and k == 0) else None)
                       for k, a in enumerate(agencies)]
        for k, chain in enumerate(chains[pid]):
            for rep in chain:
                rep.key = f"{pid}-a{k:02d}-{rep.year}"
        w.portals.append(SimPortal(pid, gov if family in ("vsb", "generic") else f"{gov}（{prefix}各部门）", family,
                                   cms, [], region))
        if family == "hanweb":
            gov_chain = agency_chain(rng, Agency(gov, "government", region), pid)
            for rep in gov_chain:
                rep.key = f"{pid}-gov-{rep.year}"
            # 2008–2018 reports of the same government on the 信息公开 annual module (prose, some with an annex)
            gov_chain = sim_legacy_reports(seed, gov, region, pid, fm) + gov_chain
    _assign_variants(b, chains)
    flat = {pid: [r for chain in cs for r in chain] for pid, cs in chains.items()}
    portals = {p.id: p for p in w.portals}
    _build_trs(b, portals["sim-trs"], flat["sim-trs"])
    portals["sim-trs"].start_urls = ["/trs/zfxxgk/zfxxgknb/"]
    _build_hanweb(b, portals["sim-hanweb"], flat["sim-hanweb"], gov_chain)
    _build_vsb(b, portals["sim-vsb"], flat["sim-vsb"])
    _build_generic(b, portals["sim-generic"], flat["sim-generic"])
    w.reports = [*flat["sim-trs"], *flat["sim-hanweb"], *gov_chain, *flat["sim-vsb"], *flat["sim-generic"]]
    if faults.challenge:
        w.portals.append(SimPortal("sim-waf", "模拟委员会（防护）", "generic", "auto", ["/waf/zfxxgknb/"],
                                   {"province": "模拟省", "code": "990000"}))
        w.routes["/waf/zfxxgknb/"] = Resource(P.challenge_page().encode(), status=412)
        w.traps.append(Trap("/waf/zfxxgknb/", "challenge", "portal behind a JS challenge"))
    w.robots = "User-agent: *\n" + "".join(line + "\n" for line in w.robots.splitlines() if line.startswith("Disallow"))
    return w
