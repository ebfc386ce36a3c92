"""Everything derived from one file's bytes, in one pass, cached per blob.

`analyse_file(plan, path, data)` decodes the file once, finds every rule's literals in it in
one scan, works out its contexts and imports, parses it (Python files and notebooks that a code
rule could match, and every test file) and runs every *file-scope* matcher on it. The result is
a small JSON-able dict, cached under the file's blob sha and path (the path matters: contexts,
relative imports and path globs depend on it), so a warm audit reads no blob and runs no
regular expression or parser: it only combines these per-file results (`collect.py`).

What depends on several files (imports resolved to local modules, CI, history) is never part
of this result; it is computed on every audit from the per-file facts.
"""

from __future__ import annotations

import re
from typing import Any

from ..globs import GlobSet
from ..matchers import FileView, contexts_allow, load_all
from ..matchers.python import DEFINED_NAME_RE, target_text_criteria
from ..matchers.text import DOC_SUFFIXES, path_selector
from ..snapshot import decode_source
from .configs import config_facts
from .literals import LiteralScanner, line_matches, literal_lines, matches_at, occurrences
from .notebooks import NotebookError, notebook_source
from .step_refs import defines_flow, python_step_refs, yaml_step_refs
from .python import METRIC_RE, analyse_python, is_test_context, is_test_path, make_interest, package_of, resolve_relative

_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Comments and string literals, scanned from the left as Python's tokenizer does (a `#` inside a
# string is not a comment, a quote inside a comment opens no string); no prefix letters, so the
# scan only stops at `#` and quotes (with an f-string's prefix it is five times slower)
_STRING_BODY = (r'"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""|\'\'\'[^\'\\]*(?:(?:\\.|\'(?!\'\'))[^\'\\]*)*\'\'\''
                r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|\'[^\'\\\n]*(?:\\.[^\'\\\n]*)*\'')
_STRINGS_AND_COMMENTS_RE = re.compile(r"#[^\n]*|" + _STRING_BODY, re.S)
_IMPORT_RE = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import\b|import[ \t]+([\w., \t]+))", re.M)
_DEF_RE = re.compile(r"^(?:async[ \t]+)?def[ \t]+(\w+)", re.M)
DEFINITION_WORDS = ("def", "class", "async")  # one of them is on the first line of a DEFINED_NAME_RE match
# an import criterion's pattern (matchers/python.py's _imports_re) matches at the start of a line
# holding one of them: it is tried there only, never at every line of a module
IMPORT_WORDS = ("from", "import")
CODE_SUFFIXES = (".py", ".ipynb")
CONFIG_SUFFIXES = (".yaml", ".yml")  # read for instantiation targets (engine/configs.py)
SHORT_WORD = 3  # pre-filter words this short are assumed present (ScanPlan.prepare)
MAX_BROKEN_CELLS = 20  # a notebook with more cells that are not Python is not analysed


def text_imports(path: str, text: str) -> list[str]:
    """Modules a file imports, read from its text (cheap; relative imports resolved)."""
    package = package_of(path)
    out = []
    for m in line_matches(_IMPORT_RE, text, ("import",)):
        if m.group(1) is not None:
            mod = m.group(1)
            dots = len(mod) - len(mod.lstrip("."))
            out.append(resolve_relative(package, dots, mod.lstrip(".")) if dots else mod)
        else:
            for part in m.group(2).split(","):
                name = part.strip().split()[0] if part.strip() else ""
                if name:
                    out.append(name)
    return out


