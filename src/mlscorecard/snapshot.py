"""What files exist at a commit, what is in them, and the git history behind them.

Read from git objects (``git ls-tree`` + gitpython's long-lived ``cat-file --batch``), so a
checkout, a bare mirror and any other commit are audited alike without touching a work tree.
A plain directory that is not a git repository is read from disk, without history.
Nothing here ever executes anything from the audited repository.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import git

from .errors import UnusableInput
from .model import AuditWarning

DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024
# Notebooks carry their outputs (plots, tables) inside the file: they get this many times the limit.
NOTEBOOK_SIZE_FACTOR = 8

# Directory names that never hold the audited project's own code.
EXCLUDED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "site-packages",
        "__pycache__", "build", "dist", ".eggs", ".mypy_cache", ".pytest_cache", ".ruff_cache",
        ".ipynb_checkpoints", ".cache", "htmlcov",
    }
)

# Configuration an audited repository could use to make git run a program of its choosing while
# we read it (signature checks in `git log`, the fsmonitor hook, external diff, pagers, hooks).
# Passed as environment overrides, which take precedence over the repository's own config.
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
}


def safe_git_environment() -> dict[str, str]:
    env = {"GIT_CONFIG_COUNT": str(len(SAFE_GIT_CONFIG)), "GIT_TERMINAL_PROMPT": "0", "GIT_NO_REPLACE_OBJECTS": "1"}
    for i, (key, value) in enumerate(SAFE_GIT_CONFIG.items()):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


_CODING_RE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def excluded(path: str, venv_dirs: frozenset[str] = frozenset()) -> bool:
    parts = PurePosixPath(path).parts[:-1]
    for i, part in enumerate(parts):
        if part in EXCLUDED_DIRS or part.endswith(".egg-info"):
            return True
        if "/".join(parts[: i + 1]) in venv_dirs:
            return True
    return False


def git_blob_sha(data: bytes) -> str:
    """The sha git would give these bytes as a blob: the cache key for plain directories too."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class FileInfo:
    path: str
    size: int
    sha: str | None = None  # blob sha; computed on first read for plain directories


