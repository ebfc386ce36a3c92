"""`per_line` text rules search only the lines that hold one of their literals. That must find
exactly what searching the whole text finds: checked here for every such rule, on every rule
example in the heuristics and every file of the shipped fixtures, and on the hard cases
(a literal at the first or last line, no final newline, several hits on one line, letters whose
lower case is longer)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mlscorecard.engine.literals import LiteralScanner
from mlscorecard.heuristics import load_heuristics
from mlscorecard.matchers import FileView
from mlscorecard.matchers.text import literal_lines, match_text

HEUR = load_heuristics()
PER_LINE = [r for r in HEUR.rules if r.kind == "text" and r.match.get("per_line")]
ROOT = Path(__file__).resolve().parent.parent


def _corpus() -> list[str]:
    texts = []
    for rule in HEUR.rules:
        for polarity in ("positive", "negative"):
            for example in rule.examples.get(polarity, []):
                if "code" in example:
                    texts.append(example["code"])
                texts.extend(v for v in (example.get("files") or {}).values() if isinstance(v, str))
    for path in sorted((ROOT / "fixtures").rglob("*")):
        if path.is_file() and path.suffix in (".py", ".yaml", ".yml", ".json", ".toml", ".cfg", ".md"):
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    texts += [
        "seed = 42",  # one line, no newline
        "\n\nrandom_state = 7\n",
        "x = 1\nseed = 3  # seed\nseed = 4",  # last line without a newline
        "İİİ seed = 5\nseed = 6\n",  # lower case longer than the text: the whole text is searched
        "set_seed(1); set_seed(2)\ntorch.manual_seed(0)\n",
        # lines_before: a match begun on the line above its literal, at the first line, twice in a row
        "if df.empty:\n    raise ValueError('no rows')\n",
        "x = 1\nif not ok:\n    raise RuntimeError('bad')\nif raise_it:\n    raise KeyError('k')\n",
        "#!/bin/sh\nset -ue\npython train.py\n",
        "\n\nif a:\n\traise OSError(1)",
        # letters a (?i) pattern folds that lower() keeps (the whole text is searched then)
        'env = Environment(ba\u017fe_image="python:3.10")\n# base_image\n',
        "image: mcr.m\u0131crosoft.com/azureml/x\n# base_image\n",
    ]
    return texts


def _view(rule, text: str) -> FileView:
    scanner = LiteralScanner(rule.match.get("literals") or [])
    found = scanner.found(text.lower())
    return FileView("train.py", text, text, frozenset(), literals_in_text=found, literals_in_source=found)


def test_some_rules_use_per_line():
    assert PER_LINE, "no text rule is marked per_line; this test would check nothing"


@pytest.mark.parametrize("rule", PER_LINE, ids=[r.id for r in PER_LINE])
def test_per_line_finds_what_the_whole_text_finds(rule):
    whole = dataclasses.replace(rule, match={k: v for k, v in rule.match.items() if k != "per_line"})
    hits = 0
    for text in _corpus():
        got = [(f.line, f.summary) for f in match_text(rule, _view(rule, text))]
        want = [(f.line, f.summary) for f in match_text(whole, _view(whole, text))]
        assert got == want, text
        hits += bool(got)
    assert hits, f"{rule.id}: nothing in the corpus matches, so the comparison proves nothing"


def test_literal_lines_are_the_lines_holding_a_literal():
    text = "a seed\nnothing\nseed and SEED\nlast seed"
    spans = literal_lines(text, text.lower(), {"seed"})
    assert [text[s:e] for s, e in spans] == ["a seed", "seed and SEED", "last seed"]


def test_widened_spans_begin_lines_earlier_and_merge():
    from mlscorecard.matchers.text import widened

    text = "a\nb raise\nc raise\nd\ne\nf raise"
    spans = widened(text, literal_lines(text, text, {"raise"}), 1)
    assert [text[s:e] for s, e in spans] == ["a\nb raise\nc raise", "e\nf raise"]
    assert widened("raise\nx", [(0, 5)], 2) == [(0, 5)]  # nothing above the first line
