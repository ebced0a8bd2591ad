"""The fast paths of issue #13 give exactly what the straightforward code gave.

Each fast path (span placement without a slot set for rowspan-1 cells, the control-character
check in two C passes, the page text cut while it is read, a cell's text serialised by lxml, a
table without merged cells placed without the span algorithm, the inline-tag regex's lookahead)
is compared with the plain implementation it replaced, on inputs built to hit the edge cases.
"""

from __future__ import annotations

import random
import re

from lxml import etree

from collector.extract.charset import has_controls, strip_controls
from collector.extract.html import (
    _INLINE_TAGS,
    _all_text,
    _joined_prefix,
    _strings,
    _text_prefix,
    cell_text,
    str_to_document,
    table_to_grid,
)
from collector.models import grid_from_spans

_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffe\uffff]+")


def _grid_reference(cells: list[list[tuple[str, int, int]]]) -> tuple[list[list[str]], set[tuple[int, int]]]:
    """The placement before #13: every slot of every cell in one set, the grid as a dict."""
    taken: set[tuple[int, int]] = set()
    placed = []
    nrows = len(cells)
    for r, row in enumerate(cells):
        c = 0
        for text, rowspan, colspan in row:
            while (r, c) in taken:
                c += 1
            rowspan, colspan = max(1, min(rowspan, nrows - r)), max(1, min(colspan, 64))
            for dr in range(rowspan):
                for dc in range(colspan):
                    taken.add((r + dr, c + dc))
            placed.append((r, c, rowspan, colspan, text))
            c += colspan
    width = max((c + cs for _, c, _, cs, _ in placed), default=0)
    grid: dict[tuple[int, int], str] = {}
    copies: set[tuple[int, int]] = set()
    for r, c, rowspan, colspan, text in placed:
        for dr in range(rowspan):
            for dc in range(colspan):
                grid[(r + dr, c + dc)] = text
                if dr or dc:
                    copies.add((r + dr, c + dc))
    return [[grid.get((r, c), "") for c in range(width)] for r in range(len(cells))], copies


def test_grid_from_spans_equals_the_reference_on_random_tables() -> None:
    rng = random.Random(13)
    for _ in range(500):
        cells = [[(f"{r}.{k}", rng.choice([1, 1, 1, 2, 3, 0, 99]), rng.choice([1, 1, 1, 2, 3, 0]))
                  for k in range(rng.randint(0, 5))] for r in range(rng.randint(0, 6))]
        table = grid_from_spans(cells)
        assert (table.rows, table.copies) == _grid_reference(cells), cells


def test_has_controls_agrees_with_the_regex_for_every_character() -> None:
    for cp in [*range(0x0, 0x300), 0x3000, 0x4E00, 0xFEFF, 0xFFFD, 0xFFFE, 0xFFFF, 0x1F600]:
        text = f"政府{chr(cp)}信息"
        expected = "\x0c" in text or _CONTROL_RE.search(text) is not None
        assert has_controls(text) is expected, hex(cp)
        assert strip_controls(text, " ") == _CONTROL_RE.sub("", text.replace("\x0c", " ")), hex(cp)


def test_page_text_prefix_equals_join_then_cut() -> None:
    rng = random.Random(7)
    for _ in range(300):
        strings = ["x" * rng.randint(1, 40) for _ in range(rng.randint(0, 30))]
        limit = rng.randint(0, 400)
        assert _joined_prefix(iter(strings), limit) == "\n".join(strings)[:limit]


def test_cell_text_serialised_equals_itertext() -> None:
    html = ("<table><tr><td>商业<br>企业</td><td><p>1<b>2</b>3</p>tail</td><td></td>"
            "<td rowspan=' 2x'> 5 <i>6</i>\n 7</td><td><p>a</p>\n<p>b</p></td></tr></table>")
    root = etree.fromstring(html, etree.HTMLParser())
    for td in root.iter("td"):
        assert _all_text(td) == "".join(td.itertext())
    assert [cell_text(td) for td in root.iter("td")] == ["商业企业", "123tail", "", "5 67", "ab"]  # a line break joins (wrapped labels)


def test_empty_page_is_refused_with_a_reason() -> None:
    import pytest

    from collector.errors import UnsupportedFormat

    with pytest.raises(UnsupportedFormat, match="no body text"):
        str_to_document("   ")


