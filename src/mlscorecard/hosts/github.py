"""GitHub (and GitHub Enterprise Server): the pull request's conversation is its issue's comments.

REST endpoints used (issues API): `GET /repos/{owner}/{repo}/issues/{n}/comments` (paginated by
the `Link: <…>; rel="next"` header), `POST` on the same path, and
`PATCH /repos/{owner}/{repo}/issues/comments/{id}`. The token goes in `Authorization: Bearer`.
"""

from __future__ import annotations

import re
from typing import Iterator
from urllib.parse import quote, urljoin

from .base import Comment, HostError
from .http import RetryingClient

DEFAULT_API = "https://api.github.com"
PER_PAGE = 100
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def next_link(link_header: str | None) -> str | None:
    """The URL of the next page in an RFC 8288 Link header (GitHub and GitLab both send one)."""
    if not link_header:
        return None
    for part in link_header.split(","):
        mo = _NEXT.search(part)
        if mo:
            return mo.group(1)
    return None


def web_url(api_url: str) -> str:
    """https://api.github.com -> https://github.com; https://ghe.example/api/v3 -> https://ghe.example."""
    api_url = api_url.rstrip("/")
    if api_url == DEFAULT_API:
        return "https://github.com"
    return re.sub(r"/api/v3$", "", api_url)


class GitHubPullRequest:
    """The comments of pull request `number` of `repo` ("owner/name")."""

    def __init__(self, api_url: str, repo: str, number: int, token: str, **client_options) -> None:
        if repo.count("/") != 1 or not all(repo.split("/")):
            raise HostError(f"GitHub repository must be owner/name (got {repo!r})")
        owner, name = repo.split("/")
        self.prefix = f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"
        self.number = number
        self.http = RetryingClient(api_url, {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "mlscorecard-pr-bot",
        }, what="GitHub", **client_options)

    def close(self) -> None:
        self.http.close()

    def comments(self) -> Iterator[Comment]:
        url: str | None = f"{self.prefix}/issues/{self.number}/comments"
        params: dict | None = {"per_page": PER_PAGE}
        while url:
            response = self.http.request("GET", url, params=params)
            for row in _json_list(response):
                yield Comment(int(row["id"]), row.get("body") or "")
            following = next_link(response.headers.get("link"))
            url = urljoin(str(response.url), following) if following else None
            params = None  # the next link carries its own query

    def create(self, body: str) -> Comment:
        row = self.http.request("POST", f"{self.prefix}/issues/{self.number}/comments", json={"body": body}).json()
        return Comment(int(row["id"]), row.get("body") or "")

    def update(self, comment: Comment, body: str) -> Comment:
        row = self.http.request("PATCH", f"{self.prefix}/issues/comments/{comment.id}", json={"body": body}).json()
        return Comment(int(row["id"]), row.get("body") or "")


def _json_list(response) -> list[dict]:
    try:
        rows = response.json()
    except ValueError:
        raise HostError("the host answered with something that is not JSON") from None
    if not isinstance(rows, list):
        raise HostError("the host answered with something that is not a list of comments")
    return rows
