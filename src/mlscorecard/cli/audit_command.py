"""`mlscorecard audit [PATH]`: one audit, any number of report formats, gates."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..audit import run_audit
from ..reports import FORMATS, render
from ..snapshot import DEFAULT_MAX_FILE_SIZE, Snapshot
from .common import EXIT_GATE_FAILED, die, guarded, paired_outputs, use_color, write_report

SUFFIX = {"terminal": "txt", "markdown": "md", "json": "json", "html": "html", "sarif": "sarif"}


@click.command()
@click.argument("path", type=click.Path(path_type=str), default=".")
@click.option("--rev", default=None, help="Commit, branch or tag to audit, read from git objects. Needs a git repository.")
@click.option("--committed", is_flag=True,
              help="Audit the last commit (HEAD) from git objects, not the work tree with its uncommitted changes.")
@click.option("--staged", is_flag=True,
              help="Audit what is staged for the next commit (the index), as a pre-commit hook should.")
@click.option("--format", "formats", type=click.Choice(FORMATS), multiple=True,
              help="Report format; repeat for several (default: terminal, or `format` in the project's settings).")
@click.option("--output", "-o", "outputs", type=click.Path(dir_okay=False, path_type=str), multiple=True,
              help="Write the report to FILE instead of stdout; repeat once per --format, in the same order.")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write every format to DIR/mlscorecard.<md|json|html|sarif|txt>.")
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Settings file to use instead of the project's [tool.mlscorecard] or .mlscorecard.yml.")
@click.option("--isolated", is_flag=True, help="Ignore every settings file (the command line only).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Never read these files (replaces the settings' exclude).")
@click.option("--extend-exclude", multiple=True, metavar="GLOB", help="Never read these files either.")
@click.option("--disable", multiple=True, metavar="RULE", help="A rule that must not count. Repeatable.")
@click.option("--fail-under", type=click.IntRange(0, 14), default=None,
              help="Exit 1 when the ML Test Score (0-14) is below N.")
@click.option("--fail-under-robustness", type=click.IntRange(0, 88), default=None,
              help="Exit 1 when the ML System Robustness Score (0-88) is below N.")
@click.option("--fail-on-problems/--no-fail-on-problems", default=None,
              help="Exit 1 when a committed secret is found (the --no- form overrides the settings).")
@click.option("--count-examples/--no-count-examples", default=None,
              help="Count evidence in examples, tutorials, docs' code, vendored and generated code (kept apart by default).")
@click.option("--gate", multiple=True, metavar="ITEM", help="Exit 1 when this rubric item is at level none (score 0).")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour in the terminal report; auto honours NO_COLOR and FORCE_COLOR.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no notes on stderr; only errors.")
@click.option("--verbose", "-v", is_flag=True, help="Say on stderr what was read and which settings applied.")
@click.option("--max-file-size", type=click.IntRange(1), default=DEFAULT_MAX_FILE_SIZE, show_default=True,
              help="Files larger than this many bytes are skipped with a warning.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the per-file result cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the per-file result cache lives (default $XDG_CACHE_HOME/mlscorecard).")
@click.option("--jobs", "-j", type=click.IntRange(1), default=None,
              help="Processes used to analyse files (default: sized to the work, at most one per CPU; 1: none).")
@click.option("--confirmations", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Human confirmations to merge (default: .mlscorecard.yml in the repository).")
@click.option("--link-base", default=None, metavar="URL",
              help="HTML: link evidence to URL/path#Lline (default: the GitHub/GitLab origin at the audited commit).")
def audit(path, rev, committed, staged, formats, outputs, output_dir, config, isolated, exclude, extend_exclude, disable,
          fail_under, fail_under_robustness, fail_on_problems, count_examples, gate, color, quiet, verbose, max_file_size, no_cache,
          cache_dir, jobs, confirmations, link_base):
    """Audit the repository or directory at PATH (default: here). Nothing in it is executed.

    A checkout is read as you see it, uncommitted changes included; --committed or --rev read a
    commit from git objects (bare repositories always are)."""
    if outputs and output_dir:
        raise click.UsageError("give --output or --output-dir, not both")
    if sum(map(bool, (rev, committed, staged))) > 1:
        raise click.UsageError("--rev, --committed and --staged each choose what to read: give one")
    from ..progress import NoProgress, Progress

    if committed and Path(path).is_dir() and not Snapshot.reads_commits(path):  # as --rev says: no commit to read
        die(f"{path}: --committed needs a git repository, and this is a plain directory")

    progress = NoProgress() if quiet else Progress(sys.stderr, sys.stderr.isatty())
    overrides = {"exclude": exclude, "extend_exclude": extend_exclude, "disable": disable,
                 "fail_under": fail_under, "fail_under_robustness": fail_under_robustness,
                 "fail_on_problems": fail_on_problems, "gate": gate, "count_examples": count_examples}
    result = guarded(lambda: run_audit(
        path, rev, max_file_size=max_file_size, cache_dir=False if no_cache else cache_dir, jobs=jobs,
        confirmations=confirmations, worktree="staged" if staged else not committed, config=config,
        isolated=isolated, overrides=overrides, progress=progress), cleanup=progress.close)
    settings, heur = result.settings, result.heuristics
    chosen = list(formats) or list(settings.format) or ["terminal"]
    if output_dir:
        pairs = [(f, str(output_dir / f"mlscorecard.{SUFFIX[f]}")) for f in chosen]
    else:
        pairs = paired_outputs(chosen, outputs, hint=", or --output-dir")
    if not quiet:
        _notes(result, settings, verbose)
    if output_dir:
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            die(f"cannot create {output_dir}: {exc.strerror or exc}")
    for fmt, target in pairs:
        colored = fmt == "terminal" and target is None and use_color(color, sys.stdout)
        write_report(render(fmt, result, heur, color=colored, link_base=link_base), target, color=colored)
    failures = gate_failures(result, settings)
    for line in failures:
        click.echo(f"mlscorecard: {line}", err=True)
    if failures:
        sys.exit(EXIT_GATE_FAILED)


def _notes(result, settings, verbose: bool) -> None:
    """What was read, on stderr, so a report is never mistaken for another commit's."""
    if result.source == "staged":
        click.echo(f"mlscorecard: read the staged files: {result.uncommitted} file(s) differ from "
                   f"{(result.commit or '')[:12]}", err=True)
    elif result.source == "worktree" and result.uncommitted:
        click.echo(f"mlscorecard: read the work tree: {result.uncommitted} file(s) differ from "
                   f"{(result.commit or '')[:12]} (uncommitted changes included; --committed reads the commit)",
                   err=True)
    if verbose:
        what = {"worktree": "the work tree", "staged": "the staged files", "commit": f"commit {(result.commit or '')[:12]}",
                "directory": "a plain directory"}[result.source]
        click.echo(f"mlscorecard: read {what} of {result.repo_path}: {result.stats.get('files', '?')} files", err=True)
        if settings.source:
            click.echo(f"mlscorecard: settings from {settings.source}", err=True)
        for rid in settings.disable:
            click.echo(f"mlscorecard: rule {rid} disabled", err=True)


