"""Load the rubric definitions and the heuristic rules from heuristics/ (data, not code).

The directory is found next to the installed package (wheel builds copy heuristics/ into
mlscorecard/heuristics) or, in a source checkout, at the repository root.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import sys
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import HeuristicsError
from .model import LEVELS


RUBRIC_IDS = ("ml-test-score", "robustness")
RULE_KEYS = frozenset({"id", "title", "summary", "fact", "match", "automation", "supports", "examples", "packages",
                       "remediation", "negative"})
AUTOMATION_MODES = ("ci", "ci-or-runtime", "ci-or-pipeline", "always", "ci-pull-request", "never")
BUILTIN_CONTEXTS = ("test", "notebook")


def heuristics_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "heuristics", here.parent.parent / "heuristics"):
        if (candidate / "rubrics").is_dir():
            return candidate
    raise HeuristicsError(f"heuristics/ not found next to {here}")


@dataclass(frozen=True)
class Support:
    rubric: str
    item: str
    level: str | None  # ml-test-score: manual | automated
    score: int | None  # robustness: 1..3
    confidence: float
    cap: int | None = None  # negative evidence: the most this robustness item may score


@dataclass
class Rule:
    id: str
    title: str
    summary: str
    match: dict[str, Any]
    supports: list[Support]
    automation: str
    fact: str | None
    examples: dict[str, list[dict[str, Any]]]
    source: str
    remediation: str = ""
    tokens: tuple[tuple[str, ...], ...] = field(default=())  # pre-filter: any group whose words all occur
    packages: tuple[str, ...] = field(default=())  # dependencies that hint at this rule (never evidence)

    @property
    def kind(self) -> str:
        return self.match["kind"]


@dataclass
class Rubric:
    id: str
    title: str
    data: dict[str, Any]
    items: dict[str, dict[str, Any]]  # id -> item, in rubric order
    groups: list[dict[str, Any]]


@dataclass
class Context:
    name: str
    imports_any: tuple[str, ...]
    defines_any: tuple[str, ...]
    path_regex: re.Pattern[str] | None
    exclude_path_regex: re.Pattern[str] | None = None


@dataclass
class Heuristics:
    rubrics: dict[str, Rubric]
    rules: list[Rule]
    digest: str  # hash of every heuristics file: part of every cache key
    contexts: dict[str, Context] = field(default_factory=dict)
    directory: str | None = None  # where they were loaded from
    context_globs: tuple[tuple[str, tuple[str, ...]], ...] = ()  # the project's per-folder contexts

    def customised(self, *, rules: list["Rule"] = (), context_globs: tuple = (), origin: str = "") -> "Heuristics":
        """These heuristics with a project's own rules and per-folder contexts added. The digest
        changes with them (it keys every cached result), so a cached result never crosses settings."""
        if not rules and not context_globs:
            return self
        ids = {r.id for r in self.rules}
        clash = next((r.id for r in rules if r.id in ids), None)
        if clash:
            raise HeuristicsError(f"{origin}: rule id {clash} is already a built-in rule")
        digest = hashlib.sha256(f"{self.digest}|{origin}|{context_globs!r}".encode())
        for r in rules:
            # everything a report can show of a rule: its title, summary and remediation too
            digest.update(repr((r.id, r.title, r.summary, r.remediation, r.match, r.supports, r.automation,
                                r.fact, r.packages)).encode())
        return replace(self, rules=[*self.rules, *rules], digest=digest.hexdigest()[:16],
                       context_globs=(*self.context_globs, *context_globs))


def _fail(source: str, msg: str) -> HeuristicsError:
    return HeuristicsError(f"{source}: {msg}")


def _load_rubric(path: Path, data: Any) -> Rubric:
    rid = data.get("id")
    if rid not in RUBRIC_IDS:
        raise _fail(str(path), f"unknown rubric id {rid!r}")
    group_key = "sections" if rid == "ml-test-score" else "categories"
    item_group_key = "section" if rid == "ml-test-score" else "category"
    groups = data[group_key]
    group_ids = {g["id"] for g in groups}
    items: dict[str, dict[str, Any]] = {}
    for item in data["items"]:
        for key in ("id", "title", "good", "remediation", "question", "visibility", "example_evidence"):
            if not item.get(key):
                raise _fail(str(path), f"item {item.get('id')!r} lacks {key!r}")
        if item[item_group_key] not in group_ids:
            raise _fail(str(path), f"item {item['id']} has unknown {item_group_key} {item[item_group_key]!r}")
        item["group"] = item[item_group_key]
        items[item["id"]] = item
    return Rubric(id=rid, title=data["title"], data=data, items=items, groups=groups)


def _tokens_for(match: dict[str, Any]) -> tuple[tuple[str, ...], ...]:
    """The pre-filter: groups of words that must all occur in a file for the rule to possibly match
    (a word starting with `~` is a substring of the file's lower-cased text or path instead).

    A call `a.b.c` can only resolve from an import, so every part of it is in the text: the
    package and the modules in the import (`import a.b`, `from a.b import c`, `import a.b as x`),
    the rest in the code (`x.c`); a keyword rule needs its keyword.
    """
    groups: set[tuple[str, ...]] = set()
    # words every match needs whatever the call: keyword names (all of them), and one of the
    # literal values of the first constrained argument
    required = set(match.get("keywords") or {}) | set(match.get("keyword_values") or {})
    alternatives: list[set[str]] = [set()]
    for values in list((match.get("arg_values") or {}).values())[:1]:
        words = [v for v in values if isinstance(v, str) and re.fullmatch(r"[A-Za-z_]\w*", v)]
        if len(words) == len(values):
            alternatives = [{w} for w in words]
    for name in match.get("calls", []) or []:
        parts = [p for p in name.split(".") if p and "*" not in p]
        # a part with a wildcard (`*Schema`) still needs its letters somewhere in the file (in an
        # import or the code, or the file's own package path): "~schema", looked for as a
        # substring, not as a word
        pieces = {"~" + piece.lower() for p in name.split(".") if "*" in p
                  for piece in p.split("*") if len(piece) >= 3}
        if parts:
            for alt in alternatives:
                groups.add(tuple(sorted({*parts, *pieces, *required, *alt})))
    if not match.get("calls"):
        for kw in (match.get("keywords") or {}):
            groups.add((kw,))
        for kw in match.get("any_keywords") or []:
            groups.add((kw,))
    for word in match.get("words") or []:
        groups.add((word,))
    return tuple(sorted(groups))


def _load_rules(path: Path, data: Any, rubrics: dict[str, Rubric], context_names: set[str]) -> list[Rule]:
    from .matchers import load_all

    kinds = load_all()
    if not isinstance(data, dict):
        raise _fail(str(path), "a rules file holds a mapping with `rules:`")
    rules = []
    for raw in data.get("rules", []):
        rid = raw.get("id", "?")
        src = f"{path.name}:{rid}"
        if not re.fullmatch(r"[a-z0-9-]+/[a-z0-9.-]+", rid):
            raise _fail(src, "rule id must look like family/name (lower case)")
        unknown = set(raw) - RULE_KEYS
        if unknown:
            raise _fail(src, f"unknown key(s) {sorted(unknown)}")
        match = raw.get("match") or {}
        kind = kinds.get(match.get("kind"))
        if kind is None:
            raise _fail(src, f"match.kind must be one of {tuple(kinds)}")
        unknown = set(match) - kind.params
        if unknown:
            raise _fail(src, f"unknown match key(s) {sorted(unknown)} for kind {kind.name}; it takes {sorted(kind.params)}")
        if match.get("per_line") and not match.get("literals"):
            raise _fail(src, "match.per_line needs literals: only the lines that hold one are searched")
        before = match.get("lines_before")
        if before is not None and (not match.get("per_line") or not isinstance(before, int) or isinstance(before, bool)
                                   or not 1 <= before <= 5):
            raise _fail(src, "match.lines_before is a number of lines (1-5) for a per_line rule: how far above a "
                             "line holding a literal a match may begin")
        for key in ("context", "not_context"):
            value = match.get(key)
            if value is None:
                continue
            names = [value] if isinstance(value, str) else value
            unknown = [n for n in names if n not in context_names]
            if unknown:
                raise _fail(src, f"match.{key}: unknown context(s) {unknown}; known: {sorted(context_names)}")
        automation = raw.get("automation", "ci")
        if automation not in AUTOMATION_MODES:
            raise _fail(src, f"automation must be one of {AUTOMATION_MODES}")
        supports: list[Support] = []
        for rubric_id, entries in (raw.get("supports") or {}).items():
            rubric = rubrics.get(rubric_id)
            if rubric is None:
                raise _fail(src, f"unknown rubric {rubric_id!r}")
            for e in entries:
                if e["item"] not in rubric.items:
                    raise _fail(src, f"unknown item {e['item']!r} in {rubric_id}")
                conf = float(e.get("confidence", 0.5))
                if not 0 < conf <= 1:
                    raise _fail(src, "confidence must be in (0, 1]")
                level = e.get("level") if rubric_id == "ml-test-score" else None
                score = e.get("score") if rubric_id == "robustness" else None
                cap = e.get("cap")
                if raw.get("negative"):
                    if rubric_id != "robustness" or cap not in (0, 1, 2, 3):
                        raise _fail(src, "a negative rule caps robustness items: {item, cap: 0-3, confidence}")
                    supports.append(Support(rubric_id, e["item"], None, None, conf, cap))
                    continue
                if rubric_id == "ml-test-score" and level not in LEVELS[1:]:
                    raise _fail(src, f"level for {e['item']} must be manual or automated")
                if rubric_id == "robustness" and score not in (1, 2, 3):
                    raise _fail(src, f"score for {e['item']} must be 1, 2 or 3 (4 needs automation)")
                supports.append(Support(rubric_id, e["item"], level, score, conf))
        if not supports and not raw.get("fact"):
            raise _fail(src, "a rule must support at least one rubric item or record a fact")
        examples = raw.get("examples") or {}
        if not examples.get("positive") or not examples.get("negative"):
            raise _fail(src, "every rule needs positive and negative examples")
        packages = raw.get("packages") or []
        if not isinstance(packages, list):
            raise _fail(src, "packages must be a list of distribution names")
        rules.append(
            Rule(
                id=rid,
                packages=tuple(p.lower().replace("_", "-") for p in packages),
                title=raw.get("title", rid),
                summary=raw.get("summary", raw.get("title", rid)),
                match=match,
                supports=supports,
                automation=automation,
                fact=raw.get("fact"),
                examples=examples,
                source=str(path),
                remediation=raw.get("remediation", ""),
                tokens=_tokens_for(match),
            )
        )
    return rules


def _yaml(path: Path, raw: bytes) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C loader: about 10x the pure-Python one
    try:
        return yaml.load(raw.decode("utf-8"), Loader=loader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _fail(str(path), f"invalid YAML: {exc}") from exc


def _parsed_sources(base: Path) -> tuple[str, dict[str, Any]]:
    """(digest, {relative path: parsed YAML}) of every heuristics file. The parsed form is kept
    in the cache directory under the digest (marshal: plain values only, int keys kept, and
    nothing in it can run), so an audit parses no YAML when the heuristics have not changed."""
    files = [*sorted((base / "rubrics").glob("*.yaml")), base / "contexts.yaml", *sorted((base / "rules").glob("*.yaml"))]
    raws = {p.relative_to(base).as_posix(): p.read_bytes() for p in files}
    digest = hashlib.sha256()
    for rel, raw in raws.items():  # rubrics, contexts, then rules with their names: the historical order
        digest.update((rel.split("/", 1)[1].encode() if rel.startswith("rules/") else b"") + raw)
    key = digest.hexdigest()[:16]
    stored = _stored_path(key)
    if stored is not None:
        try:
            data = marshal.loads(stored.read_bytes())
            if isinstance(data, dict) and set(data) == set(raws):
                return key, data
        except (OSError, ValueError, EOFError, TypeError):
            pass
    data = {rel: _yaml(base / rel, raw) for rel, raw in raws.items()}
    if stored is not None:
        try:
            stored.parent.mkdir(parents=True, exist_ok=True)
            tmp = stored.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(marshal.dumps(data))
            os.replace(tmp, stored)
        except (OSError, TypeError, ValueError):
            pass  # a cache that cannot be written only costs the YAML parse next time
    return key, data


def _stored_path(digest: str) -> Path | None:
    from .cache import default_cache_dir

    try:
        return default_cache_dir() / f"heuristics-{digest}-py{sys.version_info[0]}{sys.version_info[1]}.marshal"
    except (OSError, RuntimeError):
        return None


@lru_cache(maxsize=4)
def load_heuristics(directory: str | None = None) -> Heuristics:
    base = Path(directory) if directory else heuristics_dir()
    digest, data = _parsed_sources(base)
    rubrics: dict[str, Rubric] = {}
    for rel in sorted(r for r in data if r.startswith("rubrics/")):
        rubric = _load_rubric(base / rel, data[rel])
        rubrics[rubric.id] = rubric
    missing = set(RUBRIC_IDS) - set(rubrics)
    if missing:
        raise HeuristicsError(f"rubric definitions missing: {sorted(missing)}")
    contexts = _load_contexts(base / "contexts.yaml", data["contexts.yaml"])
    context_names = set(contexts) | set(BUILTIN_CONTEXTS)
    rules: list[Rule] = []
    for rel in sorted(r for r in data if r.startswith("rules/")):
        rules.extend(_load_rules(base / rel, data[rel], rubrics, context_names))
    seen: set[str] = set()
    for r in rules:
        if r.id in seen:
            raise HeuristicsError(f"duplicate rule id {r.id}")
        seen.add(r.id)
    for rubric in rubrics.values():
        for item in rubric.items.values():
            for group in item.get("requires_for_4") or []:
                missing = [rid for rid in group if rid not in seen]
                if missing:
                    raise HeuristicsError(f"{rubric.id} item {item['id']}: requires_for_4 names unknown rules {missing}")
            missing = [rid for rid in item.get("ci_automation_needs_any") or [] if rid not in seen]
            if missing:
                raise HeuristicsError(f"{rubric.id} item {item['id']}: ci_automation_needs_any names unknown rules {missing}")
    return Heuristics(rubrics=rubrics, rules=rules, digest=digest, contexts=contexts, directory=str(base))


def _load_contexts(path: Path, data: Any) -> dict[str, Context]:
    out = {}
    for name, raw in (data.get("contexts") or {}).items():
        if name in BUILTIN_CONTEXTS:
            raise _fail(str(path), f"{name} is decided by path and cannot be redefined")
        out[name] = Context(
            name=name,
            imports_any=tuple(raw.get("imports_any") or ()),
            defines_any=tuple(raw.get("defines_any") or ()),
            path_regex=re.compile(raw["path_regex"]) if raw.get("path_regex") else None,
            exclude_path_regex=re.compile(raw["exclude_path_regex"]) if raw.get("exclude_path_regex") else None,
        )
    return out


def load_project_rules(snap, directory: str, heur: Heuristics) -> list[Rule]:
    """A project's own rules (`rules-dir` in its settings): every `*.yaml` in that folder of the
    snapshot, loaded and checked exactly as the built-in rules are (ids, keys, matcher
    parameters, contexts, items, examples of both kinds)."""
    import yaml

    rules: list[Rule] = []
    paths = [p for p in snap.under(directory) if p.endswith((".yaml", ".yml")) and "/" not in p[len(directory) + 1:]]
    if not paths:
        what = "holds no .yaml rules file" if snap.under(directory) else "no such folder in what is audited"
        raise HeuristicsError(f"{directory}: {what}")
    context_names = set(heur.contexts) | set(BUILTIN_CONTEXTS)
    for path in paths:
        text = snap.read_text(path)
        if text is None:
            raise HeuristicsError(f"{path}: cannot read this rules file")
        try:
            data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as exc:
            raise HeuristicsError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
        rules.extend(_load_rules(Path(path), data, heur.rubrics, context_names))
    for r in rules:
        if not (r.examples.get("positive") and r.examples.get("negative")):
            raise HeuristicsError(f"{r.source}: a rule needs positive and negative examples")
        for text in _regexes(r.match):
            if _nested_repeat(text):
                raise HeuristicsError(f"{r.source}: {r.id}: pattern {text[:60]!r} repeats a group that itself "
                                      "repeats (like (a+)+): it can take exponential time; write it without "
                                      "the nesting")
    return rules


def _regexes(match: dict) -> list[str]:
    """The regular expressions a rule's match holds (pattern, patterns, *_regex)."""
    out = []
    for key, value in match.items():
        if key in ("pattern", "patterns") or key.endswith(("_regex", "_pattern")):
            out.extend(v for v in (value.values() if isinstance(value, dict) else
                                   value if isinstance(value, list) else [value]) if isinstance(v, str))
    return out


def _nested_repeat(pattern: str) -> bool:
    """Whether a regex repeats (*, +, {n,}) a part made only of repeats, like (a+)+ or (a*b*)*:
    the shape that makes a backtracking engine exponential on a near-miss. A repeated part with a
    fixed piece in it, like (\\w+\\.)+ or (?:-[a-z]+)*, is not flagged. A project's own rules run on
    every file of its audit, so they are held to this; the built-in ones are held to linear time
    by the hostile corpus."""
    try:
        from re import _parser as parser  # Python 3.11+
    except ImportError:  # pragma: no cover
        import sre_parse as parser
    try:
        tree = parser.parse(pattern)
    except re.error:
        return False  # the loader reports a pattern that does not compile
    repeats = {parser.MAX_REPEAT, parser.MIN_REPEAT} | ({parser.POSSESSIVE_REPEAT} if hasattr(parser, "POSSESSIVE_REPEAT") else set())
    groups = {parser.SUBPATTERN} | ({parser.ATOMIC_GROUP} if hasattr(parser, "ATOMIC_GROUP") else set())

    def body(op, arg):
        """The items inside a group: SUBPATTERN's arg is (group, add, del, items); ATOMIC_GROUP's
        is the items themselves."""
        return arg[-1] if op == parser.SUBPATTERN else arg

    def only_repeats(items) -> bool:
        """Every element repeats (or is a group or alternative made only of repeats)."""
        for op, arg in items:
            if op in repeats:
                continue
            if op in groups and only_repeats(body(op, arg)):
                continue
            if op == parser.BRANCH and all(only_repeats(b) for b in arg[1]):
                continue
            return False
        return bool(items)

    def walk(items) -> bool:
        for op, arg in items:
            if op in repeats:
                low, high, sub = arg
                if (high == parser.MAXREPEAT or high > 1) and any(
                        o in repeats or (o in groups and walk_has_repeat(body(o, a))) for o, a in sub) and only_repeats(sub):
                    return True
                if walk(sub):
                    return True
            elif op in groups and walk(body(op, arg)):
                return True
            elif op == parser.GROUPREF_EXISTS and any(walk(b) for b in arg[1:] if b is not None):
                return True
            elif op == parser.BRANCH and any(walk(b) for b in arg[1]):
                return True
            elif op in (parser.ASSERT, parser.ASSERT_NOT) and walk(arg[1]):
                return True
        return False

    def walk_has_repeat(items) -> bool:
        return any(op in repeats or (op in groups and walk_has_repeat(body(op, arg))) for op, arg in items)

    return walk(tree)
