"""Command line: `mlscorecard audit PATH`.

Exit codes: 0 done; 1 the ML Test Score is below --fail-under; 2 bad usage or unusable input
(one line on stderr).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .audit import run_audit
from .errors import HeuristicsError, UnusableInput
from .heuristics import load_heuristics
from .reports import render
from .snapshot import DEFAULT_MAX_FILE_SIZE

EXIT_GATE_FAILED = 1
EXIT_UNUSABLE = 2


def _die(message: str) -> None:
    click.echo(f"mlscorecard: error: {message}", err=True)
    sys.exit(EXIT_UNUSABLE)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlscorecard")
def main() -> None:
    """Score an ML repository against the ML Test Score and the ML System Robustness Score."""


@main.command()
@click.argument("path", type=click.Path(path_type=str))
@click.option("--rev", default=None, help="Commit, branch or tag to audit (default HEAD). Needs a git repository.")
@click.option("--format", "fmt", type=click.Choice(["terminal", "markdown", "json"]), default="terminal",
              show_default=True, help="Report format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Write the report to FILE instead of stdout.")
@click.option("--fail-under", type=click.IntRange(0, 14), default=None,
              help="Exit 1 when the ML Test Score (0-14) is below N.")
@click.option("--max-file-size", type=click.IntRange(1), default=DEFAULT_MAX_FILE_SIZE, show_default=True,
              help="Files larger than this many bytes are skipped with a warning.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the per-file result cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the per-file result cache lives (default $XDG_CACHE_HOME/mlscorecard).")
@click.option("--jobs", "-j", type=click.IntRange(1), default=None,
              help="Processes used to parse files (default: number of CPUs).")
@click.option("--confirmations", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Human confirmations to merge (default: .mlscorecard.yml in the repository).")
def audit(path, rev, fmt, output, fail_under, max_file_size, no_cache, cache_dir, jobs, confirmations):
    """Audit the repository or directory at PATH. Nothing in it is executed."""
    try:
        result = run_audit(path, rev, max_file_size=max_file_size,
                           cache_dir=False if no_cache else cache_dir, jobs=jobs, confirmations=confirmations)
        heur = load_heuristics()
    except UnusableInput as exc:
        _die(str(exc))
    except HeuristicsError as exc:
        _die(f"bad heuristics: {exc}")
    except Exception as exc:  # a bug of ours: still one line, with a way to see the traceback
        if os.environ.get("MLSCORECARD_DEBUG"):
            raise
        _die(f"internal error: {type(exc).__name__}: {exc} (set MLSCORECARD_DEBUG=1 for a traceback)")
    color = output is None and fmt == "terminal" and sys.stdout.isatty()
    text = render(fmt, result, heur, color=color)
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            _die(f"cannot write {output}: {exc.strerror or exc}")
    else:
        click.echo(text, nl=False)
    score = result.rubrics["ml-test-score"].score
    if fail_under is not None and score < fail_under:
        click.echo(f"mlscorecard: ML Test Score {score} is below --fail-under {fail_under}", err=True)
        sys.exit(EXIT_GATE_FAILED)


@main.command("rules")
def list_rules():
    """List every heuristic rule, its matcher and the rubric items it supports."""
    heur = load_heuristics()
    for rule in heur.rules:
        items = ", ".join(f"{s.item}" for s in rule.supports) or "(facts only)"
        click.echo(f"{rule.id:<40} {rule.kind:<20} {items}")


if __name__ == "__main__":  # pragma: no cover
    main()
