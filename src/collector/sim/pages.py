"""Page templates of the simulated portals, modelled on each CMS family's real markup.

Listing pages carry the family's pagination mechanics (TRS ``createPageHTML``, Hanweb
``<datastore>`` + ``dataproxy.jsp`` XML, VSB descending ``N.htm`` pagers, ``?page=N`` with
下一页); article pages carry the family's metadata and body containers (TRS ``PubDate`` meta and
``.trs_editor_view``, Hanweb ``#zoom``, VSB ``.v_news_content``, a 信息公开 metadata table).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

Item = tuple[str, str, str]  # (href, title, YYYY-MM-DD)


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def _short(title: str, n: int = 24) -> str:
    """Listings truncate long titles; the full one stays in the ``title`` attribute."""
    return title if len(title) <= n else title[: n - 1] + "…"


def document(title: str, body: str, *, site: str, charset: str = "utf-8", meta: dict[str, str] | None = None,
             family_head: str = "") -> str:
    metas = "".join(f'<meta name="{esc(k)}" content="{esc(v)}">\n' for k, v in (meta or {}).items())
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}_{esc(site)}</title>
{metas}{family_head}<link rel="stylesheet" href="/static/css/style.css">
</head>
<body>
<div class="header"><div class="logo">{esc(site)}</div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/zwgk/zfxxgkzn/">政府信息公开指南</a></li><li><a href="/zwgk/zfxxgkzd/">政府信息公开制度</a></li>
<li><a href="javascript:void(0)" onclick="return false;">无障碍</a></li></ul></div>
<div class="main">
{body}
</div>
<div class="footer"><p>主办单位：{esc(site)}　网站标识码：9999000001　<a href="http://www.beian.gov.cn/">京公网安备 99000002000001号</a></p>
<p><a href="/sitemap.html">网站地图</a> | <a href="/lxwm.html">联系我们</a></p></div>
</body>
</html>
"""


def _li(items: Sequence[Item]) -> str:
    return "\n".join(f'<li><a href="{esc(h)}" title="{esc(t)}" target="_blank">{esc(_short(t))}</a>'
                     f'<span class="date">{d}</span></li>' for h, t, d in items)


# -- TRS ----------------------------------------------------------------------------------------


def trs_listing(items: Sequence[Item], count: int, current: int, *, site: str, column: str) -> str:
    body = f"""<div class="position">当前位置：<a href="../../">首页</a> &gt; <a href="../">政府信息公开</a> &gt; {esc(column)}</div>
<div class="overview_right"><h3>{esc(column)}</h3>
<ul class="list">
{_li(items)}
</ul>
<div class="page"><script type="text/javascript">
var currentPage = {current};//所在页从0开始
var prevPage = currentPage-1;//上一页
var nextPage = currentPage+1;//下一页
var countPage = {count};//共多少页
createPageHTML({count}, {current}, "index", "html");
</script></div></div>"""
    return document(column, body, site=site)


def trs_article(title: str, pubdate: str, body_html: str, *, site: str, source: str, column: str,
                attachments: str = "", charset: str = "utf-8") -> str:
    meta = {"SiteName": site, "ColumnName": column, "ArticleTitle": title, "PubDate": f"{pubdate} 09:30",
            "ContentSource": source, "Keywords": "政府信息公开,年度报告", "Description": title}
    body = f"""<div class="position">当前位置：<a href="../../../">首页</a> &gt; <a href="../">{esc(column)}</a></div>
<div class="article"><h1 class="article-title">{esc(title)}</h1>
<div class="article-info">发布时间：{pubdate}　来源：{esc(source)}　<span id="fontsize">【字体：大 中 小】</span></div>
<div class="TRS_Editor"><div class="trs_editor_view TRS_UEDITOR trs_paper_default trs_word trs_web">
{body_html}
</div></div>
{attachments}
</div>"""
    return document(title, body, site=site, charset=charset, meta=meta)


# -- Hanweb -------------------------------------------------------------------------------------


def hanweb_record(href: str, title: str, date: str) -> str:
    return (f'<record><![CDATA[<li><a href="{esc(href)}" title="{esc(title)}" target="_blank">{esc(_short(title))}</a>'
            f'<span class="bt-data-time">{date}</span></li>]]></record>')


def hanweb_column(first: Sequence[Item], proxy_href: str, perpage: int, *, site: str, column: str,
                  unit_id: int) -> str:
    records = "\n".join(hanweb_record(*it) for it in first)
    body = f"""<div class="bt-position">您的位置：<a href="/">首页</a> &gt; {esc(column)}</div>
<div class="default_pgContainer" id="{unit_id}"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="{esc(proxy_href)}"></a>]]></nextgroup>
<recordset>
{records}
</recordset>
</datastore></script></div>
<script language="javascript" src="/module/web/jpage/jpage.js"></script>
<script>$(document).ready(function(){{ $("#{unit_id}").jpage({{dataStore: $("#{unit_id} datastore"), perPage: {perpage},
 proxyUrl: "/module/web/jpage/dataproxy.jsp", groupSize: 3, barPosition: "bottom"}}); }});</script>"""
    return document(column, body, site=site)


def hanweb_dataproxy(records: Sequence[Item], total: int, perpage: int) -> str:
    recs = "\n".join(hanweb_record(*it) for it in records)
    pages = (total + perpage - 1) // perpage
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n<totalrecord>{total}</totalrecord>\n'
            f"<totalpage>{pages}</totalpage>\n<recordset>\n{recs}\n</recordset>\n</datastore>\n")


