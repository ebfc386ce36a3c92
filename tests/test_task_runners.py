"""Task runners followed from a CI step to the test files their tasks run."""

from __future__ import annotations

import textwrap

import pytest

from mlscorecard.detectors.ci import detect_ci
from mlscorecard.snapshot import Snapshot

TESTS = {"tests/test_model.py": "def test_a():\n    assert f() == 1\n", "src/train.py": "print(1)\n"}


def runs(step: str, files: dict[str, str]) -> set[str]:
    workflow = textwrap.dedent(f"""
        on: push
        jobs:
          ci:
            runs-on: ubuntu-latest
            steps:
              - run: {step}
    """)
    snap = Snapshot.from_files({**TESTS, ".github/workflows/ci.yml": workflow,
                                **{k: textwrap.dedent(v) for k, v in files.items()}})
    ci = detect_ci(snap)
    return {p for p in ci.executions if ci.automated_by(p)}


CASES = {
    "mise": ("mise run check", {"mise.toml": """
        [tasks.check]
        depends = ["check:tests"]
        [tasks."check:tests"]
        run = "uv run pytest tests"
        [tasks.train]
        run = ["python src/train.py"]
    """}),
    "mise alias": ("mise run t", {"mise.toml": """
        [tasks.test]
        alias = "t"
        run = "pytest tests"
    """}),
    "pixi": ("pixi run -e ci-py311 tests -n 3", {"pyproject.toml": """
        [tool.pixi.feature.tests.tasks]
        tests = { cmd = "pytest tests" }
    """}),
    "pixi.toml": ("pixi run test", {"pixi.toml": """
        [tasks]
        test = "pytest tests"
    """}),
    "just": ("just ci", {"justfile": """
        ci: lint test

        lint:
            ruff check .

        test:
            pytest tests
    """}),
    "poe": ("poetry run poe test", {"pyproject.toml": """
        [tool.poe.tasks]
        test = "pytest tests"
    """}),
    "poe sequence": ("poe all", {"pyproject.toml": """
        [tool.poe.tasks]
        lint = "ruff check ."
        unit = {cmd = "pytest tests"}
        all = {sequence = ["lint", "unit"]}
    """}),
    "hatch": ("hatch run test:cov", {"pyproject.toml": """
        [tool.hatch.envs.test.scripts]
        cov = "pytest --cov tests {args}"
    """}),
    "taskfile": ("task test", {"Taskfile.yml": """
        version: "3"
        tasks:
          test:
            deps: [lint]
            cmds:
              - pytest tests
          lint:
            cmds: [ruff check .]
    """}),
    "nox": ("nox -s tests", {"noxfile.py": """
        import nox

        @nox.session(python=["3.11"])
        def tests(session):
            session.install("-e", ".")
            session.run("pytest", "tests")
    """}),
    "invoke": ("invoke test", {"tasks.py": """
        from invoke import task

        @task
        def test(c):
            c.run("pytest tests")
    """}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_task_runner_step_reaches_the_tests(name):
    step, files = CASES[name]
    assert "tests/test_model.py" in runs(step, files), name


def test_mise_tasks_reach_scripts_too():
    step, files = CASES["mise"]
    assert runs("mise run train", files) == {"src/train.py"}


def test_an_unknown_task_or_a_cycle_runs_nothing():
    assert runs("mise run missing", CASES["mise"][1]) == set()
    cycle = {"mise.toml": """
        [tasks.a]
        depends = ["b"]
        run = "pytest tests"
        [tasks.b]
        depends = ["a"]
    """}
    assert runs("mise run a", cycle) == {"tests/test_model.py"}


def test_a_noxfile_is_parsed_never_run():
    files = {"noxfile.py": "import os\nos.system('touch /tmp/pwned')\n@nox.session\ndef tests(session):\n"
                           "    session.run('pytest', 'tests')\n"}
    assert runs("nox", files) == {"tests/test_model.py"}


def test_nox_session_names_python_versions_and_spread_arguments():
    # BentoML's shape: `@nox.session(python=VERSIONS, name="unit")`, run as `nox -s unit-3.10`,
    # with the pytest command spread from a module-level list
    files = {"noxfile.py": """
        import nox

        TEST_ARGS = ["pytest", "--cov=pkg", "-vv"]

        @nox.session(python=["3.10", "3.11"], name="unit")
        def run_unittest(session):
            session.run(*TEST_ARGS, "-n", "auto", "tests")

        @nox.session(name="train")
        def run_training(session, framework):
            session.run("python", "src/train.py")
    """}
    assert runs("nox --session unit-3.10", files) == {"tests/test_model.py"}
    assert runs("nox -s \"train(framework='x')\"", files) == {"src/train.py"}
    assert runs("nox -s run_unittest", files) == {"tests/test_model.py"}
    assert runs("nox", files) == {"tests/test_model.py", "src/train.py"}
