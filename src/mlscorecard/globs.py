"""Path globs as regular expressions: `**/` any directories, `**` anything, `*` and `?` within one
path segment. Used by text rules' `paths` and by CODEOWNERS patterns."""

from __future__ import annotations

import re


def glob_to_regex(glob: str) -> str:
    out = ""
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif glob.startswith("**", i):
            out += ".*"
            i += 2
        elif glob[i] == "*":
            out += "[^/]*"
            i += 1
        elif glob[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(glob[i])
            i += 1
    return out


class GlobSet:
    """Does a path match any of these globs? The common shapes (`**/*.ext`, `**/NAME`) are
    answered from the file name with set and suffix tests; only the other globs are compiled,
    into one regular expression. (Compiling a few dozen globs into one expression costs more
    than a warm audit's whole path filtering.)"""

    def __init__(self, globs) -> None:
        self.suffixes: set[str] = set()
        self.names: set[str] = set()
        rest = []
        for g in sorted(set(globs)):
            tail = g[3:] if g.startswith("**/") else None
            if tail and "/" not in tail and not any(c in tail for c in "*?["):
                self.names.add(tail)
            elif tail and tail.startswith("*") and "/" not in tail and not any(c in tail[1:] for c in "*?["):
                self.suffixes.add(tail[1:])
            else:
                rest.append(g)
        self._suffixes = tuple(sorted(self.suffixes))
        self.rest = re.compile("(?:" + "|".join(glob_to_regex(g) for g in rest) + r")\Z") if rest else None

    def match(self, path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        if name in self.names or (self._suffixes and name.endswith(self._suffixes)):
            return True
        return self.rest is not None and self.rest.match(path) is not None


# ---------------------------------------------------------------------- globs from the repository
def segment_match(pattern: str, name: str) -> bool:
    """fnmatch-style `*` and `?` within one name, by the greedy two-pointer method: at most
    len(pattern) x len(name) steps, never the exponential backtracking a regex of `*a*a*a*b`
    takes on a long name."""
    p = n = 0
    star = mark = -1
    while n < len(name):
        if p < len(pattern) and pattern[p] in ("?", name[n]) and pattern[p] != "*":
            p += 1
            n += 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark = p, n
            p += 1
        elif star != -1:
            p = star + 1
            mark += 1
            n = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


class PathGlob:
    """A glob written by the audited repository (CODEOWNERS), matched segment by segment: `**` any
    number of directories, `*` and `?` within a name. Dynamic programming over segments, so no
    pattern can make matching slower than len(pattern) x len(path) segment comparisons.

    anywhere: the pattern may start at any depth; below: a match of leading directories covers
    everything under them (CODEOWNERS `docs/` owns `docs/a/b.md`)."""

    def __init__(self, pattern: str, *, anywhere: bool = False, below: bool = False) -> None:
        parts = [s for s in pattern.strip("/").split("/") if s]
        self.parts = (["**"] if anywhere else []) + parts
        self.below = below

    def match(self, path: str) -> bool:
        segs = path.split("/")
        parts = self.parts
        # row[j]: parts[:i] matches segs[:j]
        row = [True] + [False] * len(segs)
        for part in parts:
            new = [False] * (len(segs) + 1)
            if part == "**":
                seen = False
                for j in range(len(segs) + 1):
                    seen = seen or row[j]
                    new[j] = seen
            else:
                for j in range(1, len(segs) + 1):
                    new[j] = row[j - 1] and segment_match(part, segs[j - 1])
            row = new
        return any(row[1:]) if self.below else row[-1]


def is_anchored(pattern: str) -> bool:
    """A gitignore-style pattern (CODEOWNERS, the settings' exclude) is anchored at the root when
    it starts with or contains a slash; else it matches at any depth."""
    return pattern.startswith("/") or "/" in pattern.rstrip("/")


def gitignore_glob(pattern: str) -> PathGlob:
    """A gitignore-style pattern over repository paths; a match covers what is below it."""
    return PathGlob(pattern, anywhere=not is_anchored(pattern), below=True)
