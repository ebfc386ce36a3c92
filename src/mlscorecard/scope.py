"""What counts as the project: samples, examples, tutorials, documentation code, vendored and
generated code, and coding assistants' instructions are recognised by their paths and kept out
of the project's own evidence.

Their evidence is still found and shown apart ("in examples"), never raising a score, unless
the project's settings say `count-examples = true`; a committed secret counts wherever it is.
The report also states its coverage: files read by kind, languages present that no rule reads,
and CI commands whose scripts could not be followed.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any

# scope name -> path pattern (matched against the repository-relative path)
SCOPES: dict[str, re.Pattern[str]] = {
    "examples": re.compile(r"(^|/)(examples?|samples?|tutorials?|demos?|cookbooks?|quickstarts?)/", re.I),
    # documentation's own code only: a README or a docs page describing a procedure is evidence
    "docs": re.compile(r"(^|/)(docs?|documentation|docs-[\w-]+)/.*\.(py|ipynb|sh|r)$", re.I),
    "vendored": re.compile(r"(^|/)(vendor|vendored|_vendor|third[_-]party|3rdparty|externals)/", re.I),
    # coding assistants' instructions and agent definitions (`.claude/agents/ml-engineer.md`:
    # "begin with a baseline model"): advice to a tool, not a procedure of the project's
    "assistant": re.compile(r"(^|/)\.(claude|cursor|windsurf|codex|gemini|continue|roo|clinerules|kiro|aider[\w.-]*)(/|$)"
                            r"|^\.github/(copilot-instructions\.md$|(instructions|prompts|chatmodes|agents)/)", re.I),
    "generated": re.compile(r"(_pb2(_grpc)?\.pyi?$|\.pb\.go$|(^|/)(generated|autogen|openapi[_-]client|"
                            r"swagger[_-]client)/|(^|/)config/crd/(bases/)?[^/]+\.ya?ml$)", re.I),
}

# one search rules out most paths: none of the scopes' words is in them
_ANY = re.compile(r"exampl|sampl|tutorial|demo|cookbook|quickstart|doc|vendor|third|3rdparty|external|_pb2|\.pb\.go|"
                  r"generated|autogen|client|/crd/|^crd/|config/crd|"
                  r"\.(claude|cursor|windsurf|codex|gemini|continue|roo|clinerules|kiro|aider)|copilot|"
                  r"^\.github/(instructions|prompts|chatmodes|agents)/", re.I)

# extension -> language, for code no rule reads
UNREAD_LANGUAGES = {
    ".go": "Go", ".java": "Java", ".scala": "Scala", ".kt": "Kotlin", ".r": "R", ".rmd": "R", ".jl": "Julia",
    ".rs": "Rust", ".c": "C", ".cc": "C++", ".cpp": "C++", ".cu": "CUDA", ".h": "C/C++ headers", ".hpp": "C/C++ headers",
    ".cs": "C#", ".rb": "Ruby", ".php": "PHP", ".swift": "Swift", ".m": "MATLAB/Objective-C", ".lua": "Lua",
    ".sql": "SQL",
}
KINDS = {".py": "python", ".pyi": "python", ".ipynb": "notebooks", ".yml": "yaml", ".yaml": "yaml", ".json": "json",
         ".toml": "toml", ".cfg": "config", ".ini": "config", ".md": "markdown", ".rst": "docs", ".txt": "text",
         ".sh": "shell", ".tf": "terraform", ".js": "javascript", ".ts": "typescript"}


@lru_cache(maxsize=65536)
def scope_of(path: str) -> str | None:
    """The scope a path is outside the project in (examples, docs, vendored, generated), or None.
    (Cached: the same paths are asked about for the coverage, every piece of evidence and the
    profile.)"""
    if not _ANY.search(path):
        return None
    for name, rx in SCOPES.items():
        if rx.search(path):
            return name
    return None


def split_evidence(evidence: list, count_examples: bool) -> tuple[list, list]:
    """(the project's evidence, evidence in examples/docs/vendored/generated code). Negative
    evidence (a committed secret) always stays the project's: it is a problem wherever it is."""
    if count_examples:
        return list(evidence), []
    own, apart = [], []
    for e in evidence:
        (apart if e.cap is None and scope_of(e.path) else own).append(e)
    return own, apart


def apart_facts(apart: list, count_examples: bool) -> dict[str, Any]:
    """The facts block about evidence kept apart: per scope, what was found, not counted."""
    rows = [{"scope": scope_of(e.path), "item": e.item, "rule": e.rule, "path": e.path, "line": e.line,
             "summary": e.summary} for e in sorted(apart, key=lambda e: (e.path, e.line, e.rule, e.item))]
    return {"counted": count_examples, "by_scope": dict(sorted(Counter(r["scope"] for r in rows).items())),
            "evidence": rows}


def coverage(snap, ci_facts) -> dict[str, Any]:
    """What the audit read, by kind; languages present that it does not analyse; CI commands it
    could not follow; how many files are outside the project's own scope."""
    kinds: Counter[str] = Counter()
    unread: Counter[str] = Counter()
    scopes: Counter[str] = Counter()
    for path in snap.paths():
        name = path.rsplit("/", 1)[-1].lower()
        ext = name[name.rfind("."):] if "." in name else ""
        kinds[KINDS.get(ext, "other")] += 1
        if ext in UNREAD_LANGUAGES:
            unread[UNREAD_LANGUAGES[ext]] += 1
        s = scope_of(path)
        if s:
            scopes[s] += 1
    return {
        "files": sum(kinds.values()),
        "by_kind": dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
        "languages_not_analysed": dict(sorted(unread.items(), key=lambda kv: (-kv[1], kv[0]))),
        "outside_the_project": dict(sorted(scopes.items())),
        # a script the settings exclude is not missing: it was left out on purpose
        "ci_commands_not_followed": sorted(p for p in (getattr(ci_facts, "unfollowed", ()) or ())
                                           if not snap.excluded_by_settings(p))[:50],
    }
