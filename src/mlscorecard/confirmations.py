"""Human confirmations: what a person says about an item, merged into every audit.

The file (default `.mlscorecard.yml` at the repository root) looks like:

    version: 1
    confirmations:
      infra-6:
        level: manual            # ML Test Score: none | manual | automated
        by: Ada Lovelace
        date: 2026-11-20
        commit: 3aa301ab938d...  # the commit the person looked at
        note: Argo canary configured in the platform repository
        links: [https://wiki.example.com/canary]
        evidence: [deploy/rollout.yaml]   # what the audit showed then (written by `confirm`)
      operations.roi:
        score: 2                 # robustness: 0-4
        by: Grace Hopper
      infra-7:
        not_applicable: true
        reason: batch scoring only; there is no serving version to roll back

Not applicable (N/A): an item marked N/A leaves its section (ML Test Score) or the total
(robustness), and the rest is scaled to the full size so bands keep their meaning:
section = round(points of applicable items x 7 / applicable items); a section with every item
N/A leaves the minimum; robustness total = round(sum of applicable x 22 / applicable).
"""

from __future__ import annotations


import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .heuristics import Heuristics
from .project_config import SETTINGS_FILE
from .errors import reading
from .model import LEVEL_POINTS, LEVELS, AuditResult, AuditWarning
from .scoring import band_for
from .snapshot import Snapshot
from .yamlio import LineDict, YamlError, load_yaml

DEFAULT_FILE = SETTINGS_FILE  # the answers share the file with the settings


class ConfirmationsError(Exception):
    """The confirmations file cannot be read (the message names the line)."""


@dataclass
class Confirmation:
    item: str
    rubric: str
    line: int
    level: str | None = None
    score: int | None = None
    not_applicable: bool = False
    reason: str | None = None
    by: str | None = None
    date: str | None = None
    commit: str | None = None
    note: str | None = None
    links: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def check_document(text: str, source: str) -> LineDict:
    """The `confirmations` mapping of a file, or ConfirmationsError naming the line of the problem.
    Used both to read confirmations and, before any write, to refuse a file that is malformed."""
    try:
        data = load_yaml(text) if text.strip() else LineDict()
    except YamlError as exc:
        raise ConfirmationsError(f"{source}: {exc}") from None
    if data is None:
        data = LineDict()
    if not isinstance(data, LineDict):
        raise ConfirmationsError(f"{source}: line 1: expected a mapping with a 'confirmations' key")
    entries = data.get("confirmations")
    if entries is None:
        return LineDict()
    if not isinstance(entries, LineDict):
        raise ConfirmationsError(f"{source}: line {data.line_of('confirmations')}: 'confirmations' must be a mapping")
    return entries


def parse_confirmations(text: str, source: str, heur: Heuristics) -> tuple[dict[str, Confirmation], list[AuditWarning]]:
    """Confirmations by item id, and warnings for entries that cannot be used. Raises
    ConfirmationsError when the file as a whole is malformed."""
    entries = check_document(text, source)
    rubric_of = {i: rid for rid, r in heur.rubrics.items() for i in r.items}
    out: dict[str, Confirmation] = {}
    warnings: list[AuditWarning] = []
    for item_id, raw in entries.items():
        line = entries.line_of(item_id)
        where = f"line {line}: {item_id}"
        if item_id not in rubric_of:
            warnings.append(AuditWarning(source, f"{where}: unknown item id; ignored"))
            continue
        if not isinstance(raw, LineDict):
            warnings.append(AuditWarning(source, f"{where}: expected a mapping; ignored"))
            continue
        c = Confirmation(item=item_id, rubric=rubric_of[item_id], line=line)
        c.not_applicable = bool(raw.get("not_applicable"))
        c.reason = _text(raw.get("reason"))
        if c.not_applicable and not c.reason:
            warnings.append(AuditWarning(source, f"{where}: not_applicable needs a reason; ignored"))
            continue
        if not c.not_applicable:
            if c.rubric == "ml-test-score":
                level = raw.get("level")
                if level not in LEVELS:
                    warnings.append(AuditWarning(source, f"{where}: level must be one of {', '.join(LEVELS)}; ignored"))
                    continue
                c.level = level
            else:
                score = raw.get("score")
                if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 4:
                    warnings.append(AuditWarning(source, f"{where}: score must be 0-4; ignored"))
                    continue
                c.score = score
        c.by, c.date, c.commit, c.note = (_text(raw.get(k)) for k in ("by", "date", "commit", "note"))
        c.links = [str(x) for x in raw.get("links") or [] if isinstance(x, (str, int))]
        c.evidence = [str(x) for x in raw.get("evidence") or [] if isinstance(x, str)]
        out[item_id] = c
    return out, warnings


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


