"""One self-contained HTML page (inline CSS and SVG, no scripts, no external resources), autoescaped.

The page is for looking at: charts first, a table of contents, and evidence folded into
`<details>` lists whose summaries carry the counts. Its size depends on the rubrics, not on the
repository: each list shows its strongest rows and says how many more the JSON report holds, so
an audit of thousands of files stays a page a browser opens at once.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import jinja2
from markupsafe import Markup, escape

from .. import __version__
from ..heuristics import Heuristics
from ..model import LEVEL_POINTS, AuditResult, Evidence, ItemResult
from ..safety.escaping import file_uri, neutralise, sarif_uri
from .charts import Row, ml_sections_chart, robustness_chart
from .markdown import _strongest, report_context

EVIDENCE_SHOWN = 20  # rows per item's evidence list; the rest are counted, by rule
CELL_SHOWN = 3  # locations in an item's table cell
PROBLEMS_SHOWN = 50
WARNINGS_SHOWN = 100


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


def evidence_url(result: AuditResult, link_base: str | None) -> Callable[[Evidence], str | None]:
    """Where a piece of evidence can be read: under `--link-base` when given; else on the
    repository's web host (GitHub, GitLab) at the audited commit; else, for a local checkout
    whose host is unknown, its file on this disk (no `#L`: a browser shows a local file without
    lines); else nowhere (a plain directory, a bare repository). A notebook cell links to the
    file without `#L`: its line counts within the cell, not the file."""
    if link_base:
        base = link_base.rstrip("/")
        return lambda e: f"{base}/{sarif_uri(e.path)}" + (f"#L{e.line}" if e.cell is None else "")
    remote, commit = result.remote, result.commit
    if remote is None or not commit:
        if commit and os.path.isabs(result.repo_path) and os.path.exists(os.path.join(result.repo_path, ".git")):
            local = file_uri(result.repo_path).rstrip("/")  # a checkout without a known host: its files
            return lambda e: f"{local}/{sarif_uri(e.path)}"
        return lambda e: None

    changed = set(result.changed)  # read from the work tree: the commit on the host has another version
    local = file_uri(result.repo_path).rstrip("/") if changed and os.path.isabs(result.repo_path) else None

    def on_host(e: Evidence) -> str | None:
        if e.path in changed:
            return f"{local}/{sarif_uri(e.path)}" if local else None
        line = e.line if e.cell is None and e.line else None
        return remote.blob(commit, e.path, line)  # a name that is not UTF-8 is quoted from its bytes

    return on_host


@dataclass
class EvidenceView:
    """One item's evidence as the page shows it: the strongest rows, and what was left out."""

    item: ItemResult
    shown: list[Evidence]
    total: int
    files: int
    by_rule: list[tuple[str, int]]

    @property
    def more(self) -> int:
        return self.total - len(self.shown)


def _shown(evidence: list[Evidence], limit: int) -> list[Evidence]:
    """The rows a list shows, strongest first, but the strongest row of every rule before a
    second row of any: three thousand alike test files must not hide the one gate in CI."""
    ranked = _strongest(evidence)
    first_of_rule: dict[str, int] = {}
    for n, e in enumerate(ranked):
        first_of_rule.setdefault(e.rule, n)
    chosen = set(sorted(first_of_rule.values())[:limit])
    for n in range(len(ranked)):
        if len(chosen) >= limit:
            break
        chosen.add(n)
    return [ranked[n] for n in sorted(chosen)]


def evidence_views(result: AuditResult, limit: int = EVIDENCE_SHOWN) -> list[EvidenceView]:
    views = []
    for rubric in result.rubrics.values():
        for item in rubric.items.values():
            if item.evidence:
                views.append(EvidenceView(
                    item=item, shown=_shown(item.evidence, limit), total=len(item.evidence),
                    files=len({e.path for e in item.evidence}),
                    by_rule=Counter(e.rule for e in item.evidence).most_common()))
    return views


def chart_rows(result: AuditResult, heur: Heuristics) -> dict[str, Markup]:
    """Both charts from the result: section and category scores, the proposals before
    confirmations, and each maximum from the rubric (an N/A sub-category leaves its category's)."""
    mts, rob = result.rubrics["ml-test-score"], result.rubrics["robustness"]
    top_points = max(LEVEL_POINTS.values())
    ml_rows = []
    for g in heur.rubrics["ml-test-score"].groups:
        gid = g["id"]
        n_items = sum(1 for i in mts.items.values() if i.group == gid)
        na = gid in mts.not_applicable_groups
        ml_rows.append(Row(key=gid, label=g["title"], value=None if na else mts.groups[gid],
                           proposed=(mts.proposed_groups or {}).get(gid), maximum=n_items * top_points,
                           minimum=not na and mts.groups[gid] == mts.score))
    rob_rows = []
    top_score = max(heur.rubrics["robustness"].data["scoring"]["score_meaning"])
    for g in heur.rubrics["robustness"].groups:
        gid = g["id"]
        items = [i for i in rob.items.values() if i.group == gid]
        applicable = [i for i in items if not (i.confirmed or {}).get("not_applicable")]
        rob_rows.append(Row(key=gid, label=g["title"], value=rob.groups[gid] if applicable else None,
                            proposed=(rob.proposed_groups or {}).get(gid), maximum=len(applicable) * top_score))
    bands = heur.rubrics["ml-test-score"].data["scoring"]["bands"]
    return {
        "ml": ml_sections_chart(ml_rows, bands, mts.score, mts.band),
        "robustness": robustness_chart(rob_rows, rob.score, len(rob.items) * top_score, rob.band),
    }


def render_html(result: AuditResult, heur: Heuristics, link_base: str | None = None) -> str:
    env = environment()
    url_of = evidence_url(result, link_base)

    def ev_link(e: Evidence) -> Markup:
        text = escape(neutralise(e.location))
        url = url_of(e)
        if url is None:
            return Markup("<code>{}</code>").format(text)
        return Markup('<a href="{}"><code>{}</code></a>').format(url, text)

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

    context = report_context(result, heur)
    views = evidence_views(result)
    return env.get_template("report.html.j2").render(
        **context, ev_link=ev_link, confirmed=confirmed, version=__version__,
        charts=chart_rows(result, heur), evidence=views, evidence_total=sum(v.total for v in views),
        cell_shown=CELL_SHOWN, evidence_shown=EVIDENCE_SHOWN, problems_shown=PROBLEMS_SHOWN, warnings_shown=WARNINGS_SHOWN)
