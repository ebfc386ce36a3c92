"""SARIF 2.1.0 for GitHub code scanning: problems (negative evidence) and ML Test Score gaps.

Every rubric item and every negative rule is listed as a rule with a stable id, so a gap that is
fixed closes its alert. Every result has a file location: a gap is anchored at its strongest
evidence, or, when there is none, at a relevant file (README, else the first file) line 1.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .. import __version__
from ..heuristics import Heuristics
from ..model import AuditResult
from ..safety.escaping import file_uri, sarif_uri
from .markdown import _strongest
from .json_text import dumps_indented

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _location(path: str, line: int) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": {"uri": sarif_uri(path), "uriBaseId": "SRCROOT"},
                                 "region": {"startLine": max(1, line)}}}


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def to_sarif(result: AuditResult, heur: Heuristics) -> dict[str, Any]:
    anchor = result.anchor
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}

    def add_rule(rule_id: str, name: str, short: str, help_text: str, level: str, tags: list[str]) -> None:
        index[rule_id] = len(rules)
        rules.append({
            "id": rule_id, "name": name,
            "shortDescription": {"text": short},
            "fullDescription": {"text": help_text},
            "help": {"text": help_text, "markdown": help_text},
            "defaultConfiguration": {"level": level},
            "properties": {"tags": tags},
        })

    for rid, rubric in heur.rubrics.items():
        for item in rubric.items.values():
            add_rule(f"mlscorecard/{rid}/{item['id']}", item["id"], item["title"],
                     f"{item['good']} Remediation: {item['remediation']} Would count as evidence: {item['example_evidence']}",
                     "warning", ["ml-readiness", rid, item["group"]])
    for rule in heur.rules:
        if any(s.cap is not None for s in rule.supports):
            add_rule(rule.id, rule.id.replace("/", "-"), rule.title,
                     f"{rule.title}. Remove it from the repository (and its history) and rotate it.",
                     "error", ["security", "negative-evidence"])

    results: list[dict[str, Any]] = []
    mts = result.rubrics["ml-test-score"]
    for item in mts.items.values():
        confirmed = item.confirmed or {}
        if item.level == "automated" or confirmed.get("not_applicable") or confirmed.get("level") == "automated":
            continue  # nothing to do, or a person says it is done (the confirmation closes the alert)
        d = heur.rubrics["ml-test-score"].items[item.id]
        best = next(iter(_strongest([e for e in item.evidence if not e.negative])), None)
        path, line = (best.path, best.line) if best and best.path != ".git" else (anchor, 1)
        if path is None:
            continue
        now = "done by hand only" if item.level == "manual" else "no evidence found"
        rule_id = f"mlscorecard/ml-test-score/{item.id}"
        results.append({
            "ruleId": rule_id, "ruleIndex": index[rule_id],
            "level": "note" if item.level == "manual" else "warning",
            "message": {"text": f"{item.id} {item.title}: {now} (proposed {item.level}, confidence "
                                f"{item.confidence:.2f}). {d['remediation']}"},
            "locations": [_location(path, line)],
            "partialFingerprints": {"mlscorecard/v1": _fingerprint(rule_id)},
        })
    seen: set[tuple[str, str, int]] = set()
    for item in result.rubrics["robustness"].items.values():
        for e in item.evidence:
            if not e.negative or (e.rule, e.path, e.line) in seen:
                continue
            seen.add((e.rule, e.path, e.line))
            results.append({
                "ruleId": e.rule, "ruleIndex": index[e.rule], "level": "error",
                "message": {"text": e.summary},
                "locations": [_location(e.path, e.line)],
                "partialFingerprints": {"mlscorecard/v1": _fingerprint(e.rule, e.path, str(e.line))},
            })
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "mlscorecard", "version": __version__, "semanticVersion": __version__,
                            "informationUri": "https://pypi.org/project/mlscorecard/", "rules": rules}},
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {"ml-test-score": mts.score, "robustness": result.rubrics["robustness"].score,
                       "commit": result.commit, "source": result.source,
                       "profile": (result.facts.get("profile") or {}).get("kind")},
    }
    if result.repo_path.startswith("/"):
        run["originalUriBaseIds"] = {"SRCROOT": {"uri": file_uri(result.repo_path)}}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(result: AuditResult, heur: Heuristics) -> str:
    return dumps_indented(to_sarif(result, heur), 2) + "\n"
