"""Python matchers: calls, test functions and gates in one file; test and shared imports across files."""

from __future__ import annotations

import re
import fnmatch
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable

from ..engine.python import is_test_context, is_test_path
from . import FileView, Finding, names, register

if TYPE_CHECKING:
    from ..collect import RepoFacts

CONTEXT_KEYS = {"context", "not_context"}


def _kind_ok(want: Any, got: str) -> bool:
    if want in (None, "any"):
        return True
    wanted = want if isinstance(want, list) else [want]
    return got in wanted or (got == "name" and "expr" in wanted)  # a name is an expression too


@lru_cache(maxsize=1024)
def _call_patterns(calls: tuple[str, ...]) -> tuple[frozenset[str], re.Pattern[str] | None]:
    """A rule's `calls` as exact names plus one expression for the globs (fnmatch's syntax)."""
    globs = [c for c in calls if any(ch in c for ch in "*?[")]
    return (frozenset(c for c in calls if c not in globs),
            re.compile("|".join(fnmatch.translate(g) for g in globs)) if globs else None)


def use_matches(use: dict[str, Any], m: dict[str, Any]) -> bool:
    calls = m.get("calls") or []
    if use["how"] not in (m.get("how") or ["call"]):
        return False
    if calls:
        exact, globs = _call_patterns(tuple(calls))
        if use["name"] not in exact and (globs is None or not globs.match(use["name"])):
            return False
    if m.get("not_calls"):  # what a glob would also take but another rule is about
        exact, globs = _call_patterns(tuple(m["not_calls"]))
        if use["name"] in exact or (globs is not None and globs.match(use["name"])):
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
    for kw, values in (m.get("not_keyword_values") or {}).items():  # `nullable=True` opts out
        if kw in use["kwv"] and use["kwv"][kw] in values:
            return False
    return True


# ------------------------------------------------------------------------- one file
@register("python-call", "file", {"calls", "not_calls", "how", "args", "arg_values", "keywords", "keyword_values", "any_keywords",
                                   "not_keyword_values", "asserted", "also_calls", *CONTEXT_KEYS})
def match_python_call(rule, f: FileView) -> list[Finding]:
    """Uses of the named calls; with `also_calls`, only in a file that also uses one of those
    (a simple model trained beside a complex one)."""
    m = rule.match
    pf = f.python
    if pf is None or "error" in pf:
        return []
    if m.get("also_calls"):
        others = {"calls": m["also_calls"], "how": m.get("how") or ["call"]}
        if not any(use_matches(u, others) for u in pf["uses"]):
            return []
    want_kws: dict[str, Any] = m.get("keywords") or {}
    out = []
    for use in pf["uses"]:
        if not use_matches(use, m):
            continue
        line = use["line"]
        named = list(want_kws) or [k for k in m.get("any_keywords") or [] if k in use["kws"]]
        if named:  # point at the argument that matters, not the start of a multi-line call
            line = min(use["kwl"].get(k, line) for k in named)
        label = use["name"] if m.get("calls") else f"{use['name']}({', '.join(f'{k}=' for k in named)}...)"
        if use["asserted"]:
            label += " (checked by an assert or a gate)"
        out.append(f.finding(rule, line, f"{rule.summary}: {label}", {"call": use["name"]},
                             0.1 if use["asserted"] else 0.0))
    return out


@register("python-test-function", "file", {"name_regex", "path_regex", "params", "first_only", *CONTEXT_KEYS})
def match_python_test_function(rule, f: FileView) -> list[Finding]:
    """Test functions whose name says what they check (and that really assert something)."""
    m = rule.match
    pf = f.python
    if pf is None or "error" in pf or not is_test_path(f.path):
        return []
    name_re = re.compile(m["name_regex"], re.I) if m.get("name_regex") else None
    params = set(m.get("params") or [])
    path_re = re.compile(m["path_regex"]) if m.get("path_regex") else None
    if not params and not (path_re and path_re.search(f.path)):
        # only a name can match: one search of all the asserting tests' names first
        screen = name_screen(m["name_regex"]) if name_re else None
        if name_re is None or (screen is not None and not screen.search(f.asserting_test_names())):
            return []
    out = []
    for name, line, meaningful, fparams in pf.get("test_functions", []):
        if params:  # a fixture such as `benchmark` says what the test does, whatever its name
            if not params.intersection(fparams):
                continue
        elif not meaningful or not ((name_re and name_re.search(name)) or (path_re and path_re.search(f.path))):
            continue
        out.append(f.finding(rule, line, f"{rule.summary}: {name}"))
        if m.get("first_only", True):
            break
    return out


