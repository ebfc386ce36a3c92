"""Running git on an audited repository without letting the repository run anything.

Every call passes environment overrides for each setting a repository's own config could use to
start a program of its choosing (signature checks in `git log`, the fsmonitor hook, external
diff, pagers, hooks, ssh). Overrides in the environment take precedence over the repository's
config files, and the user's own git config is never touched.

Listing, history, revision lookups and blob contents (one long-lived `cat-file --batch`, see
`snapshot.py`) go through `git` directly: fast, and nothing heavy to import. (gitpython, which
wraps the same commands, costs more to import than a warm audit takes to run.)
"""

from __future__ import annotations

import os
import subprocess

# Configuration an audited repository could use to make git run a program of its choosing while
# we read it. Passed as environment overrides, which take precedence over the repository's own config.
SAFE_GIT_CONFIG = {
    "log.showSignature": "false",
    "gpg.program": "false",
    "gpg.ssh.program": "false",
    "gpg.x509.program": "false",
    "core.fsmonitor": "false",
    "core.hooksPath": os.devnull,
    "core.pager": "cat",
    "diff.external": "",
    "core.sshCommand": "false",
    "protocol.allow": "never",
    # git refuses a repository another user owns ("dubious ownership") because its config could run
    # programs; every setting that could is overridden above, so for these read-only commands the
    # check protects nothing. Set for mlscorecard's own git processes only, never in a git config.
    "safe.directory": "*",
}


# No git command of an audit may wait for ever: a repository's config can `include.path` a FIFO,
# and git then blocks reading it. Seconds per command; MLSCORECARD_GIT_TIMEOUT overrides.
GIT_TIMEOUT = float(os.environ.get("MLSCORECARD_GIT_TIMEOUT") or 300)


def safe_git_environment() -> dict[str, str]:
    env = {"GIT_CONFIG_COUNT": str(len(SAFE_GIT_CONFIG)), "GIT_TERMINAL_PROMPT": "0", "GIT_NO_REPLACE_OBJECTS": "1"}
    for i, (key, value) in enumerate(SAFE_GIT_CONFIG.items()):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


class GitError(Exception):
    """A git command failed; the message is git's first line of complaint."""


class Git:
    """git commands against one repository (a work tree's root or a git directory)."""

    def __init__(self, root: str, git_dir: str | None = None) -> None:
        self.root = root
        self.env = {**os.environ, **safe_git_environment(), "LC_ALL": "C"}
        self.env.pop("GIT_DIR", None)
        self.env.pop("GIT_WORK_TREE", None)
        if git_dir is not None:
            self.env["GIT_DIR"] = git_dir

    def run(self, *args: str, input: bytes | None = None) -> bytes:
        try:
            proc = subprocess.run(["git", *args], cwd=self.root, env=self.env, input=input,
                                  stdin=None if input is not None else subprocess.DEVNULL,
                                  capture_output=True, check=False, timeout=GIT_TIMEOUT)
        except OSError as exc:
            from .errors import note_transient

            note_transient()
            raise GitError(f"cannot run git: {exc.strerror or exc}") from None
        except subprocess.TimeoutExpired:
            raise GitError(_timed_out(args)) from None
        if proc.returncode != 0:
            text = proc.stderr.decode("utf-8", "replace").strip()
            raise GitError(text.splitlines()[0] if text else f"git {args[0]} failed ({proc.returncode})")
        return proc.stdout

    def text(self, *args: str) -> str:
        return self.run(*args).decode("utf-8", "surrogateescape")

    def start(self, *args: str, stdin: bool = False) -> subprocess.Popen:
        """A command running in the background (read its result with `finish`); with stdin,
        one to talk to (cat-file --batch), whose complaints go nowhere."""
        return subprocess.Popen(["git", *args], cwd=self.root, env=self.env,
                                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if stdin else subprocess.PIPE)

    @staticmethod
    def finish_bytes(proc: subprocess.Popen) -> bytes:
        try:
            out, err = proc.communicate(timeout=GIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise GitError(_timed_out(proc.args[1:])) from None
        if proc.returncode != 0:
            text = err.decode("utf-8", "replace").strip()
            raise GitError(text.splitlines()[0] if text else f"git failed ({proc.returncode})")
        return out

    @classmethod
    def finish(cls, proc: subprocess.Popen) -> str:
        return cls.finish_bytes(proc).decode("utf-8", "surrogateescape")


def _timed_out(args) -> str:
    from .errors import note_transient

    note_transient()
    return (f"git {args[0] if args else ''} did not finish in {GIT_TIMEOUT:g} s (a config include that "
            "never ends? MLSCORECARD_GIT_TIMEOUT sets the limit)")
