"""One self-contained HTML page (inline CSS, no scripts, no external resources), autoescaped."""

from __future__ import annotations

from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from .. import __version__
from ..heuristics import Heuristics
from ..model import AuditResult, Evidence
from .markdown import _strongest, report_context


def render_html(result: AuditResult, heur: Heuristics, link_base: str | None = None) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mlscorecard", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["strongest"] = _strongest
    base = link_base.rstrip("/") if link_base else (
        f"file://{quote(result.repo_path)}" if result.repo_path.startswith("/") else None)

    def ev_link(e: Evidence) -> Markup:
        text = escape(e.location)
        if base is None:
            return Markup(f"<code>{text}</code>")
        anchor = f"#L{e.line}" if link_base and e.cell is None else ""
        return Markup(f'<a href="{escape(base)}/{escape(quote(e.path))}{anchor}"><code>{text}</code></a>')

    def confirmed(item, ml: bool) -> Markup:
        c = item.confirmed
        if not c:
            return Markup("—")
        value = "N/A" if c.get("not_applicable") else (c.get("level") if ml else c.get("score"))
        parts = [escape(str(value))]
        if c.get("by"):
            parts.append(escape(f" ({c['by']})"))
        if c.get("stale"):
            parts.append(Markup(' <span class="tag stale" title="{}">stale</span>').format(c["stale"]))
        if c.get("disagreement"):
            parts.append(Markup(' <span class="tag disagree" title="{}">disagrees</span>').format(c["disagreement"]))
        return Markup("").join(parts)

    return env.get_template("report.html.j2").render(
        **report_context(result, heur), ev_link=ev_link, confirmed=confirmed, version=__version__)