MAX_CONFIRMATIONS_BYTES = 1 << 20  # the committed file is held to the snapshot's size limit too


def _inside(link: Path, root: Path) -> bool:
    try:
        return link.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a loop
        return False


def find_confirmations(path: str, snap: Snapshot, explicit: str | None) -> tuple[str | None, str | None]:
    """(source name, text) of the confirmations to use: --confirmations FILE; else, for an audit
    of a named revision (--rev, either side of a diff) or of the index (--staged), the file of
    what is audited; else the work tree's .mlscorecard.yml on disk (the newest answers, committed
    or not), else the committed one."""
    if explicit:
        p = Path(explicit)
        return str(p), p.read_text(encoding="utf-8")
    if snap.rev_given or snap.worktree == "staged":
        text = snap.read_text(DEFAULT_FILE) if snap.exists(DEFAULT_FILE) else None
        return (DEFAULT_FILE, text) if text is not None else (None, None)
    on_disk = Path(path) / DEFAULT_FILE
    if on_disk.is_symlink() and not _inside(on_disk, Path(path)):
        # the repository's own answers live in the repository: a link out of it is not followed
        raise OSError(0, "symlink points outside the repository; not followed")
    if on_disk.is_file():
        size = on_disk.stat().st_size
        if size > MAX_CONFIRMATIONS_BYTES:  # answers for 50 items are a few KB; this is not one
            raise OSError(0, f"larger than {MAX_CONFIRMATIONS_BYTES} bytes ({size}); not read")
        return DEFAULT_FILE, on_disk.read_text(encoding="utf-8")
    if snap.exists(DEFAULT_FILE):
        text = snap.read_text(DEFAULT_FILE)
        return (DEFAULT_FILE, text) if text is not None else (None, None)
    return None, None


def apply_confirmations(result: AuditResult, confirmations: dict[str, Confirmation], heur: Heuristics,
                        snap: Snapshot, source: str) -> None:
    """Attach a `confirmed` record to each confirmed item (with stale and disagreement notes) and
    recompute both rubrics' scores from the confirmed values, N/A rules included."""
    for rid, rubric in result.rubrics.items():
        for item in rubric.items.values():
            c = confirmations.get(item.id)
            if c is None:
                continue
            record: dict[str, Any] = {"path": source, "line": c.line}
            if c.not_applicable:
                record["not_applicable"] = True
                record["reason"] = c.reason
            elif rid == "ml-test-score":
                record["level"] = c.level
                record["points"] = LEVEL_POINTS[c.level]
            else:
                record["score"] = c.score
            for key in ("by", "date", "commit", "note"):
                if getattr(c, key):
                    record[key] = getattr(c, key)
            if c.links:
                record["links"] = c.links
            stale = _stale(c, item, snap, result.commit)
            if stale:
                record["stale"] = stale
            disagreement = _disagreement(c, item, rid)
            if disagreement:
                record["disagreement"] = disagreement
            item.confirmed = record
    rescore(result, heur)


def _stale(c: Confirmation, item, snap: Snapshot, commit: str | None) -> str | None:
    if not c.commit or not commit or commit.startswith(c.commit) or c.commit.startswith(commit):
        return None
    gone = [p for p in c.evidence if not snap.exists(p)]
    if gone:
        return f"confirmed at {c.commit[:12]}; evidence it relied on is gone: {', '.join(gone)}"
    if c.evidence and not item.evidence:
        return f"confirmed at {c.commit[:12]}; the evidence seen then is no longer found"
    return None


