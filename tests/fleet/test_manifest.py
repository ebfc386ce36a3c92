"""FLEET.yaml and command-line fleets: what is accepted, and one clear line for what is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet_helpers import fleet_cli
from mlscorecard.fleet.manifest import ManifestError, entries_from_args, fleet_digest, load_manifest


def test_manifest_entries_defaults_and_relative_paths(tmp_path):
    (tmp_path / "FLEET.yaml").write_text(
        "defaults: {branch: main, timeout: 30}\n"
        "repositories:\n"
        "  - path: mirrors/churn.git\n"
        "  - url: https://git.example.com/ml/ranker.git\n"
        "    rev: v2.1\n"
        "    confirmations: conf/ranker.yml\n"
        "  - url: file:///srv/x/repo\n"
        "    name: x\n"
        "    branch: release\n")
    churn, ranker, x = load_manifest(tmp_path / "FLEET.yaml")
    assert (churn.name, churn.source, churn.is_url, churn.rev, churn.timeout) == (
        "churn", str(tmp_path / "mirrors/churn.git"), False, "main", 30.0)
    assert (ranker.name, ranker.is_url, ranker.rev, ranker.confirmations) == (
        "ranker", True, "v2.1", str(tmp_path / "conf/ranker.yml"))
    assert (x.name, x.rev) == ("x", "release")
    assert fleet_digest([churn, ranker, x]) != fleet_digest([churn, ranker])


def test_command_line_sources_and_mirror_names(tmp_path):
    a, b = entries_from_args([str(tmp_path / "org+model/repo"), "file:///srv/b.git"])
    assert (a.name, a.is_url) == ("org+model", False)
    assert (b.name, b.is_url) == ("b", True)


@pytest.mark.parametrize("text, message", [
    ("repositories:\n  - path: a\n    colour: red\n", "repositories[0]: unknown key 'colour'"),
    ("repositories:\n  - path: a\n  - {path: b, url: file:///b}\n", "repositories[1]: give exactly one of 'path' or 'url'"),
    ("repositories:\n  - {path: a, timeout: -1}\n", "repositories[0]: key 'timeout' must be a positive number"),
    ("repositories:\n  - {path: a, branch: x, rev: y}\n", "repositories[0]: give 'branch' or 'rev', not both"),
    ("repositories:\n  - path: one/a\n  - path: two/a\n", "repository 'a': the name is used twice"),
    ("defaults: {nme: x}\nrepositories: [a]\n", "defaults: unknown key 'nme'"),
    ("repositories: []\n", "the fleet has no repositories"),
    ("repositories: [a\n", "not valid YAML at line"),
    ("- 3\n", "repositories[0]: expected a mapping"),
])
def test_bad_manifest_is_one_line_naming_entry_and_key(tmp_path, text, message):
    path = tmp_path / "FLEET.yaml"
    path.write_text(text)
    with pytest.raises(ManifestError, match=None) as err:
        load_manifest(path)
    assert message in str(err.value) and "\n" not in str(err.value)
    result = fleet_cli("run", path, "--db", tmp_path / "h.sqlite", code=2)
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert not (tmp_path / "h.sqlite").exists()  # nothing started


def test_usage_errors_exit_2(tmp_path):
    assert "give a FLEET.yaml" in fleet_cli("run", "--db", tmp_path / "h.sqlite", code=2).stderr
    assert "tcp://HOST:PORT" in fleet_cli("run", str(tmp_path), "--scheduler", "nowhere", code=2).stderr
    missing = tmp_path / "none.sqlite"
    assert "no such database" in fleet_cli("report", "--db", missing, code=2).stderr
    assert not Path(missing).exists()
