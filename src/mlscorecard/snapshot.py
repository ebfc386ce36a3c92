"""What files exist at a commit, what is in them, and the git history behind them.

Read from git objects (``git ls-tree`` for the listing, a long-lived ``git cat-file --batch``
for contents), so a checkout, a bare mirror and any other commit are audited alike
without touching a work tree. A plain directory that is not a git repository is read from disk,
without history. Nothing here ever executes anything from the audited repository (see
`gitcmd.py` for how git itself is kept from doing so).

Contents are read when asked for and not kept: an audit reads each file once, hands it to the
per-file analysis and lets it go, so memory does not grow with the repository.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import stat
import subprocess
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import UnusableInput
from .gitcmd import Git, GitError
from .model import AuditWarning

DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024
# Notebooks carry their outputs (plots, tables) inside the file: they get this many times the limit.
NOTEBOOK_SIZE_FACTOR = 8
_TEXT_CACHE_SIZE = 64  # decoded texts kept for detectors that read a file twice (CI configs, scripts)

# Directory names that never hold the audited project's own code.
EXCLUDED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "site-packages",
        "__pycache__", "dist", ".eggs", ".mypy_cache", ".pytest_cache", ".ruff_cache",
        ".ipynb_checkpoints", ".cache", "htmlcov",
    }
)
# build/ is a project's own folder as often as it is setuptools' output (Cloud Build and Docker
# configs live there): only what setuptools writes below it is skipped.
_BUILD_OUTPUT = re.compile(r"^(lib|bdist|temp|scripts)([.-].*)?$")


_CODING_RE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def excluded(path: str, venv_dirs: frozenset[str] = frozenset()) -> bool:
    parts = PurePosixPath(path).parts[:-1]
    for i, part in enumerate(parts):
        if part in EXCLUDED_DIRS or part.endswith(".egg-info"):
            return True
        if part == "build" and i + 1 < len(parts) and _BUILD_OUTPUT.match(parts[i + 1]):
            return True
        if "/".join(parts[: i + 1]) in venv_dirs:
            return True
    return False


def git_blob_sha(data: bytes, algorithm: str = "sha1") -> str:
    """The id git would give these bytes as a blob (sha1, or sha256 in a SHA-256 repository): the
    cache key for plain directories and work-tree files too."""
    return hashlib.new(algorithm, b"blob %d\0" % len(data) + data).hexdigest()


def decode_source(path: str, data: bytes) -> tuple[str | None, str | None]:
    """(text, None), or (None, the warning) for binary or undecodable content. UTF-8 (with or
    without a BOM); Python files may declare another encoding in a PEP 263 cookie."""
    if b"\0" in data[:8192]:
        return None, "binary content (NUL bytes); skipped"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    if path.endswith(".py"):  # PEP 263: a coding cookie in the first two lines
        for line in data.splitlines()[:2]:
            m = _CODING_RE.match(line)
            if m:
                try:
                    return data.decode(m.group(1).decode("ascii")), None
                except (LookupError, UnicodeDecodeError):
                    break
    return None, "not valid UTF-8 text; skipped"


def size_limit(path: str, max_file_size: int) -> int:
    return max_file_size * (NOTEBOOK_SIZE_FACTOR if path.endswith(".ipynb") else 1)


_INDEX_ENTRY = re.compile(  # one entry of `git ls-files -s --debug -z`
    rb"(?P<mode>\d+) (?P<sha>[0-9a-f]+) (?P<stage>\d)\t(?P<path>[^\0]*)\0"
    rb"  ctime: (?P<cs>\d+):(?P<cns>\d+)\n  mtime: (?P<ms>\d+):(?P<mns>\d+)\n  dev: \d+\tino: \d+\n"
    rb"  uid: \d+\tgid: \d+\n  size: (?P<size>\d+)\tflags: (?P<flags>[0-9a-f]+)\n")
_SKIP_WORKTREE = 1 << 30  # the index flag of a sparse checkout's entries that are not on disk


def _algorithm(sha: str) -> str:
    return "sha256" if len(sha) == 64 else "sha1"


@dataclass
class FileInfo:
    path: str
    size: int
    sha: str | None = None  # blob sha; computed on first read for plain directories


class BlobReader:
    """Blob contents through one long-lived `git cat-file --batch` per process (a forked worker
    starts its own). cat-file without --filters hands back the stored bytes: no clean/smudge
    filter or textconv of the repository's configuration runs."""

    def __init__(self, git: Git) -> None:
        self.git = git
        self._proc = None
        self._pid = 0

    def read(self, sha: str) -> bytes:
        proc = self._proc
        if proc is None or self._pid != os.getpid() or proc.poll() is not None:
            proc = self._proc = self.git.start("cat-file", "--batch", stdin=True)
            self._pid = os.getpid()
        try:
            proc.stdin.write(sha.encode("ascii") + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if len(header) != 3 or not header[2].isdigit():  # "<sha> missing", or git gone
                raise OSError(f"object {sha[:12]} not readable "
                              f"({b' '.join(header[1:]).decode('ascii', 'replace') or 'no answer'})")
            size = int(header[2])
            data = proc.stdout.read(size)
            proc.stdout.read(1)  # the newline after each object
        except BaseException:
            # interrupted half-way (a time limit) or git gone: the stream is out of step, so the
            # next read starts a new cat-file rather than take the rest of this answer for its own
            proc.kill()
            self._proc = None
            raise
        if len(data) != size:
            raise OSError(f"object {sha[:12]} cut short")
        return data

    def close(self) -> None:
        proc = self._proc
        if proc is not None and self._pid == os.getpid():
            try:
                proc.stdin.close()
                proc.wait(timeout=5)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                proc.kill()
        self._proc = None


def _shallow_mark(git_dir: str) -> str:
    """A digest of a shallow clone's boundary: deepening it changes the history a commit has."""
    import hashlib

    try:
        with open(os.path.join(git_dir, "shallow"), "rb") as fh:
            return hashlib.sha1(fh.read()).hexdigest()[:16]
    except OSError:
        return "1"


def is_git_dir(root: str) -> bool:
    """Whether `root` is a git directory itself: a bare repository or a mirror (possibly without
    a config file), which every git call must then name."""
    return os.path.isfile(os.path.join(root, "HEAD")) and os.path.isdir(os.path.join(root, "objects"))


class Snapshot:
    """Files of a repository at one commit (or of a plain directory), read lazily."""

    def __init__(self, root: str, *, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> None:
        self.root = root
        self.max_file_size = max_file_size
        self.files: dict[str, FileInfo] = {}
        self.warnings: list[AuditWarning] = []
        self.commit: str | None = None
        self.ref: str | None = None
        self.git: Git | None = None  # set for git repositories: history can be read
        self.git_dir: str | None = None
        self.shallow = False
        self.shallow_mark = "0"  # "0", or a digest of .git/shallow: where the history is cut (caches key on it)
        self.worktree = False  # the work tree was read (uncommitted changes included), not a commit
        self._changed: list[str] | None = None  # with worktree: `changed`, once computed
        self._head: dict[str, tuple[str, int]] | None = None  # with worktree: HEAD's (sha, size) per path
        self._settings_excluded: list = []  # the settings' exclude globs, once applied
        self.from_disk: set[str] = set()  # with worktree: paths read from disk, not from a blob
        self.excluded_count = 0  # files left out by the project's `exclude` settings
        self.rev_given = False  # a revision was named (--rev), not the checkout's HEAD or work tree
        self._blobs: BlobReader | None = None
        self._contents: dict[str, bytes] = {}  # in-memory snapshots (rule examples)
        self._texts: OrderedDict[str, str | None] = OrderedDict()
        self._warned: set[tuple[str, str]] = set()
        self._sorted: list[str] | None = None
        self._recorders: list[list[tuple[str, str]]] = []

    # ------------------------------------------------------------------ construction
    @staticmethod
    def reads_commits(path: str) -> bool:
        """Whether `path` is a bare repository or the root of a checkout (what --committed,
        --staged and --rev need), not a plain directory; an unusable path says so in open()."""
        root = os.path.realpath(path)
        if is_git_dir(root):
            return True
        try:
            top = Git(root).text("rev-parse", "--show-toplevel").strip()
        except (GitError, OSError):
            return False
        return bool(top) and os.path.realpath(top) == root

    @classmethod
    def open(cls, path: str, rev: str | None = None, *, max_file_size: int = DEFAULT_MAX_FILE_SIZE,
             worktree: bool | str = False, only: list[str] | None = None) -> "Snapshot":
        """A snapshot of a checkout, bare repository or directory. `rev` reads that commit from git
        objects; without it, `worktree` reads what a checkout's user sees (staged, modified and
        untracked files included; ignored files not), else HEAD's tree; worktree="staged" reads the
        index only (what the next commit would hold: a pre-commit hook's view)."""
        p = Path(path)
        if not p.exists():
            raise UnusableInput(f"{path}: no such file or directory")
        if not p.is_dir():
            raise UnusableInput(f"{path}: is a file, not a directory or repository")
        root = str(p.resolve())
        snap = cls(root, max_file_size=max_file_size)
        bare = is_git_dir(root)
        if bare:
            # a bare repository or mirror (possibly without a config file): every call names it
            if worktree == "staged":
                raise UnusableInput(f"{path}: --staged needs a checkout; a bare repository has no index")
            git = Git(root, git_dir=root)
        else:
            git = Git(root)
            unreadable = None
            try:
                top, git_dir = git.text("rev-parse", "--show-toplevel", "--absolute-git-dir").splitlines()[:2]
                snap.git_dir = git_dir
            except GitError as exc:
                top, unreadable = None, str(exc)
            except ValueError:
                top = None
            if top is None and unreadable and os.path.lexists(os.path.join(root, ".git")):
                snap.warn(".git", f"git cannot read this repository ({unreadable}): "
                                  "audited as a plain directory, without history")
            if top is None or os.path.realpath(top) != os.path.realpath(root):
                if rev:
                    raise UnusableInput(f"{path}: --rev needs a git repository, and this is a plain directory")
                if worktree == "staged":
                    raise UnusableInput(f"{path}: --staged needs a git checkout, and this is a plain directory")
                snap._walk_directory()
                if top is not None:
                    snap.warn(".", f"inside the git repository {top} but not its root: "
                                   "audited as a plain directory, without history")
                return snap
        if snap.git_dir is None:
            try:
                snap.git_dir = git.text("rev-parse", "--absolute-git-dir").strip()
            except GitError as exc:
                raise UnusableInput(f"{path}: cannot read the git repository: {exc}") from None
        try:
            commit = git.text("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev or 'HEAD'}^{{commit}}").strip()
        except GitError:
            commit = ""
        if not commit:
            if rev:
                raise UnusableInput(f"{path}: unknown revision {rev!r}")
            if bare:
                raise UnusableInput(f"{path}: git repository has no commits")
            if worktree == "staged":  # the first commit: what is staged for it, nothing else
                snap._blobs = BlobReader(git)
                snap._head = {}
                snap._overlay_work_tree(staged_only=True, git=git)
                if not snap.files:
                    raise UnusableInput(f"{path}: nothing is staged for the first commit")
                return snap
            snap._walk_directory()
            if not snap.files:
                raise UnusableInput(f"{path}: git repository has no commits and no files")
            snap.warn(".", "git repository has no commits: audited the working tree, without history")
            return snap
        snap.git = git
        snap.commit = commit
        snap.rev_given = rev is not None
        owner = os.stat(snap.git_dir).st_uid
        if hasattr(os, "geteuid") and owner != os.geteuid():
            snap.warn(".", f"owned by another user (uid {owner}): read anyway, with git's ownership check "
                           "off for mlscorecard's own read-only git commands (your git config is unchanged)")
        # while the branch name is looked up; `only`: these paths alone (the settings files of
        # another revision, read without listing its whole tree)
        listing = git.start("ls-tree", "-r", "-l", "-z", commit, *(["--", *only] if only else []))
        if rev:
            snap.ref = rev
        else:
            try:
                snap.ref = git.text("symbolic-ref", "--quiet", "--short", "HEAD").strip() or None
            except GitError:  # detached HEAD
                snap.ref = None
        snap.shallow = os.path.exists(os.path.join(snap.git_dir, "shallow"))
        snap.shallow_mark = _shallow_mark(snap.git_dir) if snap.shallow else "0"
        snap._blobs = BlobReader(git)
        snap._list_tree(git.finish_bytes(listing))
        if worktree and not rev and not bare:
            snap._overlay_work_tree(staged_only=worktree == "staged")
        return snap

    def _overlay_work_tree(self, staged_only: bool = False, git: Git | None = None) -> None:
        """Replace HEAD's listing by the work tree's. An index entry whose file on disk is
        unchanged (same size, modification and change times as the index recorded, and not written
        in the index's last second: git's racy check) keeps its blob; changed and untracked files
        are read from disk; a sparse checkout's skip-worktree entries keep their blobs. What HEAD's
        listing leaves out (virtualenvs, symlinks) stays out, so a clean checkout reads as its
        commit. git is asked nothing that could run a filter: ls-files only reads the index and
        .gitignore files, and the comparison with the disk is made here."""
        git = git or self.git
        head = {path: (info.sha, info.size) for path, info in self.files.items()}
        index_file = os.path.join(self.git_dir, "index")
        try:
            index_mtime_ns = os.stat(index_file).st_mtime_ns if os.path.exists(index_file) else 0
            staged = git.run("ls-files", "-s", "--debug", "-z")
            untracked = b"" if staged_only else git.run("ls-files", "-z", "--others", "--exclude-standard")
        except (OSError, GitError) as exc:
            from .errors import note_transient

            note_transient()
            self.warn(".", f"cannot read the work tree's state ({exc}): audited the last commit")
            return
        self.files = {}
        self.from_disk = set()
        real_root = os.path.realpath(self.root)
        entries = [(mo, mo.group("path").decode("utf-8", "surrogateescape")) for mo in _INDEX_ENTRY.finditer(staged)]
        untracked_paths = [raw.decode("utf-8", "surrogateescape") for raw in untracked.split(b"\0") if raw]
        venvs = frozenset(PurePosixPath(p).parent.as_posix() for p in (*untracked_paths, *(p for _, p in entries))
                          if PurePosixPath(p).name == "pyvenv.cfg")
        inside: dict[str, bool] = {}  # folder -> whether it really lies inside the repository
        for mo, path in entries:
            mode, sha, stage = mo.group("mode"), mo.group("sha").decode(), mo.group("stage")
            if (stage != b"0" and path in self.files) or mode in (b"160000", b"120000") or excluded(path, venvs):
                continue  # a conflict's other stages; a submodule; a symlink (never followed, as in a commit)
            size = int(mo.group("size"))
            if staged_only or int(mo.group("flags"), 16) & _SKIP_WORKTREE:
                self.files[path] = FileInfo(path, size, sha)
                continue
            self._add_from_disk(path, real_root, inside, keep=(
                sha, size, int(mo.group("ms")) * 10**9 + int(mo.group("mns")),
                int(mo.group("cs")) * 10**9 + int(mo.group("cns")), index_mtime_ns))
        for path in untracked_paths:
            if not excluded(path, venvs):
                self._add_from_disk(path, real_root, inside)
        self._sorted = None
        self._head = head
        self.worktree = "staged" if staged_only else True

    @property
    def changed(self) -> list[str]:
        """With a work tree read: the paths that differ from HEAD (added, deleted or changed),
        among those not excluded by the settings; computed once, when first asked."""
        if self._changed is None:
            head = self._head or {}
            self._changed = sorted(p for p in set(head) | set(self.files)
                                   if not self.excluded_by_settings(p) and self._differs(p, head.get(p)))
        return self._changed

    def _differs(self, path: str, head: tuple[str, int] | None) -> bool:
        """Whether the file read now differs from HEAD's. A file too large to read is compared by
        size; a file that differs only by CRLF line ends (git's eol conversion) does not differ."""
        info = self.files.get(path)
        if head is None or info is None:
            return True
        if path not in self.from_disk:
            return info.sha != head[0]
        if info.size > size_limit(path, self.max_file_size):
            return info.size != head[1]
        data = self.read_bytes(path) if info.sha is None else None  # hashes it (its warning is the audit's)
        if info.sha is None or info.sha == head[0]:
            return info.sha is None  # unreadable, or the same bytes
        data = data if data is not None else self.read_bytes(path)
        return not (data is not None and b"\r\n" in data
                    and git_blob_sha(data.replace(b"\r\n", b"\n"), _algorithm(info.sha)) == head[0])

    def _add_from_disk(self, path: str, real_root: str, inside: dict[str, bool], keep: tuple | None = None) -> None:
        folder = os.path.dirname(path)
        if folder not in inside:  # a folder that is a symlink out of the repository: nothing in it is read
            real = os.path.realpath(os.path.join(self.root, folder))
            inside[folder] = real == real_root or real.startswith(real_root + os.sep)
            if not inside[folder]:
                self.warn(folder, "symlink points outside the repository; not followed")
        if not inside[folder]:
            return
        full = os.path.join(self.root, path)
        try:
            st = os.lstat(full)
        except OSError:
            return  # deleted in the work tree
        if stat.S_ISLNK(st.st_mode):
            self._check_link(full, path, real_root)  # warned about as in a commit, and never followed
            return
        if not stat.S_ISREG(st.st_mode):
            return  # a FIFO, socket or device; a submodule's directory
        if keep is not None:
            sha, size, mtime_ns, ctime_ns, index_mtime_ns = keep
            if (st.st_size == size and st.st_mtime_ns == mtime_ns and st.st_ctime_ns == ctime_ns
                    and mtime_ns < index_mtime_ns - 10**9):
                self.files[path] = FileInfo(path, st.st_size, sha)
                return
        self.files[path] = FileInfo(path, st.st_size)
        self.from_disk.add(path)

    @classmethod
    def from_files(cls, files: dict[str, str | bytes], *, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> "Snapshot":
        """An in-memory snapshot (used to run rule examples): no disk, no history."""
        snap = cls("<memory>", max_file_size=max_file_size)
        for path, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            snap._contents[path] = data
            snap.files[path] = FileInfo(path, len(data), git_blob_sha(data))
        return snap

    def _list_tree(self, out: bytes) -> None:
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
        links = []
        for mode, otype, sha, size, path in entries:
            if otype != b"blob" or excluded(path, venvs):
                continue
            if mode == b"120000":  # a symlink: its blob is the link target
                links.append((path, sha))
                continue
            if not size.isdigit():  # git prints a placeholder when the object itself is absent
                self.warn(path, "object missing from the repository (partial clone or stripped mirror?); skipped")
                continue
            self.files[path] = FileInfo(path, int(size), sha)
        for path, sha in links:
            try:
                target = self._blobs.read(sha).decode("utf-8", "replace")
            except Exception:  # a missing object: nothing to follow either way
                continue
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), target))
            if os.path.isabs(target) or resolved.startswith(".."):
                self.warn(path, f"symlink points outside the repository ({target}); not followed")

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
                if excluded(rel):  # build output below build/
                    continue
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
    def exclude(self, globs, keep: tuple[str, ...] = ()) -> None:
        """Leave out the files these gitignore-style globs (the project's `exclude`) match: never
        read. `keep`: paths left in whatever the globs say."""
        if not globs:
            return
        from .globs import gitignore_glob

        self._settings_excluded = [gitignore_glob(g) for g in globs]
        gone = [p for p in self.files if p not in keep and self.excluded_by_settings(p)]
        for p in gone:
            del self.files[p]
        self.excluded_count += len(gone)
        self._sorted = None

    def excluded_by_settings(self, path: str) -> bool:
        """Whether the project's `exclude` settings leave this path out."""
        return any(rx.match(path) for rx in self._settings_excluded)

    def warn(self, path: str, message: str) -> None:
        for recorder in self._recorders:
            recorder.append((path, message))
        key = (path, message)
        if key not in self._warned:
            self._warned.add(key)
            self.warnings.append(AuditWarning(path, message))

    @contextmanager
    def recording_warnings(self, into: list[tuple[str, str]]):
        """Also append every warning given inside the block to `into` (memo.py)."""
        self._recorders.append(into)
        try:
            yield
        finally:
            self._recorders.remove(into)

    def paths(self) -> list[str]:
        if self._sorted is None or len(self._sorted) != len(self.files):
            self._sorted = sorted(self.files)
        return self._sorted

    def under(self, directory: str) -> list[str]:
        """Paths below a directory ("" or "." for all), in order (a bisection, not a scan)."""
        paths = self.paths()
        if directory in ("", "."):
            return paths
        prefix = directory.rstrip("/") + "/"
        lo = bisect.bisect_left(paths, prefix)
        hi = bisect.bisect_left(paths, prefix[:-1] + chr(ord("/") + 1))
        return paths[lo:hi]

    def has_directory(self, directory: str) -> bool:
        return bool(self.under(directory))

    def select(self, name: str) -> list[str]:
        """The paths a registered selector (memo.SELECTORS) picks."""
        from .memo import named_selector

        fn = named_selector(name)
        return [p for p in self.paths() if fn(p)]

    def exists(self, path: str) -> bool:
        return path in self.files

    def _read_raw(self, path: str) -> bytes:
        if path in self._contents:
            return self._contents[path]
        info = self.files[path]
        if self._blobs is not None and info.sha and path not in self.from_disk:
            return self._blobs.read(info.sha)
        return Path(self.root, path).read_bytes()

    def read_bytes(self, path: str) -> bytes | None:
        """The bytes of a file, or None with a warning when it is too large or unreadable."""
        info = self.files.get(path)
        if info is None:
            return None
        limit = size_limit(path, self.max_file_size)
        if info.size > limit:
            self.warn(path, f"larger than {limit} bytes ({info.size}); skipped")
            return None
        try:
            data = self._read_raw(path)
        except OSError as exc:
            from .errors import note_transient

            note_transient()
            self.warn(path, f"cannot read: {exc.strerror or exc}; skipped")
            return None
        if len(data) > limit:  # the file grew since it was listed
            self.warn(path, f"larger than {limit} bytes ({len(data)}); skipped")
            return None
        if info.sha is None:
            info.sha = git_blob_sha(data, _algorithm(self.commit or ""))
        return data

    def read_text(self, path: str) -> str | None:
        """Decoded text, or None with a warning for binary, non-UTF-8, huge or unreadable files."""
        if path in self._texts:
            self._texts.move_to_end(path)
            return self._texts[path]
        data = self.read_bytes(path)
        text = None
        if data is not None:
            text, problem = decode_source(path, data)
            if problem:
                self.warn(path, problem)
        self._texts[path] = text
        if len(self._texts) > _TEXT_CACHE_SIZE:
            self._texts.popitem(last=False)
        return text

    def sha(self, path: str) -> str | None:
        info = self.files.get(path)
        if info is None:
            return None
        if info.sha is None:
            self.read_bytes(path)
        return info.sha

    def close(self) -> None:
        if self._blobs is not None:
            self._blobs.close()
