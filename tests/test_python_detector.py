"""The Python detector: names resolved through imports, tests and placeholders, pre-filter."""

from __future__ import annotations

import textwrap

import pytest

from mlscorecard.engine.python import Interest as _Interest, analyse_python, is_test_context, module_name

EVERYTHING = _Interest(["*"], {"random_state"})


def facts(code: str, path: str = "pkg/train.py") -> dict:
    return analyse_python(path, textwrap.dedent(code), EVERYTHING)


def calls(code: str, path: str = "pkg/train.py") -> list[tuple[str, int]]:
    return [(u["name"], u["line"]) for u in facts(code, path)["uses"]]


def test_import_alias():
    assert ("numpy.random.seed", 4) in calls("""
        import numpy as np

        np.random.seed(0)
    """)


def test_from_import_with_alias():
    assert calls("from sklearn.dummy import DummyClassifier as DC\nDC()\n") == [("sklearn.dummy.DummyClassifier", 2)]


def test_dotted_import_binds_the_top_package():
    assert calls("import tensorflow.keras\ntensorflow.keras.utils.set_random_seed(1)\n") == [
        ("tensorflow.keras.utils.set_random_seed", 2)
    ]


def test_relative_imports_resolve_against_the_package():
    got = facts("from . import features\nfrom ..common.io import load as ld\n", "src/churn/train.py")["imports"]
    names = [n for n, _ in got]
    assert "src.churn.features" in names and "src.common.io.load" in names


def test_unimported_names_are_not_guessed():
    # a local function called seed is not random.seed: unresolved names are not recorded at all
    assert calls("def seed(x):\n    pass\nseed(0)\n") == []


def test_keyword_kinds_and_lines():
    (use,) = facts("""
        from sklearn.model_selection import train_test_split
        a = train_test_split(
            x, y,
            random_state=42,
        )
    """)["uses"]
    assert use["name"] == "sklearn.model_selection.train_test_split" and use["line"] == 3
    assert use["kws"]["random_state"] == "int" and use["kwv"] == {"random_state": 42} and use["kwl"] == {"random_state": 5}


def test_meaningful_tests_and_placeholders():
    f = facts("""
        from churn.model import make_model

        def test_placeholder():
            assert print("hello") is None

        def test_constant():
            assert True

        def test_real():
            assert make_model().n_estimators == 200

        def test_raises():
            import pytest
            with pytest.raises(ValueError):
                make_model(-1)

        class TestModel:
            def test_unittest_style(self):
                self.assertEqual(make_model().max_depth, 3)
    """, "tests/test_model.py")
    assert f["tests"] == 5 and f["meaningful_tests"] == 3


def test_module_names_and_test_context():
    assert module_name("src/pkg/__init__.py") == "src.pkg"
    assert module_name("src/pkg/model.py") == "src.pkg.model"
    assert is_test_context("tests/helpers.py") and is_test_context("pkg/test_x.py")
    assert not is_test_context("src/contest.py")


def test_notebook_magics_are_not_python_here():
    # .py files with shell escapes are a syntax error, reported, never fatal
    assert "error" in facts("!pip install torch\nimport torch\n")


def uses(code: str, path: str = "pkg/train.py") -> dict[str, dict]:
    return {u["name"]: u for u in facts(code, path)["uses"]}


def test_decorators_bases_and_attribute_assignments_are_uses():
    got = uses("""
        import torch
        from prefect import flow
        import pandera as pa

        @flow
        def pipeline():
            pass

        class Schema(pa.DataFrameModel):
            pass

        torch.backends.cudnn.deterministic = True
    """)
    assert got["prefect.flow"]["how"] == "decorator"
    assert got["pandera.DataFrameModel"]["how"] == "base"
    assign = got["torch.backends.cudnn.deterministic"]
    assert assign["how"] == "assign" and assign["args"] == ["bool"] and assign["argv"] == [True]


def test_asserted_uses_directly_through_variables_and_gates():
    got = facts("""
        from scipy.stats import ks_2samp, chisquare
        from sklearn.dummy import DummyClassifier
        from sklearn.metrics import roc_auc_score

        def check(ref, cur):
            assert ks_2samp(ref, cur).pvalue > 0.05
            stat = chisquare(cur)
            p = stat.pvalue
            if p < 0.01:
                raise ValueError("drift")
            baseline = DummyClassifier().fit(ref, cur)
            return baseline

        def gate(y, p):
            auc = roc_auc_score(y, p)
            if auc < 0.8:
                sys.exit(1)
    """)
    by_name = {u["name"]: u["asserted"] for u in got["uses"]}
    assert by_name == {"scipy.stats.ks_2samp": True, "scipy.stats.chisquare": True,
                       "sklearn.dummy.DummyClassifier": False,
                       "sklearn.dummy.DummyClassifier.fit": False,  # a method of what the call returns
                       "sklearn.metrics.roc_auc_score": True}
    assert [g[1] for g in got["gates"]] == [None, None, "auc"]  # thresholds; only the last on a metric name


def test_test_functions_with_lines_and_parameters():
    f = facts("""
        def test_loss_decreases(model):
            assert model.loss() < 1

        def test_speed(benchmark):
            benchmark(sum, [1, 2])
    """, "tests/test_model.py")
    assert f["test_functions"] == [["test_loss_decreases", 2, True, ["model"]], ["test_speed", 5, False, ["benchmark"]]]


