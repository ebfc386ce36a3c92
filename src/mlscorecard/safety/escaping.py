"""Make a string from the audited repository inert in one output format.

The repository controls file names, commit messages, CI commands and confirmation notes; any of
them may hold terminal escape sequences, bidirectional overrides that make text read differently
than it is, raw HTML, or Markdown that turns into a link. Each function here is the one place its
format neutralises them; the report renderers call nothing else.
"""

from __future__ import annotations

import html
import os
import re
from urllib.parse import quote

# C0 and C1 controls, DEL, bidirectional marks/overrides/isolates, line/paragraph separators, and
# lone surrogates (bytes of a file name that are not UTF-8, kept by surrogateescape)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _show(mo: re.Match) -> str:
    ch = mo.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralise(text: object) -> str:
    """The text with every control, bidi and undecodable character shown as a visible escape
    (`\\x1b`, `\\u202e`, `\\n`): nothing in it can move a cursor, recolour a terminal or reorder
    what a reader sees."""
    s = text if isinstance(text, str) else str(text)
    return _UNSAFE.sub(_show, s) if _UNSAFE.search(s) else s


terminal_text = neutralise


# Markdown punctuation that can open a code span, a link or image, or end a table cell
_MD_ACTIVE = re.compile(r"([\\`\[\]|])")


class MarkdownSafe(str):
    """Markdown that a report built itself (a code span, a cell); never escaped again."""


def markdown_text(text: object) -> str:
    """Text for Markdown prose or a table cell: controls shown as escapes, HTML escaped (no tag
    survives), and the characters that open code spans or links or end a cell backslash-escaped."""
    if isinstance(text, MarkdownSafe):
        return text
    s = html.escape(neutralise(text), quote=False)
    return _MD_ACTIVE.sub(r"\\\1", s)


def markdown_code(text: object, *, in_table: bool = False) -> MarkdownSafe:
    """A code span holding the text verbatim: fenced with one backtick more than the longest run
    inside it (CommonMark), so no backtick in a file name can close it early. HTML is literal in a
    code span; in a table cell a pipe must still be escaped (GFM)."""
    s = neutralise(text)
    if in_table:
        s = s.replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or (s.startswith(" ") and s.endswith(" ") and s.strip()) else ""
    return MarkdownSafe(f"{fence}{pad}{s}{pad}{fence}")


def sarif_uri(path: str) -> str:
    """A relative URI reference (RFC 3986) for a repository path: every byte outside the
    unreserved set and '/' percent-encoded, so `#`, `?`, `%`, spaces, a colon in the first segment
    and non-UTF-8 names all survive a URI parser."""
    return quote(os.fsencode(path), safe="/")


def file_uri(directory: str) -> str:
    """A file:// URI of an absolute local directory, ending in '/'."""
    return "file://" + quote(os.fsencode(directory.rstrip("/") + "/"), safe="/")
