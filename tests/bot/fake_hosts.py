"""A loopback HTTP server standing in for GitHub and GitLab.

Every request is validated against the official API descriptions in `api/` with openapi-core
(method, path, path parameters, query, headers including the documented auth, and body); an
invalid one is recorded in `errors` and answered 400, so the client fails and the test sees why.
Every response the fake sends is validated too, so the client is tested against the documented
shapes, not against what this file happens to return.

Scripted failures (`fail_next`) answer the next requests with a status and headers, to test
rate limits, 5xx retries and 401/403/404.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

API = Path(__file__).resolve().parent / "api"
STAMP = "2026-02-01T12:00:00Z"


class _Request:
    """openapi-core's Request protocol over one received HTTP request."""

    def __init__(self, host_url: str, method: str, raw_path: str, headers: dict, body: bytes) -> None:
        parts = urlsplit(raw_path)
        self.host_url, self.path, self.method = host_url, parts.path, method.lower()
        self.body = body or None
        self.content_type = (headers.get("content-type") or "application/octet-stream").lower()
        self.parameters = RequestParameters(query=ImmutableMultiDict(parse_qsl(parts.query, keep_blank_values=True)),
                                            header=Headers(list(headers.items())), cookie=ImmutableMultiDict())


class _Response:
    def __init__(self, status: int, headers: dict, data: bytes) -> None:
        self.status_code, self.data = status, data
        self.headers = Headers(list(headers.items()))
        self.content_type = headers.get("Content-Type", "application/json").lower()


def _github_user() -> dict:
    base = "https://api.github.com/users/mlscorecard-bot"
    return {"login": "mlscorecard-bot", "id": 1, "node_id": "U_1", "avatar_url": "https://avatars.example/u/1",
            "gravatar_id": "", "url": base, "html_url": "https://github.com/mlscorecard-bot",
            "followers_url": base + "/followers", "following_url": base + "/following{/other_user}",
            "gists_url": base + "/gists{/gist_id}", "starred_url": base + "/starred{/owner}{/repo}",
            "subscriptions_url": base + "/subscriptions", "organizations_url": base + "/orgs",
            "repos_url": base + "/repos", "events_url": base + "/events{/privacy}",
            "received_events_url": base + "/received_events", "type": "Bot", "site_admin": False}


@dataclass
class Seen:
    method: str
    path: str
    query: dict
    headers: dict
    body: dict | None


