"""Repository-level detectors (CI, dependencies, CODEOWNERS) remembered with what they read.

A detector runs against a `RecordingView` of the snapshot instead of the snapshot itself. The
view answers the same questions (does this file exist, what is in it, which files are below
this directory, which paths does this selector pick) and writes down each answer as it
gives it: a file's blob sha (or its absence), a digest of a listing. The detector's result is
stored with that record. On the next audit of the same repository, at this commit or another
one, the stored result is reused when every recorded answer is still the same, so the second
side of a pull request re-reads CI only when the change touched what CI reads. Warnings the
detector gave are stored and given again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

from .errors import transient_count
from .snapshot import Snapshot

MEMO_ENTRIES = 4  # results kept per detector and repository (HEAD, a base, a few commits back)

# Named path selectors, so that a recorded selection can be recomputed on another snapshot.
SELECTORS: dict[str, Callable[[str], bool]] = {}


def selector(name: str):
    def wrap(fn: Callable[[str], bool]) -> Callable[[str], bool]:
        SELECTORS[name] = fn
        return fn

    return wrap


def named_selector(name: str) -> Callable[[str], bool] | None:
    if name not in SELECTORS:  # registered by the detectors' modules, as they are imported
        from .detectors import ci, ci_systems, dependencies, history  # noqa: F401
    return SELECTORS.get(name)


def _digest(paths: list[str]) -> str:
    return hashlib.sha1("\n".join(paths).encode("utf-8", "surrogateescape")).hexdigest()


def _code_under(snap: Snapshot, directory: str) -> list[str]:
    return [p for p in snap.under(directory) if p.endswith((".py", ".ipynb"))]


def _answer(snap: Snapshot, key: str) -> Any:
    kind, _, arg = key.partition("\0")
    if kind == "f":
        return snap.sha(arg) if snap.exists(arg) else None
    if kind == "u":
        return _digest(_code_under(snap, arg))
    if kind == "d":
        return bool(snap.under(arg))
    if kind == "s":
        fn = named_selector(arg)
        return None if fn is None else _digest([p for p in snap.paths() if fn(p)])
    if kind == "a":
        return _digest(snap.paths())
    raise KeyError(key)


class RecordingView:
    """A snapshot that writes down every answer it gives (see the module's docstring)."""

    def __init__(self, snap: Snapshot) -> None:
        self._snap = snap
        self.deps: dict[str, Any] = {}
        self.warnings: list[tuple[str, str]] = []
        self.root = snap.root
        self.commit = snap.commit

    def _note(self, key: str) -> None:
        if key not in self.deps:
            self.deps[key] = _answer(self._snap, key)

    def exists(self, path: str) -> bool:
        self._note("f\0" + path)
        return self._snap.exists(path)

    def read_text(self, path: str) -> str | None:
        self._note("f\0" + path)
        with self._snap.recording_warnings(self.warnings):
            return self._snap.read_text(path)

    def under(self, directory: str) -> list[str]:
        """Paths below a directory; the record keeps the Python files and notebooks among them
        (what test collection looks at), so other files appearing there do not invalidate the result."""
        self._note("u\0" + directory)
        return self._snap.under(directory)

    def has_directory(self, directory: str) -> bool:
        self._note("d\0" + directory)
        return bool(self._snap.under(directory))

    def select(self, name: str) -> list[str]:
        """The paths a registered selector picks."""
        self._note("s\0" + name)
        fn = named_selector(name)
        return [p for p in self._snap.paths() if fn(p)]

    def paths(self) -> list[str]:
        self._note("a")
        return self._snap.paths()

    def warn(self, path: str, message: str) -> None:
        self.warnings.append((path, message))
        self._snap.warn(path, message)


def still_valid(snap: Snapshot, deps: dict[str, Any]) -> bool:
    try:
        return all(_answer(snap, key) == value for key, value in deps.items())
    except KeyError:
        return False


def memoized(cache, snap: Snapshot, name: str, compute: Callable[[RecordingView], Any],
             encode: Callable[[Any], Any] = lambda v: v, decode: Callable[[Any], Any] = lambda v: v) -> Any:
    """compute(view), or the stored result of an earlier run whose recorded answers all hold."""
    if cache is None or snap.root == "<memory>":
        return compute(snap)  # type: ignore[arg-type]  # the snapshot answers the same questions
    key = f"{name}:{snap.root}"
    entries = cache.get_memo(key) or []
    for entry in entries:
        if still_valid(snap, entry["deps"]):
            for path, message in entry["warnings"]:
                snap.warn(path, message)
            return decode(entry["value"])
    view = RecordingView(snap)
    failures = transient_count()
    value = compute(view)
    if transient_count() != failures:  # a clock ran out, git timed out: the next run tries again
        return value
    entry = {"deps": view.deps, "warnings": view.warnings, "value": encode(value)}
    try:
        json.dumps(entry)
    except (TypeError, ValueError):  # not storable: computed every time
        return value
    cache.put_memo(key, [entry, *entries][:MEMO_ENTRIES])
    return value
