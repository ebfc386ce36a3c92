"""The Action and the GitLab template call the CLI with options that exist, and the comment step
of the Action never audits (it only reads a diff JSON)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from mlscorecard.bot.cli import comment_command, diff_command

ROOT = Path(__file__).resolve().parents[2]


def _options(command) -> set[str]:
    return {opt for p in command.params for opt in getattr(p, "opts", []) if opt.startswith("-")}


def _calls(text: str) -> list[tuple[str, list[str]]]:
    calls = []
    for line in text.splitlines():
        for mo in re.finditer(r"mlscorecard (diff|comment)\b([^;&|\n]*)", line):
            words = shlex.split(mo.group(2).replace("$", "").replace('"', " ").replace("{", "").replace("}", ""),
                                posix=True)
            calls.append((mo.group(1), [w.split("=")[0] for w in words if w.startswith("--") or w.startswith("-o")]))
    return calls


def _check(text: str) -> int:
    known = {"diff": _options(diff_command), "comment": _options(comment_command)}
    calls = _calls(text)
    for name, opts in calls:
        unknown = [o for o in opts if o not in known[name]]
        assert not unknown, (name, unknown)
    return len(calls)


def test_action_is_a_composite_action_calling_existing_options():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    scripts = "\n".join(s.get("run", "") for s in action["runs"]["steps"])
    assert _check(scripts) >= 4
    comment_step = next(s for s in action["runs"]["steps"] if "mlscorecard comment" in s.get("run", ""))
    assert "--from" in comment_step["run"] and "GITHUB_TOKEN" in comment_step["env"]
    uses = {s.get("uses", "").split("@")[0] for s in action["runs"]["steps"]}
    assert {"actions/setup-python", "actions/upload-artifact", "github/codeql-action/upload-sarif"} <= uses
    # no ${{ }} expression is pasted into a shell script (values reach scripts through env)
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")


def test_gitlab_template_calls_existing_options():
    template = yaml.safe_load((ROOT / "integrations/gitlab/mlscorecard-mr.gitlab-ci.yml").read_text())
    job = template["mlscorecard-mr"]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert _check("\n".join(job["script"])) >= 3
