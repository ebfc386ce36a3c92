"""One comment per pull request, whatever the host: find it by a hidden marker, then create,
update or leave it.

A host implements `CommentHost` (list the comments of the pull request, page by page; create one;
update one). `upsert_comment` holds the logic once, so GitHub and GitLab cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol


class HostError(Exception):
    """The host refused or could not be reached. The message is one line, fit for stderr, and never
    holds the token (requests carry it in a header, and messages are built here, not by httpx)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Comment:
    id: int
    body: str


class CommentHost(Protocol):
    """A pull request's comment thread on one host."""

    def comments(self) -> Iterator[Comment]:
        """Every comment of the pull request, following the host's pagination."""

    def create(self, body: str) -> Comment: ...

    def update(self, comment: Comment, body: str) -> Comment: ...


def find_marked(host: CommentHost, marker: str) -> Comment | None:
    """The first comment whose body carries the marker (stops paginating once found)."""
    for comment in host.comments():
        if marker in comment.body:
            return comment
    return None


def upsert_comment(host: CommentHost, body: str, marker: str) -> tuple[str, Comment]:
    """("created" | "updated" | "unchanged", the comment): exactly one marked comment per pull request."""
    if marker not in body:
        raise ValueError("the comment body must carry the marker, or the next run could not find it")
    existing = find_marked(host, marker)
    if existing is None:
        return "created", host.create(body)
    if existing.body.strip() == body.strip():
        return "unchanged", existing
    return "updated", host.update(existing, body)
