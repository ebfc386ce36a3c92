"""A whole audit remembered: auditing the same files at the same commit with the same heuristics,
code, settings and answers gives the same result, so it is stored beside the per-file analyses
and handed back without reading a file, running a detector or scoring again.

The key holds what the result is known to depend on:

- the repository's path, the commit and ref and whether a revision was named (the history is
  read from the commit), the shallow boundary (a digest of `.git/shallow`: deepening a clone
  changes the history), the origin URL (reports link to it), and what was read: a commit's
  tree, or the work tree or the index, then as the sorted list of (path, size, blob sha) — a
  changed or untracked file's sha is its content's hash, computed as for the per-file cache;
- the settings (command line over the project's files, whichever revision they came from), the
  heuristics' digest (the project's own rules and contexts included), the answers the audit
  will read (source and text: `--confirmations FILE`, the committed file, or the one on disk,
  even if git ignores it), the file size limit, and the warnings reading the listing gave;
- under the cache's namespace: the tool's version, the built-in heuristics' digest and the
  engine's own source digest.

What stays outside: the state of git's object store beyond the commit (replace refs, grafts),
and the environment's clocks, whose running out is a transient failure (below).

An audit in which anything failed in a way that may not fail again (a clock ran out, a worker
or the libcst child died, git timed out, a reader hit an unplanned error:
`errors.transient_count`) is never stored, and neither are the history, the detector results
or the file analyses that failed (collect.py, memo.py), so a later audit does not replay them.
A plain directory (no commit) is never stored either: it has no identity cheaper than reading
it. Each repository keeps its last few results (`KEPT`), so a fleet's cache does not grow with
every commit it has seen, and a pull request's two sides both stay.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields
from typing import Any

from .model import AuditResult, AuditWarning, Evidence, ItemResult, RubricResult
from .remote import WebRemote

KEPT = 4  # results kept per repository path and kind of source
ITEM_FIELDS = tuple(f for f in fields(ItemResult) if f.name != "evidence")
EVIDENCE_FIELDS = fields(Evidence)


def memo_key(snap, path: str, settings, heur, confirmations: str | None, answers, max_file_size: int) -> str | None:
    """The result's key, or None when this audit is not to be remembered. path: what the audit was
    asked to read (the answers on its disk count)."""
    if snap.commit is None or snap.git is None:
        return None
    from .confirmations import find_confirmations
    from .remote import origin_of

    h = hashlib.sha256()
    if snap.worktree:  # first: reading a changed file may warn, and the warnings are keyed too
        for name in sorted(snap.files):
            sha = snap.sha(name)
            if sha is None:  # unreadable now: the audit reads it again, and warns
                return None
            h.update(f"{name}\0{snap.files[name].size}\0{sha}\0".encode("utf-8", "surrogateescape"))
    if answers is None:  # the answers the audit will read: given, committed, or on disk (even ignored by git)
        try:
            answers = find_confirmations(path, snap, confirmations)
        except (OSError, UnicodeDecodeError) as exc:
            answers = ("unreadable", repr(exc))
    for part in (snap.root, snap.commit, snap.ref, snap.rev_given, repr(snap.worktree), snap.shallow_mark,
                 max_file_size, repr(settings), heur.digest, repr(answers), repr(origin_of(snap)),
                 repr(sorted((w.path, w.message) for w in snap.warnings)), snap.excluded_count):
        h.update(repr(part).encode("utf-8", "surrogateescape") + b"\0")
    return h.hexdigest()


def slot_of(snap) -> str:
    return f"{snap.root}\0{snap.worktree!r}"


def to_memo(result: AuditResult) -> dict[str, Any]:
    """What is stored: the result without what each run sets afresh (settings, heuristics)."""
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
        # as the fresh result holds it: redacted (a token in an origin URL is never shown)
        "remote": [result.remote.kind, result.remote.url] if result.remote is not None else None,
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
        changed=data["changed"], remote=WebRemote(*data["remote"]) if data["remote"] else None,
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
    cache.put_packed_kept("result", key, to_memo(result), "result-slot", slot, KEPT)
