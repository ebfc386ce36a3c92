"""One self-contained HTML page (inline CSS, no scripts, no external resources), autoescaped."""

from __future__ import annotations

from functools import lru_cache

import jinja2
from markupsafe import Markup, escape

from .. import __version__
from ..heuristics import Heuristics
from ..model import AuditResult, Evidence
from ..safety.escaping import file_uri, neutralise, sarif_uri
from .markdown import _strongest, report_context


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Built and its template compiled once per process (a fleet or a diff renders many)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mlscorecard", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
        # controls and bidi characters shown as escapes before autoescape (Markup we built is kept)
        finalize=lambda v: v if isinstance(v, Markup) else neutralise(v),
    )
    env.filters["strongest"] = _strongest
    return env


def render_html(result: AuditResult, heur: Heuristics, link_base: str | None = None) -> str:
    env = environment()
    base = link_base.rstrip("/") if link_base else (
        file_uri(result.repo_path).rstrip("/") if result.repo_path.startswith("/") else None)

    def ev_link(e: Evidence) -> Markup:
        text = escape(neutralise(e.location))
        if base is None:
            return Markup(f"<code>{text}</code>")
        anchor = f"#L{e.line}" if link_base and e.cell is None else ""
        return Markup(f'<a href="{escape(base)}/{escape(sarif_uri(e.path))}{anchor}"><code>{text}</code></a>')

    def confirmed(item, ml: bool) -> Markup:
        c = item.confirmed
        if not c:
            return Markup("—")
        value = "N/A" if c.get("not_applicable") else (c.get("level") if ml else c.get("score"))
        parts = [escape(str(value))]
        if c.get("by"):
            parts.append(escape(neutralise(f" ({c['by']})")))
        if c.get("stale"):
            parts.append(Markup(' <span class="tag stale" title="{}">stale</span>').format(neutralise(c["stale"])))
        if c.get("disagreement"):
            parts.append(Markup(' <span class="tag disagree" title="{}">disagrees</span>').format(neutralise(c["disagreement"])))
        return Markup("").join(parts)

    return env.get_template("report.html.j2").render(
        **report_context(result, heur), ev_link=ev_link, confirmed=confirmed, version=__version__)