def test_text_prefix_equals_joined_prefix_of_the_strings() -> None:
    rng = random.Random(11)
    # blanks that are not XML whitespace (\xa0, \u3000) make text nodes Python strips to nothing
    words = ["", " ", "\n  ", "索引号", " 发布日期：2021-01-05 ", "x" * 50, "\xa0", "\u3000 \t", "&nbsp;", "\r\n"]
    for _ in range(200):
        html = "<body>" + "".join(f"<div>{rng.choice(words)}<p>{rng.choice(words)}</p>{rng.choice(words)}</div>"
                                  for _ in range(rng.randint(0, 40))) + "</body>"
        body = etree.fromstring(html, etree.HTMLParser()).find("body")
        if body is None:
            continue
        limit = rng.randint(0, 300)
        assert _text_prefix(body, limit) == _joined_prefix(_strings(body), limit)


def test_table_without_merged_cells_equals_the_span_placement() -> None:
    rng = random.Random(5)
    for _ in range(300):
        rows = []
        for r in range(rng.randint(0, 5)):
            tds = "".join(f"<td{rng.choice(['', ' colspan=1', ' rowspan=0', ' colspan=2', ' rowspan=2'])}>{r}.{k}</td>"
                          for k in range(rng.randint(0, 4)))
            rows.append(f"<tr>{tds}</tr>")
        table = etree.fromstring(f"<table>{''.join(rows)}</table>", etree.HTMLParser()).find(".//table")
        if table is None:
            continue
        got = table_to_grid(table, "t")
        cells = [[(cell_text(td), int(td.get("rowspan") or 1), int(td.get("colspan") or 1)) for td in tr]
                 for tr in table.iter("tr")]
        want = grid_from_spans(cells, where="t")
        assert (got.rows, got.copies, got.where) == (want.rows, want.copies, want.where)


_INLINE_TAGS_BEFORE = re.compile(r"</?(?:span|font|o:p|b|strong|i|em|u|sup|sub|st1:[a-z]+)(?:\s[^>]*)?>", re.I)


def test_inline_tag_regex_equals_the_one_without_lookahead() -> None:
    rng = random.Random(3)
    names = ["span", "SPAN", "font", "o:p", "b", "br", "body", "strong", "i", "img", "em", "u", "ul", "sup", "sub",
             "st1:place", "\u017fpan", "div", "td", "input", "e", "s"]
    for _ in range(500):
        html = "".join(f"<{rng.choice(['', '/'])}{rng.choice(names)}{rng.choice(['', ' a=1', '/', ' '])}>x"
                       for _ in range(rng.randint(0, 20)))
        assert _INLINE_TAGS.sub("", html) == _INLINE_TAGS_BEFORE.sub("", html), html


def test_document_text_with_merged_cells_equals_the_per_cell_check() -> None:
    from collector.models import Document

    rng = random.Random(17)
    for _ in range(300):
        cells = [[(f"{r}.{k}", rng.choice([1, 1, 2, 3]), rng.choice([1, 1, 2])) for k in range(rng.randint(0, 4))]
                 for r in range(rng.randint(0, 5))]
        table = grid_from_spans(cells)
        want = "\n".join("\t".join("" if (r, c) in table.copies else cell for c, cell in enumerate(row))
                         for r, row in enumerate(table.rows))
        assert Document(blocks=[table], media_type="html", extractor="lxml").text() == want


def test_cell_text_of_one_leaf_child_equals_the_serialised_text() -> None:
    rng = random.Random(9)
    parts = ["", "1", " 2 ", "商业\n企业", "\u3000", "&nbsp;3"]
    for _ in range(300):
        inner = "".join(f"{rng.choice(parts)}<{t}>{rng.choice(parts)}</{t}>{rng.choice(parts)}" if t != "br" else
                        f"{rng.choice(parts)}<br>{rng.choice(parts)}" for t in rng.sample(["p", "br", "div"], 1))
        root = etree.fromstring(f"<table><tr><td>{inner}</td></tr></table>", etree.HTMLParser())
        td = next(root.iter("td"))
        text = re.sub(r"\s*\n\s*", "", "".join(td.itertext()))  # the serialised text, lines joined
        assert cell_text(td) == re.sub(r"[ \t\r\f\v\u3000\xa0]+", " ", text).strip(), inner


