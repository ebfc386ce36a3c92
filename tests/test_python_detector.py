"""The Python detector: names resolved through imports, tests and placeholders, pre-filter."""

from __future__ import annotations

import textwrap

from mlscorecard.detectors.python_code import _Interest, analyse_python, is_test_context, module_name

EVERYTHING = _Interest(["*"], {"random_state"})


def facts(code: str, path: str = "pkg/train.py") -> dict:
    return analyse_python(path, textwrap.dedent(code), EVERYTHING)


def calls(code: str, path: str = "pkg/train.py") -> list[tuple[str, int]]:
    return [(c[0], c[1]) for c in facts(code, path)["calls"]]


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
    (call,) = facts("""
        from sklearn.model_selection import train_test_split
        a = train_test_split(
            x, y,
            random_state=42,
        )
    """)["calls"]
    assert call[0] == "sklearn.model_selection.train_test_split"
    assert call[4]["random_state"] == "int" and call[5] == {"random_state": 5}


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
