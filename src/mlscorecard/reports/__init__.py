"""Report formats. Every format renders the same AuditResult; none computes anything of its own."""

from __future__ import annotations

from ..heuristics import Heuristics
from ..model import AuditResult

FORMATS = ("terminal", "markdown", "json", "html", "sarif")


def render(fmt: str, result: AuditResult, heur: Heuristics, *, color: bool = False,
           link_base: str | None = None) -> str:
    """The report in one format. Each format's module (and jinja2, for the templated ones) is
    imported only when that format is asked for."""
    if fmt == "terminal":
        from .terminal import render_terminal

        return render_terminal(result, heur, color=color)
    if fmt == "html":
        from .html import render_html

        return render_html(result, heur, link_base)
    if fmt == "sarif":
        from .sarif import render_sarif

        return render_sarif(result, heur)
    if fmt == "markdown":
        from .markdown import render_markdown

        return render_markdown(result, heur)
    if fmt == "json":
        from .json_report import render_json

        return render_json(result, heur)
    raise ValueError(f"unknown report format {fmt!r}")
