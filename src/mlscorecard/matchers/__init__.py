"""Matchers: how a rule's `match` turns facts into findings, one module per family.

Each kind is registered with its scope and the `match` keys it takes:

- **file** scope: the finding depends on one file alone (its path, bytes and what they import).
  These run inside the per-file analysis (`engine/files.py`), so their findings are cached
  per blob with everything else derived from the file, and a warm audit runs none of them.
- **repo** scope: the finding depends on several files, the CI configs or the history; these
  run over the collected facts on every audit.

The heuristics loader checks every rule's keys against its kind's parameters.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Callable

COMMON_KEYS = frozenset({"kind"})


@dataclass
class Finding:
    rule: str
    path: str
    line: int
    summary: str
    fact: dict[str, Any] | None = None
    confidence_delta: float = 0.0
    cell: int | None = None  # notebook code cell (1-based) when path is an .ipynb

    def to_row(self) -> list[Any]:
        """Compact form for the per-file cache (the path is the cache entry's own)."""
        return [self.rule, self.line, self.summary, self.fact, self.confidence_delta, self.cell]

    @classmethod
    def from_row(cls, path: str, row: list[Any]) -> "Finding":
        rule, line, summary, fact, delta, cell = row
        return cls(rule, path, line, summary, fact, delta, cell)


@dataclass
class FileView:
    """What a file-scope matcher sees of one file."""

    path: str
    text: str | None  # the file as text (a notebook's raw JSON)
    source: str | None  # the code a code rule reads: a .py file's text, a notebook's code cells
    contexts: frozenset[str]
    python: dict[str, Any] | None = None  # parsed Python facts (engine/python.py), when parsed
    cells: tuple[list[int], list[int]] | None = None  # a notebook's code cell starts and numbers
    literals_in_text: frozenset[str] = frozenset()  # rules' literals present (case-insensitive) in text
    literals_in_source: frozenset[str] = frozenset()
    prose: str | None = None  # documentation: a Markdown/reST file's text, a notebook's Markdown cells
    prose_cells: tuple[list[int], list[int]] | None = None
    literals_in_prose: frozenset[str] = frozenset()
    _lowered: dict[int, str] = field(default_factory=dict, repr=False)
    _test_names: str | None = field(default=None, repr=False)

    def asserting_test_names(self) -> str:
        """The names of this file's asserting test functions, one per line, once per file."""
        if self._test_names is None:
            tests = (self.python or {}).get("test_functions") or []
            self._test_names = "\n".join(t[0] for t in tests if t[2])
        return self._test_names

    def lowered(self, text: str) -> str:
        """`text` (this file's text, source or prose) lower-cased, once per file."""
        low = self._lowered.get(id(text))
        if low is None:
            low = self._lowered[id(text)] = text.lower()
        return low

    def locate(self, line: int, cells: tuple[list[int], list[int]] | None = None) -> tuple[int, int | None]:
        """(line, cell) of a finding: notebook lines are given within their cell."""
        cells = cells if cells is not None else self.cells
        if cells is None or not cells[0]:
            return line, None
        starts, numbers = cells
        i = max(bisect.bisect_right(starts, line) - 1, 0)
        return line - starts[i] + 1, numbers[i]

    def finding(self, rule, line: int, summary: str, fact_extra: dict[str, Any] | None = None,
                delta: float = 0.0, cells: tuple[list[int], list[int]] | None = None) -> Finding:
        """A finding at this file's line; notebook lines become lines within their cell."""
        line, cell = self.locate(line, cells)
        fact = {"path": self.path, "line": line, **(fact_extra or {})}
        if cell is not None:
            fact["cell"] = cell
        return Finding(rule.id, self.path, line, summary, fact, delta, cell)


@dataclass(frozen=True)
class Kind:
    name: str
    scope: str  # "file" or "repo"
    function: Callable[..., list[Finding]]
    params: frozenset[str]


KINDS: dict[str, Kind] = {}


def register(name: str, scope: str, params: set[str] | frozenset[str]):
    def wrap(fn: Callable[..., list[Finding]]) -> Callable[..., list[Finding]]:
        KINDS[name] = Kind(name, scope, fn, frozenset(params) | COMMON_KEYS)
        return fn

    return wrap


def names(value: Any) -> list[str]:
    """A `str | list[str] | None` rule parameter as a list."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def contexts_allow(match: dict[str, Any], ctx: frozenset[str]) -> bool:
    """A rule's `context` (any of) and `not_context` (none of) against a file's contexts."""
    want = names(match.get("context"))
    if want and not ctx.intersection(want):
        return False
    return not ctx.intersection(names(match.get("not_context")))


def load_all() -> dict[str, Kind]:
    """Every matcher module, imported so that each registers its kinds."""
    from . import ci, python, repo, text  # noqa: F401

    return KINDS


__all__ = ["Finding", "FileView", "Kind", "KINDS", "register", "contexts_allow", "names", "load_all"]
