"""Getting each repository's git objects without running anything from it.

A local path or bare mirror is used as it is. A git URL is cloned bare into the cache directory
once and fetched on later runs: a bare clone has no work tree (nothing checked out, so no
filters or attributes run), no submodules, and `core.hooksPath=/dev/null` so not even our own
hooks could run. Credentials in a URL never appear in a message: `redact_url` strips them.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://)[^/@\s]*@")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
NO_HOOKS = ["--config", "core.hooksPath=/dev/null"]


class SourceError(Exception):
    """The repository cannot be cloned, fetched or opened; the message is safe to show."""


def redact_url(text: str) -> str:
    """Any `scheme://user:token@` in the text becomes `scheme://***@`."""
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)


def git_environment() -> dict[str, str]:
    """No prompt can make a fleet run wait for a password nobody will type, and the audit's safe
    git settings (no fsmonitor, hooks, pagers or signature programs) hold for clones and fetches
    too; they are added after any GIT_CONFIG_* settings of the user's own (credentials, insteadOf)."""
    from ..gitcmd import SAFE_GIT_CONFIG

    env = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/false", "GCM_INTERACTIVE": "never"}
    if "GIT_SSH_COMMAND" not in os.environ:
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
    try:
        first = int(os.environ.get("GIT_CONFIG_COUNT") or 0)
    except ValueError:
        first = 0
    safe = {k: v for k, v in SAFE_GIT_CONFIG.items() if k not in ("protocol.allow", "core.sshCommand")}
    for n, (key, value) in enumerate(safe.items(), start=first):
        env[f"GIT_CONFIG_KEY_{n}"] = key
        env[f"GIT_CONFIG_VALUE_{n}"] = value
    env["GIT_CONFIG_COUNT"] = str(first + len(safe))
    return env


def clone_dir(cache_root: Path, url: str) -> Path:
    """Where the bare clone of a URL lives: readable name plus a hash of the exact URL."""
    tail = _SAFE.sub("-", redact_url(url).rstrip("/").rsplit("/", 1)[-1])[:60] or "repo"
    return cache_root / f"{tail}-{hashlib.sha256(url.encode()).hexdigest()[:12]}"


@contextmanager
def _locked(path: Path):
    """One clone or fetch of a URL at a time (two entries may share a URL at different revs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _git_failure(action: str, url: str, exc: Exception) -> SourceError:
    """git's own complaint (its first `fatal:` line), with any credential in it removed."""
    stderr = str(getattr(exc, "stderr", "") or exc)
    lines = [ln.strip().removeprefix("stderr:").strip().strip("'\"").strip() for ln in stderr.splitlines()]
    lines = [ln for ln in lines if ln]
    detail = next((ln for ln in lines if ln.startswith(("fatal:", "error:"))), lines[-1] if lines else type(exc).__name__)
    detail = redact_url(detail.replace(url, redact_url(url)))
    return SourceError(f"cannot {action} {redact_url(url)}: {detail[:200]}")


def fetch_url(url: str, cache_root: Path) -> Path:
    """A bare clone of the URL in the cache, brought up to date; returns its path."""
    import git

    dest = clone_dir(cache_root, url)
    env = git_environment()
    with _locked(dest):
        if (dest / "HEAD").is_file():
            try:
                repo = git.Repo(dest)
                with repo.git.custom_environment(**env):
                    repo.git.fetch("--prune", "--update-head-ok", "--no-recurse-submodules", "origin",
                                   "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
                return dest
            except Exception as exc:  # noqa: BLE001 - any git failure is this repository's failure
                raise _git_failure("fetch", url, exc) from None
        tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=cache_root))
        try:
            git.Repo.clone_from(url, tmp / "repo", bare=True, env=env, allow_unsafe_options=True,  # our own --config
                                multi_options=["--no-recurse-submodules", *NO_HOOKS])
            (tmp / "repo").rename(dest)  # a clone killed half-way never looks complete
        except Exception as exc:  # noqa: BLE001
            raise _git_failure("clone", url, exc) from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def resolve_commit(path: str, rev: str | None) -> str | None:
    """The commit an audit of PATH at REV would read (the same lookup as `Snapshot.open`, with
    the same safe git environment), or None for a plain directory or one the audit itself will
    reject with a clear message."""
    from ..gitcmd import Git, GitError
    from ..snapshot import is_git_dir

    root = os.path.realpath(path)
    if is_git_dir(root):
        git = Git(root, git_dir=root)  # bare repository or mirror, possibly without a config file
    else:
        git = Git(root)
        try:
            top = git.text("rev-parse", "--show-toplevel").strip()
        except GitError:
            return None
        if os.path.realpath(top) != root:
            return None  # inside another repository: audited as a plain directory
    try:
        return git.text("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev or 'HEAD'}^{{commit}}").strip() or None
    except GitError:
        return None


def local_path(source: str) -> str:
    if not Path(source).exists():
        raise SourceError(f"{source}: no such file or directory")
    return source
