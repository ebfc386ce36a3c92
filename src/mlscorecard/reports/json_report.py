"""JSON report, per shared/REPORT-FORMAT.md (schema_version 1); schema in mlscorecard/schema/."""

from __future__ import annotations

import re
from typing import Any

from .. import __version__
from ..heuristics import Heuristics
from ..model import AuditResult, ItemResult
from .json_text import dumps_indented

SCHEMA_VERSION = 1
_SURROGATE = re.compile("[\ud800-\udfff]")


def _item_json(item: ItemResult, robustness: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if robustness:
        out["score"] = item.score
    else:
        out["level"] = item.level
        out["points"] = item.points
    out["confidence"] = round(item.confidence, 2)
    out["needs_confirmation"] = item.needs_confirmation
    out["reason"] = item.reason
    out["evidence"] = [e.to_json() for e in sorted(item.evidence, key=lambda e: e.sort_key())]
    if item.confirmed is not None:
        out["confirmed"] = item.confirmed
    return out


def to_dict(result: AuditResult, heur: Heuristics) -> dict[str, Any]:
    mts = result.rubrics["ml-test-score"]
    rob = result.rubrics["robustness"]
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "mlscorecard", "version": __version__, "heuristics": heur.digest},
        "repo": {"path": result.repo_path, "commit": result.commit, "ref": result.ref, "source": result.source,
                 **({"uncommitted": result.uncommitted} if result.uncommitted is not None else {}),
                 **({"remote": {"kind": result.remote.kind, "url": result.remote.url}} if result.remote else {})},
        "rubrics": {
            "ml-test-score": {
                "score": mts.score,
                "band": mts.band,
                "sections": dict(mts.groups),
                "proposed_score": mts.proposed_score,
                "proposed_sections": mts.proposed_groups,
                "not_applicable_sections": mts.not_applicable_groups,
                "items": {i: _item_json(it, False) for i, it in mts.items.items()},
            },
            "robustness": {
                "total": rob.score,
                "band": rob.band,
                "categories": dict(rob.groups),
                "proposed_total": rob.proposed_score,
                "proposed_categories": rob.proposed_groups,
                "items": {i: _item_json(it, True) for i, it in rob.items.items()},
            },
        },
        "facts": result.facts,
        "hints": result.hints,
        "warnings": [w.to_json() for w in result.warnings],
    }


def render_json(result: AuditResult, heur: Heuristics) -> str:
    text = dumps_indented(to_dict(result, heur), 2, ensure_ascii=False) + "\n"
    # a file name that is not UTF-8 holds lone surrogates (surrogateescape): keep them as \u escapes,
    # which JSON readers accept and which write as UTF-8
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
