"""Notebooks: code cells analysed like Python, magics skipped, evidence pointing at the cell."""

from __future__ import annotations

import json

import pytest

from mlscorecard.audit import audit_snapshot
from mlscorecard.engine.notebooks import NotebookError, notebook_source
from mlscorecard.heuristics import load_heuristics
from mlscorecard.snapshot import Snapshot

HEUR = load_heuristics()


def nb(*cells: tuple[str, str]) -> str:
    return json.dumps({"nbformat": 4, "cells": [
        {"cell_type": kind, "source": src.splitlines(keepends=True), "metadata": {}} for kind, src in cells]})


def test_code_cells_and_their_lines():
    src = notebook_source(nb(("markdown", "# Title"), ("code", "import numpy as np\n"), ("code", "x = 1\nnp.random.seed(3)")))
    assert src.cell_numbers == [2, 3]
    assert src.locate(3) == (3, 1) and src.locate(4) == (3, 2)


def test_magics_become_pass_and_cell_magics_blank_the_cell():
    src = notebook_source(nb(("code", "%matplotlib inline\n!pip install torch\nfor i in range(3):\n    %time f(i)\ndf?"),
                             ("code", "%%bash\necho hi")))
    assert src.source.splitlines() == ["pass", "pass", "for i in range(3):", "    pass", "pass", "", ""]


def test_cell_magics_that_run_python_keep_their_body():
    src = notebook_source(nb(("code", "%%time\nfrom sklearn.metrics import classification_report\nprint(1)"),
                             ("code", "%%capture out\nmodel.fit(X, y)"), ("code", "%%sql\nSELECT 1")))
    assert src.source.splitlines() == ["", "from sklearn.metrics import classification_report", "print(1)",
                                       "", "model.fit(X, y)", "", ""]


def test_shell_and_magic_assignments_keep_their_name():
    src = notebook_source(nb(("code", "if x:\n    out = !gcloud config list 2>/dev/null\n    t = %timeit -o f()\n"
                                      "ok = a != b\nsame = a == !b")))
    assert src.source.splitlines() == ["if x:", "    out = None", "    t = None", "ok = a != b", "same = a == !b"]


def test_automagic_lines_without_a_percent_sign():
    src = notebook_source(nb(("code", "pip install -r requirements.txt\ncd data\nls = [1]\nenv = dict(a=1)\nimport re")))
    assert src.source.splitlines() == ["pass", "pass", "ls = [1]", "env = dict(a=1)", "import re"]


def test_magic_lines_continued_with_a_backslash():
    src = notebook_source(nb(("code", "!gcloud functions deploy f \\\n    --region={REGION} \\\n    --runtime=python39\nx = 1")))
    assert src.source.splitlines() == ["pass", "", "", "x = 1"]


def test_a_question_mark_in_a_comment_is_not_help():
    src = notebook_source(nb(("code", "env = {\n    'metrics': 'Disabled',  # why?\n}\nlen??")))
    assert src.source.splitlines() == ["env = {", "    'metrics': 'Disabled',  # why?", "}", "pass"]


@pytest.mark.parametrize("text,message", [
    ("{not json", "not valid JSON"),
    (json.dumps({"cells": [{"cell_type": "markdown", "source": "hi"}]}), "no code cells"),
    (json.dumps(["a list"]), "no cells"),
])
def test_bad_notebooks_raise(text, message):
    with pytest.raises(NotebookError, match=message):
        notebook_source(text)


def test_audit_points_at_the_notebook_cell_and_warns_about_bad_ones():
    files = {
        "notebooks/train.ipynb": nb(("markdown", "intro"), ("code", "!pip install torch\nimport torch"),
                                    ("code", "torch.manual_seed(0)")),
        "notebooks/broken.ipynb": "{",
        "notebooks/empty.ipynb": nb(("markdown", "only words")),
    }
    result = audit_snapshot(Snapshot.from_files(files), HEUR)
    assert result.facts["seeds"] == [{"path": "notebooks/train.ipynb", "line": 1, "cell": 3, "call": "torch.manual_seed"}]
    (ev,) = result.rubrics["ml-test-score"].items["infra-1"].evidence
    assert (ev.path, ev.cell, ev.line) == ("notebooks/train.ipynb", 3, 1)
    messages = {w.path: w.message for w in result.warnings}
    assert messages["notebooks/broken.ipynb"].startswith("not valid JSON")
    assert messages["notebooks/empty.ipynb"] == "no code cells; skipped"


def test_a_writefile_cell_is_the_python_it_writes():
    nb = notebook_source(json.dumps({"cells": [
        {"cell_type": "code", "source": "%%writefile src/train.py\nimport numpy as np\nnp.random.seed(40)\n"},
        {"cell_type": "code", "source": "%%writefile run.sh\npython src/train.py\n"},
    ]}))
    lines = nb.source.splitlines()
    assert lines[:3] == ["", "import numpy as np", "np.random.seed(40)"]
    assert "python src/train.py" not in nb.source


def test_a_cell_that_is_not_python_is_skipped_and_the_rest_still_counts():
    text = nb(("code", "import numpy as np\n"), ("code", "[path] = !ls -td ./runs/* | head -1\ndef broken(:\n"),
              ("code", "np.random.seed(40)\n"))
    result = audit_snapshot(Snapshot.from_files({"notebooks/run.ipynb": text}), HEUR)
    assert [(s["path"], s["cell"]) for s in result.facts["seeds"]] == [("notebooks/run.ipynb", 3)]
    assert [w.message for w in result.warnings] == ["cell 2: syntax error at line 4: invalid syntax; cell skipped"]


def test_a_list_target_takes_a_shell_result():
    src = notebook_source(nb(("code", "[path] = !ls -td ./runs/* | head -1\nprint(path)\n")))
    assert src.source.splitlines()[0] == "[path] = None"
