"""The diff in words, shared by every format: "loses torch.manual_seed at train.py:12 — infra-1
drops from automated to none". Plain text; each format escapes it its own way."""

from __future__ import annotations

from typing import Any

WHAT = {"ml-test-score": "ML Test Score", "robustness": "Robustness"}


def signed(n: int | None) -> str:
    if n is None:
        return "n/a"
    return f"+{n}" if n > 0 else ("±0" if n == 0 else f"−{-n}")


def score_line(diff: dict[str, Any], rid: str) -> str:
    r = diff["rubrics"][rid]
    if r["delta"]:
        return f"{WHAT[rid]} {r['base']} → {r['head']} ({signed(r['delta'])})"
    return f"{WHAT[rid]} {r['head']} (unchanged)"


def change_verb(item: dict[str, Any]) -> str:
    old, new = item["base"]["effective"], item["head"]["effective"]
    if item["direction"] == "same":
        text = f"{item['id']} stays {_value(new)}"
    else:
        verb = {"better": "rises", "worse": "drops", "changed": "changes"}[item["direction"]]
        text = f"{item['id']} {verb} from {_value(old)} to {_value(new)}"
    proposed_old, proposed_new = _proposed(item, "base"), _proposed(item, "head")
    if (proposed_old, proposed_new) != (old, new) and proposed_old != proposed_new:
        text += f" (the evidence alone: {_value(proposed_old)} → {_value(proposed_new)}; a confirmation decides)"
    if not item["comparable"]:
        text += " — not comparable: a source was not available on one side"
    return text


def _proposed(item: dict, side: str) -> Any:
    key = "level" if item["rubric"] == "ml-test-score" else "score"
    return item[side].get(key)


def _value(v: Any) -> str:
    return "—" if v is None else str(v)


def location(ev: dict[str, Any]) -> str:
    return f"{ev['path']}:{ev['line']}" + (f" (cell {ev['cell']})" if ev.get("cell") is not None else "")


def item_cause(item: dict[str, Any]) -> str:
    """The first evidence the change removed or added for the item, as "removes X at path:line"."""
    if item["lost"]:
        ev = item["lost"][0]
        more = f" and {len(item['lost']) - 1} more" if len(item["lost"]) > 1 else ""
        return f"removes {ev['summary']} at {location(ev)}{more}"
    if item["gained"]:
        ev = item["gained"][0]
        more = f" and {len(item['gained']) - 1} more" if len(item["gained"]) > 1 else ""
        return f"adds {ev['summary']} at {location(ev)}{more}"
    return "no evidence of its own changed (a confirmation or a source did)"


def verdict(diff: dict[str, Any]) -> str:
    if diff["unchanged"]:
        return "This change does not move any score or evidence."
    if diff["regression"]["ml_test_score"]:
        return "This change lowers the ML Test Score."
    if diff["new_problems"]:
        return "This change introduces problems."
    if (diff["rubrics"]["ml-test-score"]["delta"] or 0) < 0:
        return "The ML Test Score is lower, but only through items that rest on a source not available on one side."
    return "No regression of the ML Test Score."
