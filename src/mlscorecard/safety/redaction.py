"""Remove secret values from everything a report could show.

Two sources of what to remove, applied together by one ``Redactor``:

* the secret patterns of the heuristics (every ``secrets`` rule) and a few shapes that carry a
  credential wherever they appear (``https://user:pass@host``, ``--password VALUE``,
  ``token=VALUE``) — these catch a credential in a commit subject, a file name, a symlink target
  or a CI command even where no secrets rule reads;
* the values the secrets rules found in this audit's files, re-read from those files only (the
  cache never stores a value): every 6-character piece of such a value is removed wherever it
  appears, so a snippet that cut a key in half does not show its first half.

``redact_result`` runs the redactor over every string of an ``AuditResult`` (evidence, facts,
warnings, hints, confirmations) once, before any report format renders it. ``clip`` is for code
that shortens repository text into a summary: it redacts first, so a cut cannot split a
credential into pieces no pattern recognises.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Iterable

REDACTED = "[redacted]"
_GLUE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-")
PIECE = 6  # no substring this long of a found secret survives

# shapes that hold a credential in any text: URL user info, option values, key=value
_GENERIC = (
    r"(?<=://)[^/\s:@]{1,200}:(?P<value>[^/\s@]{3,200})(?=@)",
    r"(?i:(?<![\w-])--?(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?token|"
    r"client[_-]?secret)(?:=|\s+)[\"']?(?P<value>[^\s\"'$]{6,300}))",
    r"(?i:(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?token|client[_-]?secret|"
    r"private[_-]?key)[\"']?\s{0,5}[:=]\s{0,5}[\"']?(?P<value>[^\s\"'$<>{}()\[\],;]{6,300}))",
    r"-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----[\s\S]{0,10000}?(?:-----END [A-Z ]{0,20}PRIVATE KEY-----|\Z)",
    # an HTTP header: `Authorization: token X`, `-H "Authorization: Bearer X"`
    r"(?i:authorization[\"']?\s{0,5}[:=]\s{0,5}[\"']?(?:(?:token|bearer|basic|digest)\s{1,5})?"
    r"(?!(?:token|bearer|basic|digest)\b)(?P<value>[^\s\"'$<>{}]{6,500}))",
    # clients that take the password glued to -p, or after -p: `mysql -uroot -pX`, `sshpass -p X`
    r"\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b[^\n]{0,300}?\s-p(?P<value>[^\s\"'$]{3,200})",
    r"\bsshpass\b[^\n]{0,100}?\s-p\s{0,5}(?P<value>[^\s\"'$]{3,200})",
    # `curl -u user:password`
    r"\bcurl\b[^\n]{0,300}?\s(?:-u|--user)\s{1,5}[^\s:\"'$]{1,100}:(?P<value>[^\s\"'$]{3,200})",
)
# words without which no generic shape matches
_GENERIC_LITERALS = ("://", "pass", "pwd", "secret", "token", "key", "private", "authorization", "mysql",
                     "mariadb", "sshpass", "curl")
_KEY_BODY_LINE = re.compile(r"[A-Za-z0-9+/=]+")  # a line of a key's base64 body
# a dotted name (`config.api_token`, `self.API_KEY`, a settings key
# `spark.expectations.smtp_password`): every part a lower-case or an upper-case identifier of at
# most 32 characters, so a name in code or configuration, never a credential's value (a JWT, a
# `SG.`/`ya29.` key: mixed case, digits, long parts)
_NAME_PART = r"(?:[a-z_][a-z0-9_]{0,31}|[A-Z_][A-Z0-9_]{0,31})"
_CODE_NAME = re.compile(rf"{_NAME_PART}(?:\.{_NAME_PART})+")


def is_name(value: str) -> bool:
    return _CODE_NAME.fullmatch(value) is not None


_PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----([\s\S]{0,20000}?)(?:-----END [A-Z ]{0,20}PRIVATE KEY-----|\Z)")


def _scoped(pattern: str, i: int) -> str:
    """A pattern made fit for one alternation: a leading (?i) scoped, `value` renamed per pattern."""
    if pattern.startswith("(?i)"):
        pattern = f"(?i:{pattern[4:]})"
    return f"(?P<m{i}>{pattern.replace('(?P<value>', f'(?P<v{i}>')})"


class Redactor:
    """Callable on a string: the string with every secret value replaced by ``[redacted]``."""

    def __init__(self, patterns: Iterable[str], values: Iterable[str] = (), literals: Iterable[str] = ()) -> None:
        self.patterns = list(patterns)
        self._rx = re.compile("|".join(_scoped(p, i) for i, p in enumerate(self.patterns)))
        # a text without any of these words cannot match (one Aho-Corasick pass instead of the
        # alternation of every pattern); none given: every text is searched
        self._scanner = None
        if literals:
            from ..engine.literals import LiteralScanner

            self._scanner = LiteralScanner({w.lower() for w in literals} | set(_GENERIC_LITERALS))
        self._pieces: set[str] = set()
        self.values: set[str] = set()
        self._vocabulary = None
        for v in values:
            self.add(v)

    def protect(self, words: Iterable[str]) -> "Redactor":
        """Keep these words whole: the tool's own vocabulary (rule ids, rubric item ids, rule
        summaries), which no repository wrote and so can hold no secret of its. A found value
        that shares a 6-character piece with one (a placeholder password `operations_secret`)
        must not turn `secrets/committed-credential` or `operations.ci-cd` into `[redacted]`."""
        import ahocorasick

        words = {w for w in words if w and len(w) >= PIECE}
        if words:
            automaton = ahocorasick.Automaton()
            for w in words:
                automaton.add_word(w, len(w))
            automaton.make_automaton()
            self._vocabulary = automaton
        return self

    def with_values(self, values: Iterable[str]) -> "Redactor":
        """A redactor of the same patterns (compiled once, shared) that also removes these values."""
        other = object.__new__(Redactor)
        other.patterns, other._rx, other._scanner = self.patterns, self._rx, self._scanner
        other._vocabulary = self._vocabulary
        other._pieces, other.values = set(self._pieces), set(self.values)
        for v in values:
            other.add(v)
        return other

    def add(self, value: str) -> None:
        """Remove this value, and every 6-character piece of it, wherever it appears."""
        value = value.strip()
        if len(value) < PIECE or value in self.values:
            return
        self.values.add(value)
        self._pieces.update(value[i:i + PIECE] for i in range(len(value) - PIECE + 1))

    def _by_pattern(self, mo: re.Match) -> str:
        i = int(mo.lastgroup[1:])
        v = mo.group(f"v{i}") if f"v{i}" in self._rx.groupindex else None
        if v is None:
            return REDACTED
        if is_name(v):
            return mo.group(0)  # `token = config.api_token`: a name in code, not a value
        start, end = mo.span(f"v{i}")
        whole = mo.group(0)
        return whole[:start - mo.start()] + REDACTED + whole[end - mo.start():]

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if self._scanner is not None and not self._scanner.found(text.lower()):
            out = text
        else:
            out = self._rx.sub(self._by_pattern, text) if self._rx.search(text) else text
        if self._pieces and len(out) >= PIECE:
            out = self._remove_pieces(out)
        return out

    def _own_words(self, text: str) -> bytearray | None:
        """A mask of the text's characters that belong to the tool's own words standing alone,
        or None when there are none."""
        if self._vocabulary is None:
            return None
        kept = None
        for end, length in self._vocabulary.iter(text):
            start = end - length + 1
            # glued to other name characters (`Qz8.evaluation.environment.pW7`) it is part of
            # the repository's text, perhaps of the secret itself: not kept
            if (start and text[start - 1] in _GLUE) or (end + 1 < len(text) and text[end + 1] in _GLUE):
                continue
            if kept is None:
                kept = bytearray(len(text))
            kept[start:end + 1] = b"\x01" * length
        return kept

    def _remove_pieces(self, text: str) -> str:
        pieces = self._pieces
        hits = [i for i in range(len(text) - PIECE + 1) if text[i:i + PIECE] in pieces]
        if not hits:
            return text
        kept = self._own_words(text)  # a piece wholly inside one of the tool's own words is no secret
        marked = bytearray(len(text))
        hit = False
        for i in hits:
            if kept is None or not all(kept[i:i + PIECE]):
                marked[i:i + PIECE] = b"\x01" * PIECE
                hit = True
        if not hit:
            return text
        out, i = [], 0
        while i < len(text):
            if marked[i]:
                while i < len(text) and marked[i]:
                    i += 1
                out.append(REDACTED)
            else:
                out.append(text[i])
                i += 1
        return "".join(out)


def secret_patterns(heur) -> list[str]:
    """Every pattern of every secrets rule, then the generic credential shapes."""
    out = [p for r in heur.rules if r.kind == "secrets" for p in r.match["patterns"].values()]
    return out + list(_GENERIC)


def secret_literals(heur) -> list[str] | None:
    """The pre-check words of every secrets rule's patterns, or None when a pattern has none
    (then no text can be skipped)."""
    words: list[str] = []
    for r in heur.rules:
        if r.kind != "secrets":
            continue
        literals = r.match.get("literals") or {}
        for label in r.match["patterns"]:
            if not literals.get(label):
                return None
            words.extend(literals[label])
    return words


_BY_DIGEST: dict[str, Redactor] = {}


def pattern_redactor(heur=None) -> Redactor:
    """A redactor of the heuristics' secret shapes only (no values), built once per process."""
    if heur is None:
        from ..heuristics import load_heuristics

        heur = load_heuristics()
    held = _BY_DIGEST.get(heur.digest)
    if held is None:
        held = _BY_DIGEST[heur.digest] = Redactor(secret_patterns(heur), (), secret_literals(heur) or ())
        held.protect(own_vocabulary(heur))
    return held


