"""The comment body: escaping of repository text, links at the head commit, the size limit, and
where to post taken from the CI environment."""

from __future__ import annotations

import copy
import json
import re

import pytest
from click.testing import CliRunner

from mlscorecard.bot.cli import comment_command
from mlscorecard.bot.comment import build_body, load_diff
from mlscorecard.diff.markdown import GITHUB_LIMIT, MARKER
from mlscorecard.errors import UnusableInput
from mlscorecard.hosts.base import HostError
from mlscorecard.hosts.target import github_target, gitlab_target, link_base
from test_hosts import minimal_diff

HOSTILE = "<img src=x onerror=alert(1)>[click](http://evil)`|\u202e.py"


def with_evidence(n: int, path: str = "src/model.py", summary: str = "seeds a random number generator") -> dict:
    d = copy.deepcopy(minimal_diff())
    pieces = [{"rule": "seeds/global-seed", "path": path, "line": i + 1, "confidence": 0.6, "summary": summary,
               "items": ["infra-1"]} for i in range(n)]
    d["evidence"]["lost"] = pieces
    d["items"] = [{"rubric": "ml-test-score", "id": "infra-1", "direction": "worse", "comparable": True,
                   "base": {"level": "manual", "effective": "manual", "confidence": 0.6, "reason": ""},
                   "head": {"level": "none", "effective": "none", "confidence": 0.5, "reason": ""},
                   "gained": [], "lost": [{k: p[k] for k in ("rule", "path", "line", "summary")} for p in pieces]}]
    d["unchanged"] = False
    return d


def test_repository_text_cannot_inject_html_links_or_bidi():
    body = build_body(with_evidence(2, path=HOSTILE, summary=HOSTILE), "https://github.com/org/repo/blob/" + "b" * 40)
    prose = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", body)  # code spans show text literally: look outside them
    assert "<img" not in prose and "&lt;img" in prose and "\u202e" not in body
    assert not re.search(r"(?<!\\)\]\(http://evil\)", prose)  # every bracket escaped: no link is formed
    assert "\\u202e" in body
    # our own tags are there: marker first, details collapsible
    assert body.startswith(MARKER) and "<details><summary>Evidence lost (2)</summary>" in body
    assert "infra-1 drops from manual to none: removes &lt;img" in body


def test_links_point_at_the_commit_with_the_path_encoded():
    d = with_evidence(1, path="src/my model#1.py")
    d["evidence"]["gained"] = [dict(d["evidence"]["lost"][0], path="src/new.py")]
    body = build_body(d, "https://github.com/org/repo/blob/" + "b" * 40, base_link="https://github.com/org/repo/blob/" + "a" * 40)
    assert f"(https://github.com/org/repo/blob/{'a' * 40}/src/my%20model%231.py#L1)" in body  # lost: at the base
    assert f"(https://github.com/org/repo/blob/{'b' * 40}/src/new.py#L1)" in body  # gained: at the head


def test_a_huge_diff_is_cut_to_the_limit_with_a_note_and_keeps_the_headline():
    d = with_evidence(3000, summary="x" * 120)
    body = build_body(d)
    assert len(body) <= GITHUB_LIMIT
    assert body.startswith(MARKER) and "### mlscorecard: ML Test Score" in body
    assert "more not shown" in body and "65,536-character limit" in body
    small = build_body(with_evidence(3))
    assert "more not shown" not in small and "limit" not in small


def test_dry_run_prints_the_body_without_a_token(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    f = tmp_path / "d.json"
    f.write_text(json.dumps(with_evidence(1)))
    result = CliRunner().invoke(comment_command, ["github", "--from", str(f), "--dry-run", "--repo", "org/repo", "--pr", "3"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(MARKER) and f"https://github.com/org/repo/blob/{'a' * 40}/src/model.py#L1" in result.stdout


def test_a_diff_file_that_is_not_a_diff_is_refused(tmp_path):
    f = tmp_path / "d.json"
    f.write_text(json.dumps({"schema": "something-else"}))
    with pytest.raises(UnusableInput, match="not an mlscorecard diff"):
        load_diff(str(f))
    result = CliRunner().invoke(comment_command, ["github", "--from", str(f), "--dry-run"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1


def test_github_target_from_the_actions_environment(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12}}))
    env = {"GITHUB_API_URL": "https://ghe.example/api/v3", "GITHUB_REPOSITORY": "org/repo",
           "GITHUB_EVENT_PATH": str(event), "GITHUB_SERVER_URL": "https://ghe.example"}
    t = github_target(env, None, None, None)
    assert (t.api_url, t.repo, t.number, t.web_url) == ("https://ghe.example/api/v3", "org/repo", 12, "https://ghe.example/org/repo")
    assert link_base(t, "c" * 40) == "https://ghe.example/org/repo/blob/" + "c" * 40
    # options win over the environment
    assert github_target(env, "http://127.0.0.1:1", "a/b", 5).number == 5


def test_workflow_run_never_takes_the_number_from_the_diff(tmp_path):
    """A fork's workflow wrote the artifact: the pull request number in it could name any pull
    request or issue, even for the run's own head commit. Only the event or --pr decide."""
    event = tmp_path / "event.json"
    diff = {"head": {"commit": "d" * 40}, "context": {"pr": 31}}
    env = {"GITHUB_REPOSITORY": "org/repo", "GITHUB_EVENT_PATH": str(event)}
    event.write_text(json.dumps({"workflow_run": {"head_sha": "d" * 40, "pull_requests": []}}))
    with pytest.raises(HostError, match="give --pr N"):
        github_target(env, None, None, None, diff)
    assert github_target(env, None, None, 12, diff).number == 12
    event.write_text(json.dumps({"workflow_run": {"head_sha": "e" * 40, "pull_requests": [{"number": 8}]}}))
    assert github_target(env, None, None, None, diff).number == 8


def test_gitlab_target_from_the_ci_environment():
    env = {"CI_API_V4_URL": "https://gitlab.example/api/v4", "CI_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "9",
           "CI_PROJECT_URL": "https://gitlab.example/group/proj"}
    t = gitlab_target(env, None, None, None)
    assert (t.api_url, t.repo, t.number) == ("https://gitlab.example/api/v4", "42", 9)
    assert link_base(t, "f" * 40) == "https://gitlab.example/group/proj/-/blob/" + "f" * 40
    with pytest.raises(HostError, match="merge request"):
        gitlab_target({**env, "CI_MERGE_REQUEST_IID": ""}, None, None, None)


def test_a_next_link_to_another_server_is_not_followed():
    """The token is in the client's headers: a Link header pointing elsewhere must not receive it."""
    from mlscorecard.hosts.http import RetryingClient

    with RetryingClient("http://127.0.0.1:9", {"Authorization": "Bearer x"}) as client:
        with pytest.raises(HostError, match="another server"):
            client.request("GET", "http://evil.example/steal")
