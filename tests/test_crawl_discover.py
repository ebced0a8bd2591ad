"""Discovery as pure functions: titles, each CMS adapter's pagination, attachment links."""

from __future__ import annotations

from typing import Any

import pytest

from collector.discover import (
    CMS_ADAPTERS,
    PageRequest,
    classify_title,
    find_attachments,
    title_agency,
    title_year,
)
from collector.discover.base import ListItem, list_items, make_soup, page_title
from collector.discover.detail import attachment_ext, parse_detail
from collector.discover.generic import GenericDiscoverer, pager_links
from collector.discover.hanweb import HanwebDiscoverer, dataproxy_request, parse_dataproxy
from collector.discover.titles import year_column_year
from collector.discover.trs import TrsDiscoverer, trs_page_urls
from collector.discover.vsb import VsbDiscoverer, vsb_column_base, vsb_page_urls
from collector.discover.walk import items_to_candidates, select_adapter, subcolumn_urls


@pytest.mark.parametrize("title,year,agency", [
    ("伊宁市市场监督管理局2022年政府信息公开工作年度报告", 2022, "伊宁市市场监督管理局"),
    ("伊宁市市场监督管理局2022年度政府信息公开工作年度报告", 2022, "伊宁市市场监督管理局"),
    ("2021年度北京市怀柔区人民政府政府信息公开工作年度报告", 2021, "北京市怀柔区人民政府"),
    ("《长春市退役军人事务局2023年政府信息公开工作年度报告》", 2023, "长春市退役军人事务局"),
    ("新添镇2022年政府信息公开年报", 2022, "新添镇"),
    ("海南省工商局2014年政府信息公开工作报告", 2014, "海南省工商局"),
    ("二〇二二年度某某县政务公开工作年度报告", 2022, "某某县"),
    ("政府信息公开工作年度报告", None, None),
])
def test_report_titles(title: str, year: int | None, agency: str | None) -> None:
    info = classify_title(title)
    assert info.is_report and info.year == year and info.agency == agency
    assert title_year(title) == year and title_agency(title) == agency


@pytest.mark.parametrize("title", [
    "关于《某局2022年政府信息公开工作年度报告》的解读",
    "图解：某局2022年政府信息公开工作年度报告",
    "关于做好2022年度政府信息公开工作年度报告编制发布工作的通知",
    "某局2023年政务公开工作要点",
    "某局2022年部门决算公开",
    "2022年法治政府建设年度报告",
    "政府信息公开指南",
])
def test_not_reports(title: str) -> None:
    assert not classify_title(title).is_report


def test_year_columns() -> None:
    assert year_column_year("2022年度") == 2022 and year_column_year("2021年") == 2021
    assert year_column_year("2022年报") == 2022 and year_column_year("2022") == 2022
    assert year_column_year("某局2022年政府信息公开工作年度报告") is None


TRS_PAGE = """<ul><li><a href="./202401/t20240115_3271106.html" title="长春市退役军人事务局2023年政府信息公开工作年度报告">长春市退役…</a>
<span>2024-01-15</span></li></ul><script>createPageHTML(4, 0, "index", "shtml");</script>"""


def test_trs_pages() -> None:
    base = "https://rsj.km.gov.cn/zfxxgk/zfxxgknb/"
    assert trs_page_urls(base, TRS_PAGE) == [f"{base}index_{n}.shtml" for n in (1, 2, 3)]
    assert trs_page_urls(base + "index_2.shtml", TRS_PAGE.replace("4, 0", "4, 2")) == []
    assert trs_page_urls(base + "index.html", "var countPage = 3;//共多少页") == [base + "index_1.html",
                                                                                 base + "index_2.html"]
    page = TrsDiscoverer.parse(PageRequest(base), TRS_PAGE)
    assert page.items == [ListItem(base + "202401/t20240115_3271106.html",
                                   "长春市退役军人事务局2023年政府信息公开工作年度报告", "2024-01-15")]
    assert TrsDiscoverer.detect(TRS_PAGE, base)
    # TRS-looking article links on a site without the page-count script: its pager is followed
    reskinned = TRS_PAGE.split("<script>")[0] + '<a href="index_1.html">下一页</a>'
    assert [r.url for r in TrsDiscoverer.parse(PageRequest(base), reskinned).more] == [base + "index_1.html"]


HANWEB_COLUMN = """<div id="4567"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=3&path=/&columnid=78503&unitid=4567&webname=%E6%B1%9F&permissiontype=0"></a>]]></nextgroup>
<recordset><record><![CDATA[<li><a href="/art/2023/1/31/art_78503_1618518.html" title="新添镇2022年政府信息公开工作年度报告">新添镇…</a><span>2023-01-31</span></li>]]></record></recordset>
</datastore></script></div><script>perpage: 20</script>"""


