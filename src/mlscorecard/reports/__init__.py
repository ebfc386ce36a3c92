"""Report formats. Every format renders the same AuditResult; none computes anything of its own."""

from __future__ import annotations

from ..heuristics import Heuristics
from ..model import AuditResult
from .json_report import render_json
from .markdown import render_markdown
from .terminal import render_terminal

FORMATS = {"terminal": render_terminal, "markdown": render_markdown, "json": render_json}


def render(fmt: str, result: AuditResult, heur: Heuristics, *, color: bool = False) -> str:
    if fmt == "terminal":
        return render_terminal(result, heur, color=color)
    return FORMATS[fmt](result, heur)
