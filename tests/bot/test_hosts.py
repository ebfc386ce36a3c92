"""The comment bot against a loopback GitHub and GitLab whose every request is checked against the
official API descriptions (tests/bot/api/)."""

from __future__ import annotations

import functools
import json

import httpx
import pytest
from click.testing import CliRunner

from fake_hosts import FakeHost
from gitrepo import FIXTURES
from mlscorecard.bot.cli import comment_command
from mlscorecard.bot.comment import post
from mlscorecard.diff.markdown import MARKER
from mlscorecard.hosts.base import HostError
from mlscorecard.hosts.target import Target

TOKEN = "ghs_" + "TopSecretTokenValue0123456789abcdefXYZ"


@pytest.fixture(params=["github", "gitlab"])
def fake(request):
    host = FakeHost(request.param, TOKEN).start()
    yield host
    host.stop()
    assert not host.errors, host.errors  # every request (and every fake answer) matched the API description


def target_of(fake: FakeHost) -> Target:
    return Target(fake.kind, fake.url, "org/repo" if fake.kind == "github" else "42", 7, None)


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def body(text: str) -> str:
    return f"{MARKER}\n{text}\n"


def test_first_run_creates_one_comment(fake):
    action, comment_id = post(target_of(fake), TOKEN, body("hello"))
    assert action == "created" and [c["id"] for c in fake.comments] == [comment_id]
    assert [r.method for r in fake.requests] == ["GET", "POST"]


def test_the_marked_comment_is_found_across_pages_and_updated(fake):
    for i in range(5):
        fake.add_comment(f"someone else, {i}")
    marked = fake.add_comment(body("old score"))
    fake.add_comment("a later reply")
    action, comment_id = post(target_of(fake), TOKEN, body("new score"))
    assert (action, comment_id) == ("updated", marked)
    gets = [r for r in fake.requests if r.method == "GET"]
    assert len(gets) == 3  # pages of 2: the marked comment is the 6th
    assert [r.method for r in fake.requests][-1] == ("PATCH" if fake.kind == "github" else "PUT")
    assert len(fake.comments) == 7 and fake.comments[5]["body"] == body("new score")


def test_gitlab_follows_a_link_header_when_one_is_sent():
    fake = FakeHost("gitlab", TOKEN, gitlab_link=True).start()
    try:
        for i in range(3):
            fake.add_comment(f"note {i}")
        marked = fake.add_comment(body("x"))
        assert post(target_of(fake), TOKEN, body("y")) == ("updated", marked)
        assert [r.query.get("page") for r in fake.requests if r.method == "GET"] == [None, "2"]
    finally:
        fake.stop()
    assert not fake.errors, fake.errors


def test_an_unchanged_body_is_not_posted_again(fake):
    fake.add_comment("unrelated")
    marked = fake.add_comment(body("same"))
    assert post(target_of(fake), TOKEN, body("same")) == ("unchanged", marked)
    assert {r.method for r in fake.requests} == {"GET"}


def test_429_with_retry_after_then_success_waits_as_told(fake):
    fake.fail_next = [(429, {"Retry-After": "7"})]
    sleeps = Sleeps()
    assert post(target_of(fake), TOKEN, body("a"), sleep=sleeps)[0] == "created"
    assert sleeps == [7.0]
    assert len(fake.requests) == 3  # GET refused, GET again, POST


def test_5xx_twice_then_success_backs_off_exponentially(fake):
    fake.fail_next = [(502, {}), (503, {})]
    sleeps = Sleeps()
    assert post(target_of(fake), TOKEN, body("a"), sleep=sleeps)[0] == "created"
    assert sleeps == [1.0, 2.0] and len(fake.requests) == 4


