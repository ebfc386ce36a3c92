"""ResultDiff formats: terminal, markdown, json, sarif. Each renders the dict `compare` made and
computes nothing of its own; every string from the repository goes through `safety.escaping`."""

from __future__ import annotations

import re
from typing import Any

from ..reports.json_text import dumps_indented
from ..safety.escaping import terminal_text
from .sentences import change_verb, item_cause, location, score_line, verdict

FORMATS = ("terminal", "markdown", "json", "sarif")
_SURROGATE = re.compile("[\ud800-\udfff]")


def render_diff(fmt: str, diff: dict[str, Any], *, link_base: str | None = None) -> str:
    """The diff in one format; markdown and sarif modules (and jinja2) load only when asked for."""
    if fmt == "json":
        return render_json(diff)
    if fmt == "terminal":
        return render_terminal(diff)
    if fmt == "markdown":
        from .markdown import render_markdown

        return render_markdown(diff, link_base=link_base)
    if fmt == "sarif":
        from .sarif import render_sarif

        return render_sarif(diff)
    raise ValueError(f"unknown diff format {fmt!r}")


def render_json(diff: dict[str, Any]) -> str:
    text = dumps_indented(diff, 2, ensure_ascii=False) + "\n"
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def _short(commit: str | None) -> str:
    return (commit or "working tree")[:12]


def render_terminal(diff: dict[str, Any]) -> str:
    t = terminal_text
    lines = [f"mlscorecard diff {_short(diff['base']['commit'])}..{_short(diff['head']['commit'])}",
             f"  {score_line(diff, 'ml-test-score')}", f"  {score_line(diff, 'robustness')}",
             f"  {verdict(diff)}"]
    for source in diff["sources_unavailable"]:
        lines.append(f"  note: {source['source']} at {source['side']}: {source['why']}; items resting on it are not compared")
    if diff["heuristics_changed"]:
        lines.append("  note: the two sides were scored with different heuristics")
    if diff["new_problems"]:
        lines.append("\nNew problems:")
        lines += [f"  ! {t(p['summary'])} at {t(location(p))} ({t(p['rule'])})" for p in diff["new_problems"]]
    if diff["items"]:
        lines.append("\nItems that changed:")
        for item in diff["items"]:
            lines.append(f"  {t(change_verb(item))}: {t(item_cause(item))}")
    ev = diff["evidence"]
    for title, key in (("Evidence lost", "lost"), ("Evidence gained", "gained")):
        if ev[key]:
            lines.append(f"\n{title}:")
            lines += [f"  {'-' if key == 'lost' else '+'} {t(location(e))} {t(e['rule'])} ({e['confidence']:.2f}): "
                      f"{t(e['summary'])}" for e in ev[key]]
    if ev["moved"]:
        lines.append(f"\n{len(ev['moved'])} piece(s) of evidence only moved to another line.")
    if diff["stale_confirmations"]:
        lines.append("\nConfirmations to look at again:")
        lines += [f"  {t(s['id'])}: {t(s['why'])}" for s in diff["stale_confirmations"]]
    return "\n".join(lines) + "\n"
