"""Stage 2: each rule (a probe, declared in heuristics/rules/*.yaml) turns raw facts into findings.

A finding is a location plus a short summary. Each finding becomes one piece of Evidence per
rubric item the rule supports, lifted to "automated" when the rule's automation condition holds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any, Callable

from .collect import RepoFacts, contexts_allow
from .detectors.dependencies import import_name
from .globs import glob_to_regex
from .detectors.python_code import is_test_context, is_test_path
from .heuristics import Heuristics, Rule
from .model import Evidence

PULL_REQUEST_TRIGGERS = frozenset({"pull_request", "pull_request_target", "merge_group"})


@dataclass
class Finding:
    rule: str
    path: str
    line: int
    summary: str
    fact: dict[str, Any] | None = None
    confidence_delta: float = 0.0
    cell: int | None = None  # notebook code cell (1-based) when path is an .ipynb


# ------------------------------------------------------------------------- matchers
def _kind_ok(want: Any, got: str) -> bool:
    if want in (None, "any"):
        return True
    if isinstance(want, list):
        return got in want
    return got == want


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def context_ok(match: dict[str, Any], facts: RepoFacts, path: str) -> bool:
    """`context`: the file must be in one of these; `not_context`: in none of these."""
    ctx = facts.contexts.get(path)
    if ctx is None:
        ctx = frozenset({"test"}) if is_test_context(path) else frozenset()
    return contexts_allow(match, ctx)


def _use_matches(use: dict[str, Any], m: dict[str, Any]) -> bool:
    calls = m.get("calls") or []
    if use["how"] not in (m.get("how") or ["call"]):
        return False
    if calls and not any(fnmatchcase(use["name"], c) for c in calls):
        return False
    if not calls and not m.get("keywords") and not m.get("any_keywords"):
        return False
    if m.get("any_keywords") and not set(use["kws"]).intersection(m["any_keywords"]):
        return False
    if m.get("asserted") and not use["asserted"]:
        return False
    args, argv = use["args"], use["argv"]
    for idx, want in (m.get("args") or {}).items():
        i = int(idx)
        if i >= len(args) or not _kind_ok(want, args[i]):
            return False
    for idx, values in (m.get("arg_values") or {}).items():
        i = int(idx)
        if i >= len(argv) or argv[i] not in values:
            return False
    for kw, want in (m.get("keywords") or {}).items():
        if kw not in use["kws"] or not _kind_ok(want, use["kws"][kw]):
            return False
    for kw, values in (m.get("keyword_values") or {}).items():
        if use["kwv"].get(kw) not in values:
            return False
    return True


def match_python_call(rule: Rule, facts: RepoFacts) -> list[Finding]:
    m = rule.match
    want_kws: dict[str, Any] = m.get("keywords") or {}
    out = []
    for path in sorted(facts.python):
        pf = facts.python[path]
        if "error" in pf or not context_ok(m, facts, path):
            continue
        for use in pf["uses"]:
            if not _use_matches(use, m):
                continue
            line = use["line"]
            named = list(want_kws) or [k for k in m.get("any_keywords") or [] if k in use["kws"]]
            if named:  # point at the argument that matters, not the start of a multi-line call
                line = min(use["kwl"].get(k, line) for k in named)
            label = use["name"] if m.get("calls") else f"{use['name']}({', '.join(f'{k}=' for k in named)}...)"
            if use["asserted"]:
                label += " (checked by an assert or a gate)"
            out.append(_finding(rule, facts, path, line, f"{rule.summary}: {label}",
                                {"call": use["name"]}, 0.1 if use["asserted"] else 0.0))
    return out


def _finding(rule: Rule, facts: RepoFacts, path: str, line: int, summary: str,
             fact_extra: dict[str, Any] | None = None, delta: float = 0.0) -> Finding:
    """A finding at path:line; notebook lines become lines within their cell."""
    line, cell = facts.locate(path, line)
    fact = {"path": path, "line": line, **(fact_extra or {})}
    if cell is not None:
        fact["cell"] = cell
    return Finding(rule.id, path, line, summary, fact, delta, cell)


def match_python_test_function(rule: Rule, facts: RepoFacts) -> list[Finding]:
    """Test functions whose name says what they check (and that really assert something)."""
    m = rule.match
    name_re = re.compile(m["name_regex"], re.I) if m.get("name_regex") else None
    params = set(m.get("params") or [])
    path_re = re.compile(m["path_regex"]) if m.get("path_regex") else None
    out = []
    for path in sorted(facts.python):
        pf = facts.python[path]
        if "error" in pf or not is_test_path(path) or not context_ok(m, facts, path):
            continue
        for name, line, meaningful, fparams in pf.get("test_functions", []):
            if params:  # a fixture such as `benchmark` says what the test does, whatever its name
                if not params.intersection(fparams):
                    continue
            elif not meaningful or not ((name_re and name_re.search(name)) or (path_re and path_re.search(path))):
                continue
            out.append(_finding(rule, facts, path, line, f"{rule.summary}: {name}"))
            if m.get("first_only", True):
                break
    return out


def match_python_gate(rule: Rule, facts: RepoFacts) -> list[Finding]:
    """A comparison on a metric that raises or exits (a gate), in a file that also uses `calls`."""
    m = rule.match
    out = []
    for path in sorted(facts.python):
        pf = facts.python[path]
        if "error" in pf or not context_ok(m, facts, path):
            continue
        gates = [g for g in pf.get("gates", []) if m.get("any_threshold") or g[1]]
        if not gates:
            continue
        if m.get("calls") and not any(_use_matches(u, {**m, "asserted": False}) for u in pf["uses"]):
            continue
        line, word = gates[0]
        what = f"a check on {word}" if word else "a threshold check"
        out.append(_finding(rule, facts, path, line, f"{rule.summary}: {what} stops the run or the request"))
    return out


def match_python_shared_import(rule: Rule, facts: RepoFacts) -> list[Finding]:
    """A local module of the target kind imported by files of two different contexts."""
    m = rule.match
    target_re = re.compile(m["target_path_regex"])
    side_a, side_b = _names(m["contexts"][0]), _names(m["contexts"][1])
    index = facts.module_index()
    importers: dict[str, dict[str, set[str]]] = {}
    for path, modules in facts.text_imports.items():
        ctx = facts.contexts.get(path, frozenset())
        if "test" in ctx:
            continue
        for name in modules:
            parts = name.split(".")
            for k in range(len(parts), 0, -1):
                cands = index.get(".".join(parts[:k]))
                if cands:
                    for c in cands:
                        if target_re.search(c) and c != path and not is_test_context(c):
                            sides = importers.setdefault(c, {"a": set(), "b": set()})
                            if ctx.intersection(side_a):
                                sides["a"].add(path)
                            if ctx.intersection(side_b):
                                sides["b"].add(path)
                    break
    out = []
    for target, sides in sorted(importers.items()):
        a, b = sides["a"] - sides["b"], sides["b"] - sides["a"]
        if a and b:
            out.append(Finding(rule.id, target, 1,
                               f"{rule.summary}: {target} is imported by {min(a)} and {min(b)}", {"path": target, "line": 1}))
    return out


def match_python_test_imports(rule: Rule, facts: RepoFacts) -> list[Finding]:
    """Test files with real assertions that import local code of the kind the rule targets."""
    target = rule.match.get("target") or {}
    is_target = _target_predicate(target, facts)
    index = facts.module_index()
    out = []
    for path in sorted(facts.python):
        pf = facts.python[path]
        if "error" in pf or not is_test_path(path) or pf.get("meaningful_tests", 0) == 0:
            continue
        hits = _target_imports(pf["imports"], index, is_target)
        via = ""
        if not hits and not _target_imports(pf["imports"], index, lambda p: not is_test_context(p)):
            # a test that imports no project code gets it from conftest.py fixtures (this directory or above)
            for conftest in _conftests(path, facts.python):
                conf_hits = _target_imports(facts.python[conftest].get("imports", []), index, is_target)
                if conf_hits:
                    hits, via = [(1, *h[1:]) for h in conf_hits], f" through {conftest}"
                    break
        if hits:
            line, name, target_path = min(hits)
            out.append(Finding(
                rule.id, path, line,
                f"{rule.summary}: imports {name} ({target_path}){via}; {pf['meaningful_tests']} asserting test(s)",
                {"path": path},
            ))
    return out


def _target_predicate(target: dict[str, Any], facts: RepoFacts) -> Callable[[str], bool]:
    """Which local modules a test-imports rule is about.

    target.any_of is a list of criteria sets; a module qualifies when it meets every criterion
    of one set: path_regex (its path), imports_any (it imports one of these packages),
    defines_regex (it defines a top-level function or class with such a name).
    target.exclude_path_regex removes modules whatever they meet. Test code never qualifies.
    """
    exclude_re = re.compile(target["exclude_path_regex"]) if target.get("exclude_path_regex") else None
    criteria = []
    for crit in target.get("any_of") or []:
        imports_re = None
        if crit.get("imports_any"):
            names = "|".join(re.escape(n) for n in crit["imports_any"])
            imports_re = re.compile(rf"^\s*(?:from|import)\s+(?:{names})\b", re.M)
        criteria.append((
            re.compile(crit["path_regex"]) if crit.get("path_regex") else None,
            imports_re,
            re.compile(rf"^(?:async\s+)?(?:def|class)\s+\w*(?:{crit['defines_regex']})", re.M | re.I)
            if crit.get("defines_regex") else None,
        ))
    snap = facts.snap

    @lru_cache(maxsize=None)
    def is_target(path: str) -> bool:
        if is_test_context(path) or (exclude_re is not None and exclude_re.search(path)):
            return False
        for path_re, imports_re, defines_re in criteria:
            if path_re is not None and not path_re.search(path):
                continue
            if imports_re is not None or defines_re is not None:
                text = snap.read_text(path) or ""
                if imports_re is not None and not imports_re.search(text):
                    continue
                if defines_re is not None and not defines_re.search(text):
                    continue
            return True
        return False

    return is_target


def _target_imports(imports, index, is_target) -> list[tuple[int, str, str]]:
    """(line, imported name, local path) for each import that resolves to a target module."""
    hits = []
    for name, line in imports:
        parts = name.split(".")
        for k in range(len(parts), 0, -1):
            cands = index.get(".".join(parts[:k]))
            if cands:
                hits.extend((line, name, c) for c in cands if is_target(c))
                break
    return hits


def _conftests(path: str, python: dict) -> list[str]:
    parts = path.split("/")[:-1]
    out = []
    for k in range(len(parts), -1, -1):
        cand = "/".join([*parts[:k], "conftest.py"])
        if cand in python and "error" not in python[cand]:
            out.append(cand)
    return out


@lru_cache(maxsize=256)
def _glob_re(glob: str) -> re.Pattern[str]:
    return re.compile(glob_to_regex(glob) + r"\Z")


def path_matches(path: str, globs: list[str]) -> bool:
    return any(_glob_re(g).match(path) for g in globs)


def match_text(rule: Rule, facts: RepoFacts) -> list[Finding]:
    m = rule.match
    pattern = re.compile(m["pattern"], re.M | (re.I if m.get("ignore_case") else 0))
    exclude = m.get("exclude") or []
    literals = [lit.lower() for lit in m.get("literals") or []]
    out = []
    for path in facts.snap.paths():
        if not path_matches(path, m["paths"]) or path_matches(path, exclude):
            continue
        if (m.get("context") or m.get("not_context")) and not context_ok(m, facts, path):
            continue
        nb = facts.notebooks.get(path)
        text = nb.source if nb is not None else facts.snap.read_text(path)
        if text is None:
            continue
        if literals and not any(lit in facts.lowered(path, text) for lit in literals):
            continue  # cheap pre-check: the pattern cannot match without one of these
        for mo in pattern.finditer(text):
            line = text.count("\n", 0, mo.start()) + 1
            snippet = " ".join(mo.group(0).split())[:80]
            out.append(_finding(rule, facts, path, line, f"{rule.summary}: {snippet}", {"summary": snippet}))
            if m.get("first_only", True):
                break
    return out


def _entropy(value: str) -> float:
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())


_PLACEHOLDER = re.compile(r"^(x+|\*+|changeme|change_me|your[_-]?\w*|example\w*|dummy\w*|test\w*|fake\w*|placeholder\w*)$", re.I)


def match_secrets(rule: Rule, facts: RepoFacts) -> list[Finding]:
    """Credentials committed to the repository. The finding names the kind of secret and its
    location, never the value (not even in part)."""
    m = rule.match
    patterns = {label: re.compile(rx) for label, rx in m["patterns"].items()}
    literals = {label: [lit.lower() for lit in lits] for label, lits in (m.get("literals") or {}).items()}
    entropy_min = float(m.get("entropy_min", 0))
    exclude = m.get("exclude") or []
    out = []
    for path in facts.snap.paths():
        if not path_matches(path, m["paths"]) or path_matches(path, exclude):
            continue
        text = facts.snap.read_text(path)
        if text is None:
            continue
        for label, rx in patterns.items():
            lits = literals.get(label)
            if lits and not any(lit in facts.lowered(path, text) for lit in lits):
                continue  # the pattern cannot match without one of these
            for mo in rx.finditer(text):
                value = mo.groupdict().get("value") or mo.group(0)
                if "value" in rx.groupindex and (_entropy(value) < entropy_min or _PLACEHOLDER.match(value)):
                    continue
                line = text.count("\n", 0, mo.start()) + 1
                out.append(Finding(rule.id, path, line, f"{rule.summary}: {label} (value not shown)",
                                   {"path": path, "line": line, "kind": label}))
                break
    return out


def match_pinned_dependencies(rule: Rule, facts: RepoFacts) -> list[Finding]:
    """Requirements files and conda environments in which every requirement is pinned exactly."""
    out = []
    for path, (total, pinned) in sorted(facts.pinning.items()):
        if total and pinned == total:
            out.append(Finding(rule.id, path, 1, f"{rule.summary}: all {total} requirements in {path} pinned",
                               {"path": path, "line": 1}))
    return out


def match_ci_run(rule: Rule, facts: RepoFacts) -> list[Finding]:
    m = rule.match
    pattern = re.compile(m["pattern"], re.M)
    want_triggers = set(m.get("triggers") or [])
    out = []
    for wf in facts.ci.workflows:
        if not wf.automated:
            continue
        if want_triggers and not (wf.effective_triggers & want_triggers):
            continue
        for step in wf.steps:
            mo = pattern.search(step.text)
            if mo:
                summary = f"{rule.summary}: {mo.group(0).strip()[:60]} ({wf.path}, on {', '.join(sorted(wf.effective_triggers))})"
                out.append(Finding(rule.id, step.path, step.line, summary, {"path": step.path, "line": step.line}))
                break
    return out


def match_ci_executes(rule: Rule, facts: RepoFacts) -> list[Finding]:
    """Repository files that an automated CI job runs, by their context or path; the finding is
    the step that runs them."""
    m = rule.match
    path_re = re.compile(m["path_regex"]) if m.get("path_regex") else None
    want_triggers = set(m.get("triggers") or [])
    out = []
    for target in sorted(facts.ci.executions):
        if path_re is not None and not path_re.search(target):
            continue
        if (m.get("context") or m.get("not_context")) and not context_ok(m, facts, target):
            continue
        if m.get("meaningful_tests") and not facts.python.get(target, {}).get("meaningful_tests"):
            continue  # a test file whose tests assert nothing real (placeholders) is not evidence
        for ex in sorted(facts.ci.executions[target], key=lambda e: (e.workflow, e.line)):
            if ex.manual or not ex.wf.automated:
                continue
            if want_triggers and not (ex.wf.effective_triggers & want_triggers):
                continue
            on = ", ".join(sorted(ex.wf.effective_triggers - {"workflow_call"}))
            out.append(Finding(rule.id, ex.step_path or ex.workflow, ex.line,
                               f"{rule.summary}: {ex.how} runs {target} ({ex.workflow}, on {on})",
                               {"path": ex.step_path or ex.workflow, "line": ex.line}))
            break
    return out


def match_ci_trigger(rule: Rule, facts: RepoFacts) -> list[Finding]:
    want = set(rule.match["triggers"])
    out = []
    for wf in facts.ci.workflows:
        got = wf.effective_triggers & want
        if got and wf.steps:
            out.append(Finding(rule.id, wf.path, wf.line, f"{rule.summary}: {wf.path} runs on {', '.join(sorted(got))}"))
    return out


def match_codeowners(rule: Rule, facts: RepoFacts) -> list[Finding]:
    """CODEOWNERS lines that give model code (model and training files, model configs) an owner."""
    co = facts.codeowners
    if not co or not co["owned_model_files"]:
        return []
    summary = (f"{rule.summary}: {co['owned_model_files']} of {co['model_files']} model files owned by "
               f"{', '.join(co['model_code_owners'][:5])}")
    return [Finding(rule.id, co["path"], co["lines"][0], summary)]


def match_history_review(rule: Rule, facts: RepoFacts) -> list[Finding]:
    review = facts.review
    if not review or not review["commits_considered"]:
        return []
    minimum = float(rule.match.get("min_pr_fraction", 0.5))
    if review["pr_fraction"] < minimum:
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


MATCHERS: dict[str, Callable[[Rule, RepoFacts], list[Finding]]] = {
    "python-call": match_python_call,
    "python-test-imports": match_python_test_imports,
    "python-test-function": match_python_test_function,
    "python-gate": match_python_gate,
    "python-shared-import": match_python_shared_import,
    "text": match_text,
    "secrets": match_secrets,
    "pinned-dependencies": match_pinned_dependencies,
    "ci-run": match_ci_run,
    "ci-executes": match_ci_executes,
    "ci-trigger": match_ci_trigger,
    "history-review": match_history_review,
    "codeowners": match_codeowners,
}


def run_rule(rule: Rule, facts: RepoFacts) -> list[Finding]:
    """The rule's findings, one per location (two matches on one line are one finding)."""
    seen: set[tuple[str, int | None, int]] = set()
    out = []
    for f in MATCHERS[rule.kind](rule, facts):
        key = (f.path, f.cell, f.line)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# ------------------------------------------------------------------------- evidence
