"""History detector: how many recent changes arrived through a reviewed pull/merge request.

One ``git log`` call (inside gitpython), no per-commit Python objects. A commit came through
review when its subject is a GitHub merge ("Merge pull request #N"), ends in a squash reference
"(#N)", or its message carries "See merge request" (GitLab), "Reviewed-on:" (Gerrit),
"Reviewed-by:" or "Approved-by:". Commits by bots are left out of the fraction.
"""

from __future__ import annotations

import re
from typing import Any

from ..gitcmd import GitError
from ..globs import PathGlob, gitignore_glob, is_anchored
from ..memo import selector
from ..snapshot import Snapshot

WINDOW = 200
_PR_SUBJECT = re.compile(r"^Merge pull request #\d+|\(#\d+\)\s*$")
_PR_BODY = re.compile(r"^(See merge request \S+!\d+|Reviewed-on:|Reviewed-by:|Approved-by:)", re.M)
_BOT = re.compile(r"\[bot\]|^(dependabot|renovate|github-actions|pre-commit-ci|snyk-bot)\b", re.I)
_SEP_FIELD = "\x1f"
_SEP_RECORD = "\x1e"
_SEP_FILES = "\x1d"
# Files that specify a model: model and training code, model configs. Commits touching them are
# the ones model-1 asks about ("every model specification undergoes a code review").
MODEL_SPEC_RE = re.compile(
    r"(^|/)(models?|modeling|modelling|train|training|trainer|networks?|nets?|estimators?)(/|\.py$|_[^/]*\.py$)"
    r"|(^|/)[^/]*(model|train|hyperparam|params)[^/]*\.(ya?ml|json|cfg|toml|ini)$"
)


def _log_args(window: int, commit: str, with_files: bool = True) -> list[str]:
    fmt = f"--format={_SEP_RECORD}%H{_SEP_FIELD}%an{_SEP_FIELD}%ae{_SEP_FIELD}%B{_SEP_FILES}"
    # --first-parent with --name-only lists, for a merge, what it brought in against the main
    # line; --no-renames keeps git from reading blobs (a stripped mirror may lack some)
    files = ["--name-only", "--no-renames"] if with_files else []
    # --encoding=UTF-8: messages stored in another encoding (i18n.commitEncoding) come back as UTF-8
    return ["log", "--first-parent", "--no-show-signature", "--encoding=UTF-8", *files, f"-n{window}", fmt, commit]


def start_review(snap: Snapshot, window: int = WINDOW, known_counts: list[tuple[str, int]] = ()):
    """Start the two git commands the review facts need, to collect with review_facts(started=).

    Counting every commit behind a commit walks the whole history (0.15 s for 11,000 commits).
    When the commit is an ancestor of one whose count is known (the head of a pull request,
    when its base is audited), only the commits between them are counted:
    |ancestors(head)| - |ancestors(head) - ancestors(base)|, exactly."""
    assert snap.git is not None and snap.commit is not None
    counting = None
    for known, count in list(known_counts)[:3]:
        if known == snap.commit:
            counting = (None, count)
            break
        try:
            snap.git.run("merge-base", "--is-ancestor", snap.commit, known)
        except GitError:  # not an ancestor (exit 1), or the known commit is gone
            continue
        counting = (snap.git.start("rev-list", "--count", f"{snap.commit}..{known}"), count)
        break
    if counting is None:
        counting = (snap.git.start("rev-list", "--count", snap.commit), None)
    return counting, snap.git.start(*_log_args(window, snap.commit))


def _finish_count(snap: Snapshot, counting) -> int:
    proc, known = counting
    if proc is None:
        return known
    counted = int(snap.git.finish(proc))
    return known - counted if known is not None else counted


