"""A short terminal summary: both scores, their bands, a per-section table, what to look at next."""

from __future__ import annotations

import click

from ..heuristics import Heuristics
from ..model import AuditResult
from ..safety.escaping import terminal_text


def render_terminal(result: AuditResult, heur: Heuristics, *, color: bool = False) -> str:
    def style(text: str, **kw) -> str:  # the text is neutralised first: only our own styles reach the terminal
        text = terminal_text(text)
        return click.style(text, **kw) if color else text

    mts = result.rubrics["ml-test-score"]
    rob = result.rubrics["robustness"]
    where = result.repo_path + (f" @ {result.commit[:12]}" if result.commit else " (not a git repository)")
    lines = [style(f"mlscorecard audit of {where}", bold=True), *scope_lines(result), ""]
    proposed = f"; {mts.proposed_score} from evidence alone" if mts.proposed_score not in (None, mts.score) else ""
    lines.append(style(f"ML Test Score: {mts.score}  ({mts.band})", bold=True) + f"   final = minimum over sections{proposed}")
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
    rproposed = f"   {rob.proposed_score} from evidence alone" if rob.proposed_score not in (None, rob.score) else ""
    lines.append(style(f"Robustness Score: {rob.score}/88  ({rob.band})", bold=True) + rproposed)
    rrubric = heur.rubrics["robustness"]
    for g in rrubric.groups:
        n = sum(1 for i in rob.items.values() if i.group == g["id"])
        lines.append(f"  {g['title']:<44}{rob.groups[g['id']]:>3}/{4 * n}")
    all_items = (*mts.items.values(), *rob.items.values())
    confirm = [i.id for i in all_items if i.needs_confirmation and not i.confirmed]
    confirmed = [i for i in all_items if i.confirmed]
    disputed = [i.id for i in confirmed if i.confirmed.get("stale") or i.confirmed.get("disagreement")]
    lines.append("")
    if confirmed:
        lines.append(f"{len(confirmed)} item(s) confirmed by a person" +
                     (f"; look again at: {', '.join(disputed)} (stale or disputed)" if disputed else "") + ".")
    lines.append(f"{len(confirm)} item(s) need a human to confirm (mlscorecard confirm); "
                 "--format markdown or html gives the gap report.")
    if confirm:
        shown = ", ".join(confirm[:14]) + (f" and {len(confirm) - 14} more" if len(confirm) > 14 else "")
        lines.append(f"  {shown}")
    if result.warnings:
        lines.append(style(f"{len(result.warnings)} warning(s):", fg="yellow"))
        for w in result.warnings[:10]:
            lines.append(terminal_text(f"  {w.path}: {w.message}"))
        if len(result.warnings) > 10:
            lines.append(f"  ... and {len(result.warnings) - 10} more (see --format json or markdown)")
    return "\n".join(lines) + "\n"


def scope_lines(result: AuditResult) -> list[str]:
    """The first screen says what was read: the source, files by kind, languages no rule reads,
    and evidence kept apart (examples, docs' code, vendored, generated)."""
    cov = result.facts.get("coverage") or {}
    out = []
    source = {"worktree": "the work tree", "staged": "the staged files", "commit": "the commit",
              "directory": "a plain directory"}.get(result.source, result.source)
    if result.uncommitted:
        source += f" ({result.uncommitted} file(s) differ from the commit)"
    kinds = ", ".join(f"{n} {k}" for k, n in list((cov.get("by_kind") or {}).items())[:6])
    out.append(terminal_text(f"Read {source}: {cov.get('files', 0)} files ({kinds})"))
    unread = cov.get("languages_not_analysed") or {}
    if unread:
        out.append(terminal_text("Not analysed: " + ", ".join(f"{lang} ({n} files)" for lang, n in unread.items())))
    apart = result.facts.get("outside_the_project") or {}
    if apart.get("evidence") and not apart.get("counted"):
        by = ", ".join(f"{k} {v}" for k, v in apart["by_scope"].items())
        out.append(terminal_text(f"Kept apart, not scored: {len(apart['evidence'])} piece(s) of evidence in {by} "
                                 "(--count-examples counts them)"))
    prof = result.facts.get("profile") or {}
    if prof:
        out.append(terminal_text(f"Profile: {prof['description']} ({'; '.join(prof['reasons'])})"))
        if prof.get("proposed_not_applicable"):
            acc = prof["if_accepted"]
            ids = ", ".join(p["item"] for p in prof["proposed_not_applicable"])
            out.append(terminal_text(
                f"  proposed not applicable for this kind of project: {ids}; with them accepted: ML Test Score "
                f"{acc['ml-test-score']}, Robustness {acc['robustness']} (strict scores below; `mlscorecard confirm` "
                "asks about them first)"))
    missing = cov.get("ci_commands_not_followed") or []
    if missing:
        out.append(terminal_text(f"CI runs {len(missing)} script(s) the repository does not hold: "
                                 + ", ".join(missing[:3]) + (" ..." if len(missing) > 3 else "")))
    return out
