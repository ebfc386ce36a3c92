"""A whole audit remembered: auditing the same files at the same commit with the same heuristics,
code, settings and answers gives the same result, so it is stored beside the per-file analyses
and handed back without reading a file, running a detector or scoring again.

The key holds everything the result depends on:

- the repository's path, the commit and ref (the history is read from the commit), whether
  it is shallow, and what was read: a commit's tree, or the work tree or the index, then as the
  sorted list of (path, size, blob sha) — a changed or untracked file's sha is its content's
  hash, computed as for the per-file cache;
- the settings (command line over the project's files, whichever revision they came from), the
  heuristics' digest (the project's own rules and contexts included), the answers and an
  explicit confirmations file's bytes, the file size limit, and the warnings reading the
  listing gave;
- under the cache's namespace: the tool's version, the built-in heuristics' digest and the
  engine's own source digest.

An audit in which anything failed in a way that may not fail again (a clock ran out, a worker
died, git timed out, a reader hit an unplanned error: `errors.transient_count`) is never stored.
A plain directory (no commit) is never stored either: it has no identity cheaper than reading
it. Each repository keeps its last few results (`KEPT`), so a fleet's cache does not grow with
every commit it has seen, and a pull request's two sides both stay.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields
from pathlib import Path
from typing import Any

from .model import AuditResult, AuditWarning, Evidence, ItemResult, RubricResult

KEPT = 4  # results kept per repository path and kind of source
ITEM_FIELDS = tuple(f for f in fields(ItemResult) if f.name != "evidence")
EVIDENCE_FIELDS = fields(Evidence)


def memo_key(snap, settings, heur, confirmations: str | None, answers, max_file_size: int) -> str | None:
    """The result's key, or None when this audit is not to be remembered."""
    if snap.commit is None or snap.git is None:
        return None
    h = hashlib.sha256()
    if snap.worktree:  # first: reading a changed file may warn, and the warnings are keyed too
        for path in sorted(snap.files):
            sha = snap.sha(path)
            if sha is None:  # unreadable now: the audit reads it again, and warns
                return None
            h.update(f"{path}\0{snap.files[path].size}\0{sha}\0".encode("utf-8", "surrogateescape"))
    for part in (snap.root, snap.commit, snap.ref, repr(snap.worktree), int(snap.shallow), max_file_size,
                 repr(settings), heur.digest, repr(answers),
                 repr(sorted((w.path, w.message) for w in snap.warnings)), snap.excluded_count):
        h.update(repr(part).encode("utf-8", "surrogateescape") + b"\0")
    if confirmations:
        h.update(hashlib.sha256(Path(confirmations).read_bytes()).digest())
    return h.hexdigest()


def slot_of(snap) -> str:
    return f"{snap.root}\0{snap.worktree!r}"


def to_memo(result: AuditResult) -> dict[str, Any]:
    """What is stored: the result without what each run sets afresh (remote, settings, heuristics)."""
    return {
        "repo_path": result.repo_path, "commit": result.commit, "ref": result.ref,
        # the fields one level deep (dataclasses.asdict copies every value recursively: ten times slower)
        "rubrics": {rid: {**{f.name: getattr(r, f.name) for f in fields(r) if f.name != "items"},
                          "items": {iid: {**{f.name: getattr(item, f.name) for f in ITEM_FIELDS},
                                          "evidence": [{f.name: getattr(e, f.name) for f in EVIDENCE_FIELDS}
                                                       for e in item.evidence]}
                                    for iid, item in r.items.items()}}
                    for rid, r in result.rubrics.items()},
        "facts": result.facts, "warnings": [[w.path, w.message] for w in result.warnings],
        "stats": result.stats, "hints": result.hints, "anchor": result.anchor, "source": result.source,
        "uncommitted": result.uncommitted, "changed": result.changed,
    }


def from_memo(data: dict[str, Any]) -> AuditResult:
    rubrics = {}
    for rid, r in data["rubrics"].items():
        items = {iid: ItemResult(**{**item, "evidence": [Evidence(**e) for e in item["evidence"]]})
                 for iid, item in r["items"].items()}
        rubrics[rid] = RubricResult(**{**r, "items": items})
    return AuditResult(
        repo_path=data["repo_path"], commit=data["commit"], ref=data["ref"], rubrics=rubrics, facts=data["facts"],
        warnings=[AuditWarning(p, m) for p, m in data["warnings"]], stats={**data["stats"], "remembered": True},
        hints=data["hints"], anchor=data["anchor"], source=data["source"], uncommitted=data["uncommitted"],
        changed=data["changed"],
    )


def recall(cache, key: str | None) -> AuditResult | None:
    if cache is None or key is None:
        return None
    data = cache.get_packed("result", key)
    if data is None:
        return None
    try:
        return from_memo(data)
    except (KeyError, TypeError, ValueError):  # stored by an older layout: audit afresh
        return None


def remember(cache, snap, key: str | None, result: AuditResult) -> None:
    if cache is None or key is None:
        return
    slot = hashlib.sha1(slot_of(snap).encode("utf-8", "surrogateescape")).hexdigest()
    kept = [k for k in (cache.get("result-slot", slot) or []) if k != key]
    for old in kept[KEPT - 1:]:
        cache.delete("result", old)
    cache.put_packed("result", key, to_memo(result))
    cache.put("result-slot", slot, [key, *kept[:KEPT - 1]])