class Snapshot:
    """Files of a repository at one commit (or of a plain directory), read lazily."""

    def __init__(self, root: str, *, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> None:
        self.root = root
        self.max_file_size = max_file_size
        self.files: dict[str, FileInfo] = {}
        self.warnings: list[AuditWarning] = []
        self.commit: str | None = None
        self.ref: str | None = None
        self.repo: git.Repo | None = None
        self.shallow = False
        self._contents: dict[str, bytes] = {}  # in-memory snapshots (rule examples)
        self._texts: dict[str, str | None] = {}
        self._warned: set[tuple[str, str]] = set()

    # ------------------------------------------------------------------ construction
    @classmethod
    def open(cls, path: str, rev: str | None = None, *, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> "Snapshot":
        p = Path(path)
        if not p.exists():
            raise UnusableInput(f"{path}: no such file or directory")
        if not p.is_dir():
            raise UnusableInput(f"{path}: is a file, not a directory or repository")
        root = str(p.resolve())
        snap = cls(root, max_file_size=max_file_size)
        try:
            repo = git.Repo(root, search_parent_directories=False)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            repo = None
        if repo is None:
            if rev:
                raise UnusableInput(f"{path}: --rev needs a git repository, and this is a plain directory")
            snap._walk_directory()
            try:
                outer = git.Repo(root, search_parent_directories=True)
                snap.warn(".", f"inside the git repository {outer.working_tree_dir} but not its root: "
                               "audited as a plain directory, without history")
            except (git.InvalidGitRepositoryError, git.NoSuchPathError):
                pass
            return snap
        snap.repo = repo
        repo.git.update_environment(**safe_git_environment())
        is_git_dir = os.path.isfile(os.path.join(root, "HEAD")) and os.path.isdir(os.path.join(root, "objects"))
        if is_git_dir:
            # A bare repository (possibly a mirror without a config file, which gitpython takes for
            # a work tree whose parent is the checkout): point every git call at it explicitly.
            repo.git.update_environment(GIT_DIR=root)
        has_commits = repo.head.is_valid() if not rev else True
        if not has_commits:
            if is_git_dir or repo.bare or not repo.working_tree_dir:
                raise UnusableInput(f"{path}: git repository has no commits")
            snap._walk_directory()
            if not snap.files:
                raise UnusableInput(f"{path}: git repository has no commits and no files")
            snap.repo = None
            snap.warn(".", "git repository has no commits: audited the working tree, without history")
            return snap
        try:
            commit = repo.commit(rev or "HEAD")
        except (git.BadName, git.BadObject, ValueError) as exc:
            raise UnusableInput(f"{path}: unknown revision {rev!r}") from exc
        snap.commit = commit.hexsha
        if rev:
            snap.ref = rev
        else:
            try:
                snap.ref = repo.active_branch.name
            except TypeError:  # detached HEAD
                snap.ref = None
        snap.shallow = os.path.exists(os.path.join(repo.git_dir, "shallow"))
        snap._list_tree()
        return snap

    @classmethod
    def from_files(cls, files: dict[str, str | bytes], *, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> "Snapshot":
        """An in-memory snapshot (used to run rule examples): no disk, no history."""
        snap = cls("<memory>", max_file_size=max_file_size)
        for path, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            snap._contents[path] = data
            snap.files[path] = FileInfo(path, len(data), git_blob_sha(data))
        return snap

    def _list_tree(self) -> None:
        assert self.repo is not None and self.commit is not None
        out = self.repo.git.ls_tree("-r", "-l", "-z", self.commit, stdout_as_string=False)
        entries = []
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            mode, otype, sha, size = meta.split()
            path = raw_path.decode("utf-8", "surrogateescape")
            entries.append((mode, otype, sha.decode(), size, path))
        venvs = frozenset(PurePosixPath(p).parent.as_posix() for _, _, _, _, p in entries
                          if PurePosixPath(p).name == "pyvenv.cfg")
        for mode, otype, sha, size, path in entries:
            if otype != b"blob" or excluded(path, venvs):
                continue
            if mode == b"120000":  # a symlink: its blob is the link target
                target = self.repo.odb.stream(bytes.fromhex(sha)).read().decode("utf-8", "replace")
                resolved = os.path.normpath(os.path.join(os.path.dirname(path), target))
                if os.path.isabs(target) or resolved.startswith(".."):
                    self.warn(path, f"symlink points outside the repository ({target}); not followed")
                continue
            if not size.isdigit():  # git prints a placeholder when the object itself is absent
                self.warn(path, "object missing from the repository (partial clone or stripped mirror?); skipped")
                continue
            self.files[path] = FileInfo(path, int(size), sha)

    def _walk_directory(self) -> None:
        root = self.root
        real_root = os.path.realpath(root)
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=self._walk_error):
            rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
            rel_dir = "" if rel_dir == "." else rel_dir + "/"
            keep = []
            for d in sorted(dirnames):
                full = os.path.join(dirpath, d)
                if d in EXCLUDED_DIRS or d.endswith(".egg-info") or os.path.exists(os.path.join(full, "pyvenv.cfg")):
                    continue
                if os.path.islink(full):
                    self._check_link(full, rel_dir + d, real_root)
                    continue
                keep.append(d)
            dirnames[:] = keep
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                rel = rel_dir + name
                if os.path.islink(full) and not self._check_link(full, rel, real_root):
                    continue
                try:
                    st = os.stat(full)
                except OSError as exc:
                    self.warn(rel, f"cannot stat: {exc.strerror or exc}; skipped")
                    continue
                if not os.path.isfile(full):
                    continue  # sockets, fifos, devices
                self.files[rel] = FileInfo(rel, st.st_size)

    def _walk_error(self, exc: OSError) -> None:
        rel = os.path.relpath(exc.filename or self.root, self.root) if exc.filename else "."
        self.warn(rel.replace(os.sep, "/"), f"cannot list directory: {exc.strerror or exc}; skipped")

    def _check_link(self, full: str, rel: str, real_root: str) -> bool:
        """True when a symlink may be read: it resolves to a file or directory inside the root."""
        try:
            os.stat(full)
        except OSError as exc:
            reason = "a symlink loop" if exc.errno == 40 else "a broken symlink"
            self.warn(rel, f"{reason}; skipped")
            return False
        target = os.path.realpath(full)
        if os.path.commonpath([target, real_root]) != real_root:
            self.warn(rel, "symlink points outside the repository; not followed")
            return False
        return True

    # ------------------------------------------------------------------ reading
    def warn(self, path: str, message: str) -> None:
        key = (path, message)
        if key not in self._warned:
            self._warned.add(key)
            self.warnings.append(AuditWarning(path, message))

    def paths(self) -> list[str]:
        return sorted(self.files)

    def exists(self, path: str) -> bool:
        return path in self.files

    def _read_raw(self, path: str) -> bytes:
        if path in self._contents:
            return self._contents[path]
        info = self.files[path]
        if self.repo is not None and info.sha:
            return self.repo.odb.stream(bytes.fromhex(info.sha)).read()
        return Path(self.root, path).read_bytes()

    def read_bytes(self, path: str) -> bytes | None:
        """The bytes of a file, or None with a warning when it is too large or unreadable."""
        info = self.files.get(path)
        if info is None:
            return None
        limit = self.max_file_size * (NOTEBOOK_SIZE_FACTOR if path.endswith(".ipynb") else 1)
        if info.size > limit:
            self.warn(path, f"larger than {limit} bytes ({info.size}); skipped")
            return None
        try:
            data = self._read_raw(path)
        except OSError as exc:
            self.warn(path, f"cannot read: {exc.strerror or exc}; skipped")
            return None
        except (ValueError, git.GitError) as exc:
            self.warn(path, f"cannot read git object: {exc}; skipped")
            return None
        if len(data) > limit:  # the file grew since it was listed
            self.warn(path, f"larger than {limit} bytes ({len(data)}); skipped")
            return None
        if info.sha is None:
            info.sha = git_blob_sha(data)
        return data

    def read_text(self, path: str) -> str | None:
        """Decoded text, or None with a warning for binary, non-UTF-8, huge or unreadable files."""
        if path in self._texts:
            return self._texts[path]
        text = self._decode(path)
        self._texts[path] = text
        return text

    def _decode(self, path: str) -> str | None:
        data = self.read_bytes(path)
        if data is None:
            return None
        if b"\0" in data[:8192]:
            self.warn(path, "binary content (NUL bytes); skipped")
            return None
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        if path.endswith(".py"):  # PEP 263: a coding cookie in the first two lines
            for line in data.splitlines()[:2]:
                m = _CODING_RE.match(line)
                if m:
                    try:
                        return data.decode(m.group(1).decode("ascii"))
                    except (LookupError, UnicodeDecodeError):
                        break
        self.warn(path, "not valid UTF-8 text; skipped")
        return None

    def sha(self, path: str) -> str | None:
        info = self.files.get(path)
        if info is None:
            return None
        if info.sha is None:
            self.read_bytes(path)
        return info.sha

    def close(self) -> None:
        if self.repo is not None:
            self.repo.close()