def _disagreement(c: Confirmation, item, rubric_id: str) -> str | None:
    if c.not_applicable:
        return None
    automated_evidence = [e for e in item.evidence if e.automated_by and not e.negative]
    if rubric_id == "ml-test-score":
        if c.level == "automated" and not automated_evidence:
            return ("confirmed as automated, but no CI job, schedule, pipeline step or serving path was found "
                    "running anything for this item")
        if c.level == "none" and item.level == "automated" and item.confidence >= 0.7:
            return "confirmed as none, but automated evidence was found (see the evidence list)"
    elif c.score == 4 and not automated_evidence:
        return "confirmed as 4 (solid and automated), but nothing was found running without a person"
    return None


def rescore(result: AuditResult, heur: Heuristics) -> None:
    """Effective scores: a confirmation replaces the proposal; N/A items leave the sums (scaled)."""
    mts = result.rubrics["ml-test-score"]
    mts.proposed_score, mts.proposed_groups = mts.score, dict(mts.groups)
    sections: dict[str, int] = {}
    for g in heur.rubrics["ml-test-score"].groups:
        points, applicable = 0, 0
        for item in mts.items.values():
            if item.group != g["id"]:
                continue
            conf = item.confirmed or {}
            if conf.get("not_applicable"):
                continue
            applicable += 1
            points += conf.get("points", item.points or 0)
        if applicable:
            sections[g["id"]] = round(points * 7 / applicable) if applicable < 7 else points
    mts.groups = {g["id"]: sections.get(g["id"], 0) for g in heur.rubrics["ml-test-score"].groups}
    mts.not_applicable_groups = sorted(set(mts.groups) - set(sections))
    mts.score = min(sections.values()) if sections else 0
    mts.band = band_for(heur.rubrics["ml-test-score"].data["scoring"]["bands"], mts.score)

    rob = result.rubrics["robustness"]
    rob.proposed_score, rob.proposed_groups = rob.score, dict(rob.groups)
    categories = {g["id"]: 0 for g in heur.rubrics["robustness"].groups}
    total, applicable = 0, 0
    for item in rob.items.values():
        conf = item.confirmed or {}
        if conf.get("not_applicable"):
            continue
        applicable += 1
        value = conf.get("score", item.score or 0)
        categories[item.group] += value
        total += value
    rob.groups = categories
    rob.score = round(total * len(rob.items) / applicable) if applicable and applicable < len(rob.items) else total
    rob.band = band_for(heur.rubrics["robustness"].data["scoring"]["bands"], rob.score)


def merge_into(result: AuditResult, heur: Heuristics, snap: Snapshot, path: str, explicit: str | None,
               answers: tuple[str | None, str | None] | None = None) -> None:
    """Find, read and apply confirmations; problems with the file become warnings. answers:
    (source, text) found elsewhere — the base revision's, for the head side of a diff."""
    try:
        source, text = answers if answers is not None else find_confirmations(path, snap, explicit)
    except (OSError, UnicodeDecodeError) as exc:
        result.warn(explicit or DEFAULT_FILE, f"cannot read confirmations: {getattr(exc, 'strerror', None) or exc}")
        rescore(result, heur)
        return
    confirmations: dict[str, Confirmation] = {}
    if text is not None and source is not None:
        with reading(result, source, "confirmations"):  # a value of a type the reader did not plan for
            try:
                confirmations, warnings = parse_confirmations(text, source, heur)
                result.warnings.extend(warnings)
            except ConfirmationsError as exc:  # the warning names the file already
                what = "its settings and confirmations" if source == DEFAULT_FILE else "confirmations"
                result.warn(source, f"{str(exc).removeprefix(f'{source}: ')}; {what} ignored")
    apply_confirmations(result, confirmations, heur, snap, source or DEFAULT_FILE)
    result.warnings.sort(key=lambda w: (w.path, w.message))

