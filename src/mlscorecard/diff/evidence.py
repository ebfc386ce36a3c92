"""Evidence of two audits matched piece by piece: what a change gained, lost or only moved.

A piece of evidence is identified by what it says, not where: (rule, path, summary). Two pieces
with that identity on both sides are the same finding; if its line (or notebook cell) changed, a
line or cell was added or removed above it and the finding only *moved*. Comparing by location
would report every finding below an edited line as lost and gained again.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

SECRET_RULE_PREFIX = "secrets/"


HISTORY_PATH = ".git"  # where history findings are anchored; their summaries count commits


def identity(ev: dict[str, Any]) -> tuple:
    """What makes two findings the same. A history finding's summary counts commits, so every new
    commit would rewrite it: it is the same finding whatever its counts say."""
    if ev.get("path") == HISTORY_PATH:
        return (ev.get("rule", ""), HISTORY_PATH, "")
    return (ev.get("rule", ""), ev.get("path", ""), ev.get("summary", ""))


def _where(ev: dict[str, Any]) -> tuple[int, int]:
    return (ev.get("cell") or 0, ev.get("line", 0))


def public(ev: dict[str, Any], items: Iterable[str]) -> dict[str, Any]:
    """The fields a diff shows of one piece of evidence (the report JSON is already redacted)."""
    out: dict[str, Any] = {"rule": ev["rule"], "path": ev["path"], "line": ev["line"],
                           "confidence": ev["confidence"], "summary": ev["summary"], "items": sorted(set(items))}
    for key in ("level", "score", "automated_by", "cell", "basis"):
        if ev.get(key) is not None:
            out[key] = ev[key]
    if ev.get("negative"):
        out["negative"] = True
    return out


def _located(report: dict[str, Any]) -> dict[tuple, list[tuple[tuple[int, int], dict, set[str]]]]:
    """identity -> [((cell, line), evidence, the items it supports)], one entry per location."""
    by_location: dict[tuple, tuple[dict, set[str]]] = {}
    for rubric in report["rubrics"].values():
        for item_id, item in rubric["items"].items():
            for ev in item.get("evidence", []):
                key = (*identity(ev), _where(ev))
                held = by_location.setdefault(key, (ev, set()))
                held[1].add(item_id)
    out: dict[tuple, list] = defaultdict(list)
    for key, (ev, items) in by_location.items():
        out[key[:-1]].append((key[-1], ev, items))
    for entries in out.values():
        entries.sort(key=lambda e: e[0])
    return out


def match_evidence(base: dict[str, Any], head: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """{"gained", "lost", "moved"}: evidence present only at head, only at base, or at both with
    another line (paired in line order; surplus on one side is gained or lost)."""
    before, after = _located(base), _located(head)
    gained, lost, moved = [], [], []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, []), after.get(key, [])
        unmatched_old = [o for o in old if o[0] not in {n[0] for n in new}]
        unmatched_new = [n for n in new if n[0] not in {o[0] for o in old}]
        for ((old_cell, old_line), old_ev, _items), (_where_now, ev, items) in zip(unmatched_old, unmatched_new):
            entry = {**public(ev, items), "base_line": old_line}
            if old_ev.get("cell") is not None:
                entry["base_cell"] = old_cell
            moved.append(entry)
        pairs = min(len(unmatched_old), len(unmatched_new))
        lost.extend(public(ev, items) for _line, ev, items in unmatched_old[pairs:])
        gained.extend(public(ev, items) for _line, ev, items in unmatched_new[pairs:])
    order = lambda e: (e["path"], e.get("cell") or 0, e["line"], e["rule"])  # noqa: E731
    return {"gained": sorted(gained, key=order), "lost": sorted(lost, key=order), "moved": sorted(moved, key=order)}


def problem(ev: dict[str, Any]) -> dict[str, Any]:
    """A negative finding as a problem the change introduced (never a secret's value: the summary
    comes from the already redacted report)."""
    kind = "committed-secret" if ev["rule"].startswith(SECRET_RULE_PREFIX) else "negative-evidence"
    out = {"kind": kind, "rule": ev["rule"], "path": ev["path"], "line": ev["line"], "summary": ev["summary"],
           "confidence": ev["confidence"], "items": ev["items"]}
    if ev.get("cell") is not None:
        out["cell"] = ev["cell"]
    return out


def by_item(pieces: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list] = defaultdict(list)
    for ev in pieces:
        for item_id in ev["items"]:
            out[item_id].append(ev)
    return out
