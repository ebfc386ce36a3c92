"""The diff as Markdown (template `templates/pr_comment.md.j2`): the `diff --format markdown`
output and the body of the pull-request comment.

Every string from the repository is escaped here with `markdown_text` / `markdown_code` (no raw
HTML passes through); the template adds only its own tags (`<details>`, the hidden marker). A
body over `limit` characters (GitHub refuses comments over 65,536) keeps the headline and shows
fewer rows in each detail section, with a note saying how many were left out.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..safety.escaping import MarkdownSafe, markdown_code, markdown_text, sarif_uri
from .sentences import change_verb, item_cause, location, score_line, signed, verdict

MARKER = "<!-- mlscorecard-pr-bot -->"
GITHUB_LIMIT = 65_536


@lru_cache(maxsize=1)
def _template():
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("mlscorecard", "templates"), autoescape=False,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template("pr_comment.md.j2")


def _where(ev: dict[str, Any], link_base: str | None) -> MarkdownSafe:
    code = markdown_code(location(ev), in_table=True)
    if not link_base or ev["path"] == ".git":  # history findings have no file to link to
        return code
    return MarkdownSafe(f"[{code}]({link_base}/{sarif_uri(ev['path'])}#L{max(1, int(ev['line']))})")


def _evidence_rows(pieces: list[dict], link_base: str | None) -> list[dict[str, str]]:
    return [{"where": _where(e, link_base), "rule": markdown_code(e["rule"], in_table=True),
             "confidence": f"{e['confidence']:.2f}", "summary": markdown_text(e["summary"]),
             "supports": ", ".join(markdown_text(i) for i in e["items"]),
             "was": (f"cell {e['base_cell']}, line {e.get('base_line')}" if e.get("base_cell") is not None
                     else f"line {e.get('base_line')}")} for e in pieces]


def _sections(diff: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for rid, label in (("ml-test-score", "ML Test Score"), ("robustness", "Robustness")):
        for group, d in diff["rubrics"][rid]["sections"].items():
            if d["delta"]:
                rows.append({"rubric": label, "group": markdown_text(group), "base": str(d["base"]),
                             "head": str(d["head"]), "delta": signed(d["delta"])})
    return rows


def _limited(rows: list, keep: int | None) -> tuple[list, int]:
    if keep is None or len(rows) <= keep:
        return rows, 0
    return rows[:keep], len(rows) - keep


def context(diff: dict[str, Any], *, link_base: str | None, keep: int | None,
            base_link: str | None = None) -> dict[str, Any]:
    """What the template shows, already escaped; `keep` rows per detail section (None: all).
    Evidence links point at the head commit (`link_base`), lost evidence at the base (`base_link`)."""
    ev = diff["evidence"]
    sections = {}
    for name, rows in (
        ("items", [{"change": markdown_text(change_verb(i)), "cause": markdown_text(item_cause(i)),
                    "direction": i["direction"]} for i in diff["items"]]),
        ("lost", _evidence_rows(ev["lost"], base_link)),
        ("gained", _evidence_rows(ev["gained"], link_base)),
        ("moved", _evidence_rows(ev["moved"], link_base)),
        ("stale", [{"id": markdown_text(s["id"]), "by": markdown_text(s.get("confirmed_by") or "—"),
                    "why": markdown_text(s["why"])} for s in diff["stale_confirmations"]]),
    ):
        shown, hidden = _limited(rows, keep)
        sections[name] = {"rows": shown, "hidden": hidden, "total": len(rows)}
    problems, problems_hidden = _limited(
        [{"where": _where(p, link_base), "rule": markdown_code(p["rule"]), "summary": markdown_text(p["summary"]),
          "kind": p["kind"]} for p in diff["new_problems"]], keep)
    head, base = diff["head"], diff["base"]
    return {
        "headline": f"{score_line(diff, 'ml-test-score')} · {score_line(diff, 'robustness')}",
        "verdict": verdict(diff),
        "regression": diff["regression"]["ml_test_score"],
        "problems": problems,
        "problems_hidden": problems_hidden,
        "resolved": len(diff["resolved_problems"]),
        "unavailable": [{"source": markdown_text(s["source"]), "side": s["side"], "why": markdown_text(s["why"])}
                        for s in diff["sources_unavailable"]],
        "heuristics_changed": diff["heuristics_changed"],
        "group_rows": _sections(diff),
        "sections": sections,
        "base": markdown_code((base.get("commit") or "working tree")[:12]),
        "head": markdown_code((head.get("commit") or "working tree")[:12]),
        "truncated": keep is not None and (problems_hidden or any(s["hidden"] for s in sections.values())),
    }


def render_markdown(diff: dict[str, Any], *, link_base: str | None = None, marker: bool = False,
                    limit: int = GITHUB_LIMIT, base_link: str | None = None) -> str:
    """The diff as Markdown of at most `limit` characters (with the hidden marker when asked).
    link_base: evidence at the head commit, URL/path#Lline; base_link: the same for lost evidence."""
    tpl = _template()
    keep: int | None = None
    while True:
        body = tpl.render(**context(diff, link_base=link_base, keep=keep, base_link=base_link),
                          marker=MARKER if marker else "")
        if len(body) <= limit:
            return body
        if keep == 0:
            # even the headline alone is too long: cut the text (the marker is on the first line)
            note = "\n\n… (cut to fit the comment size limit)\n"
            return body[:limit - len(note)] + note
        longest = max(len(diff["items"]), len(diff["new_problems"]), len(diff["stale_confirmations"]),
                      *(len(v) for v in diff["evidence"].values()))
        keep = (longest if keep is None else keep) // 2