def file_contexts(path: str, text: str, imports: list[str], contexts: dict) -> frozenset[str]:
    ctx = set()
    if is_test_context(path):
        ctx.add("test")
    if path.endswith(".ipynb"):
        ctx.add("notebook")
    defines = None
    imported = None  # every module an import names, with its parents (a.b.c: a, a.b, a.b.c)
    for c in contexts.values():
        if c.exclude_path_regex is not None and c.exclude_path_regex.search(path):
            continue
        if c.path_regex is not None and c.path_regex.search(path):
            ctx.add(c.name)
            continue
        if c.imports_any:
            if imported is None:
                imported = {".".join(parts[:k]) for i in imports for parts in [i.split(".")]
                            for k in range(1, len(parts) + 1)}
            if not imported.isdisjoint(c.imports_any):
                ctx.add(c.name)
                continue
        if c.defines_any:
            defines = defines if defines is not None else {mo.group(1) for mo in line_matches(_DEF_RE, text, ("def",))}
            if defines.intersection(c.defines_any):
                ctx.add(c.name)
    return frozenset(ctx)


def default_contexts(path: str, overrides: tuple = ()) -> frozenset[str]:
    """Contexts of a file that is not code (a config, a script): test or nothing, by its path,
    plus what the project's settings say of its folder."""
    ctx = frozenset({"test"}) if is_test_context(path) else frozenset()
    return ctx | overridden_contexts(path, overrides) if overrides else ctx


def overridden_contexts(path: str, overrides: tuple) -> frozenset[str]:
    """The contexts the project's settings give a path (`contexts = {"services/**" = ["serving"]}`):
    overrides is ((PathGlob, names), ...)."""
    return frozenset(name for glob, names in overrides if glob.match(path) for name in names)


