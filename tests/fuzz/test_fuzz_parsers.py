"""Property-based fuzzing of every reader of untrusted text (hypothesis).

Each target builds an in-memory repository whose one file is a document of random shape — a
valid document of its format with one part replaced by a random value of any type, or a random
document outright — and runs the whole audit and every report format on it. The property: the
audit finishes; anything wrong with the file is an AuditWarning in the report, never an exception.

Brief in the normal suite; longer with MLSCORECARD_FUZZ_EXAMPLES (see the README's promises):

    MLSCORECARD_FUZZ_EXAMPLES=2000 python -m pytest tests/fuzz -q
"""

from __future__ import annotations

import json
import os

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlscorecard.audit import audit_snapshot
from mlscorecard.heuristics import load_heuristics
from mlscorecard.model import AuditWarning
from mlscorecard.reports import FORMATS, render
from mlscorecard.snapshot import Snapshot

EXAMPLES = int(os.environ.get("MLSCORECARD_FUZZ_EXAMPLES", "15"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("MLSCORECARD_FUZZ_EXAMPLES"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# words the readers look for, so random documents reach deep into them
KEYS = ["on", "jobs", "steps", "run", "uses", "with", "script", "stages", "include", "extends", "template",
        "trigger", "pr", "schedules", "schedule", "phases", "commands", "args", "entrypoint", "name", "env",
        "needs", "workflows", "workflow_call", "pull_request", "push", "branches", "cron", "hooks", "repos",
        "entry", "cmd", "deps", "outs", "stages", "entry_points", "command", "dependencies", "pip", "_target_",
        "defaults", "cells", "source", "outputs", "cell_type", "nbformat", "worksheets", "input", "level",
        "score", "by", "date", "commit", "note", "links", "not_applicable", "reason", "confirmations",
        "items", "pipelines", "pipeline", "default", "build", "install", "pre_build", "post_build",
        "Resources", "Type", "Properties", "Stages", "Actions", "Configuration", "BuildSpec", "parameters",
        "variables", "pool", "job", "task", "inputs", "local", "project", "image", "before_script",
        "after_script", "rules", "only", "except", "when", "matrix", "strategy", "container", "services"]
SCALARS = (st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40)
           | st.sampled_from(["python train.py", "pytest tests", "make test", "./run.sh", "tox -e py", "${{ x }}",
                              "- -", "*", "&a", "!!python/object:os.system", "~", "0x10", "1e400"]))
KEY = st.sampled_from(KEYS) | st.text(max_size=12)
VALUES = st.recursive(SCALARS, lambda c: st.lists(c, max_size=5) | st.dictionaries(KEY, c, max_size=5),
                      max_leaves=25)

VALID = {
    ".github/workflows/ci.yml": {"on": {"push": {"branches": ["main"]}, "pull_request": None,
                                        "schedule": [{"cron": "0 0 * * 0"}]},
                                 "jobs": {"test": {"runs-on": "ubuntu-latest", "needs": ["lint"],
                                                   "strategy": {"matrix": {"py": ["3.11"]}},
                                                   "steps": [{"uses": "actions/checkout@v4"},
                                                             {"uses": "./.github/actions/setup"},
                                                             {"run": "pip install -e .\npytest tests"},
                                                             {"run": "make test", "working-directory": "src"}]},
                                          "call": {"uses": "./.github/workflows/ci.yml"}}},
    ".gitlab-ci.yml": {"include": [{"local": ".gitlab-ci.yml"}, "ci/other.yml"], "stages": ["test", "deploy"],
                       ".base": {"script": ["pytest"]},
                       "test": {"stage": "test", "extends": ".base", "script": ["python -m pytest tests"],
                                "rules": [{"if": "$CI_PIPELINE_SOURCE == 'merge_request_event'"}]},
                       "deploy": {"stage": "deploy", "script": "kubectl apply -f k8s/", "when": "manual"}},
    "azure-pipelines.yml": {"trigger": {"branches": {"include": ["main"]}}, "pr": ["main"],
                            "schedules": [{"cron": "0 0 * * *", "branches": {"include": ["main"]}}],
                            "stages": [{"stage": "t", "jobs": [{"job": "j", "steps": [
                                {"script": "pytest"}, {"template": "azure-pipelines.yml"},
                                {"task": "AzureCLI@2", "inputs": {"inlineScript": "az ml job create -f job.yml"}}]}]}]},
    ".circleci/config.yml": {"version": 2.1, "jobs": {"t": {"docker": [{"image": "python"}],
                                                           "steps": ["checkout", {"run": "pytest"},
                                                                     {"run": {"command": "make test"}}]}},
                             "workflows": {"w": {"jobs": ["t", {"t": {"filters": {"branches": {"only": "main"}}}}],
                                                 "triggers": [{"schedule": {"cron": "0 0 * * *"}}]}}},
    ".travis.yml": {"language": "python", "script": ["pytest"], "install": "pip install ."},
    "bitbucket-pipelines.yml": {"pipelines": {"default": [{"step": {"script": ["pytest"]}}],
                                              "pull-requests": {"**": [{"step": {"script": ["make test"]}}]}}},
    ".pre-commit-config.yaml": {"repos": [{"repo": "local", "hooks": [{"id": "t", "entry": "pytest", "language": "system"}]}]},
    "buildspec.yml": {"version": 0.2, "phases": {"install": {"commands": ["pip install ."]},
                                                  "build": {"commands": ["pytest", "python train.py"]}}},
    "cloudbuild.yaml": {"steps": [{"name": "python", "entrypoint": "bash", "args": ["-c", "pytest"]},
                                  {"name": "gcr.io/cloud-builders/gcloud", "args": ["ai", "models", "upload"]}]},
    ".buildkite/pipeline.yml": {"steps": [{"command": "pytest"}, {"commands": ["make test"]}]},
    "pipeline.yaml": {"Resources": {"P": {"Type": "AWS::CodePipeline::Pipeline", "Properties": {"Stages": [
        {"Name": "b", "Actions": [{"ActionTypeId": {"Provider": "CodeBuild"},
                                   "Configuration": {"ProjectName": {"Ref": "B"}}}]}]}},
        "B": {"Type": "AWS::CodeBuild::Project", "Properties": {"Source": {"BuildSpec": "buildspec.yml"}}}}},
    "dvc.yaml": {"stages": {"train": {"cmd": "python train.py", "deps": ["data"], "outs": ["model.pkl"]}}},
    "MLproject": {"name": "p", "entry_points": {"main": {"command": "python train.py --seed 1",
                                                        "parameters": {"seed": {"type": "int", "default": 1}}}}},
    "environment.yml": {"name": "e", "dependencies": ["python=3.11", "numpy==1.26", {"pip": ["torch==2.1", "-e ."]}]},
    "conf/config.yaml": {"defaults": ["_self_", {"model": "net"}],
                         "model": {"_target_": "sklearn.model_selection.GridSearchCV", "cv": 5},
                         "seed": 42, "trainer": {"_target_": "lightning.Trainer", "deterministic": True}},
    ".mlscorecard.yml": {"confirmations": {"infra-1": {"level": "automated", "by": "ada", "date": "2026-01-01",
                                                        "commit": "0" * 40, "evidence": ["train.py"], "note": "n"},
                                            "operations.roi": {"score": 2, "links": ["https://x"]},
                                            "monitor-1": {"not_applicable": True, "reason": "r"}}},
    "action.yml": {"runs": {"using": "composite", "steps": [{"run": "pytest", "shell": "bash"}]}},
}


def _paths(doc, prefix=()):
    """Every place in a document where a value can be replaced."""
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


def _replace(doc, path, value):
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        return {**doc, head: _replace(doc[head], rest, value)}
    out = list(doc)
    out[head] = _replace(doc[head], rest, value)
    return out


@st.composite
def mutated(draw, valid):
    """A valid document with one part replaced by a random value (or the whole, sometimes)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(VALUES)
    where = draw(st.sampled_from(list(_paths(valid))))
    return _replace(valid, where, draw(VALUES))


def _dump(doc) -> str:
    try:
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, ValueError, OverflowError):
        return json.dumps(doc, default=str)


HEUR = load_heuristics()
SUPPORT = {  # other files that make the readers follow references
    "train.py": "import torch\ntorch.manual_seed(0)\n",
    "tests/test_model.py": "from train import f\n\ndef test_f():\n    assert f() == 1\n",
    "Makefile": "test:\n\tpytest tests\n",
    "job.yml": "command: python train.py\n",
    "ci/other.yml": "include: '.gitlab-ci.yml'\nt2:\n  script: [make test]\n",
}


def audit_files(files: dict[str, str | bytes]) -> None:
    """The property: the whole audit and every format complete; problems are warnings."""
    result = audit_snapshot(Snapshot.from_files({**SUPPORT, **files}), HEUR, cache=None, jobs=1)
    assert all(isinstance(w, AuditWarning) and isinstance(w.message, str) for w in result.warnings)
    for fmt in FORMATS:
        assert render(fmt, result, HEUR)


@pytest.mark.parametrize("path", sorted(VALID))
@FUZZ
@given(data=st.data())
def test_yaml_readers_take_any_shape(path, data):
    doc = data.draw(mutated(VALID[path]))
    audit_files({path: _dump(doc)})


NOTEBOOK = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
            "cells": [{"cell_type": "code", "source": ["import torch\n", "torch.manual_seed(0)\n"],
                       "outputs": [{"output_type": "stream", "text": ["ok\n"]}], "metadata": {},
                       "execution_count": 1},
                      {"cell_type": "markdown", "source": "# Title\nWe monitor drift.", "metadata": {}}]}
NOTEBOOK_V3 = {"nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code", "input": "import numpy",
                                                          "outputs": []}]}]}


@FUZZ
@given(doc=mutated(NOTEBOOK) | mutated(NOTEBOOK_V3))
def test_notebook_reader_takes_any_shape(doc):
    audit_files({"analysis.ipynb": json.dumps(doc, default=str)})


LINE = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60) | st.sampled_from([
    "numpy==1.26", "torch>=2; python_version>'3.8'", "-r other.txt", "-e .", "git+https://x/y.git#egg=y",
    "--hash=sha256:00", "-c constraints.txt", "[tool.pytest.ini_options]", "[project]", "dependencies = [",
    "\"numpy\",", "]", "[options]", "install_requires =", "  numpy", "[testenv]", "commands = pytest",
    "*.py @org/team", "/models/ @ml", "[", "= =", "\\", "\"\"\"", "'''", "[[tool.x]]", "a = {b = 1", "test:",
    "\tpytest", "include other.mk", "$(MAKE) test", "pipeline { stages { stage('t') { steps { sh 'pytest' } } } }"])
TEXT = st.lists(LINE, max_size=15).map("\n".join)
TEXT_FILES = ["requirements.txt", "requirements-dev.txt", "pyproject.toml", "setup.cfg", "tox.ini", "CODEOWNERS",
              ".github/CODEOWNERS", "Makefile", "Jenkinsfile", "justfile", "noxfile.py", "setup.py", "README.md",
              "run.sh", "other.txt", "constraints.txt", "pytest.ini", ".mlscorecard.yml"]


@pytest.mark.parametrize("path", TEXT_FILES)
@FUZZ
@given(text=TEXT)
def test_text_readers_take_any_text(path, text):
    audit_files({path: text})


PY_TOKENS = st.sampled_from([
    "import torch", "from . import x", "from .. import y", "torch.manual_seed(", "np.random.seed(42)", "def test_a():",
    "    assert", " model.predict(x) ", "==", ">", "if acc < 0.9:", "    raise SystemExit(1)", "sys.exit(", "(", ")",
    "[", "]", "{", "}", ":", ",", "lambda:", "async def f():", "    await", "class A:", "@pytest.fixture", "yield",
    "match x:", "    case 1:", "type X = int", "def f[T](x: T): ...", "print 'py2'", "\\", "'''", "\"", "#",
    "# -*- coding: latin-1 -*-", "\t", "    ", "\n", "x = 1 or 2 or 3", "f(*a, **k)", "a.b.c.d()", "0xff",
    "@", "not", "is", "in", "mlflow.log_metric('auc', auc)", "GridSearchCV(", "train_test_split(", "%timeit"])
PYTHON = st.lists(PY_TOKENS | st.text(max_size=8), max_size=40).map(" ".join) | \
    st.lists(PY_TOKENS, max_size=40).map("\n".join)


@FUZZ
@given(source=PYTHON)
def test_python_reader_takes_any_source(source):
    audit_files({"src/model.py": source, "tests/test_fuzz.py": source})


@FUZZ
@given(data=st.binary(max_size=300))
def test_any_bytes_in_any_reader(data):
    audit_files({p: data for p in ("src/x.py", "a.ipynb", ".github/workflows/x.yml", "requirements.txt",
                                   "pyproject.toml", ".gitlab-ci.yml", "CODEOWNERS", "Makefile")})