def test_import_lines_and_test_functions_of_a_test_file():
    code = textwrap.dedent("""
        import os
        from churn.model import (
            make_model,
        )

        def test_model():
            assert make_model() is not None
    """)
    full = analyse_python("tests/test_m.py", code, EVERYTHING)
    expected = [["os", 2], ["churn.model.make_model", 3]]
    assert [list(i) for i in full["imports"]] == expected
    assert full["test_functions"] == [["test_model", 7, True, []]]


def test_names_a_star_import_brings_resolve_to_a_module_a_rule_names():
    interest = _Interest(["evidently.*QualityByClass", "numpy.random.seed", "*.log_metric"], set())
    code = textwrap.dedent("""
        from numpy.random import *
        from evidently.metrics import *
        seed(0)
        ClassificationQualityByClass()
        self.log_metric("x", 1)   # a method of an object: never from a star import
        unknown_thing()
        def QualityByClass(fn):   # a function of this file, a parameter, builtins, dotted names: never
            fn(print(len(df.head())))
        QualityByClass(model.fit)
    """)
    interest = _Interest(["evidently.*QualityByClass", "numpy.random.seed", "*.log_metric", "evidently.*",
                          "numpy.random.*"], set())
    uses = [u["name"] for u in analyse_python("nb.py", code, interest)["uses"]]
    assert uses == ["numpy.random.seed", "evidently.metrics.ClassificationQualityByClass", "self.log_metric"]
    from mlscorecard.engine.python_libcst import analyse_with_libcst

    assert analyse_with_libcst("nb.py", code, interest) == analyse_python("nb.py", code, interest)


def test_gates_carry_their_enclosing_function():
    from mlscorecard.engine.python_libcst import analyse_with_libcst

    code = textwrap.dedent("""
        def init():
            if len(files) > 1:
                raise RuntimeError("one model only")

        class Server:
            async def predict(self, rows):
                assert len(rows) <= 64

        if score < 0.5:
            raise SystemExit(1)
    """)
    for got in (analyse_python("pkg/score.py", code, EVERYTHING), analyse_with_libcst("pkg/score.py", code, EVERYTHING)):
        assert [(g[0], g[2]) for g in got["gates"]] == [(3, "init"), (8, "predict"), (10, None)]


def test_gate_rule_leaves_out_named_functions():
    from mlscorecard.heuristics import load_heuristics
    from mlscorecard.matchers import FileView
    from mlscorecard.matchers.python import match_python_gate

    rule = next(r for r in load_heuristics().rules if r.id == "data-validation/serving-input-guard")
    for code, found in (("def init():\n    if len(files) > 1:\n        raise RuntimeError('x')\n", False),
                        ("def run(rows):\n    if len(rows) > 64:\n        raise ValueError('x')\n", True)):
        pf = analyse_python("score.py", code, EVERYTHING)
        view = FileView(path="score.py", text=code, source=code, contexts=frozenset({"serving"}), python=pf)
        assert bool(match_python_gate(rule, view)) is found


def test_test_imports_target_counts_a_submodule_imported_from_its_parent():
    from mlscorecard.matchers.python import target_text_criteria

    class Rule:
        match = {"target": {"any_of": [{"imports_any": ["sklearn.compose", "lightning"]}]}}

    imports_re = target_text_criteria(Rule)[0][1]
    for line, found in (("from sklearn import compose, ensemble", True),
                        ("from sklearn.compose import ColumnTransformer", True),
                        ("import sklearn.compose as sc", True),
                        ("import lightning as L", True),
                        ("from sklearn import composer", False),
                        ("from sklearn import ensemble  # compose", False),
                        ("from sklearn import pipeline", False)):
        assert bool(imports_re.search(line)) is found, line


def test_a_flag_bound_to_a_threshold_comparison_gates_where_it_is_checked():
    from mlscorecard.engine.python_libcst import analyse_with_libcst

    code = textwrap.dedent("""
        def is_model_accepted(metrics, lo, hi):
            metric_value = metrics["r2"]
            accepted = lo <= metric_value <= hi
            return accepted, "message"

        def main():
            accepted, message = is_model_accepted(load(), 0.4, 1.0)
            if not accepted:
                raise ModelNotAcceptedError(message)
            ok = True
            if not ok:
                raise SystemExit(1)
            passed = score > 0.9
            assert passed
    """)
    for got in (analyse_python("scripts/acceptance.py", code, EVERYTHING),
                analyse_with_libcst("scripts/acceptance.py", code, EVERYTHING)):
        assert [(g[0], g[1], g[2]) for g in got["gates"]] == [(9, "metric_value", "main"), (15, "score", "main")]


NAMED_VALUES = ["SEED", "args.seed", "cfg['seed']", "cfg[0]", "a.b[c.d].e", "int(cfg['seed'])", "cfg.get('seed', 42)",
                "os.environ.get('SEED')", "int(cfg.get('seed', 1))", "cfg[...]"]
COMPUTED_VALUES = ["int(time.time())", "seed + rank", "random.randint(0, 9)", "f().seed", "cfg[-1]", "cfg[1:2]",
                   "int(x, 16)", "cfg.get('seed', f())", "float(seed)", "int(int(a))"]


@pytest.mark.parametrize("expression", NAMED_VALUES + COMPUTED_VALUES)
def test_an_argument_held_by_a_name_is_told_from_a_computed_one_by_both_parsers(expression):
    import ast as pyast

    import libcst

    from mlscorecard.engine.python import literal
    from mlscorecard.engine.python_libcst import _literal

    want = "name" if expression in NAMED_VALUES else "expr"
    assert literal(pyast.parse(expression, mode="eval").body)[0] == want
    assert _literal(libcst.parse_expression(expression))[0] == want
