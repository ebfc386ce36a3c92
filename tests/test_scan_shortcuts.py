"""The per-file scan's shortcuts give exactly what the long way gives.

- Comments and string literals blanked before the pre-filter's word check
  (`engine/files.py`): every identifier a syntax tree holds (names, attributes, keyword
  arguments, imports, definitions) is still found, outside strings or, inside an f-string's
  braces, by the fallback to the whole text; so no file that a code rule could match goes
  unparsed.
- Line-anchored patterns tried only at the lines holding their literal
  (`engine/literals.line_matches`): the same matches as `finditer` over the whole text.
- Words looked for one by one (`engine/files._has_word`): the same answer as the list of
  every word `_WORD_RE` finds.
- A word after a brace on its line (`engine/files.after_brace`) and a metric compared on an
  `assert`/`if` line (`compares_metric`), found from the words' lines: what the regular
  expressions over the whole text find.
- Test-name rules screened by one search of a file's joined test names
  (`matchers/python.name_screen`): the same findings as the names tried one by one.
- Import criteria (`matchers/python._imports_re`) tried only at the lines holding `from` or
  `import` (`engine/literals.matches_at`): the same answer as a search of the whole module.
- Test files no call rule can match walked for their tests only (`engine/python.py`'s
  `tests_only`): the same imports, definitions, test functions and asserting tests as the full
  walk, on the standard library's own test suite and this project's.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlscorecard.engine.files import (_DEF_RE, _IMPORT_RE, _STRINGS_AND_COMMENTS_RE, _WORD_RE, DEFINITION_WORDS,
                                      IMPORT_WORDS, ScanPlan, _has_word, after_brace, compares_metric)
from mlscorecard.engine.files import _COMPARISON_LINE_RE
from mlscorecard.engine.python import METRIC_RE
from mlscorecard.engine.literals import line_matches, literal_lines, matches_at
from mlscorecard.matchers.python import _imports_re
from mlscorecard.engine.python import Interest, analyse_python
from mlscorecard.heuristics import load_heuristics
from mlscorecard.matchers import FileView
from mlscorecard.matchers.python import DEFINED_NAME_RE, match_python_test_function

ROOT = Path(__file__).resolve().parent.parent
STDLIB = Path(sys.modules["ast"].__file__).parent


def tree_words(source: str) -> set[str]:
    words: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            words.add(node.id)
        elif isinstance(node, ast.Attribute):
            words.add(node.attr)
        elif isinstance(node, (ast.keyword, ast.arg)) and node.arg:
            words.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            words.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                words.update(alias.name.split("."))
                if alias.asname:
                    words.add(alias.asname)
            if isinstance(node, ast.ImportFrom) and node.module:
                words.update(node.module.split("."))
    return {w for w in words if w.isidentifier()}  # not `*` of `from m import *`


def code_words(source: str) -> set[str]:
    """The tree's words that the pre-filter finds in code: outside comments and strings, or by
    its fallback to the whole text (a word inside an f-string's braces)."""
    words = tree_words(source)
    plan = SimpleNamespace(vocabulary=frozenset(words), value_words=frozenset())
    outside = words.intersection(_WORD_RE.findall(_STRINGS_AND_COMMENTS_RE.sub(" ", source)))
    return outside | {w for w in words - outside if ScanPlan._words_in_code(plan, source, [(w,)])}


TRICKY = [
    'x = "a # not a comment" ; seed(1)  # "not a string\n',
    "s = 'it''s' + \"\"\"'''\"\"\" + f(x)\n",
    "s = '''a \"\"\" b''' ; g(y)\n",
    's = "\\"" ; h(z)\n',
    "s = r'\\' ' ; k(w)\n",
    'b = b"\\x00#" ; m(v)\n',
    'x = ("a" "b"\n     "c") ; n(u)\n',
    's = "line \\\ncontinued" ; p(t)\n',
    'def f():\n    """doc with \'quotes\' and # hash"""\n    return q(r)\n',
    "x = [i for i in range(3) if i] # c\ny = {'k': z}  # \"\n",
    "x = f'{torch.manual_seed(0)}' + rf\"{a.b}\" + F'{c!r:>{w}}'\n",
    'x = f"""{torch.Generator(\'cpu\').manual_seed(1)}"""\n',
    "r = f\"M({','.join([f'{k}={v}' for k, v in zip(a, map(repr, b))])})\"\n",  # nested: after a `}`
    "@decorator('#')\nclass C(Base, metaclass=M):\n    attr: int = 0  # trailing\n",
    "async def go():\n    async with a as b:\n        await c.d(e=1)\n",
    "from . import x as y\nimport a.b.c as d\nfrom ..m import (n,\n    o)\n",
    "x = '' ; y = \"\" ; z = '''''' ; w = \"\"\"\"\"\" ; v(u)\n",
    "x = 1  # a comment\rtorch.manual_seed(0)\r",  # old Mac line ends: a comment ends at \r
    "s = 'a\\\r\nb' ; torch.manual_seed(1)\r\n",  # a continuation inside a string, CRLF
    'x = f"""{\n    torch.manual_seed(0)\n}"""\n',  # a field spanning lines of a triple-quoted f-string
]


@pytest.mark.parametrize("source", TRICKY)
def test_blanking_keeps_every_word_of_the_tree_in_tricky_code(source):
    assert tree_words(source) <= code_words(source)


def real_sources():
    picked = sorted(STDLIB.glob("*.py"))[::3]
    picked += sorted((ROOT / "src").rglob("*.py"))
    picked += sorted((ROOT / "fixtures").rglob("*.py"))
    for p in picked:
        try:
            source = p.read_text(encoding="utf-8")
            ast.parse(source)
        except (UnicodeDecodeError, SyntaxError, ValueError):
            continue
        yield p, source


def test_blanking_keeps_every_word_of_the_tree_in_real_code():
    checked = 0
    for path, source in real_sources():
        missing = tree_words(source) - code_words(source)
        assert not missing, (path, sorted(missing)[:5])
        checked += 1
    assert checked > 150


ANCHORED = [(_IMPORT_RE, ("import",)), (_DEF_RE, ("def",)), (DEFINED_NAME_RE, DEFINITION_WORDS)]


def spans_both_ways(text):
    return [([m.span() for m in rx.finditer(text)], [m.span() for m in line_matches(rx, text, lits)])
            for rx, lits in ANCHORED]


def test_line_matches_equal_finditer_on_real_code():
    matched = 0
    for _, source in real_sources():
        for full, near in spans_both_ways(source):
            assert near == full
            matched += len(full)
    assert matched > 1000


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.sampled_from(["import", "from", " ", "\t", "\n", "\r\n", ".", "x", "os", ",", "def", "class",
                                 "async", "  ", "#", "a.b", "import os", "from . import y", "def f(", "class C:",
                                 "async\ndef", "def\n g", "_"]), max_size=16))
