"""Fixtures of the fleet tests: writable copies of the fixture repositories (real git histories)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def fleet_repos(fixture_repos, tmp_path) -> dict[str, Path]:
    """Writable copies of the three fixture repositories."""
    out = {}
    for name, src in fixture_repos.items():
        dest = tmp_path / "repos" / name
        shutil.copytree(src, dest, symlinks=True)
        out[name] = dest
    return out
