"""Helpers of the fleet tests: the `fleet` click group driven by CliRunner, a store reader, a
commit maker, and the processes a fleet client started. (A module of its own, not conftest, so
the import never depends on which conftest.py pytest loaded last.)"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from click.testing import CliRunner

from gitrepo import git
from mlscorecard.fleet.cli import fleet


def fleet_cli(*args: str, code: int = 0):
    result = CliRunner().invoke(fleet, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, (result.exit_code, result.output)
    return result


def rows(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return list(conn.execute(sql, params))


def commit_file(repo: Path, rel: str, text: str, subject: str) -> str:
    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
    (repo / rel).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", subject)
    return git(repo, "rev-parse", "HEAD")


def audits_of(parent_pid: int) -> list[int]:
    """Processes started by the fleet client PARENT_PID (their environment names it)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            env = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"MLSCORECARD_FLEET_PARENT={parent_pid}".encode() in env:
            found.append(int(proc.name))
    return found
