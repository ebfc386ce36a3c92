"""The pull-request comment: built from a ResultDiff, posted once per pull request.

The body is the diff's Markdown with the hidden marker `<!-- mlscorecard-pr-bot -->` on its
first line, links to evidence at the head commit when the host and repository are known, and at
most 65,536 characters (GitHub's limit). Posting finds the marked comment (paginating) and
creates it, updates it, or leaves it alone when the body is unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..diff.markdown import GITHUB_LIMIT, MARKER, render_markdown
from ..errors import UnusableInput

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "diff.schema.json"


def build_body(diff: dict[str, Any], link_base: str | None = None, limit: int = GITHUB_LIMIT,
               base_link: str | None = None) -> str:
    """link_base: where evidence at the head commit is shown (…/blob/HEAD_SHA); base_link: the
    same at the base commit, for evidence the change removed."""
    return render_markdown(diff, link_base=link_base, marker=True, limit=limit, base_link=base_link)


def load_diff(path: str) -> dict[str, Any]:
    """A diff JSON written by `mlscorecard diff --format json`, checked against its schema (it may
    come from another workflow's artifact: nothing in it is trusted beyond its shape)."""
    import jsonschema

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UnusableInput(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UnusableInput(f"{path}: not JSON: {exc}") from None
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    try:
        jsonschema.Draft202012Validator(schema).validate(data)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top)"
        raise UnusableInput(f"{path}: not an mlscorecard diff (mlscorecard-diff/1): at {where}: {exc.message[:200]}") from None
    return data


def open_host(target, token: str, job_token: bool = False, **client_options):
    """The CommentHost for a target (github or gitlab)."""
    if target.host == "github":
        from ..hosts.github import GitHubPullRequest

        return GitHubPullRequest(target.api_url, target.repo, target.number, token, **client_options)
    from ..hosts.gitlab import GitLabMergeRequest

    return GitLabMergeRequest(target.api_url, target.repo, target.number, token, job_token=job_token, **client_options)


def post(target, token: str, body: str, *, job_token: bool = False, **client_options) -> tuple[str, int]:
    """("created" | "updated" | "unchanged", comment id)."""
    from ..hosts.base import upsert_comment

    host = open_host(target, token, job_token, **client_options)
    try:
        action, comment = upsert_comment(host, body, MARKER)
    finally:
        host.close()
    return action, comment.id