class ScanPlan:
    """What the heuristics ask of every file, prepared once per audit (and per worker). Only the
    path filter is built up front; the rest (literal automaton, compiled patterns) when the
    first file is analysed, so a warm audit, which analyses none, never builds it."""

    def __init__(self, heur) -> None:
        self.heur = heur
        from ..globs import PathGlob

        self.context_overrides = tuple((PathGlob(g, anywhere=False, below=True), names)
                                       for g, names in getattr(heur, "context_globs", ()))
        kinds = load_all()
        self.file_rules = [r for r in heur.rules if kinds[r.kind].scope == "file"]
        self.wanted = GlobSet(g for r in self.file_rules if r.kind in ("text", "secrets", "doc-text")
                              for g in r.match["paths"])
        self._ready = False

    def prepare(self) -> "ScanPlan":
        if self._ready:
            return self
        heur, kinds = self.heur, load_all()
        self.contexts = heur.contexts
        code_rules = [r for r in heur.rules if r.kind in ("python-call", "python-gate")]
        self.interest = make_interest(code_rules)
        # the pre-filter: (word groups, substrings per group, rule match) — a file is parsed when,
        # for a rule whose contexts allow the file, all words of one of its groups occur in the
        # code; a `~piece` of a wildcard part (`*Schema.check`) is a substring of the text or path
        self.prefilters = [(tuple(tuple(w for w in g if not w.startswith("~")) for g in r.tokens),
                            tuple(frozenset(w[1:] for w in g if w.startswith("~")) for g in r.tokens), r.match)
                           for r in code_rules if r.tokens]
        self.vocabulary = frozenset(w for groups, _, _ in self.prefilters for g in groups for w in g)
        self.unscreened = any(not r.tokens for r in code_rules if r.kind == "python-call")
        pieces = {p for _, subs, _ in self.prefilters for s in subs for p in s}
        # pre-filter words that count wherever they are: literal argument values (`.to("cuda")`),
        # which live in strings, and a gate rule's `words`, a plain text pre-screen ("threshold"
        # in a docstring is a reason to look for the gate)
        self.value_words = frozenset(
            [v for r in code_rules for values in (r.match.get("arg_values") or {}).values()
             for v in values if isinstance(v, str)]
            + [w for r in code_rules if r.kind == "python-gate" for w in r.match.get("words") or []])
        literals: set[str] = set()
        for r in self.file_rules:
            if r.kind in ("text", "doc-text"):
                literals.update(r.match.get("literals") or [])
            elif r.kind == "secrets":
                for lits in (r.match.get("literals") or {}).values():
                    literals.update(lits)
        literals = {lit.lower() for lit in literals} | pieces
        words = {w.lower() for w in self.vocabulary}
        # a call's short words (`nn`, `ax`, `ts`, `if`) are in almost every file as substrings:
        # they only gate a word check, so they count as found without being looked for (a third
        # of the automaton's hits on a large repository, a tenth to a fifth of its time)
        self.scanner = LiteralScanner(literals | words, assumed={w for w in words - literals if len(w) <= SHORT_WORD})
        self.targets = {r.id: target_text_criteria(r) for r in heur.rules if r.kind == "python-test-imports"}
        # per rule, in order: (rule, function, code only, call gate, literal gate, path selector,
        # contextual). The gates are the pre-filter's words again, so a rule that cannot match is
        # not called: a call rule needs all words of one of its groups in the code, a text rule
        # one of its literals; a code rule reads no path, a text rule only the paths it selects.
        # rules whose findings count against the repository (a secret): they read every file
        self.negative_rules = frozenset(r.id for r in self.file_rules
                                        if r.kind == "secrets" or any(sup.cap is not None for sup in r.supports))
        self.rule_steps = [
            (r, kinds[r.kind].function, r.kind.startswith("python-"),
             tuple(frozenset(w.lower() for w in g if not w.startswith("~")) for g in r.tokens)
             if r.kind == "python-call" and r.tokens else None,
             (r.kind == "doc-text", frozenset(w.lower() for w in r.match["literals"]))
             if r.kind in ("text", "doc-text") and r.match.get("literals") else None,
             path_selector(r) if r.kind in ("text", "secrets", "doc-text") else None,
             bool(r.match.get("context") or r.match.get("not_context")))
            for r in self.file_rules]
        self._groups_for: dict[frozenset[str], list[tuple[tuple[str, ...], frozenset[str], frozenset[str]]]] = {}
        # gate rules on metric-like names (no `calls`, no `any_threshold`): a file whose words do
        # not call for a parse is still parsed when a line compares a metric-like name
        self.metric_gates = [r.match for r in code_rules
                             if r.kind == "python-gate" and not r.match.get("calls") and not r.match.get("any_threshold")]
        self._ready = True
        return self

    def wants(self, path: str) -> bool:
        """Whether anything would look at this file (code, or a path some text rule reads)."""
        return path.endswith(CODE_SUFFIXES) or path.endswith(CONFIG_SUFFIXES) or self.wanted.match(path)

    def needs_parse(self, path: str, source: str, ctx: frozenset[str], found: frozenset[str]) -> str | None:
        """How to parse: "calls" when, for a code rule its contexts allow, every word of one of
        its groups occurs in the code (first as a substring of the lower-cased text, from the one
        literal scan; then as a word); test files always, as "tests" when no call rule can match
        them (their tests, imports and definitions are facts; analyse_python's tests_only);
        other code otherwise not at all (None)."""
        if self._calls_possible(path, source, ctx, found):
            return "calls"
        if not is_test_path(path):
            return None
        # a rule with no word to screen for (a project's `calls: ["*_seed"]`) may match anything
        return "calls" if self.unscreened else "tests"

    def _calls_possible(self, path: str, source: str, ctx: frozenset[str], found: frozenset[str]) -> bool:
        allowed = self._groups_for.get(ctx)
        if allowed is None:
            allowed = self._groups_for[ctx] = [(g, frozenset(w.lower() for w in g), subs)
                                               for groups, pieces, match in self.prefilters
                                               if contexts_allow(match, ctx) for g, subs in zip(groups, pieces)]
        lowered_path = path.lower()
        groups = [g for g, lowered, subs in allowed if lowered <= found
                  and all(p in found or p in lowered_path for p in subs)]
        if groups and self._words_in_code(source, groups):
            return True
        return any(contexts_allow(m, ctx) for m in self.metric_gates) and compares_metric(source)

    def _words_in_code(self, source: str, groups: list[tuple[str, ...]]) -> bool:
        """Whether every word of one group occurs as a word outside comments and string literals:
        words only in a docstring's example (`torch.Generator("cuda").manual_seed(0)` in a
        pipeline's EXAMPLE_DOC_STRING) are nothing the syntax tree would hold. Conservative where
        strings can hold code or what a rule matches: a group with a literal argument value
        (`.to("cuda")`) or a gate rule's plain `words`, or with a word missing from the code
        that comes after a `{` on its line (inside an f-string's `{...}`, nested ones too) or in
        a file with a triple-quoted f-string (whose fields may span lines), is checked against the
        whole text, as before. Line ends are made `\n` first (Python also ends lines at `\r`)."""
        if "\r" in source:
            source = source.replace("\r\n", "\n").replace("\r", "\n")
        code = _Words(_STRINGS_AND_COMMENTS_RE.sub(" ", source))
        if any(all(code.has(w) for w in g) for g in groups):
            return True
        present = None
        long_fstrings = has_long_fstring(source)
        for g in groups:
            missing = [w for w in g if not code.has(w)]
            if not (long_fstrings or self.value_words.intersection(missing)
                    or any(after_brace(source, w) for w in missing)):
                continue
            if present is None:
                present = _Words(source)
            if all(present.has(w) for w in g):
                return True
        return False


