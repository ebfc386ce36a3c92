"""Both sides of a change, audited from git objects (nothing is checked out; bare repositories
work), and the default base: where HEAD left the default branch."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import UnusableInput

_DEFAULT_BRANCHES = ("main", "master", "origin/main", "origin/master")


def _git(path: str):
    from ..gitcmd import Git

    is_git_dir = os.path.isfile(os.path.join(path, "HEAD")) and os.path.isdir(os.path.join(path, "objects"))
    return Git(path, git_dir=path if is_git_dir else None)


def default_base(path: str, head: str) -> str:
    """The merge base of `head` with the default branch (origin/HEAD, else main, else master)."""
    from ..gitcmd import GitError

    if not os.path.isdir(path):
        raise UnusableInput(f"{path}: not a directory")
    git = _git(path)
    candidates = []
    try:
        candidates.append(git.text("rev-parse", "--abbrev-ref", "origin/HEAD").strip())
    except GitError:
        pass
    candidates.extend(_DEFAULT_BRANCHES)
    for branch in candidates:
        try:
            git.text("rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}")
            return git.text("merge-base", head, branch).strip()
        except GitError:
            continue
    raise UnusableInput(f"{path}: no default branch (origin/HEAD, main, master) shares history with {head}; "
                        "give --base REV (a shallow checkout needs fetch-depth: 0)")


def audit_json(path: str, rev: str, cache_dir: Path | None | bool, jobs: int | None = None,
               settings_from: str | None = None) -> dict[str, Any]:
    """The JSON report (schema_version 1) of `path` at `rev`, as a dict. settings_from: the
    revision whose project settings apply (the base's, for both sides of a change: a pull
    request from a fork must not be able to disable or add the rules that judge it)."""
    from ..audit import run_audit
    from ..reports.json_report import to_dict

    result = run_audit(path, rev, cache_dir=cache_dir, jobs=jobs, settings_from=settings_from)
    return to_dict(result, result.heuristics)


def _warm_cache(cache_dir: Path | None | bool) -> bool:
    if cache_dir is False:
        return False
    from ..cache import default_cache_dir

    directory = cache_dir if isinstance(cache_dir, Path) else default_cache_dir()
    return (directory / "cache.sqlite").is_file()


def _side_by_side() -> bool:
    """Whether the base side may run in a forked process while this one audits the head: only on
    a POSIX system with a second CPU, and with no other thread alive (a fork copies locks that
    another thread may hold)."""
    import multiprocessing
    import threading

    return ("fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1
            and threading.active_count() == 1)


def diff_revisions(path: str, base: str | None, head: str | None, cache_dir: Path | None | bool,
                   jobs: int | None = None, parallel: bool | None = None) -> dict[str, Any]:
    """The ResultDiff of `base`..`head` in the repository at `path`.

    With a warm cache the two sides are audited at the same time (the base in a forked process),
    so a small change costs about one warm audit, not two. With a cold cache they run one after
    the other: the second side then finds the unchanged files in the cache instead of parsing
    them again.
    """
    from ..diff import compare

    head = head or "HEAD"
    base = base or default_base(path, head)
    if parallel is None:
        parallel = _warm_cache(cache_dir) and _side_by_side()
    if not parallel:
        return compare(audit_json(path, base, cache_dir, jobs), audit_json(path, head, cache_dir, jobs, base))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
        base_future = pool.submit(audit_json, path, base, cache_dir, jobs)
        head_report = audit_json(path, head, cache_dir, jobs, base)
        base_report = base_future.result()  # an UnusableInput in the child is raised here
    return compare(base_report, head_report)


def ci_context(env) -> dict[str, Any]:
    """Where this diff was computed, when in CI: the comment step (another workflow) may need the
    pull request number, which a `workflow_run` event for a fork does not carry."""
    import json

    if env.get("GITHUB_ACTIONS") == "true":
        out: dict[str, Any] = {"host": "github"}
        if env.get("GITHUB_REPOSITORY"):
            out["repo"] = env["GITHUB_REPOSITORY"]
        try:
            with open(env.get("GITHUB_EVENT_PATH") or "", encoding="utf-8") as fh:
                number = (json.load(fh).get("pull_request") or {}).get("number")
            if isinstance(number, int) and number > 0:
                out["pr"] = number
        except (OSError, ValueError, AttributeError):
            pass
        return out
    if env.get("GITLAB_CI") == "true":
        out = {"host": "gitlab"}
        if env.get("CI_PROJECT_PATH"):
            out["repo"] = env["CI_PROJECT_PATH"]
        if env.get("CI_MERGE_REQUEST_IID", "").isdigit() and int(env["CI_MERGE_REQUEST_IID"]) > 0:
            out["pr"] = int(env["CI_MERGE_REQUEST_IID"])
        return out
    return {}
