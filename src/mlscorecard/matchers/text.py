"""Text matchers: regular expressions over files chosen by path, and committed credentials.

Both run inside the per-file analysis, on the files their `paths` select (`path_selector`). A
rule's `literals` are a pre-screen: the engine finds
every rule's literals in a file in one pass (engine/literals.py), and a pattern runs only on a
file that holds one of its literals.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from ..globs import GlobSet
from ..safety.redaction import clip, is_name
from ..engine.literals import literal_lines, occurrences
from . import FileView, Finding, register


def path_selector(rule):
    """A predicate over paths: whether a text or secrets rule reads the file (`paths`, minus
    `exclude`). The engine calls the rule only on such files."""
    m = rule.match
    paths = GlobSet(m["paths"])
    exclude = GlobSet(m["exclude"]) if m.get("exclude") else None
    return lambda path: paths.match(path) and not (exclude is not None and exclude.match(path))


def _lowered(literals: list[str] | None) -> frozenset[str]:
    return _lowered_cached(tuple(literals)) if literals else frozenset()


@lru_cache(maxsize=1024)
def _lowered_cached(literals: tuple[str, ...]) -> frozenset[str]:
    return frozenset(lit.lower() for lit in literals)


@lru_cache(maxsize=512)
def _compiled(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def _matches(pattern: re.Pattern[str], text: str, lines: list[tuple[int, int]] | None):
    """(line number, match) over the whole text, or only within the given lines."""
    if lines is None:
        number, counted = 1, 0
        for mo in pattern.finditer(text):
            number += text.count("\n", counted, mo.start())  # counted on from the last match: linear
            counted = mo.start()
            yield number, mo
        return
    number, counted = 1, 0
    for start, end in lines:  # a span may hold several lines (widened)
        for mo in pattern.finditer(text, start, end):
            number += text.count("\n", counted, mo.start())
            counted = mo.start()
            yield number, mo


@register("text", "file", {"paths", "exclude", "pattern", "ignore_case", "first_only", "literals", "per_line",
                            "lines_before", "context", "not_context"})
def match_text(rule, f: FileView) -> list[Finding]:
    m = rule.match
    text = f.source if f.cells is not None else f.text  # a notebook's code cells, not its JSON
    if text is None:
        return []
    literals = _lowered(m.get("literals"))
    present = f.literals_in_source if f.cells is not None else f.literals_in_text
    if literals and present.isdisjoint(literals):
        return []  # the pattern cannot match without one of these
    pattern = _compiled(m["pattern"], re.M | (re.I if m.get("ignore_case") else 0))
    lines = None
    if m.get("per_line"):  # every match lies on one line that holds a literal: search only those
        lowered = f.lowered(text)
        # lower-casing kept every offset (it does, but for a few letters), and a case-insensitive
        # pattern matches nothing there that the lower-cased literals miss (`ı`, `ſ`): otherwise
        # the whole text is searched
        if len(lowered) == len(text) and (not pattern.flags & re.I or folds_like_ascii(text, lowered)):
            lines = literal_lines(text, lowered, literals & present)
            if m.get("lines_before"):  # a match may begin that many lines above (`if ...:` before its `raise`)
                lines = widened(text, lines, m["lines_before"])
    out = []
    for line, mo in _matches(pattern, text, lines):
        snippet = clip(" ".join(mo.group(0).split()), 80)
        out.append(f.finding(rule, line, f"{rule.summary}: {snippet}", {"summary": snippet}))
        if m.get("first_only", True):
            break
    return out


def widened(text: str, lines: list[tuple[int, int]], before: int) -> list[tuple[int, int]]:
    """Line spans (from literal_lines, in order) each begun `before` lines earlier, overlapping
    ones merged: a match is then searched for once, in order, as in the whole text."""
    out: list[tuple[int, int]] = []
    for start, end in lines:
        for _ in range(before):
            if start == 0:
                break
            start = text.rfind("\n", 0, start - 1) + 1
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _entropy(value: str) -> float:
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())


_PLACEHOLDER = re.compile(r"^(x+|\*+|changeme|change_me|your[_-]?\w*|example\w*|dummy\w*|test\w*|fake\w*|placeholder\w*)$", re.I)


def folds_like_ascii(text: str, lowered: str) -> bool:
    """Whether a literal search in `lowered` finds every place a (?i) pattern's ASCII letters
    match: the only other letters such a pattern matches are `İ` and `ı` (for i), `ſ` (for s)
    and the Kelvin sign (for k, which lower() makes `k`); `İ` lower-cases to two characters."""
    return text.isascii() or ("\u0131" not in text and "\u017f" not in text and len(lowered) == len(text))


def matches_near(rx: re.Pattern[str], text: str, lowered: str, literals, lead: int):
    """What `rx.finditer(text)` yields, for a pattern whose every match begins at most `lead`
    characters before an occurrence of one of `literals` (found in `lowered`, `text` lower-cased,
    where `folds_like_ascii` holds): the pattern is tried only at those starts, in order, never across the
    whole text. A `(?i)` pattern that rarely matches, over a text full of its commonest
    literal (`token` in a tokenizer's code), costs a tenth."""
    starts = sorted({p for lit in literals for i in occurrences(lowered, lit) for p in range(max(0, i - lead), i + 1)})
    pos = 0
    for p in starts:
        if p < pos:
            continue
        mo = rx.match(text, p)
        if mo is not None:
            yield mo
            pos = max(mo.end(), p + 1)


@register("secrets", "file", {"paths", "exclude", "patterns", "literals", "leads", "entropy_min"})
def match_secrets(rule, f: FileView) -> list[Finding]:
    """Credentials committed to the repository. The finding names the kind of secret and its
    location, never the value (not even in part). A pattern with a `lead` (its matches begin at
    most that many characters before one of its literals) is tried only near its literals."""
    m = rule.match
    text = f.text
    if text is None:
        return []
    literals = m.get("literals") or {}
    leads = m.get("leads") or {}
    entropy_min = float(m.get("entropy_min", 0))
    out = []
    for label, rx_text in m["patterns"].items():
        lits = _lowered(literals.get(label))
        if lits and f.literals_in_text.isdisjoint(lits):
            continue  # the pattern cannot match without one of these
        rx = _compiled(rx_text, 0)
        lead = leads.get(label)
        matches = rx.finditer(text)
        if lead is not None and lits and folds_like_ascii(text, f.lowered(text)):
            matches = matches_near(rx, text, f.lowered(text), lits & f.literals_in_text, int(lead))
        for mo in matches:
            value = mo.groupdict().get("value") or mo.group(0)
            if "value" in rx.groupindex and (_entropy(value) < entropy_min or _PLACEHOLDER.match(value) or is_name(value)):
                continue
            line = text.count("\n", 0, mo.start()) + 1
            out.append(Finding(rule.id, f.path, line, f"{rule.summary}: {label} (value not shown)",
                               {"path": f.path, "line": line, "kind": label}))
            break
    return out


DOC_SUFFIXES = (".md", ".rst", ".markdown", ".txt")


@register("doc-text", "file", {"paths", "exclude", "pattern", "ignore_case", "first_only", "literals"})
def match_doc_text(rule, f: FileView) -> list[Finding]:
    """Documentation as evidence: a pattern over README and docs text and over notebooks'
    Markdown cells (never their code). Such evidence is manual at most, and weak: a described
    procedure needs a person, and a claim may have nothing behind it."""
    m = rule.match
    if f.prose is None:
        return []
    literals = _lowered(m.get("literals"))
    if literals and f.literals_in_prose.isdisjoint(literals):
        return []
    pattern = _compiled(m["pattern"], re.M | (re.I if m.get("ignore_case") else 0))
    out = []
    for mo in pattern.finditer(f.prose):
        line = f.prose.count("\n", 0, mo.start()) + 1
        snippet = clip(" ".join(mo.group(0).split()), 80)
        out.append(f.finding(rule, line, f"{rule.summary}: {snippet}", {"summary": snippet}, cells=f.prose_cells))
        if m.get("first_only", True):
            break
    return out
