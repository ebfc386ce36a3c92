"""`mlscorecard confirm [PATH]`: record human answers beside the audit's proposals."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..audit import run_audit
from ..errors import UnusableInput
from .common import die as _die


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


@click.command()
@click.argument("path", type=click.Path(path_type=str), default=".")
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
@click.option("--proposals/--no-proposals", default=True, show_default=True,
              help="Interactive: first ask about the items the project's kind suggests are not applicable.")
def confirm(path, sets, by, note, reason, links, conf_file, rev, walk_all, proposals):
    """Record human answers in the confirmations file (interactive unless --set is given).

    Each answer stores who, when, at which commit and what evidence the audit showed, so later
    audits can tell when a confirmation has gone stale. Existing entries and comments are kept.
    """
    from ..confirm_writer import load_for_update, save, set_entry, today
    from ..confirmations import DEFAULT_FILE, ConfirmationsError

    target = Path(conf_file) if conf_file else Path(path) / DEFAULT_FILE
    if not conf_file and not Path(path).is_dir():
        _die(f"{path}: not a directory; give --file for the confirmations")
    if not conf_file and (Path(path) / "HEAD").is_file() and (Path(path) / "objects").is_dir():
        _die(f"{path} is a bare repository, which has no files to edit: give --file FILE, then commit "
             "that file to the repository as .mlscorecard.yml")
    try:
        # the answers it shows are those of the file it writes (with --rev too)
        mine = target.is_file() and (conf_file or (rev and not target.is_symlink()))
        result = run_audit(path, rev, cache_dir=None, worktree=rev is None, confirmations=str(target) if mine else None)
        heur = result.heuristics
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

    profile = result.facts.get("profile") or {}
    suggested = {p["item"]: p["reason"] for p in profile.get("proposed_not_applicable", [])} if proposals else {}
    todo = [(rid, i) for rid, i in items.values()
            if walk_all or i.id in suggested or (i.needs_confirmation and not i.confirmed)]
    sections = result.rubrics["ml-test-score"].groups
    # first what the project's kind suggests is not applicable (a question with a default), then
    # the lowest ML Test Score section (answers there move the final score), then robustness
    todo.sort(key=lambda t: (t[1].id not in suggested, t[0] != "ml-test-score",
                             sections.get(t[1].group, 0) if t[0] == "ml-test-score" else 0))
    if suggested:
        acc = profile["if_accepted"]
        click.echo(f"This looks like {profile['description']}: {len(suggested)} item(s) usually do not apply; "
                   f"accepting all gives ML Test Score {acc['ml-test-score']} and Robustness {acc['robustness']} "
                   f"(now {result.rubrics['ml-test-score'].score} and {result.rubrics['robustness'].score}).")
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
        if item.id in suggested:
            click.echo(f"  suggested: not applicable ({suggested[item.id]}); press Enter to accept")
        default = "na" if item.id in suggested else "skip"
        answer = click.prompt(f"  answer ({choices}, na, skip, quit)", default=default,
                              show_default=item.id in suggested).strip()
        if answer.lower() in ("q", "quit"):
            break
        if answer.lower() in ("", "s", "skip"):
            continue
        try:
            parsed = _parse_value(item.id, answer, rid)
        except click.BadParameter as exc:
            click.echo(f"  {exc.message}; skipped")
            continue
        item_reason = click.prompt("  reason it does not apply", default=suggested.get(item.id, "")) \
            if parsed.get("not_applicable") else None
        if parsed.get("not_applicable") and not item_reason:
            click.echo("  not applicable needs a reason; skipped")
            continue
        item_note = click.prompt("  note (optional)", default="", show_default=False) or None
        record(item.id, parsed, item_note, item_reason)
        click.echo("  recorded.")
