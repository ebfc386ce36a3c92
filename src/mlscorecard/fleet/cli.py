"""`mlscorecard fleet run` and `mlscorecard fleet report`.

Exit codes: 0 done (a repository that failed is recorded, not an error of the run); 1 the report
found a regression and --fail-on-regression was given; 2 bad usage or unusable input (one line on
stderr). Only click and the standard library are imported here: the main CLI imports this module
at start-up, and the fleet machinery (and dask, psycopg, jinja2) loads when a command runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

DEFAULT_DB = "mlscorecard-fleet.sqlite"
EXIT_REGRESSION = 1


def _die(message: str) -> None:
    from ..cli.common import die  # imported here: the cli package imports this module as it loads

    die(message)


def _open_store(db: str, *, must_exist: bool):
    from .database import DatabaseError
    from .store import Store

    if must_exist and "://" not in db and not Path(db).is_file():
        _die(f"{db}: no such database (run `mlscorecard fleet run --db {db} ...` first)")
    try:
        return Store(db)
    except DatabaseError as exc:
        _die(str(exc))


def _entries(sources: tuple[str, ...]):
    from .manifest import ManifestError, entries_from_args, load_manifest

    if not sources:
        _die("give a FLEET.yaml file, or repository paths and git URLs")
    try:
        if len(sources) == 1 and sources[0].endswith((".yaml", ".yml")) and Path(sources[0]).is_file():
            return load_manifest(Path(sources[0]))
        return entries_from_args(list(sources))
    except ManifestError as exc:
        _die(str(exc))


@click.group("fleet", context_settings={"help_option_names": ["-h", "--help"]})
def fleet() -> None:
    """Audit many repositories on a schedule, keep their history, and report on the fleet."""


@fleet.command("run")
@click.argument("sources", nargs=-1)
@click.option("--db", default=DEFAULT_DB, show_default=True, metavar="PATH|postgresql://...",
              help="History database: a SQLite file, or a PostgreSQL URL.")
@click.option("--workers", "-w", type=click.IntRange(1), default=2, show_default=True,
              help="Repositories audited at once on this machine.")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Run the audits on this Dask distributed cluster instead of local processes.")
@click.option("--timeout", type=click.FloatRange(min=1), default=600, show_default=True,
              help="Seconds one repository may take (clone, fetch and audit) before it is stopped and failed.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where git URLs are cloned and per-file results cached (default $XDG_CACHE_HOME/mlscorecard/fleet).")
@click.option("--resume", is_flag=True, help="Continue the last unfinished run of the same fleet.")
@click.option("--jobs", "-j", type=click.IntRange(1), default=1, show_default=True,
              help="Processes each audit uses to parse files.")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
def run(sources, db, workers, scheduler, timeout, cache_dir, resume, jobs, quiet):
    """Audit the fleet's repositories and record each result.

    SOURCES is a FLEET.yaml file, or repository paths and git URLs. Nothing from a repository is executed: URLs are cloned bare, without hooks or submodules.
    """
    entries = _entries(sources)
    if scheduler and "://" not in scheduler:
        _die(f"--scheduler {scheduler!r}: expected an address like tcp://HOST:PORT")
    store = _open_store(db, must_exist=False)
    from .progress import Progress
    from .runner import run_fleet

    progress = Progress(len(entries), enabled=not quiet)
    try:
        summary = run_fleet(entries, store, workers=workers, scheduler=scheduler, timeout=timeout,
                            cache_dir=cache_dir, resume=resume, jobs=jobs, progress=progress)
    except OSError as exc:
        _die(f"cannot reach the Dask scheduler {scheduler}: {exc}" if scheduler else str(exc))
    finally:
        store.close()
    c = summary.counts
    if not quiet:
        click.echo(f"mlscorecard fleet: run {summary.run_id} done: {c['ok']} audited, {c['unchanged']} unchanged, "
                   f"{c['failed']} failed{f', {summary.resumed} from before the resume' if summary.resumed else ''}",
                   err=True)
    click.echo(summary.run_id)


@fleet.command("report")
@click.option("--db", default=DEFAULT_DB, show_default=True, metavar="PATH|postgresql://...", help="History database.")
@click.option("--format", "fmt", type=click.Choice(["markdown", "html"]), default="markdown", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Write the report to FILE instead of stdout.")
@click.option("--run", "run_id", default=None, help="Report on this run (default: the latest).")
@click.option("--history", type=click.IntRange(1), default=26, show_default=True, help="Runs shown in the trends.")
@click.option("--fail-on-regression", is_flag=True, help="Exit 1 when a repository regressed since its previous audit.")
def report(db, fmt, output, run_id, history, fail_on_regression):
    """Report on the fleet: scores, trends, gaps, regressions, failures.

    Markdown or a self-contained HTML dashboard, built from the history database alone."""
    from .dashboard import NoRuns, build_view, render_html, render_markdown

    store = _open_store(db, must_exist=True)
    try:
        view = build_view(store, run_id, history)
    except NoRuns as exc:
        _die(str(exc))
    finally:
        store.close()
    from ..cli.common import write_report

    write_report(render_html(view) if fmt == "html" else render_markdown(view), output)
    if fail_on_regression and view.regressions:
        click.echo(f"mlscorecard: {len(view.regressions)} repositories regressed since their previous audit", err=True)
        sys.exit(EXIT_REGRESSION)


if __name__ == "__main__":  # pragma: no cover
    fleet(prog_name=os.path.basename(sys.argv[0]))