def test_line_matches_equal_finditer_on_generated_text(parts):
    for full, near in spans_both_ways("".join(parts)):
        assert near == full


WORDS = ["torch", "seed", "a", "_a", "a1", "x2y", "manual_seed"]


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.sampled_from(["torch", "seed", "manual_", "a", "_", "1", "2", "x", "y", " ", ".", "\n", "(", "é",
                                 "\u0660"]), max_size=14))
def test_a_word_looked_for_alone_is_found_as_the_word_list_finds_it(parts):
    text = "".join(parts)
    words = set(_WORD_RE.findall(text))
    for word in WORDS:
        assert _has_word(text, word) == (word in words), (text, word)


def test_a_word_looked_for_alone_agrees_on_real_code():
    checked = 0
    for _, source in real_sources():
        words = set(_WORD_RE.findall(source))
        for word in ("torch", "seed", "self", "os", "re", "x", "main", "test", "assert_", "np"):
            assert _has_word(source, word) == (word in words)
            checked += word in words
    assert checked > 100


def _brace_regex(text: str, word: str) -> bool:
    return re.search(r"\{[^\n]*\b" + re.escape(word) + r"\b", text) is not None


def _compares_metric_everywhere(source: str) -> bool:
    return any(METRIC_RE.search(w) for mo in _COMPARISON_LINE_RE.finditer(source) for w in _WORD_RE.findall(mo.group(0)))


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.sampled_from(["{", "}", "seed", "x", "_", "1", " ", "\n", "é", "\u0660", "f'", "if ", "elif ",
                                 "assert ", " < ", ">", "acc", "val_loss", "\t", "#"]), max_size=16))
def test_brace_words_and_metric_lines_agree_with_the_regexes(parts):
    text = "".join(parts)
    for word in ("seed", "x", "acc"):
        assert after_brace(text, word) == _brace_regex(text, word), (text, word)
    assert compares_metric(text) == _compares_metric_everywhere(text), text


def test_brace_words_and_metric_lines_agree_on_real_code():
    hits = 0
    for _, source in real_sources():
        for word in ("self", "name", "path", "x", "seed"):
            hit = _brace_regex(source, word)
            assert after_brace(source, word) == hit
            hits += hit
        assert compares_metric(source) == _compares_metric_everywhere(source)
    assert hits > 20


IMPORT_CRITERIA = [_imports_re(["sklearn", "torch.nn", "os.path"]), _imports_re(["a.b.c"])]


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.sampled_from(["from", "import", " ", "\t", "\n", "\x0c", "sklearn", "torch", ".nn", "nn", "os",
                                 ".path", "path", "a.b", "c", ",", "#", "(", "\\\n", "x"]), max_size=16))
def test_import_criteria_tried_at_import_lines_agree_with_a_search(parts):
    text = "".join(parts)
    starts = [start for start, _ in literal_lines(text, text, IMPORT_WORDS)]
    for rx in IMPORT_CRITERIA:
        assert matches_at(rx, text, starts) == (rx.search(text) is not None), text