def own_vocabulary(heur) -> set[str]:
    """The words the tool itself puts in a report: rule ids and summaries, rubric, section and
    item ids and item titles."""
    words = {w for r in heur.rules for w in (r.id, r.summary)}
    words.update(label for r in heur.rules if r.kind == "secrets" for label in r.match["patterns"])
    for rubric in heur.rubrics.values():
        words.add(rubric.id)
        words.update(str(g["id"]) for g in rubric.groups)
        for item_id, item in rubric.items.items():
            words.update((item_id, str(item.get("title") or "")))
    return words


def found_values(rule, text: str) -> list[str]:
    """The secret values a secrets rule's patterns match in a file's text (the `value` group, or
    the whole match; the body lines of a private key)."""
    values = []
    for rx_text in rule.match["patterns"].values():
        for mo in re.finditer(rx_text, text):
            value = mo.groupdict().get("value")
            if value is not None and is_name(value):
                continue  # what match_secrets leaves out: a name, not a value
            values.append(value or mo.group(0))
    for mo in _PRIVATE_KEY_BLOCK.finditer(text):
        # the key's body: base64 lines only (a header with no END line in a test file or a
        # document is followed by ordinary text, which is no secret and must not be cut up)
        values.extend(line.strip() for line in mo.group(1).splitlines()
                      if len(line.strip()) >= PIECE and _KEY_BODY_LINE.fullmatch(line.strip()))
    return values


