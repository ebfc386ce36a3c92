"""Which of many literal strings occur in a text, in one pass (Aho-Corasick, via pyahocorasick).

Every rule's pre-screen words (text and secrets rules' `literals`, the words a Python rule's
call names need) go into one automaton; each file is scanned once, lower-cased, and a rule's
regular expression or a Python parse happens only where its words occur. Looking for each
literal in turn costs one pass per literal (about 4x slower on a large repository).
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter


class LiteralScanner:
    def __init__(self, literals: Iterable[str]) -> None:
        self.literals = sorted({lit.lower() for lit in literals if lit})
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
        if not self.literals or not lowered:
            return frozenset()
        automaton = self._automaton or self._build()
        return frozenset(map(itemgetter(1), automaton.iter(lowered)))