def review_facts(snap: Snapshot, window: int = WINDOW, started=None) -> dict[str, Any] | None:
    """The facts.review block, or None when there is no history to read."""
    if snap.git is None or snap.commit is None:
        return None
    counting, logging = started or start_review(snap, window)
    raw, log_error = None, None
    try:
        raw = snap.git.finish(logging)
    except GitError as exc:
        log_error = exc
    try:
        total = _finish_count(snap, counting)
    except (GitError, ValueError) as exc:
        snap.warn(".", f"cannot read git history: {exc}")
        return None
    if raw is None:
        snap.warn(".", f"cannot list the files of recent commits ({log_error}); model-spec review not measured")
        try:
            raw = snap.git.text(*_log_args(window, snap.commit, with_files=False))
        except GitError as exc2:
            snap.warn(".", f"cannot read git history: {exc2}")
            return None
    considered = reviewed = bots = model_commits = model_reviewed = 0
    examples: list[dict[str, str]] = []
    unreviewed_model: list[dict[str, str]] = []
    for record in raw.split(_SEP_RECORD):
        if not record.strip():
            continue
        header, _, file_block = record.partition(_SEP_FILES)
        sha, name, email, message = (header.split(_SEP_FIELD, 3) + ["", "", ""])[:4]
        if _BOT.search(name) or _BOT.search(email.split("@")[0]):
            bots += 1
            continue
        considered += 1
        subject = message.strip("\n").split("\n", 1)[0].strip()
        is_reviewed = bool(_PR_SUBJECT.search(subject) or _PR_BODY.search(message))
        if is_reviewed:
            reviewed += 1
            if len(examples) < 3:
                examples.append({"commit": sha, "subject": subject})
        if any(MODEL_SPEC_RE.search(f) for f in file_block.split("\n") if f.strip()):
            model_commits += 1
            if is_reviewed:
                model_reviewed += 1
            elif len(unreviewed_model) < 3:
                unreviewed_model.append({"commit": sha, "subject": subject})
    facts: dict[str, Any] = {
        "commits_considered": considered,
        "pr_fraction": round(reviewed / considered, 3) if considered else 0.0,
        "reviewed_commits": reviewed,
        "bot_commits": bots,
        "total_commits": total,
        "window": window,
        "shallow": snap.shallow,
        "examples": examples,
        # commits that touched model code or model configs, and how many of those were reviewed
        "model_spec_commits": model_commits,
        "model_spec_reviewed": model_reviewed,
        "model_spec_pr_fraction": round(model_reviewed / model_commits, 3) if model_commits else None,
        "unreviewed_model_spec_commits": unreviewed_model,
    }
    if snap.shallow:
        snap.warn(".", "shallow clone: history is incomplete, review evidence has lower confidence")
    return facts


@selector("model-files")
def is_model_file(path: str) -> bool:
    return bool(MODEL_SPEC_RE.search(path))


CODEOWNERS_PATHS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")


def _literal_prefix(pattern: str) -> tuple[str, ...]:
    """The folders an anchored pattern names before its first wildcard (`/models/m0/**` ->
    (models, m0)); () for a pattern that can match at any depth."""
    if not is_anchored(pattern):
        return ()
    out = []
    for segment in pattern.strip("/").split("/"):
        if not segment or any(c in segment for c in "*?[\\!"):
            break
        out.append(segment)
    return tuple(out)


def codeowners_facts(snap: Snapshot) -> dict[str, Any] | None:
    """Who owns the model code: for each model-spec file, the owners of the last matching line."""
    path = next((p for p in CODEOWNERS_PATHS if snap.exists(p)), None)
    if path is None:
        return None
    text = snap.read_text(path) or ""
    rules: list[tuple[int, PathGlob, list[str]]] = []
    lines_pattern: dict[int, str] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 1 and not line.lstrip().startswith("#"):
            rules.append((n, gitignore_glob(parts[0]), parts[1:]))  # segment by segment: never slow
            lines_pattern[n] = parts[0]
    model_files = snap.select("model-files")
    owned: dict[str, tuple[int, list[str]]] = {}
    # A rule anchored at the root can only match below its leading literal folders: index rules by
    # them, so each file tries the rules keyed by its own ancestors plus the unanchored ones, not
    # every line of a CODEOWNERS of thousands of lines.
    by_prefix: dict[tuple[str, ...], list[tuple[int, PathGlob, list[str]]]] = {}
    for rule in rules:
        by_prefix.setdefault(_literal_prefix(lines_pattern[rule[0]]), []).append(rule)
    for f in model_files:
        segments = tuple(f.split("/"))
        candidates = [r for k in range(len(segments) + 1) for r in by_prefix.get(segments[:k], ())]
        candidates.sort(key=lambda r: -r[0])  # the last matching pattern wins
        for n, rx, owners in candidates:
            if rx.match(f):
                if owners:
                    owned[f] = (n, owners)
                break
    owners = sorted({o for _, os_ in owned.values() for o in os_})
    return {
        "path": path,
        "model_files": len(model_files),
        "owned_model_files": len(owned),
        "model_code_owners": owners,
        "lines": sorted({n for n, _ in owned.values()}),
    }
