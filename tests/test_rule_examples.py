"""Every rule's own positive and negative examples, run as tests (the Fixit way).

A rule without examples cannot even be loaded (see test_heuristics.py); here each example
becomes one test case.
"""

from __future__ import annotations

import pytest

from mlscorecard.collect import collect
from mlscorecard.heuristics import load_heuristics
from mlscorecard.rules_engine import automation_of as _automation, run_rule
from mlscorecard.snapshot import Snapshot

HEUR = load_heuristics()


def _cases():
    for rule in HEUR.rules:
        for polarity in ("positive", "negative"):
            for n, example in enumerate(rule.examples.get(polarity, []), start=1):
                yield pytest.param(rule, polarity, example, id=f"{rule.id}-{polarity}-{n}")


def _snapshot(example, tmp_path, repo_factory):
    if "history" in example:
        repo = repo_factory([{**step, "kind": step.get("kind", "direct")} for step in example["history"]])
        return Snapshot.open(str(repo))
    if "files" in example:
        return Snapshot.from_files(example["files"])
    return Snapshot.from_files({example.get("path", "train.py"): example["code"]})


@pytest.mark.parametrize("rule,polarity,example", list(_cases()))
def test_rule_example(rule, polarity, example, tmp_path, repo_factory):
    snap = _snapshot(example, tmp_path, repo_factory)
    facts = collect(snap, HEUR)
    findings = run_rule(rule, facts)
    if polarity == "negative":
        assert findings == [], f"{rule.id} must not fire on this negative example: {findings}"
        return
    assert findings, f"{rule.id} must fire on this positive example"
    if "line" in example:
        assert example["line"] in [f.line for f in findings], [f.line for f in findings]
    if "automated" in example:
        automated = [bool(_automation(rule, f, facts)) for f in findings]
        assert example["automated"] in automated, automated


def test_every_rule_has_examples_of_both_kinds():
    for rule in HEUR.rules:
        assert rule.examples.get("positive"), rule.id
        assert rule.examples.get("negative"), rule.id


def test_every_rule_supports_an_item_or_records_a_fact():
    for rule in HEUR.rules:
        assert rule.supports or rule.fact, rule.id
