"""The summary as one self-contained HTML file: tables, and charts drawn by Vega-Lite in the browser.

Self-contained means it opens offline, from a file or an e-mail: the Vega, Vega-Lite and
Vega-Embed libraries are inlined (the bundle vl-convert-python ships — no CDN), the chart
specs sit beside them as JSON, and every number is also in an HTML table, so the page reads
without JavaScript too. Text from reports (agency names, portal ids) is escaped by Jinja2's
autoescaping, and JSON inside ``<script>`` by its ``tojson`` filter.

The bundle takes a few seconds to build; it is cached per vl-convert version in
``$XXGK_CACHE_DIR`` (default ``~/.cache/xxgk-collector``).
"""

from __future__ import annotations

import os
import uuid
from functools import cache
from pathlib import Path

import jinja2

from collector.summary.charts import charts
from collector.summary.figures import DatasetSummary
from collector.summary.tables import overview_line, sections

VEGA_LITE = "6.4"  # the Vega-Lite version Altair writes specs for (altair.SCHEMA_VERSION v6.4.x)


def _cache_dir() -> Path:
    env = os.environ.get("XXGK_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "xxgk-collector"


@cache
def vega_bundle() -> str:
    """vega + vega-lite + vega-embed as one script (exposes ``window.vegaEmbed``), cached on disk."""
    from importlib.metadata import version

    path = _cache_dir() / f"vega-bundle-vlc{version('vl-convert-python')}-vl{VEGA_LITE}.js"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    import vl_convert as vlc  # loaded only to build the bundle: its JavaScript runtime is large

    text = vlc.javascript_bundle(vl_version=VEGA_LITE).replace("</script", "<\\/script")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # an unwritable cache only costs the next run the same few seconds
    return text


_TEMPLATE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="xxgk-collector">
<title>xxgk dataset summary — {{ s.root }}</title>
<style>
body{font-family:{{ font|safe }};margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ddd}
nav a{margin-right:1rem;font-size:.9rem} .meta{color:#666;font-size:.85rem}
table{border-collapse:collapse;font-size:.85rem;margin:.8rem 0} th,td{border:1px solid #ddd;padding:.2rem .5rem}
th{background:#f5f5f5;text-align:left} td{text-align:left} td.num{text-align:right}
.chart{margin:.8rem 0;min-height:40px} .more{color:#666;font-size:.85rem} .notes li{color:#555;font-size:.85rem}
</style>
<script>{{ bundle|safe }}</script>
</head><body>
<h1>xxgk dataset summary</h1>
<p class="meta">Dataset <code>{{ s.root }}</code> · generated {{ s.generated_at }} · schema {{ s.schema_version }}</p>
<p>{{ overview }}</p>
<nav>{% for sec in sections %}<a href="#{{ sec.key }}">{{ sec.title }}</a>{% endfor %}</nav>
{% for sec in sections %}
<section id="{{ sec.key }}"><h2>{{ sec.title }}</h2><p>{{ sec.intro }}</p>
{% if sec.key in charts %}<div class="chart" data-spec="spec-{{ sec.key }}" role="img" aria-label="{{ sec.title }}"></div>
<script type="application/json" id="spec-{{ sec.key }}">{{ charts[sec.key]|tojson }}</script>{% endif %}
{% if sec.rows %}<table><thead><tr>{% for c in sec.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead><tbody>
{% set num = sec.numeric() %}{% for row in sec.rows %}<tr>{% for v in row %}<td{% if num[loop.index0] %} class="num"{% endif %}>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>{% else %}<p class="more">Nothing to show.</p>{% endif %}
{% if sec.more %}<p class="more">… and {{ sec.more }} more rows.</p>{% endif %}
</section>
{% endfor %}
<ul class="notes">{% for n in s.notes %}<li>{{ n }}</li>{% endfor %}</ul>
<script>
(async () => {
  let ok = 0, failed = 0;
  for (const el of document.querySelectorAll(".chart")) {
    try {
      const spec = JSON.parse(document.getElementById(el.dataset.spec).textContent);
      await vegaEmbed(el, spec, {renderer: "svg", actions: false});
      ok++;
    } catch (e) {
      failed++;
      el.textContent = "chart not drawn: " + e;
    }
  }
  document.body.dataset.chartsRendered = ok;
  document.body.dataset.chartsFailed = failed;
})();
</script>
</body></html>
"""


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_TEMPLATE)


def render_html(s: DatasetSummary) -> str:
    """The whole report as one HTML string (all sections, every row)."""
    from collector.summary.charts import FONT

    return _template().render(s=s, sections=sections(s), charts=charts(s), overview=overview_line(s),
                              bundle=vega_bundle(), font=FONT)


def write_html(s: DatasetSummary, path: str | Path) -> Path | str:
    """Render and write atomically (a reader never sees half a report); returns the absolute path
    (or the URI, for a file on an object store)."""
    from collector.store.location import scheme

    if scheme(path) is not None:
        from collector.store.location import open_root, write_file

        fs, where = open_root(str(path))
        write_file(fs, where, render_html(s).encode("utf-8"))
        return str(path)
    target = Path(path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(render_html(s), encoding="utf-8")
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk must not leave half a report behind
        raise
    return target


__all__ = ["render_html", "vega_bundle", "write_html"]
