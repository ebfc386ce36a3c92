import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gitrepo import build_fixture, make_repo  # noqa: E402


@pytest.fixture(autouse=True)
def _environment_restored():
    """Every test leaves os.environ as it found it. Libraries change it behind a test's back
    (Dask's LocalCluster sets MALLOC_TRIM_THRESHOLD_, OMP_NUM_THREADS, PYTHONHASHSEED in its
    parent), and every later subprocess — the hostile corpus measures their memory — would
    inherit that."""
    import os

    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """No test reads or writes the user's cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture(scope="session")
def fixture_repos(tmp_path_factory):
    base = tmp_path_factory.mktemp("fixture-repos")
    return {name: build_fixture(name, base) for name in ("research-script", "tested-training", "production-service")}


@pytest.fixture
def repo_factory(tmp_path):
    counter = iter(range(1000))

    def make(history, **kw):
        return make_repo(tmp_path / f"repo{next(counter)}", history, **kw)

    return make
