"""The result model shared by detectors, scoring and every report format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .remote import WebRemote

LEVELS = ("none", "manual", "automated")
# What a piece of evidence rests on, weakest first. Documentation and names only say that a
# check may exist; code does it; a checked call or a test acts on the result; CI and the
# history are what the repository's own machinery records.
BASES = ("documentation", "name", "configuration", "code", "checked code", "test", "ci", "history")
# automated_by of evidence that a pipeline step runs (detectors/pipeline_steps.py): it runs in
# the pipeline, not because a CI configuration runs it
PIPELINE_STEP = "pipeline step: "
LEVEL_POINTS = {"none": 0, "manual": 1, "automated": 2}


@dataclass(frozen=True)
class AuditWarning:
    """A problem with one file or one step. The audit goes on; the report shows it."""

    path: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message}


@dataclass
class Evidence:
    """One finding of one rule at one location, supporting one rubric item.

    ``level`` (ML Test Score) or ``score`` (robustness) is what this piece of evidence alone
    demonstrates; ``automated_by`` names the CI config (or "serving path", "pipeline path",
    "pipeline step: <definition>:<line>") that runs it.
    """

    rule: str
    path: str
    line: int
    confidence: float
    summary: str
    item: str
    level: str | None = None
    score: int | None = None
    automated_by: str | None = None
    cell: int | None = None  # notebook code cell (1-based); `line` is then the line within that cell
    cap: int | None = None  # negative evidence (e.g. a committed secret): the most the item may score
    basis: str | None = None  # what kind of evidence it is (BASES): documentation is weaker than a checked call

    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.line, self.rule)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "path": self.path,
            "line": self.line,
            "confidence": round(self.confidence, 2),
            "summary": self.summary,
        }
        if self.level is not None:
            out["level"] = self.level
        if self.score is not None:
            out["score"] = self.score
        if self.automated_by:
            out["automated_by"] = self.automated_by
        if self.cell is not None:
            out["cell"] = self.cell
        if self.cap is not None:
            out["negative"] = True
            out["cap"] = self.cap
        if self.basis is not None:
            out["basis"] = self.basis
        return out

    @property
    def negative(self) -> bool:
        return self.cap is not None

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" + (f" (cell {self.cell})" if self.cell is not None else "")


@dataclass
class ItemResult:
    id: str
    title: str
    group: str  # section (ml-test-score) or category (robustness)
    confidence: float
    needs_confirmation: bool
    evidence: list[Evidence] = field(default_factory=list)
    level: str | None = None  # ml-test-score
    points: int | None = None  # ml-test-score
    score: int | None = None  # robustness
    reason: str = ""
    confirmed: dict[str, Any] | None = None  # a human's answer, from the confirmations file


@dataclass
class RubricResult:
    id: str
    title: str
    score: int
    band: str
    groups: dict[str, int]
    items: dict[str, ItemResult]
    # what the evidence alone gives, before confirmations (equal to score/groups when there are none)
    proposed_score: int | None = None
    proposed_groups: dict[str, int] | None = None
    not_applicable_groups: list[str] = field(default_factory=list)


@dataclass
class AuditResult:
    repo_path: str
    commit: str | None
    ref: str | None
    rubrics: dict[str, RubricResult]
    facts: dict[str, Any]
    warnings: list[AuditWarning]
    stats: dict[str, Any] = field(default_factory=dict)
    hints: list[dict[str, Any]] = field(default_factory=list)  # declared dependencies nothing uses
    anchor: str | None = None  # a file repo-level findings can point at (README, else the first file)
    remote: WebRemote | None = None  # where the repository lives on the web (origin), for links
    source: str = "commit"  # what was read: commit (git objects), worktree (a checkout's files), directory
    uncommitted: int | None = None  # with source worktree: files that differ from the commit
    changed: list[str] = field(default_factory=list)  # with source worktree or staged: those files
    settings: Any = None  # the project's Settings the audit ran with (project_config.py)
    heuristics: Any = None  # the heuristics it ran with (built-in, plus the project's own rules)

    def warn(self, path: str, message: str) -> None:
        """A warning found after the snapshot was read (confirmations): same shape as Snapshot.warn."""
        self.warnings.append(AuditWarning(path, message))
