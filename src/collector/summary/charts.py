"""Vega-Lite chart specs (built with Altair) for the summary sections; data inlined from the summary's figures.

The charts draw the same numbers the tables print (computed once, in DuckDB): a box is the
25th–75th percentile, its whiskers the 10th–90th, the tick the median, all per report year.
"""

from __future__ import annotations

from typing import Any

import altair as alt

from collector.summary.figures import METRICS, DatasetSummary

WIDTH = 680
FONT = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"
SEVERITY_COLORS = {"error": "#c0392b", "warning": "#e67e22", "info": "#7f8c8d"}


def _tips(*fields: str) -> list[alt.Tooltip]:
    # explicit channel objects: Altair parses shorthand strings through a slow schema lookup per channel
    return [alt.Tooltip(f) for f in fields]


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    # Not validated here: validating the inline data against the Vega-Lite schema costs seconds per run;
    # tests validate every spec and draw it in a browser.
    # The config goes into the dict: each configure_*() call deep-copies the whole chart, data included.
    spec = chart.to_dict(validate=False)
    config = spec.setdefault("config", {})
    config.update(font=FONT, axisX={"labelAngle": 0})
    # Altair's default theme sizes continuous views 300 x 300
    config["view"] = {"continuousHeight": 300, "continuousWidth": 300, **config.get("view", {}), "strokeWidth": 0}
    spec.pop("$schema", None)  # a URL; the inlined library needs no schema fetch
    return spec


def _layer(values: list[dict[str, Any]], *layers: alt.Chart) -> alt.LayerChart:
    # the data on the layer chart, not on each layer: Altair deep-copies every layer when layering
    # them, inline data included (that copying was most of a run's chart-building time)
    return alt.layer(*layers, data=alt.Data(values=values))


def coverage(s: DatasetSummary) -> dict[str, Any] | None:
    if not s.coverage:
        return None
    base = alt.Chart().encode(
        x=alt.X("report_year:O", title="report year"),
        y=alt.Y("province:N", title=None, sort="ascending"),
    )
    rect = base.mark_rect().encode(color=alt.Color("reports:Q", title="reports", scale=alt.Scale(scheme="blues")),
                                   tooltip=_tips("province:N", "report_year:O", "reports:Q"))
    text = base.mark_text(fontSize=11).encode(text=alt.Text("reports:Q"), color=alt.value("#222"))
    height = max(60, 22 * len({r["province"] for r in s.coverage}))
    return _spec(_layer(s.coverage, rect, text).properties(width=min(WIDTH, 60 * max(1, len(s.years))), height=height))


def missing_years(s: DatasetSummary) -> dict[str, Any] | None:
    gaps = [p for p in s.portals if p["missing_years"] or p["agencies_with_gap"]]
    if not gaps:
        return None
    values = [{"portal": p["portal_id"], "report_year": y, "status": "present" if y in p["years"] else "missing"}
              for p in gaps for y in s.years]
    chart = alt.Chart(alt.Data(values=values)).mark_rect(stroke="white").encode(
        x=alt.X("report_year:O", title="report year"), y=alt.Y("portal:N", title=None),
        color=alt.Color("status:N", scale=alt.Scale(domain=["present", "missing"], range=["#4c9f70", "#d9534f"]),
                        title=None),
        tooltip=_tips("portal:N", "report_year:O", "status:N"))
    return _spec(chart.properties(width=min(WIDTH, 60 * len(s.years)), height=max(40, 20 * len(gaps))))


TIMELINESS = {"on_time": ("on time", "#4c9f70"), "late": ("late", "#d9534f"),
              "before_year_end": ("before year end", "#f0ad4e"), "no_date": ("no date", "#b0b0b0")}


def timeliness(s: DatasetSummary) -> dict[str, Any] | None:
    if not s.timeliness:
        return None
    values = [{"report_year": t["report_year"], "deadline": str(t["deadline"]), "status": TIMELINESS[k][0],
               "order": i, "reports": t[k]} for t in s.timeliness for i, k in enumerate(TIMELINESS) if t[k]]
    chart = alt.Chart(alt.Data(values=values)).mark_bar().encode(
        x=alt.X("report_year:O", title="report year"),
        y=alt.Y("sum(reports):Q", title="reports"),
        color=alt.Color("status:N", title=None, sort=[v[0] for v in TIMELINESS.values()],
                        scale=alt.Scale(domain=[v[0] for v in TIMELINESS.values()],
                                        range=[v[1] for v in TIMELINESS.values()])),
        order=alt.Order("order:Q"),
        tooltip=_tips("report_year:O", "deadline:N", "status:N", "reports:Q"))
    return _spec(chart.properties(width=min(WIDTH, 70 * max(1, len(s.years))), height=220))


