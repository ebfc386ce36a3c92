"""SARIF 2.1.0 of what a change introduced, for GitHub code scanning on a pull request.

Only two kinds of result: a new problem (a committed secret or other negative evidence; level
error) and evidence the change removed (warning). What the repository lacked before the change
is the full audit's SARIF, not this one. Evidence that rests on a source one side could not read
(history on a shallow checkout) is left out: its absence says nothing about the change.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..reports.json_text import dumps_indented
from ..safety.escaping import sarif_uri
from .sentences import location

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LOST_RULE = "mlscorecard/diff/evidence-lost"


def _location(path: str, line: int) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": {"uri": sarif_uri(path), "uriBaseId": "SRCROOT"},
                                 "region": {"startLine": max(1, int(line))}}}


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _on_missing_source(ev: dict[str, Any], diff: dict[str, Any]) -> bool:
    differ = diff["base"]["sources"] != diff["head"]["sources"]
    return differ and (ev.get("basis") == "history" or ev["rule"].startswith("review/"))


def to_sarif(diff: dict[str, Any]) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}

    def rule(rule_id: str, text: str, level: str, tags: list[str]) -> int:
        if rule_id not in index:
            index[rule_id] = len(rules)
            rules.append({"id": rule_id, "name": rule_id.replace("/", "-"), "shortDescription": {"text": text},
                          "fullDescription": {"text": text}, "help": {"text": text, "markdown": text},
                          "defaultConfiguration": {"level": level}, "properties": {"tags": tags}})
        return index[rule_id]

    results: list[dict[str, Any]] = []
    for p in diff["new_problems"]:
        text = ("A credential is committed: remove it from the repository and its history, and rotate it."
                if p["kind"] == "committed-secret" else "Negative evidence added by this change.")
        results.append({
            "ruleId": p["rule"], "ruleIndex": rule(p["rule"], text, "error", ["security", "negative-evidence"]),
            "level": "error", "message": {"text": f"{p['summary']} at {location(p)} (added by this change)"},
            "locations": [_location(p["path"], p["line"])],
            "partialFingerprints": {"mlscorecard/v1": _fingerprint(p["rule"], p["path"], p["summary"])},
        })
    for ev in diff["evidence"]["lost"]:
        if ev.get("negative") or _on_missing_source(ev, diff):
            continue
        i = rule(LOST_RULE, "Evidence for an ML Test Score or robustness item was removed by this change.",
                 "warning", ["ml-readiness", "diff"])
        results.append({
            "ruleId": LOST_RULE, "ruleIndex": i, "level": "warning",
            "message": {"text": f"removes {ev['summary']} ({ev['rule']}), evidence for {', '.join(ev['items'])}"},
            "locations": [_location(ev["path"], ev["line"])],
            "partialFingerprints": {"mlscorecard/v1": _fingerprint(LOST_RULE, ev["rule"], ev["path"], ev["summary"])},
        })
    tool = diff.get("tool") or {}
    version = str(tool.get("version") or "0")
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "mlscorecard", "version": version, "semanticVersion": version,
                            "informationUri": "https://pypi.org/project/mlscorecard/", "rules": rules}},
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {"base": diff["base"]["commit"], "head": diff["head"]["commit"],
                       "ml-test-score-delta": diff["rubrics"]["ml-test-score"]["delta"],
                       "robustness-delta": diff["rubrics"]["robustness"]["delta"]},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(diff: dict[str, Any]) -> str:
    return dumps_indented(to_sarif(diff), 2) + "\n"
