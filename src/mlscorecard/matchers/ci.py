"""CI matchers: what automated pipelines run (commands, repository files) and on which triggers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..safety.redaction import clip
from . import Finding, contexts_allow, register

if TYPE_CHECKING:
    from ..collect import RepoFacts


def triggers_ok(m, triggers: set[str]) -> bool:
    """A rule's `triggers` (any of) and `not_triggers` (none of) against a workflow's triggers.
    `not_triggers: [pull_request]` tells a check run on every change (a smoke training run in a
    test workflow) from what only merges or a schedule start (retraining)."""
    want = m.get("triggers")
    if want and not triggers.intersection(want):
        return False
    return not triggers.intersection(m.get("not_triggers") or ())


@register("ci-run", "repo", {"pattern", "triggers", "not_triggers"})
def match_ci_run(rule, facts: "RepoFacts") -> list[Finding]:
    m = rule.match
    pattern = re.compile(m["pattern"], re.M)
    out = []
    for wf in facts.ci.workflows:
        if not wf.automated:
            continue
        if not triggers_ok(m, wf.effective_triggers):
            continue
        for step in wf.steps:
            mo = pattern.search(step.text)
            if mo:
                summary = f"{rule.summary}: {clip(mo.group(0).strip(), 60)} ({wf.path}, on {', '.join(sorted(wf.effective_triggers))})"
                out.append(Finding(rule.id, step.path, step.line, summary, {"path": step.path, "line": step.line}))
                break
    return out


@register("ci-executes", "repo", {"path_regex", "context", "not_context", "triggers", "not_triggers", "meaningful_tests"})
def match_ci_executes(rule, facts: "RepoFacts") -> list[Finding]:
    """Repository files that an automated CI job runs, by their context or path; the finding is
    the step that runs them."""
    m = rule.match
    path_re = re.compile(m["path_regex"]) if m.get("path_regex") else None
    out = []
    for target in sorted(facts.ci.executions):
        if path_re is not None and not path_re.search(target):
            continue
        if (m.get("context") or m.get("not_context")) and not contexts_allow(m, facts.context_of(target)):
            continue
        if m.get("meaningful_tests") and not facts.python.get(target, {}).get("meaningful_tests"):
            continue  # a test file whose tests assert nothing real (placeholders) is not evidence
        for ex in sorted(facts.ci.executions[target], key=lambda e: (e.workflow, e.line)):
            if ex.manual or not ex.wf.automated or ex.how.startswith("imported by "):
                continue  # a module a CI-run script imports runs with it, but CI does not run it itself
            if not triggers_ok(m, ex.wf.effective_triggers):
                continue
            on = ", ".join(sorted(ex.wf.effective_triggers - {"workflow_call"}))
            out.append(Finding(rule.id, ex.step_path or ex.workflow, ex.line,
                               f"{rule.summary}: {ex.how} runs {target} ({ex.workflow}, on {on})",
                               {"path": ex.step_path or ex.workflow, "line": ex.line}))
            break
    return out


# Actions that set a job up or talk to people and check nothing: a workflow of only these (a
# greeting bot, a labeller, a stale-issue sweeper) is no CI of the code.
_NO_CHECK_ACTIONS = re.compile(
    r"^uses:\s*(?:actions/(?:checkout|setup-[\w-]+|cache|upload-artifact|download-artifact|first-interaction|labeler|stale"
    r"|github-script|add-to-project)|peter-evans/[\w-]+|release-drafter/[\w-]+|kentaro-m/auto-assign[\w-]*"
    r"|wow-actions/[\w-]+|dependabot/fetch-metadata|amannn/action-semantic-pull-request|thollander/[\w-]+"
    r"|marocchino/[\w-]+|mshick/[\w-]+)(?:@|$)", re.I)


def checks_something(wf) -> bool:
    """Whether a workflow runs a command or an action other than set-up and bot actions."""
    return any(not _NO_CHECK_ACTIONS.match(step.text) for step in wf.steps)


@register("ci-trigger", "repo", {"triggers"})
def match_ci_trigger(rule, facts: "RepoFacts") -> list[Finding]:
    """Workflows started by these triggers that run a command or a checking action."""
    want = set(rule.match["triggers"])
    out = []
    for wf in facts.ci.workflows:
        got = wf.effective_triggers & want
        if got and checks_something(wf):
            out.append(Finding(rule.id, wf.path, wf.line, f"{rule.summary}: {wf.path} runs on {', '.join(sorted(got))}"))
    return out