def test_import_criteria_tried_at_import_lines_agree_on_real_code():
    found = 0
    for _, source in real_sources():
        starts = [start for start, _ in literal_lines(source, source, IMPORT_WORDS)]
        for rx in (*IMPORT_CRITERIA, _imports_re(["ast", "typing", "collections.abc", "pytest"])):
            hit = rx.search(source) is not None
            assert matches_at(rx, source, starts) == hit
            found += hit
    assert found > 50


TESTS_ONLY_TRICKY = [
    "def test_a():\n    x = f()\n    self.assertEqual(x, 3)\n",
    "def test_b():\n    assert True\n    assert 1 == 1\n",  # literals only: not asserting
    "def test_c():\n    def helper():\n        assert g()\n    helper()\n",
    "def test_d():\n    def test_inner():\n        assert h()\n    x = [check_it(y) for y in z]\n",
    "class TestE:\n    def test_e(self):\n        with pytest.raises(ValueError):\n            f()\n",
    "def test_f():\n    if x:\n        np.testing.assert_allclose(a, b, rtol=tol)\n",
    "@pytest.mark.parametrize('a', [1])\ndef test_g(a, benchmark):\n    y = a + 1\n    assert_that(y)\n",
    "async def test_h():\n    async with c as d:\n        assert await d.get()\n",
    "def test_i():\n    x = (yield)\n    return self.fail(msg)\n",
]


def _tests_part(facts):
    return {k: v for k, v in facts.items() if k != "uses"}


@pytest.mark.parametrize("source", TESTS_ONLY_TRICKY)
def test_tests_only_walk_gives_the_full_walks_test_facts_on_tricky_code(source):
    everything = Interest(["*"], set())
    full, short = analyse_python("tests/test_x.py", source, everything), analyse_python(
        "tests/test_x.py", source, everything, tests_only=True)
    assert short["uses"] == [] and _tests_part(short) == _tests_part(full)


def test_tests_only_walk_gives_the_full_walks_test_facts_on_real_test_suites():
    everything = Interest(["*"], {"random_state", "seed"})
    files = sorted((STDLIB / "test").glob("test_*.py"))[::6] + sorted((ROOT / "tests").rglob("test_*.py"))
    meaningful = 0
    for p in files:
        try:
            source = p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        path = f"tests/{p.name}"
        full = analyse_python(path, source, everything)
        assert _tests_part(analyse_python(path, source, everything, tests_only=True)) == _tests_part(full), p
        meaningful += full.get("meaningful_tests", 0)
    assert meaningful > 300  # this project's own tests alone (some Pythons ship without Lib/test)


def test_tests_only_walk_agrees_on_a_dotted_chain_too_long_to_be_a_name():
    chain = "a" + "".join(f"\n    .b{i}.c{i}.d{i}" for i in range(180))  # 540 attributes on 181 short lines
    everything = Interest(["*"], set())
    for template in ("import os\ndef test_x():\n    assert os.path\n    x = ({chain}())\n",
                     "import os\nclass T({chain}):\n    def test_x(self):\n        assert os.path\n",
                     "import os\n@({chain})\ndef test_x():\n    assert os.path\n"):
        source = template.format(chain=chain)
        full = analyse_python("tests/test_x.py", source, everything)
        assert "error" not in full and full["meaningful_tests"] == 1
        assert _tests_part(analyse_python("tests/test_x.py", source, everything, tests_only=True)) == _tests_part(full)


# Test-name rules screened by one search of a file's asserting test names (matchers/python.py's
# name_screen): the same findings as the names tried one by one.
NAME_RULES = [r for r in load_heuristics().rules if r.kind == "python-test-function" and r.match.get("name_regex")]
NAME_PIECES = ["test", "_", "skew", "data", "schema", "slice", "fair", "bench", "latency", "train", "serv", "input",
               "invariant", "drift", "model", "quality", "feature", "1", "x", "Test", "DATA", "reproduc", "determin"]


def _findings(rule, names_flags, path):
    facts = {"test_functions": [[name, i + 1, meaningful, []] for i, (name, meaningful) in enumerate(names_flags)]}
    view = FileView(path, "", "", frozenset(["test"]), python=facts)
    return [(f.line, f.summary) for f in match_python_test_function(rule, view)]


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from(NAME_PIECES), min_size=1, max_size=5).map("".join), st.booleans()),
                max_size=8),
       st.sampled_from(["tests/test_model.py", "tests/data/test_schema.py", "tests/serving/test_api.py"]))
def test_screened_test_name_rules_find_what_the_names_one_by_one_find(names_flags, path):
    for rule in NAME_RULES:
        screened = _findings(rule, names_flags, path)
        with mock.patch("mlscorecard.matchers.python.name_screen", lambda pattern: None):
            assert screened == _findings(rule, names_flags, path), rule.id


def test_a_screened_test_name_rule_still_fires_and_stays_quiet():
    rule = next(r for r in NAME_RULES if r.id == "monitoring/skew-test")
    hit = [("test_features", True), ("test_no_training_serving_skew", True)]
    assert _findings(rule, hit, "tests/test_skew.py") == [(2, "training/serving skew test: test_no_training_serving_skew")]
    assert _findings(rule, [("test_skew", False), ("test_features", True)], "tests/test_skew.py") == []
