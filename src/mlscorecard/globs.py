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
