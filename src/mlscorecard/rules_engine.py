"""Stage 2: each rule (a probe, declared in heuristics/rules/*.yaml) turns raw facts into findings.

File-scope rules already ran inside the per-file analysis (their findings are in
`facts.local_findings`); repo-scope rules run here, over the collected facts (see
`matchers/`). A finding is a location plus a short summary. Each finding becomes one piece of
Evidence per rubric item the rule supports, lifted to "automated" when the rule's automation
condition holds.
"""

from __future__ import annotations

from typing import Any

from .collect import RepoFacts
from .detectors.ci import EXTERNAL_CONFIDENCE
from .detectors.dependencies import import_name
from .heuristics import Heuristics, Rule
from .matchers import KINDS, Finding, load_all
from .matchers.ci import checks_something
from .model import Evidence

# The key each facts block names what was found under (REPORT-FORMAT.md): a call, or a summary.
FACT_TEXT_KEY = {"seeds": "call", "monitoring": "call", "rollback": "summary"}
PULL_REQUEST_TRIGGERS = frozenset({"pull_request", "pull_request_target", "merge_group"})


def run_rule(rule: Rule, facts: RepoFacts) -> list[Finding]:
    """The rule's findings, one per location (two matches on one line are one finding)."""
    kind = (KINDS or load_all())[rule.kind]
    found = facts.local_findings.get(rule.id, []) if kind.scope == "file" else kind.function(rule, facts)
    seen: set[tuple[str, int | None, int]] = set()
    out = []
    for f in found:
        key = (f.path, f.cell, f.line)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# ------------------------------------------------------------------------- evidence
def automation_of(rule: Rule, finding: Finding, facts: RepoFacts) -> str | None:
    """What runs this finding without a person (a CI config path), or None."""
    mode = rule.automation
    if mode == "never":
        return None
    if mode == "always":
        return finding.path
    if mode in ("ci", "ci-or-runtime", "ci-or-pipeline"):
        ex = facts.ci.automated_by(finding.path)
        if ex:
            return ex.workflow
        if mode != "ci":
            ctx = facts.contexts.get(finding.path, frozenset())
            if "test" not in ctx and "notebook" not in ctx:
                # ci-or-pipeline: a gate before deployment runs in a pipeline, never in the service
                # (a comparison a serving route offers is looked at by a person)
                for runtime in ("serving", "pipeline") if mode == "ci-or-runtime" else ("pipeline",):
                    if runtime in ctx:
                        return f"{runtime} path"
                step = facts.pipeline_steps.get(finding.path)
                if step is not None:
                    return step  # "pipeline step: <definition>:<line>" (detectors/pipeline_steps.py)
        return None
    if mode == "ci-pull-request":
        for wf in sorted(facts.ci.workflows, key=lambda w: w.path):
            if wf.automated and wf.effective_triggers & PULL_REQUEST_TRIGGERS and checks_something(wf):
                return wf.path
        return None
    raise AssertionError(mode)


# Evidence resting on documentation or on a name alone never reaches this confidence: a person
# confirms it (needs_confirmation is below 0.6).
WEAK_BASIS_CONFIDENCE = 0.4
_CODE_SUFFIXES = (".py", ".ipynb")


def basis_of(rule: Rule, f: Finding) -> str:
    """What kind of evidence a finding is (model.BASES)."""
    kind = rule.kind
    if kind == "doc-text":
        return "documentation"
    if kind == "python-test-function":
        return "test" if rule.match.get("params") else "name"
    if kind in ("python-call", "python-gate"):
        return "checked code" if f.confidence_delta > 0 or kind == "python-gate" else "code"
    if kind == "python-test-imports":
        return "test"
    if kind.startswith("ci-"):
        return "ci"
    if kind in ("history-review", "codeowners"):
        return "history"
    if kind in ("text", "secrets"):
        return "code" if f.path.endswith(_CODE_SUFFIXES) else "configuration"
    return "configuration" if kind == "pinned-dependencies" else "code"


def evidence_for(rule: Rule, findings: list[Finding], facts: RepoFacts) -> list[Evidence]:
    out = []
    for f in findings:
        basis = basis_of(rule, f)
        automated_by = automation_of(rule, f, facts)
        lift = 0.1 if automated_by else 0.0
        if automated_by and facts.ci.external_only(automated_by):  # a trigger nobody can see from here
            lift = EXTERNAL_CONFIDENCE
        for s in rule.supports:
            conf = s.confidence + f.confidence_delta + lift
            conf = max(0.05, min(WEAK_BASIS_CONFIDENCE if basis in ("documentation", "name") else 0.95, conf))
            if s.cap is not None:  # negative evidence: never automated, never a point
                out.append(Evidence(rule.id, f.path, f.line, s.confidence, f.summary, s.item, cell=f.cell, cap=s.cap,
                                    basis=basis))
            elif s.rubric == "ml-test-score":
                level = "automated" if automated_by else "manual"
                out.append(Evidence(rule.id, f.path, f.line, conf, f.summary, s.item, level=level,
                                    automated_by=automated_by, cell=f.cell, basis=basis))
            else:
                out.append(Evidence(rule.id, f.path, f.line, conf, f.summary, s.item, score=s.score,
                                    automated_by=automated_by, cell=f.cell, basis=basis))
    return out


def hints_for(rule: Rule, facts: RepoFacts) -> list[dict[str, Any]]:
    """A rule that found nothing, whose package is a declared dependency that no file imports:
    a hint, never evidence."""
    out = []
    for package in rule.packages:
        declared = facts.dependencies.get(package)
        if not declared:  # the cheap check first: most rules' packages are not declared at all
            continue
        module = import_name(package)
        if any(m == module or m.startswith(module + ".") for mods in facts.text_imports.values() for m in mods):
            continue
        for path, line in declared:
            items = ", ".join(sorted({s.item for s in rule.supports}))
            out.append({"rule": rule.id, "path": path, "line": line, "package": package,
                        "summary": f"{package} is a declared dependency, but no use of it was found ({items})"})
    return out


def evaluate(heur: Heuristics, facts: RepoFacts, disabled: frozenset[str] = frozenset()
             ) -> tuple[list[Evidence], dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """All evidence, the facts blocks (seeds, model_tests, ...) that rules record, and hints;
    `disabled` rules (the project's settings) are not run at all."""
    evidence: list[Evidence] = []
    fact_blocks: dict[str, list[dict[str, Any]]] = {}
    hints: list[dict[str, Any]] = []
    for rule in heur.rules:
        if rule.id in disabled:
            continue
        try:
            findings = run_rule(rule, facts)
        except Exception as exc:  # one broken probe is a warning, never the end of the run
            facts.snap.warn(".", f"rule {rule.id} failed: {type(exc).__name__}: {exc}")
            continue
        evidence.extend(evidence_for(rule, findings, facts))
        if not findings:
            hints.extend(hints_for(rule, facts))
        if rule.fact:
            block = fact_blocks.setdefault(rule.fact, [])
            wants = FACT_TEXT_KEY.get(rule.fact)
            for f in findings:
                if f.fact is not None:
                    row = f.fact
                    if wants and wants not in row:  # a text rule's match: its snippet, under the block's key
                        row = {**row, wants: row.get("summary") or row.get("call") or f.summary}
                        row.pop("summary" if wants == "call" else "call", None)
                    block.append(row)
    hints.sort(key=lambda h: (h["path"], h["line"], h["rule"]))
    return evidence, fact_blocks, hints
