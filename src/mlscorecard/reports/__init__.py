"""Report formats. Every format renders the same AuditResult; none computes anything of its own."""

from __future__ import annotations

from ..heuristics import Heuristics
from ..model import AuditResult
from .html import render_html
from .json_report import render_json
from .markdown import render_markdown
from .sarif import render_sarif
from .terminal import render_terminal

FORMATS = ("terminal", "markdown", "json", "html", "sarif")


def render(fmt: str, result: AuditResult, heur: Heuristics, *, color: bool = False,
           link_base: str | None = None) -> str:
    if fmt == "terminal":
        return render_terminal(result, heur, color=color)
    if fmt == "html":
        return render_html(result, heur, link_base)
    if fmt == "sarif":
        return render_sarif(result, heur)
    return {"markdown": render_markdown, "json": render_json}[fmt](result, heur)
