"""Inline SVG trend charts: numbers in, markup out, nothing fetched and no script.

Every value drawn is a number we computed; the only text (a point's tooltip) is escaped here.
"""

from __future__ import annotations

from markupsafe import Markup


def _points(values: list[int | None], top: float, width: float, height: float, pad: float) -> list[tuple[float, float, int]]:
    n = len(values)
    step = (width - 2 * pad) / max(n - 1, 1)
    out = []
    for i, v in enumerate(values):
        if v is None:
            continue
        x = pad + i * step if n > 1 else width / 2
        y = height - pad - (height - 2 * pad) * (min(v, top) / top if top else 0)
        out.append((round(x, 1), round(y, 1), v))
    return out


def sparkline(values: list[int | None], top: float, *, label: str, width: int = 120, height: int = 24) -> Markup:
    """A small line of one score over the runs (gaps where a run has no result)."""
    pts = _points(values, top, width, height, 3)
    line = " ".join(f"{x},{y}" for x, y, _ in pts)
    last = pts[-1] if pts else None
    dot = Markup('<circle cx="{}" cy="{}" r="2.5"/>').format(last[0], last[1]) if last else Markup("")
    return Markup('<svg class="sparkline" role="img" aria-label="{}" width="{}" height="{}" viewBox="0 0 {} {}">'
                  '<polyline fill="none" stroke-width="1.5" points="{}"/>{}</svg>').format(
        label, width, height, width, height, line, dot)


def trend_chart(series: dict[str, tuple[list[int | None], float]], labels: list[str], *, title: str,
                width: int = 420, height: int = 140) -> Markup:
    """One repository's scores over the runs, each series scaled to its own maximum (0-100 %)."""
    pad = 14
    parts = [Markup('<svg class="chart" role="img" aria-label="{}" width="{}" height="{}" viewBox="0 0 {} {}">').format(
        title, width, height, width, height)]
    for frac in (0.0, 0.5, 1.0):
        y = round(height - pad - (height - 2 * pad) * frac, 1)
        parts.append(Markup('<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>').format(pad, width - pad, y, y))
    for n, (name, (values, top)) in enumerate(series.items()):
        pts = _points(values, top, width, height, pad)
        parts.append(Markup('<polyline class="series s{}" fill="none" points="{}"/>').format(
            n, " ".join(f"{x},{y}" for x, y, _ in pts)))
        for (x, y, v), label in zip(pts, [lab for lab, val in zip(labels, values) if val is not None]):
            parts.append(Markup('<circle class="s{}" cx="{}" cy="{}" r="3"><title>{}: {} {}</title></circle>').format(
                n, x, y, label, name, v))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