def test_hanweb_datastore_and_dataproxy() -> None:
    col = "https://jshrss.jiangsu.gov.cn/col/col78503/index.html"
    page = HanwebDiscoverer.parse(PageRequest(col), HANWEB_COLUMN)
    assert [i.url for i in page.items] == ["https://jshrss.jiangsu.gov.cn/art/2023/1/31/art_78503_1618518.html"]
    (req,) = page.more
    assert req.kind == "dataproxy" and "startrecord=1&endrecord=60&perpage=20" in req.url
    assert "columnid=78503" in req.url and "page=" not in req.url.split("?")[1].split("&")[3]
    xml = """<datastore><totalrecord>130</totalrecord><recordset>
<record><![CDATA[<li><a href="/art/2022/1/5/art_78503_1.html">某局2021年政府信息公开工作年度报告</a></li>]]></record>
</recordset></datastore>"""
    reply = parse_dataproxy(req.url, xml)
    assert [i.title for i in reply.items] == ["某局2021年政府信息公开工作年度报告"]
    starts = [r.url.split("startrecord=")[1].split("&")[0] for r in reply.more]
    assert starts == ["61", "121"] and "endrecord=180" in reply.more[-1].url
    assert parse_dataproxy(reply.more[0].url, xml).more == []  # only the first group enumerates
    assert "startrecord=5&endrecord=9&perpage=5" in dataproxy_request("http://a/d.jsp?page=1&x=1", 5, 9, 5)


def test_hanweb_annual_report_module_is_a_report_page() -> None:
    url = "http://www.rongcheng.gov.cn/module/xxgk/xxgkAnnualReport.jsp?area=113710820043628502&fbtime=2022"
    html = "<html><head><title>荣成市崖头街道2022年政府信息公开工作年度报告</title></head><body>...</body></html>"
    page = HanwebDiscoverer.parse(HanwebDiscoverer.first_request(url), html)
    assert page.self_item == ListItem(url, "荣成市崖头街道2022年政府信息公开工作年度报告")


def test_vsb_descending_pages() -> None:
    first = "https://www.xjwq.gov.cn/zwgk/nb.htm"
    assert vsb_column_base(first) == ("https://www.xjwq.gov.cn/zwgk/nb/", True)
    assert vsb_column_base("https://www.xjwq.gov.cn/zwgk/nb/3.htm") == ("https://www.xjwq.gov.cn/zwgk/nb/", False)
    pager = '<span class="p_pages">共38条 1/5 <a href="nb/4.htm">下页</a> <a href="nb/1.htm">尾页</a></span>'
    assert vsb_page_urls(first, pager, []) == [f"https://www.xjwq.gov.cn/zwgk/nb/{n}.htm" for n in (4, 3, 2, 1)]
    links = ["https://www.xjwq.gov.cn/zwgk/nb/4.htm", "https://www.xjwq.gov.cn/zwgk/nb/1.htm"]
    assert vsb_page_urls(first, "", links)[0].endswith("/nb/4.htm")
    page = VsbDiscoverer.parse(PageRequest(first), pager + '<a href="../info/1050/64208.htm">温泉县2021年政府信息公开工作年度报告</a>')
    assert [i.url for i in page.items] == ["https://www.xjwq.gov.cn/info/1050/64208.htm"]
    assert len(page.more) == 4


def test_generic_pager_links() -> None:
    html = """<div class="page"><a href="?page=1">1</a><a href="?page=2">2</a><a href="?page=3">3</a>
<a href="?page=2">下一页</a><a href="list_5.html">尾页</a><a href="/other/">其他栏目</a></div>"""
    soup = make_soup(html)
    links = pager_links(soup, "http://a.gov.cn/nb/?page=1")
    assert "http://a.gov.cn/nb/?page=2" in links and "http://a.gov.cn/nb/?page=3" in links
    assert "http://a.gov.cn/nb/list_5.html" in links and "http://a.gov.cn/other/" not in links
    assert "http://a.gov.cn/nb/?page=1" not in links
    page = GenericDiscoverer.parse(PageRequest("http://a.gov.cn/nb/"), '<a href="index_2.html">2</a>')
    assert [r.url for r in page.more] == ["http://a.gov.cn/nb/index_2.html"]