@lru_cache(maxsize=256)
def name_screen(pattern: str) -> re.Pattern | None:
    """A test-name pattern made to search names joined one per line (MULTILINE: `^` and `$` at
    each name's ends): whatever it finds in one name it finds there; a hit across names only
    sends the search to the names one by one. None where joining could hide a match: a
    lookbehind or a negative lookahead (the newline around a name), `\\A`/`\\Z`, or a flag
    turned off inside."""
    if any(mark in pattern for mark in ("(?<", "(?!", "\\A", "\\Z", "(?-")):
        return None
    return re.compile(pattern, re.I | re.M)


@lru_cache(maxsize=64)
def _function_re(pattern: str) -> re.Pattern:
    return re.compile(pattern)


@register("python-gate", "file", {"calls", "how", "words", "any_threshold", "keywords", "any_keywords",
                                  "not_functions", *CONTEXT_KEYS})
def match_python_gate(rule, f: FileView) -> list[Finding]:
    """A comparison on a metric that raises or exits (a gate), in a file that also uses `calls`;
    `not_functions` (a regex) leaves out the gates inside functions so named (model loading in
    a scorer's `init` is no check on the request)."""
    m = rule.match
    pf = f.python
    if pf is None or "error" in pf:
        return []
    gates = [g for g in pf.get("gates", []) if m.get("any_threshold") or g[1]]
    if m.get("not_functions"):
        skip = _function_re(m["not_functions"])
        gates = [g for g in gates if not (len(g) > 2 and g[2] and skip.search(g[2]))]
    if not gates:
        return []
    if m.get("calls") and not any(use_matches(u, {**m, "asserted": False}) for u in pf["uses"]):
        return []
    line, word = gates[0][0], gates[0][1]
    what = f"a check on {word}" if word else "a threshold check"
    return [f.finding(rule, line, f"{rule.summary}: {what} stops the run or the request")]


# ------------------------------------------------------------------------- across files
@register("python-shared-import", "repo", {"target_path_regex", "contexts"})
def match_python_shared_import(rule, facts: "RepoFacts") -> list[Finding]:
    """A local module of the target kind imported by files of two different contexts."""
    m = rule.match
    target_re = re.compile(m["target_path_regex"])
    side_a, side_b = names(m["contexts"][0]), names(m["contexts"][1])
    importers: dict[str, dict[str, set[str]]] = {}
    for path, modules in facts.text_imports.items():
        ctx = facts.contexts.get(path, frozenset())
        if "test" in ctx:
            continue
        in_a, in_b = bool(ctx.intersection(side_a)), bool(ctx.intersection(side_b))
        if not (in_a or in_b):
            continue
        for name in modules:
            for c in facts.local_modules(name):
                if c != path and target_re.search(c) and not is_test_context(c):
                    sides = importers.setdefault(c, {"a": set(), "b": set()})
                    if in_a:
                        sides["a"].add(path)
                    if in_b:
                        sides["b"].add(path)
    out = []
    for target, sides in sorted(importers.items()):
        a, b = sides["a"] - sides["b"], sides["b"] - sides["a"]
        if a and b:
            out.append(Finding(rule.id, target, 1,
                               f"{rule.summary}: {target} is imported by {min(a)} and {min(b)}", {"path": target, "line": 1}))
    return out


@register("python-test-imports", "repo", {"target"})
def match_python_test_imports(rule, facts: "RepoFacts") -> list[Finding]:
    """Test files with real assertions that import local code of the kind the rule targets."""
    is_target = _target_predicate(rule, facts)
    out = []
    for path in sorted(facts.python):
        pf = facts.python[path]
        if "error" in pf or not is_test_path(path) or pf.get("meaningful_tests", 0) == 0:
            continue
        hits = _target_imports(pf["imports"], facts, is_target)
        via = ""
        if not hits and not _target_imports(pf["imports"], facts, _is_code):
            # a test that imports no project code gets it from conftest.py fixtures (this directory or above)
            for conftest in _conftests(path, facts.python):
                conf_hits = _target_imports(facts.python[conftest].get("imports", []), facts, is_target)
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


DEFINED_NAME_RE = re.compile(r"^[ \t]*(?:async\s+)?(?:def|class)\s+(\w+)", re.M)


def _imports_re(names: list[str]) -> re.Pattern[str]:
    """An import line of one of these packages (a submodule imported from its parent too:
    `from sklearn import compose` imports sklearn.compose)."""
    alternatives = "|".join(re.escape(n) for n in names)
    submodules = "".join(
        rf"|from\s+{re.escape(parent)}\s+import\s+[^\n#]*?\b{re.escape(leaf)}\b(?!\.)"
        for parent, _, leaf in (n.rpartition(".") for n in names) if parent)
    return re.compile(rf"^\s*(?:(?:from|import)\s+(?:{alternatives})\b{submodules})", re.M)