def findings(s: DatasetSummary) -> dict[str, Any] | None:
    if not s.findings:
        return None
    values = [{**f, "label": f"{f['rule']} · {f['name']}"} for f in s.findings]
    chart = alt.Chart(alt.Data(values=values)).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort="-x", axis=alt.Axis(labelLimit=420)),
        x=alt.X("findings:Q", title="findings"),
        color=alt.Color("severity:N", scale=alt.Scale(domain=list(SEVERITY_COLORS), range=list(SEVERITY_COLORS.values()))),
        tooltip=_tips("rule:Q", "name:N", "severity:N", "findings:Q", "reports:Q"))
    return _spec(chart.properties(width=WIDTH - 260, height=max(40, 22 * len(values))))


def figure(s: DatasetSummary, metric: str) -> dict[str, Any] | None:
    values = [f for f in s.figures if f["metric"] == metric and f["reports"]]
    if not values:
        return None
    label, _, unit, _ = METRICS[metric]
    rate = unit.startswith("ratio")
    scale = alt.Scale(domain=[0, 1]) if rate else alt.Scale(type="symlog")
    base = alt.Chart().encode(x=alt.X("report_year:O", title="report year"))
    tip = ["report_year:O", "reports:Q", "p10:Q", "p25:Q", "median:Q", "p75:Q", "p90:Q", "max:Q"]
    whisker = base.mark_rule(color="#555").encode(y=alt.Y("p10:Q", title=f"{label.split(' (')[0]} ({unit})", scale=scale),
                                                  y2=alt.Y2("p90:Q"), tooltip=_tips(*tip))
    box = base.mark_bar(size=26, color="#6baed6").encode(y=alt.Y("p25:Q", scale=scale), y2=alt.Y2("p75:Q"), tooltip=_tips(*tip))
    median = base.mark_tick(color="#08306b", size=26, thickness=2).encode(y=alt.Y("median:Q", scale=scale), tooltip=_tips(*tip))
    return _spec(_layer(values, whisker, box, median).properties(width=min(WIDTH, 70 * max(1, len(values))), height=220))


def quality(s: DatasetSummary) -> dict[str, Any] | None:
    if not s.quality:
        return None
    values = []
    for q in s.quality:
        parts = {"clean": q["clean"], "no findings, partly read": q["reports"] - q["with_errors"] - q["warnings_only"]
                 - q["clean"], "warnings only": q["warnings_only"], "errors": q["with_errors"]}
        values += [{"portal": q["portal_id"], "status": k, "reports": v, "order": i}
                   for i, (k, v) in enumerate(parts.items()) if v]
    colors = {"clean": "#4c9f70", "no findings, partly read": "#9ecae1", "warnings only": "#f0ad4e",
              "errors": "#d9534f"}
    chart = alt.Chart(alt.Data(values=values)).mark_bar().encode(
        y=alt.Y("portal:N", title=None),
        x=alt.X("sum(reports):Q", stack="normalize", title="share of the portal's reports", axis=alt.Axis(format="%")),
        color=alt.Color("status:N", title=None, scale=alt.Scale(domain=list(colors), range=list(colors.values()))),
        order=alt.Order("order:Q"),
        tooltip=_tips("portal:N", "status:N", "reports:Q"))
    return _spec(chart.properties(width=WIDTH - 200, height=max(40, 22 * len(s.quality))))


def charts(s: DatasetSummary) -> dict[str, dict[str, Any]]:
    """Chart spec per section key (sections without data get none)."""
    out = {"coverage": coverage(s), "missing": missing_years(s), "timeliness": timeliness(s),
           "findings": findings(s), "quality": quality(s)}
    for metric in METRICS:
        out[f"figure-{metric}"] = figure(s, metric)
    return {k: v for k, v in out.items() if v is not None}


__all__ = ["charts"]