def hanweb_article(title: str, pubdate: str, body_html: str, *, site: str, source: str,
                   attachments: str = "", charset: str = "utf-8") -> str:
    meta = {"ArticleTitle": title, "PubDate": f"{pubdate} 10:12", "ContentSource": source, "ColumnName": "信息公开年报"}
    body = f"""<div class="main-txt"><h1 class="title">{esc(title)}</h1>
<div class="sub">发布日期：{pubdate}　信息来源：{esc(source)}　浏览次数：<script>_showDynClickBatch(['dynclicks_1'])</script></div>
<div id="zoom">
{body_html}
</div>
{attachments}
<div class="bt-box"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div></div>"""
    return document(title, body, site=site, charset=charset, meta=meta)


# -- VSB ----------------------------------------------------------------------------------------


def vsb_listing(items: Sequence[Item], total_pages: int, this_page: int, page_href: dict[int, str], *,
                site: str, column: str, total_items: int) -> str:
    """``this_page`` counts from the newest page (1) like the visitor sees it; the numbered files
    run the other way round (``page_href`` maps the visible page number to its file)."""
    nav = [f'<span class="p_t">共{total_items}条</span>', f'<span class="p_t">{this_page}/{total_pages}</span>']
    if this_page > 1:
        nav += [f'<span class="p_first"><a href="{page_href[1]}">首页</a></span>',
                f'<span class="p_prev"><a href="{page_href[this_page - 1]}">上页</a></span>']
    if this_page < total_pages:
        nav += [f'<span class="p_next"><a href="{page_href[this_page + 1]}">下页</a></span>',
                f'<span class="p_last"><a href="{page_href[total_pages]}">尾页</a></span>']
    body = f"""<!--Announced by Visual SiteBuilder 9-->
<script language="javascript" src="/system/resource/js/dynclicks.js"></script>
<div class="list"><h2>{esc(column)}</h2><ul>
{_li(items)}
</ul>
<div class="pb_sys_common pb_sys_normal pb_sys_style1"><span class="p_pages">{" ".join(nav)}</span></div></div>"""
    return document(column, body, site=site)


def vsb_article(title: str, pubdate: str, body_html: str, *, site: str, attachments: str = "",
                charset: str = "utf-8") -> str:
    body = f"""<!--Announced by Visual SiteBuilder 9-->
<form name="_newscontent_fromname"><div class="content-title"><h1>{esc(title)}</h1>
<p>发布时间：{pubdate}　点击数：<script>_showDynClicks("wbnews", 1234567, 64208)</script></p></div>
<div id="vsb_content"><div class="v_news_content">
{body_html}
</div></div>
{attachments}
</form>"""
    return document(title, body, site=site, charset=charset)


# -- generic -----------------------------------------------------------------------------------


def generic_listing(items: Sequence[Item], page: int, pages: int, *, site: str, column: str,
                    subcolumns: Sequence[tuple[str, str]] = ()) -> str:
    subs = "".join(f'<li><a href="{esc(h)}">{esc(t)}</a></li>' for h, t in subcolumns)
    pager = []
    if page > 1:
        pager.append(f'<a href="?page={page - 1}">上一页</a>')
    for n in range(1, pages + 1):
        pager.append(f"<span class=\"cur\">{n}</span>" if n == page else f'<a href="?page={n}">{n}</a>')
    if page < pages:
        pager.append(f'<a href="?page={page + 1}">下一页</a>')
    body = f"""<div class="crumb">首页 &gt; 政府信息公开 &gt; {esc(column)}</div>
<div class="side"><ul class="sub-columns">{subs}</ul></div>
<div class="news-list"><ul>
{_li(items)}
</ul>
<div class="pagination">{" ".join(pager) if pages > 1 else ""}</div></div>"""
    return document(column, body, site=site)


def metadata_table(index_no: str, agency: str, pubdate: str, title: str) -> str:
    """The 信息公开 metadata block of 集约化 sites (索引号 / 分类 / 发布机构 …)."""
    return f"""<table class="xxgk-meta" width="100%"><tr><td>索引号：</td><td>{esc(index_no)}</td><td>分类：</td><td>信息公开年报</td></tr>
<tr><td>发布机构：</td><td>{esc(agency)}</td><td>公开日期：</td><td>{pubdate}</td></tr>
<tr><td>名称：</td><td colspan="3">{esc(title)}</td></tr></table>"""


def generic_article(title: str, pubdate: str, body_html: str, *, site: str, agency: str, index_no: str,
                    attachments: str = "", charset: str = "utf-8", declare_charset: bool = True) -> str:
    body = f"""<div class="crumb">首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>
{metadata_table(index_no, agency, pubdate, title)}
<div class="article-content"><h2 class="art-title">{esc(title)}</h2>
{body_html}
{attachments}
</div>"""
    doc = document(title, body, site=site, charset=charset)
    if not declare_charset:
        doc = doc.replace(f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n', "")
    return doc


def noise_body(title: str) -> str:
    return (f'<p style="text-indent:2em;">{esc(title)}。为深入贯彻落实《中华人民共和国政府信息公开条例》，'
            "现就有关事项说明如下。本年度共收到申请12件，办结12件。</p>")


def challenge_page() -> str:
    """A 瑞数-style answer: an empty page whose script sets a cookie and reloads."""
    return ('<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            '<script type="text/javascript">$_ts=window[\'$_ts\'];if(!$_ts)$_ts={};$_ts.nsd=12345;'
            'document.cookie="FSSBBIl1UgzbN7N80S=abc; path=/";location.reload();</script></head><body></body></html>')
