"""Matching evidence across the two sides: a finding is the same finding wherever it moved."""

from __future__ import annotations

from mlscorecard.diff.evidence import match_evidence


def report(*evidence: dict) -> dict:
    return {"rubrics": {"ml-test-score": {"items": {"infra-1": {"evidence": list(evidence)}}}}}


def ev(line: int, cell: int | None = None, summary: str = "seeds numpy", path: str = "nb.ipynb") -> dict:
    out = {"rule": "seeds/global-seed", "path": path, "line": line, "confidence": 0.6, "summary": summary}
    if cell is not None:
        out["cell"] = cell
    return out


def test_a_notebook_cell_inserted_above_moves_the_finding():
    m = match_evidence(report(ev(3, cell=20)), report(ev(3, cell=21)))
    assert not m["gained"] and not m["lost"]
    assert [(e["cell"], e["line"], e["base_cell"], e["base_line"]) for e in m["moved"]] == [(21, 3, 20, 3)]


def test_two_identical_findings_where_one_is_removed_pair_in_order():
    m = match_evidence(report(ev(5), ev(9)), report(ev(7)))
    assert len(m["moved"]) == 1 and len(m["lost"]) == 1 and not m["gained"]


def test_a_changed_summary_is_lost_and_gained_not_moved():
    m = match_evidence(report(ev(5, summary="seeds numpy")), report(ev(5, summary="seeds torch")))
    assert [e["summary"] for e in m["lost"]] == ["seeds numpy"] and [e["summary"] for e in m["gained"]] == ["seeds torch"]


def test_history_findings_are_the_same_whatever_their_counts_say():
    a = {"rule": "review/x", "path": ".git", "line": 1, "confidence": 0.4, "summary": "3 of 10 commits"}
    m = match_evidence(report(a), report(dict(a, summary="3 of 11 commits")))
    assert m == {"gained": [], "lost": [], "moved": []}
