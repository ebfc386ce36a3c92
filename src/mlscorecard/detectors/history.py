"""History detector: how many recent changes arrived through a reviewed pull/merge request.

One ``git log`` call (inside gitpython), no per-commit Python objects. A commit came through
review when its subject is a GitHub merge ("Merge pull request #N"), ends in a squash reference
"(#N)", or its message carries "See merge request" (GitLab), "Reviewed-on:" (Gerrit),
"Reviewed-by:" or "Approved-by:". Commits by bots are left out of the fraction.
"""

from __future__ import annotations

import re
from typing import Any

import git

from ..snapshot import Snapshot

WINDOW = 200
_PR_SUBJECT = re.compile(r"^Merge pull request #\d+|\(#\d+\)\s*$")
_PR_BODY = re.compile(r"^(See merge request \S+!\d+|Reviewed-on:|Reviewed-by:|Approved-by:)", re.M)
_BOT = re.compile(r"\[bot\]|^(dependabot|renovate|github-actions|pre-commit-ci|snyk-bot)\b", re.I)
_SEP_FIELD = "\x1f"
_SEP_RECORD = "\x1e"


def review_facts(snap: Snapshot, window: int = WINDOW) -> dict[str, Any] | None:
    """The facts.review block, or None when there is no history to read."""
    if snap.repo is None or snap.commit is None:
        return None
    try:
        raw = snap.repo.git.log(
            "--first-parent", "--no-show-signature", f"-n{window}", f"--format=%H{_SEP_FIELD}%an{_SEP_FIELD}%ae{_SEP_FIELD}%B{_SEP_RECORD}",
            snap.commit,
        )
        total = int(snap.repo.git.rev_list("--count", snap.commit))
    except git.GitCommandError as exc:
        snap.warn(".", f"cannot read git history: {exc.stderr.strip() or exc}")
        return None
    considered = reviewed = bots = 0
    examples: list[dict[str, str]] = []
    for record in raw.split(_SEP_RECORD):
        record = record.strip("\n")
        if not record:
            continue
        sha, name, email, message = (record.split(_SEP_FIELD, 3) + ["", "", ""])[:4]
        if _BOT.search(name) or _BOT.search(email.split("@")[0]):
            bots += 1
            continue
        considered += 1
        subject = message.split("\n", 1)[0].strip()
        if _PR_SUBJECT.search(subject) or _PR_BODY.search(message):
            reviewed += 1
            if len(examples) < 3:
                examples.append({"commit": sha, "subject": subject})
    facts: dict[str, Any] = {
        "commits_considered": considered,
        "pr_fraction": round(reviewed / considered, 3) if considered else 0.0,
        "reviewed_commits": reviewed,
        "bot_commits": bots,
        "total_commits": total,
        "window": window,
        "shallow": snap.shallow,
        "examples": examples,
    }
    if snap.shallow:
        snap.warn(".", "shallow clone: history is incomplete, review evidence has lower confidence")
    return facts