def _automation(rule: Rule, finding: Finding, facts: RepoFacts) -> str | None:
    """What runs this finding without a person (a CI config path), or None."""
    mode = rule.automation
    if mode == "never":
        return None
    if mode == "always":
        return finding.path
    if mode in ("ci", "ci-or-runtime"):
        ex = facts.ci.automated_by(finding.path)
        if ex:
            return ex.workflow
        if mode == "ci-or-runtime":
            ctx = facts.contexts.get(finding.path, frozenset())
            if "test" not in ctx and "notebook" not in ctx:
                for runtime in ("serving", "pipeline"):
                    if runtime in ctx:
                        return f"{runtime} path"
        return None
    if mode == "ci-pull-request":
        for wf in sorted(facts.ci.workflows, key=lambda w: w.path):
            if wf.automated and wf.effective_triggers & PULL_REQUEST_TRIGGERS and wf.steps:
                return wf.path
        return None
    raise AssertionError(mode)


def evidence_for(rule: Rule, findings: list[Finding], facts: RepoFacts) -> list[Evidence]:
    out = []
    for f in findings:
        automated_by = _automation(rule, f, facts)
        for s in rule.supports:
            conf = s.confidence + f.confidence_delta + (0.1 if automated_by else 0.0)
            conf = max(0.05, min(0.95, conf))
            if s.cap is not None:  # negative evidence: never automated, never a point
                out.append(Evidence(rule.id, f.path, f.line, s.confidence, f.summary, s.item, cell=f.cell, cap=s.cap))
            elif s.rubric == "ml-test-score":
                level = "automated" if automated_by else "manual"
                out.append(Evidence(rule.id, f.path, f.line, conf, f.summary, s.item, level=level,
                                    automated_by=automated_by, cell=f.cell))
            else:
                out.append(Evidence(rule.id, f.path, f.line, conf, f.summary, s.item, score=s.score,
                                    automated_by=automated_by, cell=f.cell))
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


def evaluate(heur: Heuristics, facts: RepoFacts) -> tuple[list[Evidence], dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """All evidence, the facts blocks (seeds, model_tests, ...) that rules record, and hints."""
    evidence: list[Evidence] = []
    fact_blocks: dict[str, list[dict[str, Any]]] = {}
    hints: list[dict[str, Any]] = []
    for rule in heur.rules:
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
            for f in findings:
                if f.fact is not None:
                    block.append(f.fact)
    hints.sort(key=lambda h: (h["path"], h["line"], h["rule"]))
    return evidence, fact_blocks, hints