def gate_failures(result, settings) -> list[str]:
    """One line per gate that fails: the ML Test Score, the Robustness Score, committed secrets,
    named items."""
    out = []
    mts, rob = result.rubrics["ml-test-score"], result.rubrics["robustness"]
    if settings.fail_under is not None and mts.score < settings.fail_under:
        out.append(f"ML Test Score {mts.score} is below --fail-under {settings.fail_under}")
    if settings.fail_under_robustness is not None and rob.score < settings.fail_under_robustness:
        out.append(f"Robustness Score {rob.score} is below --fail-under-robustness {settings.fail_under_robustness}")
    if settings.fail_on_problems:
        secrets = sorted({e.location for r in result.rubrics.values() for i in r.items.values() for e in i.evidence
                          if e.rule.startswith("secrets/")})
        if secrets:
            out.append(f"committed secrets (--fail-on-problems): {', '.join(secrets[:5])}"
                       + (f" and {len(secrets) - 5} more" if len(secrets) > 5 else ""))
    for iid in settings.gate:
        for rubric in result.rubrics.values():
            item = rubric.items.get(iid)
            if item is None:
                continue
            level = item.level if rubric is mts else None
            if (level == "none") if level is not None else (item.score or 0) == 0:
                out.append(f"gate {iid}: {'level none' if level is not None else 'score 0'}")
    return out
