"""The whole flow: snapshot -> collectors -> rules -> evidence -> scores (-> reports, elsewhere)."""

from __future__ import annotations

import gc
import hashlib
import os
from contextlib import closing
from functools import lru_cache
from pathlib import Path

from typing import TYPE_CHECKING

from . import audit_memo
from .cache import BlobCache, default_cache_dir
from .confirmations import DEFAULT_FILE
from .errors import HeuristicsError, UnusableInput, transient_count
from .heuristics import Heuristics, load_heuristics
from .model import AuditResult
from .project_config import PYPROJECT, SETTINGS_FILE, Settings, read_settings
from .remote import origin_of
from .snapshot import DEFAULT_MAX_FILE_SIZE, Snapshot
from . import __version__

if TYPE_CHECKING:
    from .safety.redaction import Redactor

FACT_BLOCKS = ("seeds", "model_tests", "monitoring", "rollback")
_ANCHORS = ("README.md", "README.rst", "README", "pyproject.toml", "setup.py")
_SECURITY_POLICY = ("SECURITY.md", ".github/SECURITY.md", "docs/SECURITY.md", "SECURITY.rst", "SECURITY.txt")


def security_facts(snap: Snapshot, codeowners: dict | None) -> dict:
    """What the repository says about its own security process (not evidence by itself), and what
    only a person with access to the hosting settings can tell."""
    return {
        "security_policy": next((p for p in _SECURITY_POLICY if snap.exists(p)), None),
        "codeowners": codeowners["path"] if codeowners else None,
        "branch_protection": "not visible in a repository: confirm required reviews and status checks on the main branch",
    }


def audit_snapshot(snap: Snapshot, heur: Heuristics, cache: BlobCache | None = None, jobs: int | None = None,
                   confirmations: str | None = None, settings: Settings | None = None,
                   progress=None, answers: tuple[str | None, str | None] | None = None) -> AuditResult:
    """Audit one snapshot; confirmations: an explicit confirmations file (default: .mlscorecard.yml);
    settings: the project's (exclusions already applied to the snapshot; disabled rules never count)."""
    # imported here: an audit the cache remembers (audit_memo.py) needs none of the machinery
    from .collect import collect
    from .confirmations import merge_into
    from .profile import profile_facts
    from .rules_engine import evaluate
    from .safety.redaction import redact_result
    from .scope import apart_facts, coverage, split_evidence
    from .scoring import score_all

    settings = settings or Settings()
    facts = collect(snap, heur, cache=cache, jobs=jobs, progress=progress)
    if progress is not None:
        progress.stage("scoring")
    evidence, blocks, hints = evaluate(heur, facts, frozenset(settings.disable))
    # examples, docs' code, vendored and generated code: found, shown apart, never scored
    evidence, apart = split_evidence(evidence, settings.count_examples)
    sources = {"history"} if facts.review is not None else set()
    rubrics = score_all(heur, evidence, sources)
    fact_out: dict = {}
    for name in FACT_BLOCKS:
        rows = blocks.get(name, [])
        uniq = {tuple(sorted(r.items())): r for r in rows}
        fact_out[name] = sorted(uniq.values(), key=lambda r: (r.get("path", ""), r.get("line", 0), r.get("call", "")))
    fact_out["ci"] = facts.ci.to_facts()
    review = facts.review or {"commits_considered": 0, "pr_fraction": 0.0}
    review = {**review, "available": facts.review is not None, "codeowners": facts.codeowners}
    fact_out["review"] = review
    fact_out["security"] = security_facts(snap, facts.codeowners)
    fact_out["coverage"] = coverage(snap, facts.ci)
    fact_out["outside_the_project"] = apart_facts(apart, settings.count_examples)
    if settings.source or settings.excluded_globs or settings.disable:
        fact_out["settings"] = {**settings.shown(), "excluded_files": snap.excluded_count}
    if cache is not None and cache.error:
        snap.warn(".", cache.error)
    warnings = sorted(snap.warnings, key=lambda w: (w.path, w.message))
    result = AuditResult(
        repo_path=snap.root, commit=snap.commit, ref=snap.ref, rubrics=rubrics, facts=fact_out,
        warnings=warnings, stats=facts.stats, hints=hints,
        anchor=next((p for p in _ANCHORS if snap.exists(p)), None) or next(iter(snap.paths()), None),
        remote=origin_of(snap),
        source=("staged" if snap.worktree == "staged" else "worktree") if snap.worktree else (
            "commit" if snap.commit else "directory"),
        uncommitted=len(snap.changed) if snap.worktree else None,  # staged or work tree
        changed=list(snap.changed) if snap.worktree else [],
    )
    merge_into(result, heur, snap, snap.root, confirmations, answers)
    result.facts["profile"] = profile_facts(snap, facts, result, heur, cache)  # after the answers: it proposes the rest
    return redact_result(result, secret_redactor(snap, heur, evidence + apart))


def secret_redactor(snap: Snapshot, heur: Heuristics, evidence) -> Redactor:
    """The heuristics' secret shapes, and the values the secrets rules found: those files are
    read again (the cache holds findings, never a value)."""
    from .safety.redaction import found_values, pattern_redactor

    rules = {r.id: r for r in heur.rules if r.kind == "secrets"}
    values = [value for path, rule_id in sorted({(e.path, e.rule) for e in evidence if e.rule in rules})
              for value in found_values(rules[rule_id], snap.read_text(path) or "")]
    return pattern_redactor(heur).with_values(values)


