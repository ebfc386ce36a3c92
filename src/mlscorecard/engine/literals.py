"""Which of many literal strings occur in a text, in one pass (Aho-Corasick, via pyahocorasick).

Every rule's pre-screen words (text and secrets rules' `literals`, the words a Python rule's
call names need) go into one automaton; each file is scanned once, lower-cased, and a rule's
regular expression or a Python parse happens only where its words occur. Looking for each
literal in turn costs one pass per literal (about 4x slower on a large repository).

Literals `assumed` are reported found without being looked for: words so short that nearly
every text holds them, whose only use is to let a finer check run.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter


class LiteralScanner:
    def __init__(self, literals: Iterable[str], assumed: Iterable[str] = ()) -> None:
        self.assumed = frozenset(lit.lower() for lit in assumed if lit)
        self.literals = sorted({lit.lower() for lit in literals if lit} - self.assumed)
        self._automaton = None

    def _build(self):
        import ahocorasick

        automaton = ahocorasick.Automaton()
        for lit in self.literals:
            automaton.add_word(lit, lit)
        automaton.make_automaton()
        self._automaton = automaton
        return automaton

    def found(self, lowered: str) -> frozenset[str]:
        """The literals that occur in `lowered` (a lower-cased text)."""
        if not lowered:
            return frozenset()
        if not self.literals:
            return self.assumed
        automaton = self._automaton or self._build()
        found = frozenset(map(itemgetter(1), automaton.iter(lowered)))
        return found | self.assumed if self.assumed else found


def literal_lines(text: str, lowered: str, literals) -> list[tuple[int, int]]:
    """(start, end) of every line of `text` that holds one of `literals` (lower case, found in
    `lowered`, the text lower-cased; or the text itself, for a search that keeps case), in order."""
    spans = set()
    for lit in literals:
        i = lowered.find(lit)
        while i != -1:
            start = lowered.rfind("\n", 0, i) + 1
            end = lowered.find("\n", i)
            if end == -1:
                end = len(lowered)
            spans.add((start, end))
            i = lowered.find(lit, end)
    return sorted(spans)


def line_matches(rx, text: str, literals: tuple[str, ...]) -> list:
    """What `rx.finditer(text)` yields, for a MULTILINE pattern that matches only at the start of
    a line (`^...`) and whose first line always holds one of `literals` (`import` for an import
    line, `def`, `class` or `async` for a definition): the pattern is tried only at the starts
    of such lines, never at every line of the file (two to five times faster)."""
    out, end = [], 0
    for start, _ in literal_lines(text, text, literals):
        if start < end:  # inside the last match (a definition's name on the next line)
            continue
        mo = rx.match(text, start)
        if mo is not None:
            out.append(mo)
            end = max(mo.end(), start + 1)
    return out


def matches_at(rx, text: str, starts: list[int]) -> bool:
    """Whether `rx.search(text)` finds anything, for a MULTILINE pattern whose every match can
    begin at one of `starts` (line starts, from literal_lines): `^\\s*(?:from|import)\\s+...`
    matches at the start of the line holding its first word whenever it matches at all (its
    `\\s*` may begin on a blank line above, but the line itself matches too)."""
    return any(rx.match(text, start) is not None for start in starts)


def occurrences(text: str, word: str):
    """Every position where `word` begins in `text`, overlapping ones too, in order."""
    i = text.find(word)
    while i != -1:
        yield i
        i = text.find(word, i + 1)