def test_github_secondary_rate_limit_waits_until_reset_with_a_cap():
    fake = FakeHost("github", TOKEN).start()
    try:
        fake.fail_next = [(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1000030"}),
                          (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9999999"})]
        sleeps = Sleeps()
        assert post(target_of(fake), TOKEN, body("a"), sleep=sleeps, now=lambda: 1_000_000.0, max_wait=60)[0] == "created"
        assert sleeps == [31.0, 60]
    finally:
        fake.stop()
    assert not fake.errors, fake.errors


def test_retries_give_up_with_a_clear_error(fake):
    fake.fail_next = [(500, {})] * 3
    with pytest.raises(HostError) as info:
        post(target_of(fake), TOKEN, body("a"), sleep=Sleeps(), retries=2)
    assert "HTTP 500 after 3 attempt(s)" in str(info.value) and TOKEN not in str(info.value)


@pytest.mark.parametrize("status, words", [(401, "token was refused"), (403, "lacks permission"), (404, "not found")])
def test_refusals_exit_2_with_one_line_and_never_the_token(fake, tmp_path, monkeypatch, status, words):
    diff_file = tmp_path / "diff.json"
    diff_file.write_text(json.dumps(minimal_diff()))
    fake.fail_next = [(status, {})]
    token_env = "GITHUB_TOKEN" if fake.kind == "github" else "GITLAB_TOKEN"
    monkeypatch.setenv(token_env, TOKEN)
    result = CliRunner().invoke(comment_command, [fake.kind, "--from", str(diff_file), "--api-url", fake.url,
                                                  "--repo", target_of(fake).repo, "--pr", "7"])
    assert result.exit_code == 2
    assert result.stderr.startswith("mlscorecard: error:") and words in result.stderr
    assert result.stderr.count("\n") == 1
    assert TOKEN not in result.output and TOKEN not in result.stderr
    assert result.exception is None or TOKEN not in repr(result.exception)
    assert len(fake.requests) == 1  # not retried


def test_comment_command_posts_then_updates_in_place(fake, tmp_path, monkeypatch):
    diff_file = tmp_path / "diff.json"
    diff = minimal_diff()
    diff_file.write_text(json.dumps(diff))
    monkeypatch.setenv("MY_TOKEN", TOKEN)
    args = [fake.kind, "--from", str(diff_file), "--api-url", fake.url, "--repo", target_of(fake).repo, "--pr", "7",
            "--token-env", "MY_TOKEN"]
    first = CliRunner().invoke(comment_command, args)
    assert first.exit_code == 0, first.output
    assert "created" in first.stderr and TOKEN not in first.output
    diff["rubrics"]["ml-test-score"].update({"base": 3, "head": 2, "delta": -1})
    diff_file.write_text(json.dumps(diff))
    second = CliRunner().invoke(comment_command, args)
    assert "updated" in second.stderr
    third = CliRunner().invoke(comment_command, args)
    assert "unchanged" in third.stderr
    assert len(fake.comments) == 1 and "3 → 2" in fake.comments[0]["body"] and MARKER in fake.comments[0]["body"]


def test_no_token_is_exit_2(tmp_path, monkeypatch):
    diff_file = tmp_path / "diff.json"
    diff_file.write_text(json.dumps(minimal_diff()))
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    result = CliRunner().invoke(comment_command, ["github", "--from", str(diff_file), "--api-url", "http://127.0.0.1:9",
                                                  "--repo", "org/repo", "--pr", "7"])
    assert result.exit_code == 2 and "set GITHUB_TOKEN" in result.stderr


def test_the_validator_rejects_a_bad_request(fake):
    """The checks above mean something only if the validator can fail: send requests the API
    description does not allow, and see each one refused and recorded."""
    prefix = "/repos/org/repo/issues/7/comments" if fake.kind == "github" else "/projects/42/merge_requests/7/notes"
    auth = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/vnd.github+json"} if fake.kind == "github" \
        else {"PRIVATE-TOKEN": TOKEN}
    with httpx.Client(base_url=fake.url) as client:
        missing_body = client.post(prefix, json={"text": "no body field"}, headers=auth)
        wrong_page = client.get(prefix, params={"per_page": "many"}, headers=auth)
        no_auth = client.get(prefix)
        unknown_path = client.get("/repos/org/repo/pulls/7" if fake.kind == "github" else "/projects/42/issues", headers=auth)
    assert [r.status_code for r in (missing_body, wrong_page, no_auth, unknown_path)] == [400] * 4
    assert len(fake.errors) == 4
    fake.errors.clear()  # expected here; the fixture asserts none are left


@functools.lru_cache(maxsize=1)
def _report() -> str:
    """A real report: the research-script fixture audited as a plain directory."""
    from mlscorecard.bot.audits import audit_json

    return json.dumps(audit_json(str(FIXTURES / "research-script"), None, False))


def minimal_diff() -> dict:
    from mlscorecard.diff import compare

    d = compare(json.loads(_report()), json.loads(_report()))
    head = dict(d["head"], commit="b" * 40)
    return {**d, "base": dict(d["base"], commit="a" * 40), "head": head}


def test_two_workflow_flow_diff_in_pull_request_then_comment_in_workflow_run(scenarios, tmp_path, monkeypatch):
    """The fork-safe setup end to end: the read-only job writes the diff JSON (recording the pull
    request number); the workflow_run job, whose event lists no pull request (as for a fork),
    posts on that number because the diff's head is the run's head commit."""
    from mlscorecard.bot.cli import diff_command

    repo, base, head = scenarios["seed-removed"]
    pr_event = tmp_path / "pr.json"
    pr_event.write_text(json.dumps({"pull_request": {"number": 7}}))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_REPOSITORY", "org/repo")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(pr_event))
    diff_file = tmp_path / "diff.json"
    made = CliRunner().invoke(diff_command, [str(repo), "--base", base, "--head", head, "--format", "json",
                                             "-o", str(diff_file), "--cache-dir", str(tmp_path / "cache")])
    assert made.exit_code == 0, made.output
    assert json.loads(diff_file.read_text())["context"] == {"host": "github", "repo": "org/repo", "pr": 7}

    fake = FakeHost("github", TOKEN).start()
    try:
        run_event = tmp_path / "run.json"
        run_event.write_text(json.dumps({"workflow_run": {"head_sha": head, "pull_requests": []}}))
        monkeypatch.setenv("GITHUB_EVENT_PATH", str(run_event))
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        # the trusted workflow looked the pull request up (README) and passes it; the diff's own
        # number is never taken
        assert CliRunner().invoke(comment_command, ["github", "--from", str(diff_file)]).exit_code == 2
        posted = CliRunner().invoke(comment_command, ["github", "--from", str(diff_file), "--pr", "7"])
        assert posted.exit_code == 0, posted.output
        assert "created on github org/repo #7" in posted.stderr
        body = fake.comments[0]["body"]
        assert "infra-1 drops from manual to none" in body
        assert f"https://github.com/org/repo/blob/{base}/train.py#L9" in body  # lost: shown where it was
        assert TOKEN not in posted.output
    finally:
        fake.stop()
    assert not fake.errors, fake.errors
