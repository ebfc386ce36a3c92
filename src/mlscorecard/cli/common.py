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


def guarded(call, cleanup=None):
    """call(), with what stops a whole job turned into one line on stderr and exit 2: unusable
    input, bad heuristics, and a bug of ours (MLSCORECARD_DEBUG=1 lets its traceback through).
    cleanup runs first (a progress line to clear)."""
    from ..errors import HeuristicsError, UnusableInput

    try:
        return call()
    except UnusableInput as exc:
        message = str(exc)
    except HeuristicsError as exc:
        message = f"bad heuristics: {exc}"
    except Exception as exc:
        if os.environ.get("MLSCORECARD_DEBUG"):
            raise
        message = f"internal error: {type(exc).__name__}: {exc} (set MLSCORECARD_DEBUG=1 for a traceback)"
    finally:
        if cleanup is not None:
            cleanup()
    die(message)


def paired_outputs(formats: list[str], outputs: tuple[str, ...], hint: str = "") -> list[tuple[str, str | None]]:
    """Each format with its --output, in order; one format alone may go to stdout."""
    if outputs and len(outputs) != len(formats):
        raise click.UsageError(f"{len(outputs)} --output for {len(formats)} --format: give one per format, in order")
    if len(formats) > 1 and not outputs:
        raise click.UsageError(f"several formats need --output FILE for each{hint}")
    return list(zip(formats, outputs or [None] * len(formats)))


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
