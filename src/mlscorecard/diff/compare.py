"""What a change does to the scores: two JSON reports (schema_version 1) in, one ResultDiff out.

Works on the public JSON report, not on AuditResult, so a report computed elsewhere (another CI
job, a file from last week) compares the same way. The ResultDiff is a plain, JSON-ready dict
(schema `mlscorecard/schema/diff.schema.json`); every string in it comes from the reports, which
the audit has already redacted, so no secret value can appear.

A source that one side could not read (git history on a shallow CI checkout) makes the items that
rest on it *not comparable*: their change is listed, but never counted as a regression.
"""

from __future__ import annotations

from typing import Any

from .evidence import by_item, match_evidence, problem

SCHEMA_ID = "mlscorecard-diff/1"
RUBRICS = {  # rubric id -> (score key, groups key, item value key)
    "ml-test-score": ("score", "sections", "level"),
    "robustness": ("total", "categories", "score"),
}
LEVEL_RANK = {"none": 0, "manual": 1, "automated": 2}
NOT_AVAILABLE = "(not available)"


def history_status(report: dict[str, Any]) -> str:
    """available, shallow (incomplete) or unavailable: what the audit could read of the history."""
    review = (report.get("facts") or {}).get("review") or {}
    if not review.get("available", False):
        return "unavailable"
    return "shallow" if review.get("shallow") else "available"


def _side(report: dict[str, Any]) -> dict[str, Any]:
    repo = report.get("repo") or {}
    return {"commit": repo.get("commit"), "ref": repo.get("ref"), "path": repo.get("path"),
            "heuristics": (report.get("tool") or {}).get("heuristics"),
            "sources": {"history": history_status(report)}}


def _delta(old: int | None, new: int | None) -> dict[str, Any]:
    return {"base": old, "head": new, "delta": (new - old) if old is not None and new is not None else None}


def _rubric_delta(rid: str, base: dict, head: dict) -> dict[str, Any]:
    score_key, groups_key, _ = RUBRICS[rid]
    old, new = base["rubrics"][rid], head["rubrics"][rid]
    out = _delta(old[score_key], new[score_key])
    out["band"] = {"base": old.get("band"), "head": new.get("band")}
    names = list(old.get(groups_key, {})) + [g for g in new.get(groups_key, {}) if g not in old.get(groups_key, {})]
    out["sections"] = {g: _delta(old.get(groups_key, {}).get(g), new.get(groups_key, {}).get(g)) for g in names}
    return out


def effective(rid: str, item: dict[str, Any] | None) -> Any:
    """The value that counts: a person's confirmation over the proposal; "n/a" when not applicable."""
    if item is None:
        return None
    c = item.get("confirmed") or {}
    if c.get("not_applicable"):
        return "n/a"
    key = RUBRICS[rid][2]
    return c.get(key, item.get(key)) if c else item.get(key)


def _rank(rid: str, value: Any) -> int | None:
    if value is None or value == "n/a":
        return None
    return LEVEL_RANK.get(value) if rid == "ml-test-score" else int(value)


def _direction(rid: str, old: Any, new: Any) -> str:
    a, b = _rank(rid, old), _rank(rid, new)
    if a is None or b is None:
        return "changed" if old != new else "same"
    return "better" if b > a else "worse" if b < a else "same"


def _rests_on_missing_source(item_old: dict, item_new: dict, changed_evidence: list[dict]) -> bool:
    reasons = (item_old.get("reason") or "") + (item_new.get("reason") or "")
    return NOT_AVAILABLE in reasons or any(e.get("basis") == "history" or e["rule"].startswith("review/")
                                           for e in changed_evidence)


def _items(base: dict, head: dict, ev_by_item: dict[str, dict[str, list]], sources_differ: bool) -> list[dict]:
    out = []
    for rid, (_, _, key) in RUBRICS.items():
        old_items, new_items = base["rubrics"][rid]["items"], head["rubrics"][rid]["items"]
        for item_id in list(old_items) + [i for i in new_items if i not in old_items]:
            old, new = old_items.get(item_id) or {}, new_items.get(item_id) or {}
            proposed = (old.get(key), new.get(key))
            counted = (effective(rid, old or None), effective(rid, new or None))
            if proposed[0] == proposed[1] and counted[0] == counted[1]:
                continue
            changed = ev_by_item["gained"].get(item_id, []) + ev_by_item["lost"].get(item_id, [])
            comparable = not (sources_differ and _rests_on_missing_source(old, new, changed))
            out.append({
                "rubric": rid, "id": item_id,
                "direction": _direction(rid, *counted), "comparable": comparable,
                "base": {key: proposed[0], "effective": counted[0], "confidence": old.get("confidence"),
                         "reason": old.get("reason", "")},
                "head": {key: proposed[1], "effective": counted[1], "confidence": new.get("confidence"),
                         "reason": new.get("reason", "")},
                "gained": [_ref(e) for e in ev_by_item["gained"].get(item_id, [])],
                "lost": [_ref(e) for e in ev_by_item["lost"].get(item_id, [])],
            })
    return out