def test_text_lines_equal_the_page_marker_regex_on_every_line() -> None:
    """The text extractor tries the page-marker pattern only on lines that start as a marker can."""
    import re

    from collector.extract.text import _PAGE_MARK
    from collector.extract.text import str_to_document as text_document

    rng = random.Random(2)
    parts = ["- 4 -", "—5—", " 第 3 页 共 9 页", "－12－", "第3页", "三、情况", "\u3000- 7 -", "\t", "", "  ", "| 1 | 2 |",
             "第二十条", "-- 12 --x", "12", "\xa0"]
    for _ in range(300):
        text = rng.choice(["\n", "\r\n", "\r"]).join(rng.choice(parts) for _ in range(rng.randint(1, 12)))
        want = []
        for i, m in enumerate(re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", text)):
            line = m.group().rstrip("\r\n")
            if line.strip() and not _PAGE_MARK.match(line):
                want.append((line.rstrip(" \r\u3000\xa0"), f"line {i + 1}"))
            if m.end() == len(text):
                break
        if not want:
            continue
        assert [(b.text, b.where) for b in text_document(text).blocks] == want


# ---- round 3 (issue #13) ---------------------------------------------------------------------------


def _old_table_to_grid(table: etree._Element) -> tuple[list[list[str]], set[tuple[int, int]]]:
    """table_to_grid before round 3 (the reference): every child's tag compared in Python."""
    from collector.extract.html import _span

    rows = []
    for child in table:
        trs = [child] if child.tag == "tr" else [c for c in child if c.tag == "tr"] \
            if child.tag in ("thead", "tbody", "tfoot") else []
        for tr in trs:
            rows.append([(cell_text(td), _span(td.get("rowspan")), _span(td.get("colspan")))
                         for td in tr if td.tag in ("td", "th")])
    grid = grid_from_spans(rows)
    return grid.rows, grid.copies


def test_table_cells_filtered_by_lxml_equal_the_tag_loop() -> None:
    """Rows under thead/tbody/tfoot, comments and other elements between cells (a parser that keeps
    comments), spans of every kind, rows without cells: the cells lxml's tag filter yields give the
    grid the per-child tag check gave."""
    from collector.extract.html import _cells, _own_rows

    rng = random.Random(23)
    cells = ["<td>1</td>", "<th>标题</th>", "<td colspan=2>a</td>", "<td rowspan=2>b</td>", "<td rowspan=x>c</td>",
             "<td colspan=0>d</td>", "<!-- note -->", "<div>e</div>", "<td><p>f</p></td>", "<td> 3 <br>4</td>"]
    for _ in range(400):
        rows = ["<tr>" + "".join(rng.choice(cells) for _ in range(rng.randint(0, 5))) + "</tr>"
                for _ in range(rng.randint(0, 5))]
        wrap = rng.choice(["{}", "<tbody>{}</tbody>", "<thead>{}</thead><tbody>{}</tbody>", "{}<tfoot>{}</tfoot>"])
        html = "<table>" + wrap.replace("{}", "".join(rows), 1).replace("{}", "".join(rows[:2])) + "</table>"
        table = etree.fromstring(html, etree.HTMLParser()).find(".//table")
        if table is None:
            continue
        want = _old_table_to_grid(table)
        for got in (table_to_grid(table, "t"), table_to_grid(table, "t", own_rows=_own_rows(table)),
                    table_to_grid(table, "t", cell_rows=[_cells(tr) for tr in _own_rows(table)])):
            assert (got.rows, got.copies) == want, html


def _old_find_body(root: etree._Element) -> etree._Element:
    """_find_body before round 3 (the reference): every element's id and class read in Python."""
    from collector.extract.html import _CLASS_RANKS, _ID_RANKS, _TAG_RANKS, _text_len

    found: dict[int, list[etree._Element]] = {}
    for tag in root.iter(*_TAG_RANKS):
        found.setdefault(_TAG_RANKS[tag.tag], []).append(tag)
    for tag in root.iter(etree.Element):
        ident = tag.get("id")
        if ident and (rank := _ID_RANKS.get(ident)) is not None:
            found.setdefault(rank, []).append(tag)
        classes = tag.get("class")
        if classes:
            for c in classes.split():
                rank = _CLASS_RANKS.get(c)
                if rank is not None:
                    found.setdefault(rank, []).append(tag)
    for rank in sorted(found):
        size, best = max(((_text_len(t), t) for t in found[rank]), key=lambda x: x[0])
        if size > 200:
            return best
    body = root.find("body")
    return body if body is not None else root


def test_body_found_with_memoised_class_ranks_equals_the_split_loop() -> None:
    """The article container found with each class attribute's selector ranks memoised is the one
    the split of every class attribute found: ids and class names of every selector on any element
    (the root too), duplicates, unicode whitespace in class lists, look-alikes, ties, candidates too
    short, many distinct class attributes."""
    from collector.extract.html import _find_body

    rng = random.Random(29)
    ids = ["zoom", "Zoom", "content", "UCAP-CONTENT", "art_content", "a", "", "zoom "]
    classes = ["TRS_Editor", "trs_editor_view", "content", "article", "MsoNormal", "x", "TRS_Editor\u3000content",
               "content content", "TRS_EDITOR", "detail wzy_nr", "", "pages_content\tmain-content"]
    tags = ["div", "span", "td", "article", "ucapcontent", "p", "section"]
    for trial in range(400):
        parts = []
        for i in range(rng.randint(0, 8)):
            tag = rng.choice(tags)
            attrs = ""
            if rng.random() < 0.6:
                attrs += f' class="{rng.choice(classes)}"'
            if rng.random() < 0.4:
                attrs += f' id="{rng.choice(ids)}"'
            text = "报告正文" * rng.choice([5, 60, 100])
            inner = f"<div class='{rng.choice(classes)}'>{text}</div>" if rng.random() < 0.3 else text
            parts.append(f"<{tag}{attrs}>{i}{inner}</{tag}>")
        root_attr = f' class="{rng.choice(classes)}"' if rng.random() < 0.2 else ""
        if trial % 50 == 0:  # many distinct class attributes, one long one
            parts += [f'<div class="content c{n}">{"字" * 300}</div>' for n in range(40)]
            parts.append(f'<div class="{"x " * 150}wzy_nr">{"字" * 300}</div>')
        root = etree.fromstring(f"<html{root_attr}><body>" + "".join(parts) + "</body></html>", etree.HTMLParser())
        assert _find_body(root) is _old_find_body(root), trial


def test_utf8_byte_check_never_passes_a_page_with_control_characters() -> None:
    """A UTF-8 page is spared the check of its decoded text only when its bytes cannot decode to a
    control character; the page decode_page returns is the one strip_controls gave either way."""
    from collector.extract.charset import _decode, decode_page, utf8_clean

    rng = random.Random(37)
    pieces = [b"<p>", "报告".encode(), b"\t\n\r", b"\x0c", b"\x1b[2J", b"\x7f", "\x85".encode(), "\xa0".encode(),
              "\ufffe".encode(), "\uffff".encode(), "\ufffd".encode(), b"\xc2", b"\xef\xbf", b"\xff", b"\x00",
              b"\xef\xbb\xbf", b"&#1;"]
    seen = {True: 0, False: 0}
    for _ in range(3000):
        body = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        for data in (body, b"\xef\xbb\xbf" + body):
            clean = utf8_clean(data)
            seen[clean] += 1
            if clean:
                assert not has_controls(data.decode("utf-8", "replace")), data
            text, enc = _decode(data, "text/html; charset=utf-8")
            assert decode_page(data, "text/html; charset=utf-8") == (strip_controls(text), enc), data
            assert decode_page(data) == (strip_controls(_decode(data, None)[0]), _decode(data, None)[1]), data
    assert seen[True] > 100 and seen[False] > 100


def _old_text_prefix(el: etree._Element, limit: int) -> str:
    """_text_prefix before round 4 (the reference): XPath keeps the nodes normalize-space() passes."""
    taken: list[str] = []
    total = -1
    for t in el.xpath(".//text()[normalize-space()]", smart_strings=False):
        s = t.strip()
        if s:
            taken.append(s)
            total += len(s) + 1
            if total >= limit:
                break
    return "\n".join(taken)[:limit]


def test_page_text_from_every_text_node_equals_the_normalize_space_filter() -> None:
    """Reading every text node and stripping it in Python keeps what XPath's normalize-space() filter
    kept: layout whitespace, blanks XML does not call whitespace (\\xa0, \\u3000), and text nodes side
    by side where a script was stripped (lxml's .text would join those; XPath does not)."""
    from collector.extract.html import _NO_TEXT, _PARSER

    rng = random.Random(41)
    words = ["", " ", "\n  ", "索引号", " 发布日期：2021-01-05 ", "x" * 50, "\xa0", "\u3000 \t", "&nbsp;", "\r\n",
             "<script>var a = 1;</script>", "<style>p {}</style>", "<template><p>隐藏</p></template>", "<br>"]
    for trial in range(300):
        def run() -> str:
            return "".join(rng.choice(words) for _ in range(3))

        html = "<html><head><script>x</script></head><body>" + "".join(
            f"<div>{run()}<p>{run()}</p>{run()}</div>" for _ in range(rng.randint(0, 30))) + "</body></html>"
        root = etree.fromstring(html, _PARSER)
        etree.strip_elements(root, *_NO_TEXT, with_tail=False)
        body = root.find("body")
        if body is None:
            continue
        for limit in (rng.randint(0, 300), 6000):
            assert _text_prefix(body, limit) == _old_text_prefix(body, limit), (trial, html)


def test_body_search_reading_ids_only_when_the_id_table_has_one_equals_reading_every_id() -> None:
    """The body search skips every element's id when the document's id table holds none of the
    selectors' ids; it finds what reading every id found: ranked ids on any element (the root too),
    duplicates, an <a name> holding the same value first, ids written with character references,
    ids inside stripped templates, look-alikes with spaces or another case."""
    from collector.extract.html import _NO_TEXT, _PARSER, _find_body

    rng = random.Random(43)
    ids = ["zoom", "Zoom", "content", "UCAP-CONTENT", "art_content", "a", "", "zoom ", "z&#111;om", "cont&amp;ent",
           "ZOOM", "art_content content"]
    tags = ["div", "span", "td", "p", "section", "a", "template"]
    seen_skip = 0
    for trial in range(500):
        parts = []
        for i in range(rng.randint(0, 8)):
            tag = rng.choice(tags)
            attr = rng.choice(["id", "id", "name"])
            attrs = f' {attr}="{rng.choice(ids)}"' if rng.random() < 0.5 else ""
            if rng.random() < 0.2:
                attrs += ' class="content"'
            text = "报告正文" * rng.choice([5, 60, 100])
            parts.append(f"<{tag}{attrs}>{i}{text}</{tag}>")
        root_attr = f' id="{rng.choice(ids)}"' if rng.random() < 0.2 else ""
        for parser in (_PARSER, etree.HTMLParser()):
            root = etree.fromstring(f"<html{root_attr}><body>" + "".join(parts) + "</body></html>", parser)
            etree.strip_elements(root, *_NO_TEXT, with_tail=False)
            seen_skip += not root.xpath("id('zoom UCAP-CONTENT art_content content Zoom')")
            assert _find_body(root) is _old_find_body(root), (trial, parts)
    assert seen_skip > 100


def test_utf8_check_with_the_decoded_text_and_counted_controls_never_passes_a_control() -> None:
    """decode_page with the control bytes check_size counted (c0_free) and U+FFFE/U+FFFF looked up
    in the decoded text gives what strip_controls gave, for UTF-8, GBK and undeclared bodies."""
    from collector.extract.charset import _decode, decode_bytes, utf8_clean
    from collector.extract.limits import DEFAULT_LIMITS, check_size

    rng = random.Random(47)
    pieces = [b"<p>", "报告，（一）".encode(), b"\t\n\r", b"\x0c", b"\x1b[2J", b"\x7f", "\x85".encode(),
              "\xa0".encode(), "\ufffe".encode(), "\uffff".encode(), "\ufffd".encode(), "\uffe5".encode(), b"\xc2",
              b"\xef\xbf", b"\xff", b"\x00", b"\xe4\xc2\x85", b"&#1;", "报告".encode("gbk")]
    seen = {True: 0, False: 0}
    for _ in range(800):
        body = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        for data in (body, b"\xef\xbb\xbf" + body, b'<meta charset="gbk">' + body):
            controls = check_size(data, DEFAULT_LIMITS, markup=True)
            for header in (None, "utf-8", "gbk"):
                text, enc = _decode(data, f"text/html; charset={header}" if header else None)
                if enc == "utf-8":
                    clean = utf8_clean(data, text, c0_free=controls == 0)
                    seen[clean] += 1
                    if clean:
                        assert not has_controls(text), data
                assert decode_bytes(data, header, c0_free=controls == 0) == (strip_controls(text), enc), data
    assert seen[True] > 100 and seen[False] > 100
