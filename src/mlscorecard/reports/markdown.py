"""Markdown gap report (jinja2 template in mlscorecard/templates/report.md.j2)."""

from __future__ import annotations

from functools import lru_cache

import jinja2

from ..heuristics import Heuristics
from ..model import AuditResult
from ..safety.escaping import MarkdownSafe, markdown_code, markdown_text


def _strongest(evidence: list) -> list:
    """Evidence that carries the item first: automated, then most confident; then by location."""
    return sorted(evidence, key=lambda e: (e.automated_by is None, -(e.score or 0), -e.confidence, e.path, e.line))


def confirmed_cell(item, ml: bool) -> MarkdownSafe:
    """A person's answer in a table cell: value, who, and whether it went stale or disagrees."""
    c = item.confirmed
    if not c:
        return MarkdownSafe("—")
    value = "N/A" if c.get("not_applicable") else (c.get("level") if ml else c.get("score"))
    out = markdown_text(value)
    if c.get("by"):
        out += f" ({markdown_text(c['by'])})"
    if c.get("stale"):
        out += " STALE"
    if c.get("disagreement"):
        out += " DISAGREES"
    return MarkdownSafe(out)


def evidence_cell(item) -> MarkdownSafe:
    """The strongest three locations of an item's evidence, as code spans in a table cell."""
    if not item.evidence:
        return MarkdownSafe("—")
    best = _strongest(item.evidence)[:3]
    out = ", ".join(markdown_code(e.location, in_table=True) for e in best)
    if len(item.evidence) > 3:
        out += f" (+{len(item.evidence) - 3} more)"
    return MarkdownSafe(out)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Markdown, not HTML, so no autoescape; instead every expression's value is finalised by
    markdown_text (controls shown, HTML escaped, code-span and link openers and pipes escaped)
    unless a filter already made it safe: `code` (a code span), `trusted` (heuristics' text)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mlscorecard", "templates"),
        autoescape=False,
        finalize=markdown_text,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["code"] = markdown_code
    env.filters["trusted"] = MarkdownSafe
    env.filters["strongest"] = _strongest
    env.filters["pct"] = lambda x: MarkdownSafe(f"{x:.2f}")
    env.globals["confirmed_cell"] = confirmed_cell
    env.globals["evidence_cell"] = evidence_cell
    return env


def gaps(result: AuditResult, heur: Heuristics) -> dict[str, list[dict]]:
    """Items below the top level, the lowest ML Test Score section first."""
    mts = result.rubrics["ml-test-score"]
    rubric = heur.rubrics["ml-test-score"]
    order = sorted(rubric.groups, key=lambda g: (mts.groups[g["id"]], [x["id"] for x in rubric.groups].index(g["id"])))
    ml = []
    for g in order:
        for item_id, item in rubric.items.items():
            res = mts.items[item_id]
            if item["group"] == g["id"] and res.level != "automated":
                ml.append({"def": item, "res": res, "section": g["title"]})
    rob = []
    rrubric = heur.rubrics["robustness"]
    for item_id, item in rrubric.items.items():
        res = result.rubrics["robustness"].items[item_id]
        if (res.score or 0) < 4:
            rob.append({"def": item, "res": res})
    rob.sort(key=lambda g: g["res"].score or 0)
    return {"ml": ml, "robustness": rob}


def report_context(result: AuditResult, heur: Heuristics) -> dict:
    """What every human-facing template shows: scores, rubrics, gaps, open questions (items that
    need a human and have no answer yet), disputed answers and problems (negative evidence)."""
    pairs = [(rid, i) for rid in ("ml-test-score", "robustness") for i in result.rubrics[rid].items.values()]
    from .terminal import scope_lines

    return {
        "r": result,
        "heur": heur,
        "scope_lines": scope_lines(result),  # what was read, what was kept apart (the first screen)
        "mts": result.rubrics["ml-test-score"],
        "rob": result.rubrics["robustness"],
        "mts_rubric": heur.rubrics["ml-test-score"],
        "rob_rubric": heur.rubrics["robustness"],
        "gaps": gaps(result, heur),
        "questions": [(heur.rubrics[rid].items[i.id], i) for rid, i in pairs
                      if i.needs_confirmation and not i.confirmed],
        "disputed": [i for _, i in pairs if i.confirmed and (i.confirmed.get("stale") or i.confirmed.get("disagreement"))],
        "problems": sorted((e for i in result.rubrics["robustness"].items.values() for e in i.evidence if e.negative),
                           key=lambda e: (e.path, e.line, e.item)),
    }


def render_markdown(result: AuditResult, heur: Heuristics) -> str:
    return environment().get_template("report.md.j2").render(**report_context(result, heur))