def clip(text: str, limit: int) -> str:
    """Repository text shortened to `limit` characters for a summary, redacted before the cut."""
    return pattern_redactor()(text)[:limit]


_ATOMS = (int, float, bool, type(None))


def _walk(obj: Any, r) -> Any:
    t = type(obj)
    if t is str:
        return r(obj)
    if t in _ATOMS:
        return obj
    if t is dict:
        return {(r(k) if type(k) is str else k): (v if type(v) in _ATOMS else _walk(v, r)) for k, v in obj.items()}
    if t is list:
        return [v if type(v) in _ATOMS else _walk(v, r) for v in obj]
    if t is tuple:
        return tuple(_walk(v, r) for v in obj)
    if t in (set, frozenset):
        return t(_walk(v, r) for v in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {f.name: _walk(getattr(obj, f.name), r) for f in dataclasses.fields(obj)}
        return dataclasses.replace(obj, **changes)
    if isinstance(obj, str):  # a str subclass
        return r(obj)
    return obj


def redact_result(result, redactor: Redactor):
    """The same AuditResult with every string redacted (a new object; numbers untouched)."""
    seen: dict[str, str] = {}

    def once(text: str) -> str:  # paths and rule ids repeat: each distinct string is redacted once
        out = seen.get(text)
        if out is None:
            out = seen[text] = redactor(text)
        return out

    return _walk(result, once)