_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


class _Words:
    """Which words occur in a text as `_WORD_RE` finds them, asked word by word (a few per file):
    a search for each word asked about, instead of a list of every word of the text (a large
    module holds a hundred thousand)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.known: dict[str, bool] = {}

    def has(self, word: str) -> bool:
        hit = self.known.get(word)
        if hit is None:
            hit = self.known[word] = _WORD_RE.fullmatch(word) is not None and _has_word(self.text, word)
        return hit


def _has_word(text: str, word: str) -> bool:
    """Whether `_WORD_RE.findall(text)` would hold `word`: an occurrence that no word character
    follows and that starts a word there (what precedes it is no word character, or digits only
    after one: `2abc` holds the word `abc`, `x2abc` and `_abc` do not)."""
    n, size = len(word), len(text)
    for i in occurrences(text, word):
        j = i + n
        if j == size or text[j] not in _WORD_CHARS:
            k = i
            while k > 0 and text[k - 1] in _WORD_CHARS:
                k -= 1
            if k == i or text[k:i].isdigit():
                return True
    return False


def after_brace(source: str, word: str) -> bool:
    """Whether `re.search(r"\\{[^\\n]*\\b" + re.escape(word) + r"\\b", source)` finds anything (the
    word, as a word, after a `{` on its line: inside an f-string's field), found from the word's
    occurrences rather than from every brace of the file."""
    if "{" not in source:
        return False
    if not word.isidentifier() or not word.isascii():
        return re.search(r"\{[^\n]*\b" + re.escape(word) + r"\b", source) is not None
    n = len(word)
    for i in occurrences(source, word):
        j = i + n
        if (i == 0 or not _is_word(source[i - 1])) and (j == len(source) or not _is_word(source[j])) \
                and source.rfind("{", source.rfind("\n", 0, i) + 1, i) != -1:
            return True
    return False


def _is_word(ch: str) -> bool:
    """What `\\w` matches in a str pattern."""
    return ch.isalnum() or ch == "_"


def has_long_fstring(source: str) -> bool:
    """Whether a triple quote follows an f prefix (f, rf, Fr...): an f-string whose fields may
    span lines. Found from the triple quotes (a file's few docstrings), not by a scan for letters."""
    for quotes in ('"""', "'''"):
        i = source.find(quotes)
        while i != -1:
            prefix = source[max(0, i - 2):i].lower()
            if prefix.endswith("f") or prefix == "fr":
                return True
            i = source.find(quotes, i + 3)
    return False


_COMPARISON_LINE_RE = re.compile(r"^[ \t]*(?:assert|if|elif)\b[^\n]*[<>][^\n]*", re.M)
_COMPARISON_WORDS = ("assert", "if")  # one of them is on every line the pattern matches (elif holds if)


def compares_metric(source: str) -> bool:
    """Whether an `assert`, `if` or `elif` line compares (<, >) something with a metric-like
    name (`assert all(x > floor for x in metrics)`, `if val_auc < threshold:`): where a metric
    gate can be. A condition that only continues on the next lines is not seen."""
    for mo in line_matches(_COMPARISON_LINE_RE, source, _COMPARISON_WORDS):
        if any(METRIC_RE.search(w) for w in _WORD_RE.findall(mo.group(0))):
            return True
    return False


_PLANS: dict[tuple[int, str], tuple[object, ScanPlan]] = {}


def scan_plan(heur) -> ScanPlan:
    """The plan for these heuristics, built once per process."""
    key = (id(heur), heur.digest)
    held = _PLANS.get(key)
    if held is None or held[0] is not heur:
        held = _PLANS[key] = (heur, ScanPlan(heur))
    return held[1]


# The openings of this tool's own reports (terminal, coloured or not, and a diff's; Markdown, a
# diff or PR comment; HTML's title; JSON and SARIF name the tool in their first lines): a report
# written into the repository (`audit . --format markdown -o gaps.md`) must not become evidence
# for the next audit.
_OWN_REPORT_RE = re.compile(
    r"\A(?:\x1b\[[0-9;]*m)*(?:mlscorecard (?:audit of|diff) |# mlscorecard report: |(?:<!--[^\n]*-->\s*)?#{1,3} mlscorecard: )"
    r"|\A<!doctype html>.{0,400}?<title>mlscorecard: "
    r"|\A\{\s*\n(?:[^\n]*\n){0,6}?\s*\"name\": \"mlscorecard\"", re.S | re.I)
_CODE_OR_CONFIG = (*CODE_SUFFIXES, *CONFIG_SUFFIXES)


def own_report(path: str, text: str) -> bool:
    """Whether a file (not code, not YAML) is a report this tool wrote: it is no evidence."""
    return not path.endswith(_CODE_OR_CONFIG) and _OWN_REPORT_RE.match(text[:1000]) is not None


def analyse_file(plan: ScanPlan, path: str, data: bytes) -> dict[str, Any]:
    """The per-file result: warnings, contexts, imports, Python facts, file-scope findings; for a
    report of this tool's own (own_report), only what the negative rules find."""
    plan.prepare()
    text, problem = decode_source(path, data)
    if problem:
        return {"warn": [problem]}
    # a report of ours proves nothing, but anyone can write its first line: the rules that find
    # what must not be there (committed secrets) still read it
    own = own_report(path, text)
    out: dict[str, Any] = {}
    warnings: list[str] = []
    source = None
    cells = None
    nb = None
    prose = prose_cells = None
    if path.endswith(".ipynb"):
        try:
            nb = notebook_source(text)
        except NotebookError as exc:
            warnings.append(str(exc))
        else:
            source, cells = nb.source, (nb.cell_starts, nb.cell_numbers)
            prose, prose_cells = nb.prose, (nb.prose_starts, nb.prose_numbers)
            out["nb"] = [nb.cell_starts, nb.cell_numbers]
    elif path.endswith(DOC_SUFFIXES):
        prose = text
    elif path.endswith(".py"):
        source = text
        out["py"] = 1
    found_text = plan.scanner.found(text.lower())
    found_source = found_text if source is text else (plan.scanner.found(source.lower()) if source else frozenset())
    pf = None
    if source is not None:
        imports = text_imports(path, source)
        ctx = file_contexts(path, source, imports, plan.contexts)
        if plan.context_overrides:
            ctx = ctx | overridden_contexts(path, plan.context_overrides)
        out["imp"] = imports
        out["ctx"] = sorted(ctx)
        if source is text:  # a pipeline definition's steps (a notebook defines none that CI-free runs use)
            steps = python_step_refs(source, imports)
            if steps:
                out["steps"] = steps
            flow_line = defines_flow(source, imports)
            if flow_line is not None:
                out["flow"] = flow_line
        parse = plan.needs_parse(path, source, ctx, found_source)
        if parse is not None:
            tests_only = parse == "tests"
            pf = analyse_python(path, source, plan.interest, tests_only)
            skipped = 0
            while nb is not None and pf.get("error_line") and skipped < MAX_BROKEN_CELLS:
                nb, cell = nb.without_cell_at(pf["error_line"])  # a cell that is not Python: the others count
                warnings.append(f"cell {cell}: {pf['error'].removesuffix('; not analysed')}; cell skipped")
                skipped += 1
                pf = analyse_python(path, nb.source, plan.interest, tests_only)
            if pf.pop("transient", None):
                out["transient"] = 1  # not cached (collect.py), not remembered (audit_memo.py)
            out["pf"] = pf
            if "error" in pf:
                warnings.append(pf["error"])
        if path.endswith(".py") and not is_test_context(path) and plan.targets:
            tgt = {}
            defined: list[str] | None = None
            import_lines: list[int] | None = None
            for rule_id, criteria in plan.targets.items():
                ok = []
                for i, (path_re, imports_re, defines_re, not_imports_re) in enumerate(criteria):
                    if not (imports_re or defines_re or not_imports_re) or (path_re is not None and not path_re.search(path)):
                        continue
                    if (imports_re or not_imports_re) and import_lines is None:
                        import_lines = [start for start, _ in literal_lines(source, source, IMPORT_WORDS)]
                    if imports_re is not None and not matches_at(imports_re, source, import_lines):
                        continue
                    if not_imports_re is not None and matches_at(not_imports_re, source, import_lines):
                        continue
                    if defines_re is not None:
                        if defined is None:
                            defined = [mo.group(1) for mo in line_matches(DEFINED_NAME_RE, source, DEFINITION_WORDS)]
                        if not any(defines_re.search(n) for n in defined):
                            continue
                    ok.append(i)
                if ok:
                    tgt[rule_id] = ok
            if tgt:
                out["tgt"] = tgt
    else:
        ctx = default_contexts(path, plan.context_overrides)
        if path.endswith(CONFIG_SUFFIXES):
            steps = yaml_step_refs(text) if path.endswith((".yml", ".yaml")) else []
            if steps:
                out["steps"] = steps
            pf, problem = config_facts(text, plan.interest)  # `_target_:` mappings are calls
            if problem:
                warnings.append(problem)
            if pf is not None:
                found_source = found_text
    found_prose = found_text if prose is text else (plan.scanner.found(prose.lower()) if prose else frozenset())
    view = FileView(path, text, source, ctx, pf, cells, found_text, found_source, prose, prose_cells, found_prose)
    rows = []
    found_code_or_text = found_source if cells is not None else found_text
    for rule, function, code_only, groups, lits, selector, contextual in plan.rule_steps:
        if own and rule.id not in plan.negative_rules:
            continue
        if code_only:  # the cheapest test first: most files are not parsed
            if pf is None:
                continue
        if groups is not None and not any(g <= found_source for g in groups):
            continue
        if lits is not None and lits[1].isdisjoint(found_prose if lits[0] else found_code_or_text):
            continue
        if selector is not None and not selector(path):
            continue
        if contextual and not contexts_allow(rule.match, ctx):
            continue
        rows.extend(f.to_row() for f in function(rule, view))
    if rows:
        out["f"] = rows
    if warnings:
        out["warn"] = warnings
    return out
