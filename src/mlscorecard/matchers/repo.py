"""Repository matchers: pinned requirements, the review history, CODEOWNERS."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Finding, register

if TYPE_CHECKING:
    from ..collect import RepoFacts


@register("pinned-dependencies", "repo", set())
def match_pinned_dependencies(rule, facts: "RepoFacts") -> list[Finding]:
    """Requirements files and conda environments in which every requirement is pinned exactly."""
    out = []
    for path, (total, pinned) in sorted(facts.pinning.items()):
        if total and pinned == total:
            out.append(Finding(rule.id, path, 1, f"{rule.summary}: all {total} requirements in {path} pinned",
                               {"path": path, "line": 1}))
    return out


@register("codeowners", "repo", set())
def match_codeowners(rule, facts: "RepoFacts") -> list[Finding]:
    """CODEOWNERS lines that give model code (model and training files, model configs) an owner."""
    co = facts.codeowners
    if not co or not co["owned_model_files"]:
        return []
    summary = (f"{rule.summary}: {co['owned_model_files']} of {co['model_files']} model files owned by "
               f"{', '.join(co['model_code_owners'][:5])}")
    return [Finding(rule.id, co["path"], co["lines"][0], summary)]


def _has_model_code(facts: "RepoFacts") -> bool:
    """Whether the commit holds a model file or config with something in it: a template's empty
    `model.py` placeholders are no model specification."""
    from ..detectors.history import is_model_file

    return any(info.size > 0 and is_model_file(path) for path, info in facts.snap.files.items())


@register("history-review", "repo", {"min_pr_fraction", "max_pr_fraction", "model_code"})
def match_history_review(rule, facts: "RepoFacts") -> list[Finding]:
    """The review fraction of recent first-parent commits within [min_pr_fraction,
    max_pr_fraction); with model_code, only when recent commits changed model code or configs
    (the model specification is checked in and evolves in version control)."""
    review = facts.review
    if not review or not review["commits_considered"]:
        return []
    minimum = float(rule.match.get("min_pr_fraction", 0.5))
    if review["pr_fraction"] < minimum:
        return []
    if "max_pr_fraction" in rule.match and review["pr_fraction"] >= float(rule.match["max_pr_fraction"]):
        return []
    if rule.match.get("model_code") and not (review.get("model_spec_commits") and _has_model_code(facts)):
        return []
    summary = (f"{rule.summary}: {review['reviewed_commits']} of the last {review['commits_considered']} "
               f"first-parent commits came through a pull/merge request ({review['pr_fraction']:.0%})")
    delta = -0.2 if review.get("shallow") else 0.0
    model_fraction = review.get("model_spec_pr_fraction")
    if model_fraction is not None:
        summary += (f"; {review['model_spec_reviewed']} of {review['model_spec_commits']} commits touching model "
                    f"code or configs ({model_fraction:.0%})")
        if model_fraction < minimum:  # model changes in particular bypass review
            delta -= 0.3
    return [Finding(rule.id, ".git", 1, summary, confidence_delta=delta)]
