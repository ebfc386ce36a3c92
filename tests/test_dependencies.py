"""Declared dependencies (hints, never evidence) from every common manifest."""

from __future__ import annotations

from mlscorecard.detectors.dependencies import declared_dependencies, import_name
from mlscorecard.snapshot import Snapshot


def test_every_manifest_kind():
    files = {
        "requirements.txt": "# pinned\nshap==0.46.0\n-r base.txt\nOptuna>=3\n",
        "requirements/dev.in": "great_expectations\n",
        "pyproject.toml": '[project]\ndependencies = ["mlflow>=2"]\n[project.optional-dependencies]\nfair = ["fairlearn"]\n'
                          '[tool.poetry.dependencies]\npython = "^3.11"\nevidently = "*"\n',
        "environment.yml": "name: x\ndependencies:\n  - python=3.11\n  - conda-forge::lightgbm=4.1\n  - pip:\n    - dice-ml==0.11\n",
        "Pipfile": '[packages]\nwandb = "*"\n[dev-packages]\npytest = "*"\n',
        "setup.cfg": "[options]\ninstall_requires =\n    nannyml>=0.10\n",
    }
    deps = declared_dependencies(Snapshot.from_files(files))
    assert deps["shap"] == [("requirements.txt", 2)]
    assert deps["optuna"] == [("requirements.txt", 4)]
    assert deps["great-expectations"] == [("requirements/dev.in", 1)]
    assert {"mlflow", "fairlearn", "evidently", "lightgbm", "dice-ml", "wandb", "pytest", "nannyml"} <= set(deps)
    assert "python" not in deps


def test_a_broken_manifest_is_a_warning():
    snap = Snapshot.from_files({"pyproject.toml": "[project\n", "requirements.txt": "shap\n"})
    deps = declared_dependencies(snap)
    assert "shap" in deps and snap.warnings[0].path == "pyproject.toml"


def test_import_names():
    assert import_name("scikit-learn") == "sklearn" and import_name("dice-ml") == "dice_ml"
    assert import_name("Great_Expectations") == "great_expectations"
