"""Code hosts: the only network code. One protocol (`base.CommentHost`), one implementation per
host (`github`, `gitlab`), the shared retrying HTTP client (`http`, httpx imported on first use)
and where to post from the CI environment (`target`)."""

from .base import Comment, CommentHost, HostError, find_marked, upsert_comment

__all__ = ["Comment", "CommentHost", "HostError", "find_marked", "upsert_comment"]
