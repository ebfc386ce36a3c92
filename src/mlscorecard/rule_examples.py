"""A rule's own positive and negative examples, run the way the test suite runs the built-in ones
(tests/test_rule_examples.py): each example is an in-memory snapshot (or a scripted history);
a positive must fire (on its `line:` when given), a negative must not. A project's own rules
(`rules-dir`) are checked this way before they may count in its audit."""

from __future__ import annotations

from .heuristics import Heuristics, Rule


def failed_examples(rules: list[Rule], heur: Heuristics) -> list[str]:
    """One message per example that does not behave as it says ([] when all do)."""
    from .collect import collect
    from .rules_engine import run_rule
    from .snapshot import Snapshot

    out = []
    for rule in rules:
        for polarity in ("positive", "negative"):
            for n, example in enumerate(rule.examples.get(polarity, []), start=1):
                if "history" in example:
                    out.append(f"{rule.id} {polarity} example {n}: `history` examples are for built-in rules only")
                    continue
                files = example.get("files") or {example.get("path", "train.py"): example.get("code", "")}
                snap = Snapshot.from_files(files)
                findings = run_rule(rule, collect(snap, heur, jobs=1))
                if polarity == "negative" and findings:
                    out.append(f"{rule.id} negative example {n} fires (line {findings[0].line})")
                elif polarity == "positive" and not findings:
                    out.append(f"{rule.id} positive example {n} does not fire")
                elif polarity == "positive" and "line" in example and example["line"] not in [f.line for f in findings]:
                    out.append(f"{rule.id} positive example {n} fires on line {findings[0].line}, not {example['line']}")
    return out
