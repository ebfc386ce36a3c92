"""Inline SVG charts for the HTML page: drawn on the server, so the page needs no script, no
font and no fetch. Every bar carries its number as text and a `<title>`, so the chart reads the
same without colour, in a screen reader, or printed in black and white.

Two charts: the four ML Test Score sections on the band scale (the final score is the lowest
section, so the minimum is marked and a line drawn at it), and the six robustness categories
each against its own maximum (4 points per applicable sub-category). When confirmations changed
a number, the proposal from evidence alone is drawn as a dashed outline beside the solid bar.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..safety.escaping import neutralise

WIDTH = 960
LABEL_W = 290  # the left column: section or category names
PLOT_W = 440
VALUE_X = LABEL_W + PLOT_W + 14  # the right column: the numbers in words
ROW_H = 30
BAR_H = 16
BAND_SHADES = ("#f6f8fa", "#eaeef2")


def _t(text: object) -> Markup:
    """Text for an SVG element or attribute: controls shown as escapes, then HTML-escaped."""
    return escape(neutralise(text))


@dataclass(frozen=True)
class Row:
    """One bar: what it measures, the score with confirmations, the proposal, the most it can be."""

    key: str
    label: str
    value: int | None  # None: not applicable
    proposed: int | None
    maximum: int
    minimum: bool = False


def _svg(chart_id: str, title: str, desc: str, height: int, body: Iterable[Markup]) -> Markup:
    head = Markup(
        '<svg id="{id}" class="chart" role="img" aria-labelledby="{id}-title {id}-desc" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" preserveAspectRatio="xMinYMin meet" '
        'font-family="Helvetica, Arial, sans-serif" font-size="13">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
    ).format(id=chart_id, w=WIDTH, h=height, title=_t(title), desc=_t(desc))
    return head + Markup("").join(body) + Markup("</svg>")


def _bar(chart_id: str, row: Row, y: float, x0: float, length: float, proposed_length: float | None,
         tooltip: str, track: float | None = None) -> Markup:
    """A solid bar (the effective score) over an optional track (the maximum), and a dashed
    outline at the proposal when it differs. The row's <g> is closed by the caller."""
    cls = "bar minimum" if row.minimum else "bar"
    fill = "#cf222e" if row.minimum else "#0969da"
    out = Markup('<g class="row" id="{cid}-{key}"><title>{tip}</title>').format(
        cid=chart_id, key=_t(row.key), tip=_t(tooltip))
    out += Markup('<text class="label" x="{x}" y="{y}" text-anchor="end">{label}</text>').format(
        x=LABEL_W - 10, y=y + BAR_H - 3, label=_t(row.label))
    if track is not None:
        out += Markup('<rect class="track" x="{x}" y="{y}" width="{w}" height="{h}" fill="#eaeef2" '
                      'stroke="#d0d7de"/>').format(x=x0, y=y, w=track, h=BAR_H)
    if row.value is not None:
        out += Markup('<rect class="{cls}" x="{x}" y="{y}" width="{w:.1f}" height="{h}" fill="{fill}"/>').format(
            cls=cls, x=x0, y=y, w=max(length, 2.0), h=BAR_H, fill=fill)
    if proposed_length is not None:
        out += Markup('<rect class="proposed" x="{x}" y="{y}" width="{w:.1f}" height="{h}" fill="none" '
                      'stroke="#1f2328" stroke-width="1.5" stroke-dasharray="4 3"/>').format(
            x=x0, y=y - 3, w=max(proposed_length, 2.0), h=BAR_H + 6)
    return out


def _value_text(row: Row, y: float, extra: str = "") -> Markup:
    if row.value is None:
        words = "N/A (not applicable)" + (f", proposed {row.proposed}" if row.proposed is not None else "")
    else:
        words = f"{row.value} / {row.maximum}"
        if row.proposed is not None and row.proposed != row.value:
            words += f" (proposed {row.proposed})"
        if row.minimum:
            words += " · minimum"
    return Markup('<text class="value" x="{x}" y="{y}">{w}</text>').format(x=VALUE_X, y=y + BAR_H - 3, w=_t(words + extra))


def _legend(y: float, proposals_differ: bool, minimum: bool) -> Markup:
    """What the marks mean, one line each (at most two lines, from y down)."""
    parts = []
    if minimum:
        parts.append("red bar: the lowest section, which is the final score")
    if proposals_differ:
        parts.append("dashed outline: proposed from evidence alone, before confirmations")
    return Markup("").join(
        Markup('<text class="legend" x="{x}" y="{y}" fill="#57606a">{t}</text>').format(x=LABEL_W, y=y + 16 * n, t=_t(p))
        for n, p in enumerate(parts))


