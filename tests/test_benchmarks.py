"""The benchmark scripts run: each compiles, and the speed comparison completes on a small real
repository (one round). Their figures are measurements, so nothing here asserts a time."""

from __future__ import annotations

import py_compile
import subprocess
import sys
from pathlib import Path

import pytest

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
