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
@click.option("--format", "fmt", type=click.Choice(["terminal", "markdown", "json", "html", "sarif"]),
              default="terminal", show_default=True, help="Report format.")
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
@click.option("--link-base", default=None, metavar="URL",
              help="HTML: link evidence to URL/path#Lline (e.g. https://github.com/org/repo/blob/COMMIT).")
def audit(path, rev, fmt, output, fail_under, max_file_size, no_cache, cache_dir, jobs, confirmations, link_base):
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
    text = render(fmt, result, heur, color=color, link_base=link_base)
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8", errors="backslashreplace")
        except OSError as exc:
            _die(f"cannot write {output}: {exc.strerror or exc}")
    else:
        click.echo(text, nl=False)
    score = result.rubrics["ml-test-score"].score
    if fail_under is not None and score < fail_under:
        click.echo(f"mlscorecard: ML Test Score {score} is below --fail-under {fail_under}", err=True)
        sys.exit(EXIT_GATE_FAILED)


def _parse_value(item_id: str, value: str, rubric_id: str) -> dict:
    value = value.strip().lower()
    if value in ("na", "n/a", "not-applicable", "not_applicable"):
        return {"not_applicable": True}
    if rubric_id == "ml-test-score":
        if value not in ("none", "manual", "automated"):
            raise click.BadParameter(f"{item_id}: level must be none, manual, automated or na (got {value!r})")
        return {"level": value}
    if value not in {str(i) for i in range(5)}:
        raise click.BadParameter(f"{item_id}: score must be 0-4 or na (got {value!r})")
    return {"score": int(value)}


@main.command()
@click.argument("path", type=click.Path(path_type=str))
@click.option("--set", "sets", multiple=True, metavar="ITEM=VALUE",
              help="Record an answer without prompting: infra-6=manual, operations.roi=2, infra-7=na. Repeatable.")
@click.option("--by", default=None, help="Who confirms (default: $USER).")
@click.option("--note", default=None, help="Why: what a reviewer should know.")
@click.option("--reason", default=None, help="Why an item is not applicable (needed with =na).")
@click.option("--link", "links", multiple=True, help="A link to supporting material. Repeatable.")
@click.option("--file", "conf_file", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Confirmations file to write (default: PATH/.mlscorecard.yml).")
@click.option("--rev", default=None, help="The commit being confirmed (default HEAD).")
@click.option("--all", "walk_all", is_flag=True, help="Interactive: walk every item, not only those that need a human.")
def confirm(path, sets, by, note, reason, links, conf_file, rev, walk_all):
    """Record human answers in the confirmations file (interactive unless --set is given).

    Each answer stores who, when, at which commit and what evidence the audit showed, so later
    audits can tell when a confirmation has gone stale. Existing entries and comments are kept.
    """
    from .confirm_writer import load_for_update, save, set_entry, today
    from .confirmations import DEFAULT_FILE, ConfirmationsError

    target = Path(conf_file) if conf_file else Path(path) / DEFAULT_FILE
    if not conf_file and not Path(path).is_dir():
        _die(f"{path}: not a directory; give --file for the confirmations")
    try:
        result = run_audit(path, rev, cache_dir=None, confirmations=conf_file if conf_file and Path(conf_file).is_file() else None)
        heur = load_heuristics()
        doc = load_for_update(target)
    except UnusableInput as exc:
        _die(str(exc))
    except ConfirmationsError as exc:
        _die(str(exc))
    who = by or os.environ.get("USER") or os.environ.get("USERNAME")
    items = {i.id: (rid, i) for rid, r in result.rubrics.items() for i in r.items.values()}

    def record(item_id: str, answer: dict, item_note: str | None, item_reason: str | None) -> None:
        if answer.get("not_applicable") and not item_reason:
            raise click.BadParameter(f"{item_id}: a not-applicable answer needs --reason")
        _rid, item = items[item_id]
        values = {**answer, "reason": item_reason if answer.get("not_applicable") else None, "by": who,
                  "date": today(), "commit": result.commit, "note": item_note, "links": list(links) or None,
                  "evidence": sorted({e.path for e in item.evidence}) or None}
        set_entry(doc, item_id, values)
        save(doc, target)

    if sets:
        for spec in sets:
            item_id, sep, value = spec.partition("=")
            if not sep or item_id not in items:
                raise click.BadParameter(f"{spec!r}: expected ITEM=VALUE with a rubric item id", param_hint="--set")
            record(item_id, _parse_value(item_id, value, items[item_id][0]), note, reason)
            click.echo(f"{item_id}: recorded in {target}")
        return

    todo = [(rid, i) for rid, i in items.values() if walk_all or (i.needs_confirmation and not i.confirmed)]
    sections = result.rubrics["ml-test-score"].groups
    # the lowest ML Test Score section first (answers there move the final score), then robustness
    todo.sort(key=lambda t: (t[0] != "ml-test-score", sections.get(t[1].group, 0) if t[0] == "ml-test-score" else 0))
    if not todo:
        click.echo("Nothing needs confirmation.")
        return
    click.echo(f"{len(todo)} item(s) to confirm; answers go to {target} as you give them.")
    for n, (rid, item) in enumerate(todo, start=1):
        d = heur.rubrics[rid].items[item.id]
        proposed = item.level if rid == "ml-test-score" else f"{item.score}/4"
        click.echo("")
        click.echo(click.style(f"[{n}/{len(todo)}] {item.id} — {item.title}", bold=True))
        click.echo(f"  proposed: {proposed} (confidence {item.confidence:.2f}; {item.reason})")
        for e in item.evidence[:5]:
            click.echo(f"  evidence: {e.location}  {e.summary}")
        click.echo(f"  question: {d['question']}")
        choices = "none/manual/automated" if rid == "ml-test-score" else "0-4"
        answer = click.prompt(f"  answer ({choices}, na, skip, quit)", default="skip", show_default=False).strip()
        if answer.lower() in ("q", "quit"):
            break
        if answer.lower() in ("", "s", "skip"):
            continue
        try:
            parsed = _parse_value(item.id, answer, rid)
        except click.BadParameter as exc:
            click.echo(f"  {exc.message}; skipped")
            continue
        item_reason = click.prompt("  reason it does not apply", default="") if parsed.get("not_applicable") else None
        if parsed.get("not_applicable") and not item_reason:
            click.echo("  not applicable needs a reason; skipped")
            continue
        item_note = click.prompt("  note (optional)", default="", show_default=False) or None
        record(item.id, parsed, item_note, item_reason)
        click.echo("  recorded.")


@main.command("rules")
def list_rules():
    """List every heuristic rule, its matcher and the rubric items it supports."""
    heur = load_heuristics()
    for rule in heur.rules:
        items = ", ".join(f"{s.item}" for s in rule.supports) or "(facts only)"
        click.echo(f"{rule.id:<40} {rule.kind:<20} {items}")


if __name__ == "__main__":  # pragma: no cover
    main()