@dataclass
class FakeHost:
    """One host (github or gitlab) with the comments of one pull request."""

    kind: str
    token: str
    per_page_cap: int = 2  # tiny pages, so finding a comment really paginates
    comments: list[dict] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    fail_next: list[tuple[int, dict]] = field(default_factory=list)
    url: str = ""
    gitlab_link: bool = False  # GitLab: also send a Link header (the client must then follow it)
    _next_id: int = 100

    def __post_init__(self) -> None:
        name = "github-issue-comments" if self.kind == "github" else "gitlab-mr-notes"
        self.spec_dict = json.loads((API / f"{name}.openapi.json").read_text(encoding="utf-8"))

    # -- state -------------------------------------------------------------------------------
    def add_comment(self, body: str) -> int:
        self._next_id += 1
        self.comments.append({"id": self._next_id, "body": body})
        return self._next_id

    def _shape(self, c: dict) -> dict:
        if self.kind == "github":
            u = f"{self.url}/repos/org/repo/issues/comments/{c['id']}"
            return {"id": c["id"], "node_id": f"IC_{c['id']}", "url": u, "body": c["body"],
                    "html_url": f"https://github.com/org/repo/pull/7#issuecomment-{c['id']}",
                    "issue_url": f"{self.url}/repos/org/repo/issues/7", "user": _github_user(),
                    "created_at": STAMP, "updated_at": STAMP, "author_association": "NONE"}
        return {"id": c["id"], "body": c["body"], "author": {"id": 1, "username": "project_7_bot"},
                "created_at": STAMP, "updated_at": STAMP, "system": False, "noteable_type": "MergeRequest",
                "noteable_iid": 7, "project_id": 42}

    # -- serving -----------------------------------------------------------------------------
    def start(self) -> "FakeHost":
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, data = host.handle(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        root = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = root if self.kind == "github" else root + "/api/v4"
        self.spec_dict["servers"] = [{"url": self.url}]
        self.openapi = OpenAPI.from_dict(self.spec_dict)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, method: str, raw_path: str, headers: dict, body: bytes) -> tuple[int, dict, bytes]:
        parts = urlsplit(raw_path)
        query = dict(parse_qsl(parts.query))
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        self.requests.append(Seen(method, parts.path, query, headers, parsed))
        host_url = self.url.split("/api/v4")[0]
        request = _Request(host_url, method, raw_path, headers, body)
        problem = self._check(request, headers)
        if problem:
            self.errors.append(f"{method} {parts.path}: {problem}")
            return 400, {"Content-Type": "application/json"}, json.dumps({"message": "invalid request"}).encode()
        if self.fail_next:
            status, extra = self.fail_next.pop(0)
            return status, {"Content-Type": "application/json", **extra}, json.dumps({"message": "scripted"}).encode()
        status, out_headers, payload = self._answer(method, parts.path, query, parsed)
        data = json.dumps(payload).encode()
        out_headers = {"Content-Type": "application/json", **out_headers}
        try:
            self.openapi.validate_response(request, _Response(status, out_headers, data))
        except Exception as exc:  # the fake itself is wrong: the test must not pass on it
            self.errors.append(f"response to {method} {parts.path}: {type(exc).__name__}: {exc}")
        return status, out_headers, data

    def _check(self, request: _Request, headers: dict) -> str | None:
        try:
            self.openapi.validate_request(request)
        except Exception as exc:
            detail = "; ".join(str(e) for e in getattr(exc, "schema_errors", []) or []) or str(exc)
            return f"{type(exc).__name__}: {detail}"
        # auth as each host documents it (GitHub's description has no securitySchemes)
        if self.kind == "github":
            if headers.get("authorization") != f"Bearer {self.token}":
                return "missing or wrong Authorization: Bearer header"
            if headers.get("accept") != "application/vnd.github+json":
                return "Accept must be application/vnd.github+json"
        elif headers.get("private-token") != self.token:
            return "missing or wrong PRIVATE-TOKEN header"
        return None

    def _answer(self, method: str, path: str, query: dict, body: dict | None) -> tuple[int, dict, object]:
        if method == "GET":
            per_page = min(int(query.get("per_page", 30)), self.per_page_cap)
            page = int(query.get("page", 1))
            rows = self.comments[(page - 1) * per_page: page * per_page]
            headers = {}
            more = page * per_page < len(self.comments)
            if more:
                nxt = dict(query, page=str(page + 1))
                link_path = path + "?" + "&".join(f"{k}={v}" for k, v in nxt.items())
                if self.kind == "github":
                    headers["Link"] = f'<{self.url.split("/api/v4")[0]}{link_path}>; rel="next"'
                else:  # the client prefers Link and falls back to x-next-page
                    headers["x-next-page"] = str(page + 1)
                    if self.gitlab_link:
                        headers["Link"] = f'<{self.url.split("/api/v4")[0]}{link_path}>; rel="next"'
            if self.kind == "gitlab":
                headers.update({"x-page": str(page), "x-per-page": str(per_page), "x-total": str(len(self.comments))})
            return 200, headers, [self._shape(c) for c in rows]
        if method == "POST":
            new_id = self.add_comment(body["body"])
            return 201, ({"Location": f"{self.url}/repos/org/repo/issues/comments/{new_id}"} if self.kind == "github" else {}), \
                self._shape(self.comments[-1])
        comment_id = int(path.rstrip("/").rsplit("/", 1)[1])
        for c in self.comments:
            if c["id"] == comment_id:
                c["body"] = body["body"]
                return 200, {}, self._shape(c)
        return 404, {}, {"message": "404 Not found"}
