"""Where to post, from options or from the CI's standard environment, and the token from the
environment only (never an option: a token on a command line lands in shell history and `ps`).

GitHub Actions: GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_EVENT_PATH (pull_request.number; in a
`workflow_run` job, workflow_run.pull_requests[0].number — a fork's run names none, and the number
the diff recorded is never taken: --pr), GITHUB_SERVER_URL; token GITHUB_TOKEN or --token-env NAME.
GitLab CI: CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID, CI_PROJECT_URL; token GITLAB_TOKEN
(a project access token with the `api` scope, sent as PRIVATE-TOKEN) or --token-env NAME. The CI
job token is not a default: GitLab's notes API does not accept it. `--token-env CI_JOB_TOKEN`
still sends it (as JOB-TOKEN) for instances that allow it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import quote

from .base import HostError


@dataclass(frozen=True)
class Target:
    host: str  # github | gitlab
    api_url: str
    repo: str  # owner/name (GitHub); project id or path (GitLab)
    number: int  # pull request number / merge request iid
    web_url: str | None  # the project's web page, for links to evidence (None: no links)


def _event(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise HostError(f"GITHUB_EVENT_PATH: cannot read the event: {getattr(exc, 'strerror', None) or exc}") from None
    return data if isinstance(data, dict) else {}


def github_pr_number(env: Mapping[str, str], diff: dict[str, Any] | None) -> int | None:
    event = _event(env)
    for holder in (event.get("pull_request"), event.get("issue")):
        if isinstance(holder, dict) and isinstance(holder.get("number"), int):
            return holder["number"]
    run = event.get("workflow_run")
    if isinstance(run, dict):
        prs = run.get("pull_requests") or []
        if prs and isinstance(prs[0], dict) and isinstance(prs[0].get("number"), int):
            return prs[0]["number"]
        # A pull request from a fork is not listed. The number the diff recorded is not taken: the
        # artifact was made by the fork's own workflow and could name any pull request or issue.
        # The trusted workflow looks it up (README: `gh api .../pulls?head=...`) and passes --pr.
        raise HostError("this workflow_run names no pull request (a pull request from a fork): look the number "
                        "up in this trusted workflow from the run's head repository, branch and sha, and give --pr N "
                        "(the number in the diff is never trusted)")
    return None


def github_target(env: Mapping[str, str], api_url: str | None, repo: str | None, pr: int | None,
                  diff: dict[str, Any] | None = None) -> Target:
    from .github import DEFAULT_API, web_url

    api = (api_url or env.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/")
    repo = repo or env.get("GITHUB_REPOSITORY")
    if not repo:
        raise HostError("no repository: give --repo owner/name or run in GitHub Actions (GITHUB_REPOSITORY)")
    number = pr or github_pr_number(env, diff)
    if not number:
        raise HostError("no pull request number: give --pr N or run on a pull_request or workflow_run event")
    server = (env.get("GITHUB_SERVER_URL") or web_url(api)).rstrip("/")
    return Target("github", api, repo, number, f"{server}/{quote(repo, safe='/')}")


def gitlab_target(env: Mapping[str, str], api_url: str | None, repo: str | None, pr: int | None) -> Target:
    from .gitlab import web_url

    api = (api_url or env.get("CI_API_V4_URL") or "").rstrip("/")
    if not api:
        raise HostError("no GitLab API URL: give --api-url https://HOST/api/v4 or run in GitLab CI (CI_API_V4_URL)")
    project = repo or env.get("CI_PROJECT_ID")
    if not project:
        raise HostError("no project: give --repo (project id or group/project) or run in GitLab CI (CI_PROJECT_ID)")
    iid = pr or (int(env["CI_MERGE_REQUEST_IID"]) if env.get("CI_MERGE_REQUEST_IID", "").isdigit() else None)
    if not iid:
        raise HostError("no merge request: give --pr IID or run in a merge request pipeline (CI_MERGE_REQUEST_IID)")
    page = env.get("CI_PROJECT_URL") if not repo else None
    if not page and not project.isdigit():
        page = f"{web_url(api)}/{quote(project, safe='/')}"
    return Target("gitlab", api, project, iid, page.rstrip("/") if page else None)


def github_token(env: Mapping[str, str], token_env: str | None) -> str:
    name = token_env or "GITHUB_TOKEN"
    token = env.get(name, "").strip()
    if not token:
        raise HostError(f"no token: set {name} in the environment")
    return token


def gitlab_token(env: Mapping[str, str], token_env: str | None) -> tuple[str, bool]:
    """(token, is a CI job token)."""
    names = [token_env] if token_env else ["GITLAB_TOKEN"]
    for name in names:
        token = env.get(name, "").strip()
        if token:
            return token, name == "CI_JOB_TOKEN"
    raise HostError(f"no token: set {' or '.join(names)} in the environment")


def link_base(target: Target, head_commit: str | None) -> str | None:
    """Where evidence at the head commit is shown on the web (…/blob/SHA), or None when unknown."""
    if not target.web_url or not head_commit:
        return None
    middle = "/-/blob/" if target.host == "gitlab" else "/blob/"
    return f"{target.web_url}{middle}{quote(head_commit, safe='')}"
