"""Where a repository lives on the web, from its `origin` remote: evidence links without
`--link-base`. Only GitHub and GitLab URL shapes are known; anything else gives no link."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SCP = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>[^/\\].*)$")  # git@github.com:o/r.git
_URL = re.compile(r"^(?:https?|ssh|git)://(?:[^@/]*@)?(?P<host>[\w.-]+)(?::\d+)?/(?P<path>.+)$")


@dataclass(frozen=True)
class WebRemote:
    kind: str  # github | gitlab
    url: str  # https://HOST/OWNER/NAME, no credentials, no .git

    def blob(self, commit: str, path: str, line: int | None = None) -> str:
        """The web page of a file at a commit, at a line when given."""
        import os
        from urllib.parse import quote

        middle = "/-/blob/" if self.kind == "gitlab" else "/blob/"
        # fsencode: a name that is not UTF-8 (kept as surrogate escapes) is quoted from its bytes
        return f"{self.url}{middle}{commit}/{quote(os.fsencode(path), safe='/')}" + (f"#L{line}" if line else "")


def web_remote(url: str | None) -> WebRemote | None:
    if not url:
        return None
    url = url.strip()
    mo = _URL.match(url) or _SCP.match(url)
    if mo is None:
        return None
    host, path = mo.group("host").lower(), mo.group("path").strip("/")
    path = path[:-4] if path.endswith(".git") else path
    if not re.fullmatch(r"[\w.-]+(?:/[\w.-]+)+", path) or ".." in path.split("/"):
        return None
    if host == "github.com" or host.startswith("github."):
        if path.count("/") != 1:
            return None
        return WebRemote("github", f"https://{host}/{path}")
    if host == "gitlab.com" or host.startswith("gitlab."):
        return WebRemote("gitlab", f"https://{host}/{path}")
    return None


def origin_of(snap) -> WebRemote | None:
    """The web remote of a snapshot read from git (None for a directory or an unknown host);
    read once per snapshot (the key of a remembered audit and the result both ask)."""
    if getattr(snap, "git", None) is None:
        return None
    if "_origin" in snap.__dict__:
        return snap._origin
    from .gitcmd import GitError

    try:
        remote = web_remote(snap.git.text("config", "--get", "remote.origin.url"))
    except GitError:
        remote = None
    snap._origin = remote
    return remote