def test_attachment_locators() -> None:
    html = """<div class="trs_editor_view"><p><a href="./P020240115390.pdf">附件1</a></p>
<iframe src="/pdfjs/web/viewer.html?file=/upload/2024/report.PDF"></iframe>
<embed src="/upload/tjb.xlsx"><object data="/upload/a.wps"></object>
<a href="javascript:void(0)" onclick="window.open('/upload/2024/b.docx')">下载</a>
<a href="/download.jsp?filename=c.doc&id=3">c.doc</a>
<script>var f = "/upload/hidden.et";</script>
<a href="./P020240115390.pdf">again</a><a href="/news/1.html">news</a></div>"""
    got = find_attachments(html, "https://a.gov.cn/col/202401/t20240115_1.html")
    assert got == [
        "https://a.gov.cn/col/202401/P020240115390.pdf",
        "https://a.gov.cn/upload/2024/report.PDF",
        "https://a.gov.cn/upload/tjb.xlsx",
        "https://a.gov.cn/upload/a.wps",
        "https://a.gov.cn/download.jsp?filename=c.doc&id=3",
        "https://a.gov.cn/upload/2024/b.docx",
        "https://a.gov.cn/upload/hidden.et",
    ]
    assert attachment_ext("https://a.gov.cn/x/Report.PDF") == "pdf" and attachment_ext("https://a.gov.cn/x.html") is None


def test_detail_page_metadata() -> None:
    html = """<html><head><meta name="ArticleTitle" content="某局2022年政府信息公开工作年度报告">
<meta name="PubDate" content="2023-01-15 09:30"><title>x_某网站</title></head><body><table></table></body></html>"""
    d = parse_detail(html, "http://a.gov.cn/")
    assert d.title == "某局2022年政府信息公开工作年度报告" and d.published == "2023-01-15" and d.has_tables
    assert page_title("<html><head><title>某县2021年政府信息公开年报_某县人民政府</title></head></html>") == \
        "某县2021年政府信息公开年报"


def test_candidates_filtering() -> None:
    items = [
        (ListItem("http://a/cq/t20230118_1_wap.html", "某局2022年政府信息公开工作年度报告"), "L", "trs"),
        (ListItem("http://a/cq/t20230118_1.html", "某局2022年政府信息公开工作年度报告"), "L", "trs"),
        (ListItem("http://a/2.html", "某局2020年政府信息公开工作年度报告"), "L", "trs"),
        (ListItem("http://a/3.html", "关于某局2022年政府信息公开工作年度报告的解读"), "L", "trs"),
        (ListItem("http://a/zfxxgknb/", "政府信息公开年报"), "L", "trs"),
        (ListItem("http://a/ct/49959.htm", "政府信息公开工作年度报告"), "L", "trs"),
        (ListItem("http://a/nb/2.html", "政府信息公开工作年度报告"), "L", "trs"),
    ]
    cands = items_to_candidates(items, "p", "某市", {2021, 2022})
    assert [(c.url, c.year, c.agency_name) for c in cands] == [
        ("http://a/cq/t20230118_1.html", 2022, "某局"), ("http://a/ct/49959.htm", None, "某市")]


def test_subcolumns_under_seed() -> None:
    items = [ListItem("http://a/nb/2022/", "2022年度"), ListItem("http://a/nb/2019/", "2019年度"),
             ListItem("http://a/nb/bm/", "部门年报"), ListItem("http://a/other/2022/", "2022年"),
             ListItem("http://a/nb/2022/t1.html", "某局2022年政府信息公开工作年度报告")]
    assert subcolumn_urls(items, "http://a/nb/", "http://a/nb/", {2021, 2022}) == ["http://a/nb/2022/", "http://a/nb/bm/"]
    assert subcolumn_urls(items, "http://a/nb/", "http://a/nb/", None)[:2] == ["http://a/nb/2022/", "http://a/nb/2019/"]


def test_auto_detection_order() -> None:
    assert select_adapter(TRS_PAGE, "http://a/", CMS_ADAPTERS).family == "trs"
    assert select_adapter(HANWEB_COLUMN, "http://a/col/col1/index.html", CMS_ADAPTERS).family == "hanweb"
    assert select_adapter('<a href="/info/1050/1.htm">x</a>', "http://a/", CMS_ADAPTERS).family == "vsb"
    assert select_adapter("<a href='?page=2'>2</a>", "http://a/", CMS_ADAPTERS).family == "generic"
    assert list(CMS_ADAPTERS) == ["trs", "hanweb", "vsb", "generic"]


def test_list_items_prefers_full_title() -> None:
    soup = make_soup('<li><a href="/a.html" title="某某市发展和改革委员会2022年政府信息公开工作年度报告">某某市发展…</a>'
                     "<span>2023-01-20</span></li>")
    (it,) = list_items(soup, "http://x/")
    assert it.title.startswith("某某市发展和改革委员会2022") and it.date == "2023-01-20"


# -- the crawl's cheaper reads give the same answers as the plain ones (issue #13) ---------------

