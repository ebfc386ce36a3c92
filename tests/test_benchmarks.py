"""The benchmark scripts run: each compiles, and the speed comparison completes on a small real
repository (one round). Their figures are measurements, so nothing here asserts a time."""

from __future__ import annotations

import functools
import py_compile
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gitrepo import fixture_files, make_repo

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize("script", sorted(p.name for p in BENCHMARKS.glob("*.py")))
def test_every_benchmark_compiles(script, tmp_path):
    py_compile.compile(str(BENCHMARKS / script), cfile=str(tmp_path / "out.pyc"), doraise=True)


def test_speed_vs_floor_prints_a_row_of_ratios(tmp_path):
    files = {k: v.decode() for k, v in fixture_files("tested-training").items()}
    repo = make_repo(tmp_path / "small", [{"subject": "first", "files": files},
                                         {"subject": "second", "files": {"NOTES.md": "more\n"}}])
    out = subprocess.run([sys.executable, str(BENCHMARKS / "speed_vs_floor.py"), str(repo), "--rounds", "1",
                          "--back", "1"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    header, row = out.stdout.splitlines()[:2]
    assert header.split()[:3] == ["repository", "files", "floor"]
    cells = row.split()
    assert cells[0] == "small" and int(cells[1]) == len(files) + 1
    ratios = [float(c) for c in cells[3:8]]  # cold s, cold x, warm x, files x, HEAD~1 x
    assert all(r > 0 for r in ratios)
    assert cells[8] == "n/a" or int(cells[8]) >= 0  # peak MiB (0 where /proc hides PSS)


@functools.cache
def _label_module():
    """benchmarks/check_labels.py, loaded once for all the label tests (it is a script, not a module)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_labels", BENCHMARKS / "check_labels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LABELS = sorted((BENCHMARKS / "labels").glob("*/*.yaml"))


@pytest.mark.parametrize("label", LABELS, ids=[f"{p.parent.name}/{p.stem}" for p in LABELS])
def test_every_label_in_the_project_is_well_formed(label):
    assert _label_module().problems(label) == []


def test_a_broken_label_is_told_apart(tmp_path):
    check = _label_module()
    good = yaml.safe_load(LABELS[0].read_text(encoding="utf-8"))
    bad = dict(good, commit="abc123")
    bad["ml-test-score"] = {k: v for k, v in good["ml-test-score"].items() if k != "data-1"}
    bad["ml-test-score"]["model-1"] = dict(good["ml-test-score"]["model-1"], level="partly")
    bad["robustness"] = dict(good["robustness"], **{"data.quality": {"score": 5, "evidence": ["a b:x"], "note": ""}})
    path = tmp_path / f"{good['repo'].replace('/', '+')}.yaml"
    path.write_text(yaml.safe_dump(bad), encoding="utf-8")
    found = check.problems(path)
    assert "commit is not a full 40-hex id" in found
    assert "ml-test-score data-1 is missing" in found
    assert "model-1 level 'partly' is not valid" in found
    assert "data.quality score 5 is not valid" in found and "data.quality has no note" in found
    assert any("data.quality evidence" in p for p in found)
    assert check.main([str(path)]) == 1 and check.main([str(LABELS[0])]) == 0
