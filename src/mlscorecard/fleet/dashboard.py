"""`fleet report`: the fleet's state built from the history database alone (never by auditing),
as Markdown or one self-contained HTML page.

What a platform team reads first: every repository's scores and bands with their trend, the
weakest section across the fleet, the most common gaps (what to fix first, organisation-wide),
regressions since each repository's previous good audit, and the repositories that failed, why.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from statistics import mean

from ..safety.escaping import neutralise
from .store import Store

GOOD = ("ok", "unchanged")
ML, ROB = "ml-test-score", "robustness"


@dataclass
class RepoRow:
    name: str
    source: str
    status: str
    reason: str | None
    commit: str | None
    ml_score: int | None
    ml_band: str | None
    rob_total: int | None
    rob_band: str | None
    warnings: int | None
    ml_trend: list = field(default_factory=list)
    rob_trend: list = field(default_factory=list)
    ml_delta: int | None = None
    rob_delta: int | None = None


@dataclass
class Regression:
    repo: str
    previous_run: str
    changes: list[str]


@dataclass
class FleetView:
    run_id: str
    started_at: str
    finished_at: str | None
    repo_count: int
    run_labels: list[str]
    repos: list[RepoRow]
    ml_max: int
    rob_max: int
    ml_sections: list[tuple[str, float, int]]  # section, mean, repositories whose score it sets
    rob_categories: list[tuple[str, float, int]]  # category, mean, maximum
    weakest: str | None
    gaps: list[tuple[str, str, str, int, int, str]]  # rubric, item, title, count, of, remediation
    regressions: list[Regression]

    @property
    def failed(self) -> list[RepoRow]:
        return [r for r in self.repos if r.status == "failed"]

    @property
    def audited(self) -> list[RepoRow]:
        return [r for r in self.repos if r.status in GOOD]


class NoRuns(Exception):
    """The database holds no run (or not the one asked for)."""


def _item_titles() -> dict[tuple[str, str], tuple[str, str]]:
    from ..heuristics import load_heuristics

    heur = load_heuristics()
    return {(rid, iid): (d.get("title", iid), d.get("remediation", ""))
            for rid, rubric in heur.rubrics.items() for iid, d in rubric.items.items()}


def _sections(store: Store, run_id: str, audited: set[str]) -> tuple[list, list, str | None, int, int]:
    by_rubric: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for repo, rubric, section, value in store.sections(run_id):
        if repo in audited:
            by_rubric[rubric][section][repo] = value
    item_counts: dict[str, Counter] = defaultdict(Counter)
    for repo, rubric, item, _level, _score, _n in store.items(run_id):
        if repo in audited:
            group = item.split(".")[0] if rubric == ROB else item.split("-")[0]
            item_counts[rubric][(repo, group)] += 1
    per_group = {rubric: {g: n for (_r, g), n in counts.items()} for rubric, counts in item_counts.items()}
    ml = by_rubric.get(ML, {})
    sets_score: Counter = Counter()
    for repo in audited:
        values = {s: v[repo] for s, v in ml.items() if repo in v}
        if values:
            low = min(values.values())
            sets_score.update(s for s, v in values.items() if v == low)
    ml_rows = sorted(((s, mean(v.values()), sets_score[s]) for s, v in ml.items()), key=lambda t: (t[1], -t[2], t[0]))
    rob_rows = [(c, mean(v.values()), 4 * per_group.get(ROB, {}).get(c, 0)) for c, v in by_rubric.get(ROB, {}).items()]
    rob_rows.sort(key=lambda t: (t[1] / t[2] if t[2] else 0, t[0]))
    ml_max = 2 * max(per_group.get(ML, {}).values(), default=7)
    rob_max = 4 * sum(per_group.get(ROB, {}).values()) or 88
    return ml_rows, rob_rows, (ml_rows[0][0] if ml_rows else None), ml_max, rob_max


def _gaps(store: Store, run_id: str, audited: set[str], titles: dict, limit: int = 12) -> list:
    counts: Counter = Counter()
    for repo, rubric, item, level, score, _n in store.items(run_id):
        if repo in audited and ((rubric == ML and level == "none") or (rubric == ROB and score == 0)):
            counts[(rubric, item)] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1]))[:limit]
    return [(rubric, item, *titles.get((rubric, item), (item, ""))[:1], n, len(audited),
             titles.get((rubric, item), ("", ""))[1]) for (rubric, item), n in ranked]


def _item_changes(store: Store, run_id: str, previous: dict[str, str], titles: dict) -> dict[str, list[str]]:
    """Items whose level or score went down, per repository, against its previous good run."""
    now = {(repo, item): (rubric, level, score) for repo, rubric, item, level, score, _n in store.items(run_id)}
    out: dict[str, list[str]] = defaultdict(list)
    for prev_run in sorted(set(previous.values())):
        for repo, rubric, item, level, score, _n in store.items(prev_run):
            if previous.get(repo) != prev_run or (repo, item) not in now:
                continue
            _r, new_level, new_score = now[(repo, item)]
            if new_score < score:
                was, became = (level, new_level) if rubric == ML else (score, new_score)
                out[repo].append(f"{item} ({titles.get((rubric, item), (item,))[0]}): {was} → {became}")
    return out


def build_view(store: Store, run_id: str | None = None, history: int = 26) -> FleetView:
    runs = store.runs()
    if not runs:
        raise NoRuns("the database holds no fleet run yet: run `mlscorecard fleet run` first")
    ids = [r[0] for r in runs]
    if run_id is None:
        run_id = ids[-1]
    if run_id not in ids:
        raise NoRuns(f"no run {run_id!r} in the database")
    window = ids[max(0, ids.index(run_id) - history + 1): ids.index(run_id) + 1]
    meta = {r[0]: r for r in runs}
    rows = store.audits(window)
    by_repo: dict[str, dict[str, tuple]] = defaultdict(dict)
    for row in rows:
        by_repo[row[1]][row[0]] = row
    titles = _item_titles()
    repos, previous, regressions = [], {}, []
    for name in sorted(n for n, per in by_repo.items() if run_id in per):
        cur = by_repo[name][run_id]
        good = [by_repo[name].get(r) if by_repo[name].get(r, (None,) * 4)[3] in GOOD else None for r in window]
        row = RepoRow(name=name, source=cur[10], status=cur[3], reason=cur[4], commit=cur[2], ml_score=cur[5],
                      ml_band=cur[6], rob_total=cur[7], rob_band=cur[8], warnings=cur[9],
                      ml_trend=[g[5] if g else None for g in good], rob_trend=[g[7] if g else None for g in good])
        earlier = [g for g in good[:-1] if g]
        if earlier and cur[3] in GOOD:
            prev = earlier[-1]
            previous[name] = prev[0]
            row.ml_delta, row.rob_delta = cur[5] - prev[5], cur[7] - prev[7]
        repos.append(row)
    audited = {r.name for r in repos if r.status in GOOD}
    ml_rows, rob_rows, weakest, ml_max, rob_max = _sections(store, run_id, audited)
    changes = _item_changes(store, run_id, previous, titles)
    for r in repos:
        what = []
        if r.ml_delta is not None and r.ml_delta < 0:
            what.append(f"ML Test Score {r.ml_score - r.ml_delta} → {r.ml_score}")
        if r.rob_delta is not None and r.rob_delta < 0:
            what.append(f"robustness {r.rob_total - r.rob_delta} → {r.rob_total}")
        what += changes.get(r.name, [])
        if what:
            regressions.append(Regression(r.name, previous[r.name], what))
    _id, started, finished, count = meta[run_id]
    return FleetView(run_id=run_id, started_at=started, finished_at=finished, repo_count=count,
                     run_labels=[meta[r][1][:10] + " " + r for r in window], repos=repos, ml_max=ml_max,
                     rob_max=rob_max, ml_sections=ml_rows, rob_categories=rob_rows, weakest=weakest,
                     gaps=_gaps(store, run_id, audited, titles), regressions=regressions)


def _environment(markdown: bool):
    import jinja2
    from markupsafe import Markup

    from ..safety.escaping import markdown_code, markdown_text

    if markdown:
        env = jinja2.Environment(loader=jinja2.PackageLoader("mlscorecard.fleet", "templates"), autoescape=False,
                                 trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                                 finalize=markdown_text)  # every value escaped unless built as Markdown
        env.filters["code"] = lambda v: markdown_code(v, in_table=True)
    else:
        env = jinja2.Environment(loader=jinja2.PackageLoader("mlscorecard.fleet", "templates"),
                                 autoescape=True, trim_blocks=True, lstrip_blocks=True,
                                 undefined=jinja2.StrictUndefined,
                                 finalize=lambda v: v if isinstance(v, Markup) else neutralise(v))
    env.filters["signed"] = lambda v: "" if v is None else (f"+{v}" if v > 0 else ("±0" if v == 0 else str(v)))
    env.filters["short"] = lambda v: (v or "")[:12]
    return env


def render_markdown(view: FleetView) -> str:
    return _environment(True).get_template("fleet.md.j2").render(v=view)


def render_html(view: FleetView) -> str:
    from .charts import sparkline, trend_chart

    def charts(r: RepoRow):
        name = neutralise(r.name)
        return {"ml": sparkline(r.ml_trend, view.ml_max, label=f"{name}: ML Test Score over runs"),
                "rob": sparkline(r.rob_trend, view.rob_max, label=f"{name}: robustness over runs"),
                "chart": trend_chart({"ML Test Score": (r.ml_trend, view.ml_max),
                                      "robustness": (r.rob_trend, view.rob_max)},
                                     view.run_labels, title=f"{name}: scores over the last {len(view.run_labels)} runs")}

    return _environment(False).get_template("fleet.html.j2").render(v=view, charts=charts)
