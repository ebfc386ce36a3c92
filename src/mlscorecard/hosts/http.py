"""HTTP for the hosts: httpx, with retries that respect what the server asks for.

Retried: 5xx, 429, and GitHub's secondary rate limit (403 with `Retry-After`, or with
`X-RateLimit-Remaining: 0` and `X-RateLimit-Reset`). The wait is `Retry-After` seconds, else the
time until `X-RateLimit-Reset` (or GitLab's `RateLimit-Reset`), else exponential backoff; never
more than `max_wait`. `sleep` and `now` are injectable so tests do not wait. 401, 403 (not a
rate limit) and 404 are not retried: they become a `HostError` naming what to check.

The token lives only in the client's default headers; no message built here contains a header.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from .base import HostError

RETRIES = 5
MAX_WAIT = 60.0
_FIX = {
    401: "the token was refused (401): check that it is set and not expired",
    403: "access denied (403): the token lacks permission to comment on this pull request",
    404: "not found (404): check the API URL, the repository or project, and the pull request number",
}


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def is_rate_limited(response) -> bool:
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    h = response.headers
    return "retry-after" in h or (h.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in h)


def wait_seconds(response, attempt: int, now: float, max_wait: float = MAX_WAIT) -> float:
    """How long to wait before the next attempt, as the server asks, capped at max_wait."""
    h = response.headers
    retry_after = _float(h.get("retry-after"))
    if retry_after is not None:
        return min(max(retry_after, 0.0), max_wait)
    reset = _float(h.get("x-ratelimit-reset"))
    if reset is not None and h.get("x-ratelimit-remaining") == "0":
        return min(max(reset - now, 0.0) + 1.0, max_wait)
    gitlab_reset = _float(h.get("ratelimit-reset"))
    if gitlab_reset is not None and response.status_code == 429:
        return min(max(gitlab_reset - now, 0.0) + 1.0, max_wait)
    return min(2.0 ** attempt, max_wait)


class RetryingClient:
    """An httpx.Client with a base URL and auth headers, retrying what can be retried."""

    def __init__(self, base_url: str, headers: dict[str, str], *, sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], float] = time.time, retries: int = RETRIES, max_wait: float = MAX_WAIT,
                 timeout: float = 30.0, what: str = "the host") -> None:
        import httpx

        self._httpx = httpx
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout,
                                    follow_redirects=False)
        self.sleep, self.now, self.retries, self.max_wait, self.what = sleep, now, retries, max_wait, what
        self.attempts = 0  # requests sent, retries included (for tests and logs)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "RetryingClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(self, method: str, url: str, **kwargs: Any):
        """The response of the first attempt that is not retried; HostError for an error status."""
        target = self._httpx.URL(url)
        if target.is_absolute_url and (target.scheme, target.host, target.port) != (
                self._client.base_url.scheme, self._client.base_url.host, self._client.base_url.port):
            raise HostError(f"{self.what}: refusing to follow a link to another server")  # it would get the token
        response, tries = None, 0
        for attempt in range(self.retries + 1):
            self.attempts += 1
            tries += 1
            try:
                response = self._client.request(method, url, **kwargs)
            except self._httpx.HTTPError as exc:  # network trouble: retried like a 5xx
                if attempt == self.retries:
                    raise HostError(f"cannot reach {self.what}: {type(exc).__name__}") from None
                self.sleep(min(2.0 ** attempt, self.max_wait))
                continue
            retry = response.status_code >= 500 or is_rate_limited(response)
            if not retry or attempt == self.retries:
                break
            self.sleep(wait_seconds(response, attempt, self.now(), self.max_wait))
        assert response is not None
        if response.status_code in _FIX and not is_rate_limited(response):
            raise HostError(f"{self.what}: {_FIX[response.status_code]}", response.status_code)
        if response.status_code >= 400:
            kind = "rate limited" if is_rate_limited(response) else f"HTTP {response.status_code}"
            raise HostError(f"{self.what}: {method} failed: {kind} after {tries} attempt(s)",
                            response.status_code)
        return response