def ml_sections_chart(rows: list[Row], bands: list[dict], final: int, band: str, chart_id: str = "chart-ml") -> Markup:
    """The sections as bars on one 0..max scale shaded by band. Scores are whole numbers, so the
    scale has one slot per score and a bar ends in the middle of its slot: inside its band."""
    top = max(r.maximum for r in rows) if rows else 14
    slot = PLOT_W / (top + 1)
    centre = lambda s: LABEL_W + (s + 0.5) * slot  # noqa: E731 - the x of a score
    strip_top, rows_y = 8, 36  # the band strip (with its score ranges) starts above the first bar
    legend_rows = (len(bands) + 1) // 2
    height = rows_y + ROW_H * len(rows) + 78 + 18 * legend_rows
    body: list[Markup] = []
    for n, b in enumerate(bands):
        x = LABEL_W + b["min"] * slot
        w = (min(b["max"], top) - b["min"] + 1) * slot
        rng = f"{b['min']}" if b["min"] == b["max"] else f"{b['min']}–{b['max']}"
        body.append(Markup(
            '<g class="band"><title>{tip}</title>'
            '<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{h}" fill="{fill}" stroke="#d0d7de"/>'
            '<text x="{cx:.1f}" y="{ty}" text-anchor="middle" font-size="11">{rng}</text></g>'
        ).format(tip=_t(f"{rng}: {b['name']}"), x=x, y=strip_top, w=w, h=rows_y - strip_top + ROW_H * len(rows),
                 fill=BAND_SHADES[n % 2], cx=x + w / 2, ty=strip_top + 14, rng=_t(rng)))
    for i, row in enumerate(rows):
        y = rows_y + i * ROW_H + (ROW_H - BAR_H) / 2
        length = (centre(row.value) - LABEL_W) if row.value is not None else 0
        differs = row.proposed is not None and row.proposed != row.value
        prop = (centre(row.proposed) - LABEL_W) if differs else None
        tip = f"{row.label}: " + ("not applicable" if row.value is None else f"{row.value} of {row.maximum}")
        if differs:
            tip += f", proposed {row.proposed} from evidence alone"
        body.append(_bar(chart_id, row, y, LABEL_W, length, prop, tip) + _value_text(row, y) + Markup("</g>"))
    line_x = centre(final)
    line_bottom = rows_y + ROW_H * len(rows)
    body.append(Markup(
        '<g class="final"><title>{tip}</title>'
        '<line x1="{x:.1f}" y1="{y1}" x2="{x:.1f}" y2="{y2}" stroke="#1f2328" stroke-width="2"/>'
        '<text x="{x:.1f}" y="{ty}" text-anchor="middle" font-weight="700">{label}</text></g>'
    ).format(tip=_t(f"ML Test Score {final}: {band} (the minimum over sections)"), x=line_x,
             y1=strip_top + 18, y2=line_bottom + 4, ty=line_bottom + 20, label=_t(f"final score {final}: {band}")))
    body.append(_legend(line_bottom + 44, any(r.proposed is not None and r.proposed != r.value for r in rows),
                        any(r.minimum for r in rows)))
    # the band names, too long to sit in their slots, in a key below: range, then name
    for n, b in enumerate(bands):
        rng = f"{b['min']}" if b["min"] == b["max"] else f"{b['min']}–{b['max']}"
        body.append(Markup('<text class="band-name" x="{x}" y="{y}" font-size="12">'
                           '<tspan font-weight="700">{rng}</tspan> {name}</text>').format(
            x=LABEL_W + (n % 2) * (PLOT_W // 2 + 40), y=line_bottom + 84 + (n // 2) * 18, rng=_t(rng), name=_t(b["name"])))
    return _svg(chart_id, f"ML Test Score by section: final score {final} ({band})",
                "Each section's points against the bands; the final score is the lowest section.", height, body)


def robustness_chart(rows: list[Row], total: int, total_max: int, band: str, chart_id: str = "chart-rob") -> Markup:
    """Each category against its own maximum (categories have different numbers of sub-categories),
    so a bar is the share of what the category could score; the numbers say how many points."""
    rows_y = 10
    height = rows_y + ROW_H * len(rows) + 56
    body: list[Markup] = []
    for i, row in enumerate(rows):
        y = rows_y + i * ROW_H + (ROW_H - BAR_H) / 2
        share = lambda v: PLOT_W * (v / row.maximum if row.maximum else 0.0)  # noqa: E731
        differs = row.proposed is not None and row.proposed != row.value
        tip = f"{row.label}: " + ("not applicable" if row.value is None else f"{row.value} of {row.maximum}")
        if differs:
            tip += f", proposed {row.proposed} from evidence alone"
        bar = _bar(chart_id, row, y, LABEL_W, share(row.value or 0), share(row.proposed) if differs else None,
                   tip, track=PLOT_W)
        body.append(bar + _value_text(row, y) + Markup("</g>"))
    bottom = rows_y + ROW_H * len(rows)
    body.append(Markup('<text class="total" x="{x}" y="{y}" font-weight="700">{t}</text>').format(
        x=LABEL_W, y=bottom + 18, t=_t(f"total {total} / {total_max}: {band}")))
    body.append(_legend(bottom + 36, any(r.proposed is not None and r.proposed != r.value for r in rows), False))
    return _svg(chart_id, f"ML System Robustness Score by category: total {total} of {total_max} ({band})",
                "Each category's points against its maximum (4 per sub-category).", height, body)