MESSY_LISTING = """<html><head><title>年报</title></head><body class="x y" style="a">
<div class="list"><ul>
 <li class="it"><a href="./202301/t1.html" title="某局2022年政府信息公开工作年度报告" target="_blank" class="a b">
   某局2022年…</a>&nbsp;<span class="d"> 2023-01-20 </span></li>
 <li><a href="t2.html">某县2021年政府信息公开<b>工作</b>年度报告</a><!-- 2021-01-01 --> 2022-1-5</li>
 <li><a href="t3.html" data-x="1"><img src="x.png" alt="2020">某镇2020年政府信息公开工作年度报告</li>
 <tr><td><a href='t4.html'>某委2019年政府信息公开工作年度报告</td><td>2020/02/03</td>
 <p>说明 <a href="javascript:void(0)">忽略</a> <a href="#top">顶部</a></p>
</ul><div class="page"><a href="?page=2">下一页</a> <a href="index_3.html">3</a> <a href="?page=1"> 1 </a>
<a href="list_9.html" title="尾页">&gt;&gt;</a></div>
<table><tr><td><a href="/other/">其他栏目</a></td><td>2023-13-40</td></tr></table>
<pre>   </pre><a href="t5.html" title="">   </a><a href="t6.html" title="短">某单位2018年政府信息公开工作年度报告</a>
</body></html>"""


def soup_reads(soup: Any) -> list[Any]:
    """Every read an adapter makes of a soup: anchors with href, their attributes, texts, and
    their ancestors' names and texts."""
    return [(a.get("href"), a.get("title"), a.get_text(" ", strip=True), a.get_text("", strip=True),
             [(p.name, p.get_text(" ", strip=True)) for p in list(a.parents)[:4]])
            for a in soup.find_all("a", href=True)]


def test_listing_soup_reads_as_the_full_soup() -> None:
    from bs4 import BeautifulSoup

    for html in (MESSY_LISTING, TRS_PAGE, HANWEB_COLUMN, "<a href='x'>  </a>", "", "<p>no links</p>"):
        lean, full = make_soup(html), BeautifulSoup(html, "lxml")
        assert soup_reads(lean) == soup_reads(full)
        assert lean.get_text(" ", strip=True) == full.get_text(" ", strip=True)
    lean = make_soup(MESSY_LISTING)
    assert lean.find("a", class_="a") is None and lean.find("li").get("class") is None  # not kept
    assert len(soup_reads(lean)) == 13


def test_marker_search_is_case_insensitive_search() -> None:
    import re

    from collector.discover.base import Markers
    from collector.discover.hanweb import _MARKERS as HANWEB
    from collector.discover.trs import _MARKERS as TRS
    from collector.discover.vsb import _MARKERS as VSB

    texts = ["createPageHTML(3,0)", "CREATEPAGEHTML", "var countpage=3", "TRS_Editor", "trs_ueditor x", "trſ_editor",
             "TRS_EDİTOR", "createPaſeHTML", "ıtrs_editor", "<DataStore>", "DATAPROXY.JSP", "/ART/2023/1/2/ART_1_2",
             "/Col/COL12/", "xxgkannualreport.jsp", "Visual   SiteBuilder", "VISUAL\tSITEBUILDER", "/System/Resource/",
             "WBTREEID", "_SiteGray", "中文页面，没有标记", "", "K"]
    for m in (TRS, HANWEB, VSB):
        exact = re.compile(m._exact.pattern, re.I)
        for t in texts:
            for page in (t, f"前文{t}后文", t.upper(), t.lower()):
                assert m.search(page) == bool(exact.search(page)), (m._exact.pattern, page)
    with pytest.raises(ValueError):
        Markers(r"a\Sb")  # would mean \s once lower-cased


def test_attachment_precheck_never_misses() -> None:
    from collector.discover.detail import _ANY_EXT, may_have_attachments

    texts = ['<a href="/u/年报.pdf">附件</a>', "见附件：年报.PDF。", "下载.Docx", "x.xls)", "表格.et", "报告.wps",
             "文件.xlſ", "无附件的报告页面", ".pdf中文", "a.pdfx", ".png"]
    for text in texts:
        for enc in ("utf-8", "gb18030", "big5", "utf-16"):
            try:
                body = text.encode(enc)
            except UnicodeEncodeError:
                continue
            if _ANY_EXT.search(text):  # whatever find_attachments would look at
                assert may_have_attachments(body, enc), (text, enc)
    assert not may_have_attachments("无附件的报告页面".encode("gb18030"), "gb18030")
    assert not may_have_attachments(b"<html>.png</html>", "utf-8")
    assert may_have_attachments("无附件".encode("utf-16"), "utf-16")  # not checked: decoded
