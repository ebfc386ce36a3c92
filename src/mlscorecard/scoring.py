"""Stage 3: rubric evaluators turn evidence into item levels, section scores and bands.

ML Test Score (seed 000): an item's level is the highest level among its evidence
(none without evidence); points 0/1/2; a section is the sum of its items; the final score is
the minimum over the four sections. An item's `ci_automation_needs_any` (rule ids) keeps evidence
that only CI automates at manual unless the audit found one of those rules.

Robustness (seed 004): each rule declares the score its evidence alone shows (1 trace,
2 partial, 3 solid). An item takes the highest; evidence from `breadth_rules` or more distinct
rules at that highest score lifts 1 or 2 by one (never above 3; rules listed together in
`same_fact_rules` count as one); 4 needs a rule that alone shows 3 (breadth does not
count here) and automated evidence from at least two distinct rules (solid and automated end to end);
an item can name rules that 4 needs (requires_for_4: groups of rule ids, one of each group).
Negative evidence (a committed secret) caps an item at the rule's `cap` and always asks a human.

Confidence: with evidence, 1 - prod(1 - c) over the evidence at the chosen level (at most 0.95);
without evidence, what the rubric's `visibility` says about an absence (high 0.7, partial 0.4,
none 0.0). `needs_confirmation` when the item is invisible to static analysis or confidence < 0.6.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from .heuristics import Heuristics, Rubric
from .model import LEVEL_POINTS, LEVELS, PIPELINE_STEP, Evidence, ItemResult, RubricResult

ABSENCE_CONFIDENCE = {"high": 0.7, "partial": 0.4, "none": 0.0}
CONFIRM_BELOW = 0.6


def _combine(confidences: list[float]) -> float:
    p = 1.0
    for c in confidences:
        p *= 1.0 - c
    return round(min(0.95, 1.0 - p), 2)


def band_for(bands: list[dict], score: int) -> str:
    for b in bands:
        if b["min"] <= score <= b["max"]:
            return b["name"]
    return bands[-1]["name"] if score > bands[-1]["max"] else bands[0]["name"]


def _by_item(evidence: list[Evidence]) -> dict[str, list[Evidence]]:
    grouped: dict[str, list[Evidence]] = defaultdict(list)
    for e in evidence:
        grouped[e.item].append(e)
    for items in grouped.values():
        items.sort(key=Evidence.sort_key)
    return grouped


def _confirmation(item: dict, confidence: float) -> bool:
    return item["visibility"] == "none" or confidence < CONFIRM_BELOW


def _absence(item: dict, sources: set[str]) -> tuple[float, str]:
    """Confidence in "none" and the reason, for an item without evidence."""
    missing = [s for s in item.get("needs_sources", []) if s not in sources]
    if missing:
        return 0.0, f"cannot be judged without {', '.join(missing)} (not available); a human must answer"
    if item["visibility"] == "none":
        return 0.0, "static analysis cannot see this item; a human must answer"
    return ABSENCE_CONFIDENCE[item["visibility"]], "no evidence found"


def _ci_only(e: Evidence) -> bool:
    """Automated by a CI configuration, not by running in the serving or pipeline path or as a pipeline step."""
    return bool(e.automated_by) and not e.automated_by.endswith(" path") and not e.automated_by.startswith(PIPELINE_STEP)


def _demote_ci_only(ev: list[Evidence], needs: list[str], rules_found: set[str]) -> tuple[list[Evidence], str]:
    """An item's `ci_automation_needs_any`: a check CI runs is automated only when the audit also
    found one of these rules (a model validated before serving needs something that serves or
    releases it). Otherwise such evidence counts as manual."""
    if not needs or rules_found.intersection(needs) or not any(_ci_only(e) for e in ev):
        return ev, ""
    out = [replace(e, level="manual", automated_by=None) if _ci_only(e) and e.level == "automated" else e for e in ev]
    return out, "; CI runs it, but nothing is served or released automatically, so it gates nothing"


def score_ml_test(rubric: Rubric, evidence: list[Evidence], sources: set[str]) -> RubricResult:
    grouped = _by_item([e for e in evidence if e.item in rubric.items and e.level])
    rules_found = {e.rule for e in evidence}
    items: dict[str, ItemResult] = {}
    for item_id, item in rubric.items.items():
        ev = grouped.get(item_id, [])
        ev, demoted = _demote_ci_only(ev, item.get("ci_automation_needs_any") or [], rules_found)
        if ev:
            level = max((e.level for e in ev), key=LEVELS.index)
            confidence = _combine([e.confidence for e in ev if e.level == level])
            runners = sorted({e.automated_by for e in ev if e.automated_by})
            reason = f"{len(ev)} piece(s) of evidence from {len({e.rule for e in ev})} rule(s)"
            if runners:
                reason += f"; run without a person by {', '.join(runners)}"
            reason += demoted
        else:
            level = "none"
            confidence, reason = _absence(item, sources)
        items[item_id] = ItemResult(
            id=item_id, title=item["title"], group=item["group"], confidence=confidence,
            needs_confirmation=_confirmation(item, confidence), evidence=ev,
            level=level, points=LEVEL_POINTS[level], reason=reason,
        )
    sections = {g["id"]: sum(i.points or 0 for i in items.values() if i.group == g["id"]) for g in rubric.groups}
    score = min(sections.values())
    return RubricResult(rubric.id, rubric.title, score, band_for(rubric.data["scoring"]["bands"], score), sections, items)


def score_robustness(rubric: Rubric, evidence: list[Evidence], sources: set[str]) -> RubricResult:
    grouped = _by_item([e for e in evidence if e.item in rubric.items and (e.score or e.negative)])
    breadth = int(rubric.data["scoring"].get("breadth_rules", 3))
    # rules that find one fact two ways (a split call, a split fraction in a config) count once
    same_fact = {rule: group[0] for group in rubric.data["scoring"].get("same_fact_rules") or [] for rule in group}
    items: dict[str, ItemResult] = {}
    for item_id, item in rubric.items.items():
        ev = grouped.get(item_id, [])
        negatives = [e for e in ev if e.negative]
        positives = [e for e in ev if not e.negative]
        if positives:
            score = native = max(e.score or 0 for e in positives)
            rules = {e.rule for e in positives}
            reasons = [f"highest rule score {score}"]
            at_max = {same_fact.get(e.rule, e.rule) for e in positives if e.score == native}
            if score in (1, 2) and len(at_max) >= breadth:
                score += 1
                reasons.append(f"+1 for breadth ({len(at_max)} rules at {native})")
            automated_rules = {e.rule for e in positives if e.automated_by}
            groups = item.get("requires_for_4") or []
            if native == 3 and len(automated_rules) >= 2 and all(rules.intersection(g) for g in groups):
                score = 4
                reasons.append("4: solid and automated by two or more rules")
            confidence = _combine([e.confidence for e in positives])
            reason = "; ".join(reasons)
        else:
            score = 0
            confidence, reason = _absence(item, sources)
        if negatives:  # e.g. a committed secret: the item cannot score above the cap, and a human must look
            cap = min(e.cap for e in negatives)
            if score > cap:
                reason += f"; capped at {cap} by {len(negatives)} negative finding(s)"
                score = cap
            else:
                reason += f"; {len(negatives)} negative finding(s)"
        items[item_id] = ItemResult(
            id=item_id, title=item["title"], group=item["group"], confidence=confidence,
            needs_confirmation=_confirmation(item, confidence) or bool(negatives), evidence=ev, score=score,
            reason=reason,
        )
    categories = {g["id"]: sum(i.score or 0 for i in items.values() if i.group == g["id"]) for g in rubric.groups}
    total = sum(categories.values())
    return RubricResult(rubric.id, rubric.title, total, band_for(rubric.data["scoring"]["bands"], total), categories, items)


def score_all(heur: Heuristics, evidence: list[Evidence], sources: set[str]) -> dict[str, RubricResult]:
    """sources: what could be read (e.g. {"history"}); items that need a missing one go to a human."""
    return {
        "ml-test-score": score_ml_test(heur.rubrics["ml-test-score"], evidence, sources),
        "robustness": score_robustness(heur.rubrics["robustness"], evidence, sources),
    }