def run_audit(
    path: str,
    rev: str | None = None,
    *,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    cache_dir: Path | None | bool = None,
    jobs: int | None = None,
    confirmations: str | None = None,
    worktree: bool | str = False,
    config: str | None = None,
    isolated: bool = False,
    overrides: dict | None = None,
    progress=None,
    settings_from: str | None = None,
    remember: bool | None = None,
) -> AuditResult:
    """Audit a repository or directory. cache_dir: None = default location, False = no cache.
    worktree: for a checkout without `rev`, read the work tree (uncommitted changes included)
    rather than HEAD's tree — what `mlscorecard audit` does unless told --committed.
    config: a settings file to use instead of the project's; isolated: no settings file at all;
    overrides: Settings fields from the command line, over the file's; settings_from: a revision
    whose settings, own rules and confirmations to use instead of those of `rev`.
    remember: keep and reuse whole results (audit_memo.py); None: unless MLSCORECARD_REMEMBER=0
    (a warm audit then goes through the per-file cache: what `benchmarks/speed_vs_floor.py`
    measures beside it)."""
    if remember is None:
        remember = os.environ.get("MLSCORECARD_REMEMBER", "1") != "0"
    if confirmations and not Path(confirmations).is_file():
        raise UnusableInput(f"{confirmations}: confirmations file not found")
    heur = load_heuristics()
    snap = Snapshot.open(path, rev, max_file_size=max_file_size, worktree=worktree)
    try:
        settings, heur, answers = _project_side(snap, path, settings_from if settings_from != rev else None, heur,
                                                config, isolated, overrides or {}, want_answers=not confirmations)
    except BaseException:
        snap.close()
        raise
    snap.exclude(settings.excluded_globs, keep=(DEFAULT_FILE,))  # the answers are read whatever the globs say
    if not snap.files:
        snap.close()
        left_out = f" ({snap.excluded_count} excluded by the settings)" if snap.excluded_count else ""
        raise UnusableInput(f"{path}: nothing to audit: no files{left_out}")
    cache = None
    if cache_dir is not False:
        directory = cache_dir if isinstance(cache_dir, Path) else default_cache_dir()
        cache = BlobCache(directory, f"{__version__}:{heur.digest}:{code_digest()}")
    collecting = gc.isenabled()
    # the cyclic collector would scan every fact, finding and report row as it is made (a tenth
    # of an audit that analyses a few files); reference counting frees nearly all of them, the
    # few cycles (some tens of thousands of small objects on pytorch-lightning) wait until
    # collection resumes when the audit returns (a fleet run audits many)
    gc.disable()
    try:
        failures = transient_count()
        key = (audit_memo.memo_key(snap, path, settings, heur, confirmations, answers, max_file_size)
               if cache is not None and remember else None)
        result = audit_memo.recall(cache, key)
        if result is None:
            result = audit_snapshot(snap, heur, cache=cache, jobs=jobs, confirmations=confirmations,
                                    settings=settings, progress=progress, answers=answers)
            if transient_count() == failures and cache is not None and not cache.error:
                audit_memo.remember(cache, snap, key, result)
        result.settings, result.heuristics = settings, heur
        return result
    finally:
        if collecting:
            gc.enable()
        if cache is not None:
            cache.close()
        snap.close()


def _project_side(snap: Snapshot, path: str, other_rev: str | None, heur: Heuristics, config: str | None,
                  isolated: bool, overrides: dict, want_answers: bool):
    """(settings, heuristics, answers) of the project: those of the audited snapshot, or, with
    `other_rev`, of that revision — the PR bot reads the base's for both sides, so a change cannot
    disable, exclude or add the rules that judge it, nor answer for what it breaks. The other
    revision's files are listed alone (settings, answers, rules-dir), not its whole tree."""
    if other_rev is None:
        settings = read_settings(snap, config, isolated).merged(**overrides)
        return settings, project_heuristics(snap, settings, heur), None
    with closing(Snapshot.open(path, other_rev, only=[SETTINGS_FILE, PYPROJECT])) as other:
        settings = read_settings(other, config, isolated).merged(**overrides)
        text = other.read_text(DEFAULT_FILE) if want_answers and other.exists(DEFAULT_FILE) else None
        answers = None if not want_answers else (DEFAULT_FILE, text) if text is not None else (None, None)
    if not settings.rules_dir:
        return settings, project_heuristics(snap, settings, heur), answers
    with closing(Snapshot.open(path, other_rev, only=[settings.rules_dir])) as other:
        return settings, project_heuristics(other, settings, heur), answers


def project_heuristics(snap: Snapshot, settings: Settings, heur: Heuristics) -> Heuristics:
    """The heuristics with the project's own rules (checked by their examples) and per-folder
    contexts; errors in either stop the audit with one line."""
    from .heuristics import load_project_rules
    from .project_config import check_names
    from .rule_examples import failed_examples

    rules = []
    if settings.rules_dir:
        try:
            rules = load_project_rules(snap, settings.rules_dir, heur)
            custom = heur.customised(rules=rules, origin=settings.rules_dir)
        except HeuristicsError as exc:
            raise UnusableInput(f"{settings.source or 'settings'}: rules-dir: {exc}") from None
        failures = failed_examples(rules, custom)
        if failures:
            raise UnusableInput(f"rules-dir {settings.rules_dir}: {failures[0]}"
                                + (f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""))
    out = heur.customised(rules=rules, context_globs=settings.contexts, origin=f"{settings.source}:{settings.rules_dir}")
    check_names(settings, out)
    return out


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A hash of the package's own source: cached results from other code are never reused."""
    h = hashlib.sha256()
    package = Path(__file__).parent
    for p in sorted(package.rglob("*.py")):
        h.update(p.relative_to(package).as_posix().encode() + p.read_bytes())
    return h.hexdigest()[:12]


__all__ = ["run_audit", "audit_snapshot", "code_digest"]
