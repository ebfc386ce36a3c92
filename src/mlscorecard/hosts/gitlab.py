"""GitLab (gitlab.com or self-hosted): the merge request's notes.

REST endpoints used (notes API, v4): `GET /projects/{id}/merge_requests/{iid}/notes` (oldest
first; paginated by `Link: rel="next"`, else `x-next-page`), `POST` on the same path, and
`PUT /projects/{id}/merge_requests/{iid}/notes/{note_id}`. `{id}` is the numeric project id or
the URL-encoded path ("group/project"). A personal, project or group access token goes in
`PRIVATE-TOKEN`; CI's own `CI_JOB_TOKEN` goes in `JOB-TOKEN` (GitLab may refuse it for notes:
then give a project access token with the `api` scope in `GITLAB_TOKEN`).
"""

from __future__ import annotations

from typing import Iterator
from urllib.parse import quote, urljoin

from .base import Comment, HostError
from .github import _json_list, next_link
from .http import RetryingClient

PER_PAGE = 100


def web_url(api_url: str) -> str:
    """https://gitlab.example/api/v4 -> https://gitlab.example."""
    api_url = api_url.rstrip("/")
    return api_url[: -len("/api/v4")] if api_url.endswith("/api/v4") else api_url


class GitLabMergeRequest:
    """The notes of merge request `iid` of `project` (numeric id or "group/project")."""

    def __init__(self, api_url: str, project: str, iid: int, token: str, *, job_token: bool = False,
                 **client_options) -> None:
        if not project:
            raise HostError("GitLab project is empty: give --repo (project id or path) or set CI_PROJECT_ID")
        self.prefix = f"/projects/{quote(project, safe='')}/merge_requests/{iid}/notes"
        header = "JOB-TOKEN" if job_token else "PRIVATE-TOKEN"
        self.http = RetryingClient(api_url, {header: token, "User-Agent": "mlscorecard-pr-bot",
                                             "Accept": "application/json"}, what="GitLab", **client_options)

    def close(self) -> None:
        self.http.close()

    def comments(self) -> Iterator[Comment]:
        url: str | None = self.prefix
        params: dict | None = {"sort": "asc", "order_by": "created_at", "per_page": PER_PAGE}
        while url:
            response = self.http.request("GET", url, params=params)
            for row in _json_list(response):
                if not row.get("system"):
                    yield Comment(int(row["id"]), row.get("body") or "")
            following = next_link(response.headers.get("link"))
            if following:
                url, params = urljoin(str(response.url), following), None
            elif (response.headers.get("x-next-page") or "").strip().isdigit():
                url = self.prefix
                params = {"sort": "asc", "order_by": "created_at", "per_page": PER_PAGE,
                          "page": int(response.headers["x-next-page"])}
            else:
                url = None

    def create(self, body: str) -> Comment:
        row = self.http.request("POST", self.prefix, json={"body": body}).json()
        return Comment(int(row["id"]), row.get("body") or "")

    def update(self, comment: Comment, body: str) -> Comment:
        row = self.http.request("PUT", f"{self.prefix}/{comment.id}", json={"body": body}).json()
        return Comment(int(row["id"]), row.get("body") or "")


__all__ = ["GitLabMergeRequest", "web_url", "HostError"]
