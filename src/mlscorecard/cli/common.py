"""What every command shares: exit codes, the one-line error, colour and output choices."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

EXIT_GATE_FAILED = 1
EXIT_UNUSABLE = 2


def die(message: str) -> None:
    click.echo(f"mlscorecard: error: {message}", err=True)
    sys.exit(EXIT_UNUSABLE)


def use_color(choice: str, stream) -> bool:
    """--color always|never|auto; with auto, NO_COLOR (any value) turns colour off and
    FORCE_COLOR (any value but 0) turns it on, else colour when the stream is a terminal
    (https://no-color.org, https://force-color.org)."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "0") not in ("", "0"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


def write_report(text: str, output: str | None, color: bool | None = None) -> None:
    """A report to FILE, or to stdout (with our styles kept when `color`: click would strip
    them off a stream that is not a terminal); an unwritable FILE is one line and exit 2."""
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8", errors="backslashreplace")
        except OSError as exc:
            die(f"cannot write {output}: {exc.strerror or exc}")
    else:
        click.echo(text, nl=False, color=color)
