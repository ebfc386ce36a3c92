"""A short terminal summary: both scores, their bands, a per-section table, what to look at next."""

from __future__ import annotations

import click

from ..heuristics import Heuristics
from ..model import AuditResult


def render_terminal(result: AuditResult, heur: Heuristics, *, color: bool = False) -> str:
    def style(text: str, **kw) -> str:
        return click.style(text, **kw) if color else text

    mts = result.rubrics["ml-test-score"]
    rob = result.rubrics["robustness"]
    where = result.repo_path + (f" @ {result.commit[:12]}" if result.commit else " (not a git repository)")
    lines = [style(f"mlscorecard audit of {where}", bold=True), ""]
    lines.append(style(f"ML Test Score: {mts.score}  ({mts.band})", bold=True) + "   final = minimum over sections")
    lines.append(f"  {'section':<16}{'score':>6}{'manual':>8}{'auto':>6}{'confirm?':>10}")
    rubric = heur.rubrics["ml-test-score"]
    for g in rubric.groups:
        items = [i for i in mts.items.values() if i.group == g["id"]]
        manual = sum(1 for i in items if i.level == "manual")
        auto = sum(1 for i in items if i.level == "automated")
        confirm = sum(1 for i in items if i.needs_confirmation)
        marker = "  <- minimum" if mts.groups[g["id"]] == mts.score else ""
        lines.append(f"  {g['title']:<16}{mts.groups[g['id']]:>4}/14{manual:>6}{auto:>6}{confirm:>10}{marker}")
    lines.append("")
    lines.append(style(f"Robustness Score: {rob.score}/88  ({rob.band})", bold=True))
    rrubric = heur.rubrics["robustness"]
    for g in rrubric.groups:
        n = sum(1 for i in rob.items.values() if i.group == g["id"])
        lines.append(f"  {g['title']:<44}{rob.groups[g['id']]:>3}/{4 * n}")
    confirm = [i.id for i in (*mts.items.values(), *rob.items.values()) if i.needs_confirmation]
    lines.append("")
    lines.append(f"{len(confirm)} item(s) need a human to confirm; run with --format markdown for the gap report.")
    if result.warnings:
        lines.append(style(f"{len(result.warnings)} warning(s):", fg="yellow"))
        for w in result.warnings[:10]:
            lines.append(f"  {w.path}: {w.message}")
        if len(result.warnings) > 10:
            lines.append(f"  ... and {len(result.warnings) - 10} more (see --format json or markdown)")
    return "\n".join(lines) + "\n"