def target_text_criteria(rule) -> list[tuple[re.Pattern[str] | None, ...]]:
    """The parts of a test-imports rule's target criteria that read a module's text (what it
    imports, what it must not import, what it defines), with the path pattern that must also
    hold, one tuple per criteria set. They are checked per file, with the file's other facts
    (engine/files.py), so the repo-scope matcher never reads a file."""
    out = []
    for crit in (rule.match.get("target") or {}).get("any_of") or []:
        path_re = re.compile(crit["path_regex"]) if crit.get("path_regex") else None
        imports_re = _imports_re(crit["imports_any"]) if crit.get("imports_any") else None
        # a module whose path qualifies but that imports one of these is something else (an
        # ORM's `models.py` importing sqlalchemy or sqlmodel)
        not_imports_re = _imports_re(crit["not_imports_any"]) if crit.get("not_imports_any") else None
        # searched in each name the module defines (DEFINED_NAME_RE), not in its whole text
        defines_re = re.compile(crit["defines_regex"], re.I) if crit.get("defines_regex") else None
        out.append((path_re, imports_re, defines_re, not_imports_re))
    return out


def _target_predicate(rule, facts: "RepoFacts") -> Callable[[str], bool]:
    """Which local modules a test-imports rule is about.

    target.any_of is a list of criteria sets; a module qualifies when it meets every criterion
    of one set: path_regex (its path), imports_any (it imports one of these packages),
    not_imports_any (it imports none of these), defines_regex (it defines a function, method
    or class with such a name).
    target.exclude_path_regex removes modules whatever they meet. Test code never qualifies.
    """
    target = rule.match.get("target") or {}
    exclude_re = re.compile(target["exclude_path_regex"]) if target.get("exclude_path_regex") else None
    criteria = target.get("any_of") or []
    path_res = [re.compile(c["path_regex"]) if c.get("path_regex") else None for c in criteria]
    reads_text = [bool(c.get("imports_any") or c.get("defines_regex") or c.get("not_imports_any")) for c in criteria]

    @lru_cache(maxsize=None)
    def is_target(path: str) -> bool:
        if is_test_context(path) or (exclude_re is not None and exclude_re.search(path)):
            return False
        text_ok = facts.target_criteria.get(path, {}).get(rule.id, ())
        for i, path_re in enumerate(path_res):
            if path_re is not None and not path_re.search(path):
                continue
            if reads_text[i] and i not in text_ok:
                continue
            return True
        return False

    return is_target


def _is_code(path: str) -> bool:
    return not is_test_context(path)


def _target_imports(imports, facts: "RepoFacts", is_target) -> list[tuple[int, str, str]]:
    """(line, imported name, local path) for each import that resolves to a target module, or
    to a package `__init__.py` that imports one of its own target submodules (a name the
    package re-exports: `from pkg import Net` with `from .model import Net` in pkg/__init__.py)."""
    out = []
    for name, line in imports:
        for c in facts.local_modules(name):
            if is_target(c):
                out.append((line, name, c))
            elif c.endswith("__init__.py") and _names_an_attribute(name, c):
                out.extend((line, name, sub) for sub in _reexported_targets(c, facts, is_target))
    return out


def _reexported_targets(init_path: str, facts: "RepoFacts", is_target) -> list[str]:
    """The package's own target submodules that its __init__.py imports, worked out once per
    package and predicate (a library's __init__ can list thousands of names, and every test
    importing from the package asks again)."""
    key = (init_path, is_target)  # the predicate itself, held: its id cannot be reused
    found = facts._reexports.get(key)
    if found is None:
        package = init_path[: -len("__init__.py")]
        found = facts._reexports[key] = [
            sub for module in facts.text_imports.get(init_path, ()) for sub in facts.local_modules(module)
            if sub.startswith(package) and sub != init_path and is_target(sub)]
    return found


def _names_an_attribute(name: str, init_path: str) -> bool:
    """Whether an imported name goes past the package to something it defines or re-exports
    (`pkg.Net` from pkg/__init__.py), rather than naming the package itself (`import pkg`)."""
    package_dir = init_path[: -len("/__init__.py")] if "/" in init_path else ""
    return bool(package_dir) and not package_dir.endswith("/".join(name.split(".")))


def _conftests(path: str, python: dict) -> list[str]:
    parts = path.split("/")[:-1]
    out = []
    for k in range(len(parts), -1, -1):
        cand = "/".join([*parts[:k], "conftest.py"])
        if cand in python and "error" not in python[cand]:
            out.append(cand)
    return out