def _ref(ev: dict) -> dict:
    return {k: ev[k] for k in ("rule", "path", "line", "summary") if k in ev}


def _stale_confirmations(head: dict, ev_by_item: dict[str, dict[str, list]], items: list[dict]) -> list[dict]:
    """Items a person confirmed whose evidence this change touched (or the audit already calls stale)."""
    level_changed = {(i["rubric"], i["id"]) for i in items}
    out = []
    for rid in RUBRICS:
        for item_id, item in head["rubrics"][rid]["items"].items():
            c = item.get("confirmed")
            if not c:
                continue
            gained, lost = ev_by_item["gained"].get(item_id, []), ev_by_item["lost"].get(item_id, [])
            why = []
            if lost:
                why.append(f"evidence lost: {', '.join(sorted({e['path'] for e in lost}))}")
            if gained:
                why.append(f"evidence gained: {', '.join(sorted({e['path'] for e in gained}))}")
            if (rid, item_id) in level_changed and not why:
                why.append("the proposed value changed")
            if c.get("stale"):
                why.append(str(c["stale"]))
            if why:
                out.append({"rubric": rid, "id": item_id, "confirmed_by": c.get("by"), "confirmed_at": c.get("commit"),
                            "why": "; ".join(why)})
    return out


def _unavailable(base_side: dict, head_side: dict) -> list[dict]:
    out = []
    for side_name, side in (("base", base_side), ("head", head_side)):
        for source, status in side["sources"].items():
            if status != "available":
                why = ("the history is incomplete (shallow clone); fetch it with fetch-depth: 0"
                       if status == "shallow" else "no git history could be read")
                out.append({"source": source, "side": side_name, "status": status, "why": why})
    return out


def compare(base_json: dict[str, Any], head_json: dict[str, Any]) -> dict[str, Any]:
    """The ResultDiff of two JSON reports (base, then head) as a JSON-ready dict."""
    for name, report in (("base", base_json), ("head", head_json)):
        if report.get("schema_version") != 1 or "rubrics" not in report:
            raise ValueError(f"{name}: not an mlscorecard JSON report (schema_version 1)")
    base_side, head_side = _side(base_json), _side(head_json)
    sources_differ = base_side["sources"] != head_side["sources"]
    evidence = match_evidence(base_json, head_json)
    ev_by_item = {k: by_item(evidence[k]) for k in ("gained", "lost")}
    items = _items(base_json, head_json, ev_by_item, sources_differ)
    rubrics = {rid: _rubric_delta(rid, base_json, head_json) for rid in RUBRICS}
    worse = [i for i in items if i["direction"] == "worse" and i["comparable"]]
    mts_drop = (rubrics["ml-test-score"]["delta"] or 0) < 0
    diff = {
        "schema": SCHEMA_ID,
        "tool": head_json.get("tool") or {},
        "base": base_side,
        "head": head_side,
        "heuristics_changed": base_side["heuristics"] != head_side["heuristics"],
        "rubrics": rubrics,
        "items": items,
        "evidence": evidence,
        "new_problems": [problem(e) for e in evidence["gained"] if e.get("negative")],
        "resolved_problems": [problem(e) for e in evidence["lost"] if e.get("negative")],
        "stale_confirmations": _stale_confirmations(head_json, ev_by_item, items),
        "sources_unavailable": _unavailable(base_side, head_side),
        "regression": {
            # a drop that only items resting on an unreadable source explain is not a regression
            "ml_test_score": mts_drop and any(i["rubric"] == "ml-test-score" for i in worse),
            "worse_items": sorted(i["id"] for i in worse),
        },
    }
    diff["unchanged"] = not (items or any(evidence.values()) or any(
        r["delta"] for r in rubrics.values()))
    return diff


def regressed(diff: dict[str, Any], gates: tuple[str, ...] = ()) -> list[str]:
    """Why --fail-on-regression fails (empty: it passes): the ML Test Score dropped, or a gated item got worse."""
    why = []
    if diff["regression"]["ml_test_score"]:
        r = diff["rubrics"]["ml-test-score"]
        why.append(f"ML Test Score drops from {r['base']} to {r['head']}")
    worse = set(diff["regression"]["worse_items"])
    why.extend(f"{g} gets worse" for g in gates if g in worse)
    return why
