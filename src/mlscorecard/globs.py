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
