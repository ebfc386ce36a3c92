"""`mlscorecard rules`: the heuristics, as a table or JSON, filtered."""

from __future__ import annotations

import json

import click


@click.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--kind", default=None, help="Only rules of this matcher kind (python-call, text, ci-executes, ...).")
@click.option("--item", default=None, help="Only rules that support this rubric item (infra-1, deployment.monitoring).")
@click.option("--family", default=None, help="Only rules whose id starts with FAMILY/ (seeds, secrets, ...).")
def list_rules(fmt, kind, item, family):
    """List every heuristic rule, its matcher and the rubric items it supports."""
    from ..heuristics import load_heuristics

    heur = load_heuristics()
    # a filter that names nothing is a typo, not an empty answer (as --gate's and --disable's are)
    known = {"--kind": {r.kind for r in heur.rules}, "--family": {r.id.split("/")[0] for r in heur.rules},
             "--item": {i for rubric in heur.rubrics.values() for i in rubric.items}}
    for option, value in (("--kind", kind), ("--family", family and family.rstrip("/")), ("--item", item)):
        if value is not None and value not in known[option]:
            import difflib

            close = difflib.get_close_matches(value, sorted(known[option]), n=1)
            raise click.BadParameter(f"no such {option[2:]} {value!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
                                     param_hint=option)
    rules = [r for r in heur.rules
             if (kind is None or r.kind == kind) and (family is None or r.id.startswith(family.rstrip("/") + "/"))
             and (item is None or any(s.item == item for s in r.supports))]
    if fmt == "json":
        click.echo(json.dumps([{
            "id": r.id, "title": r.title, "kind": r.kind, "automation": r.automation,
            "supports": [{"rubric": s.rubric, "item": s.item, "level": s.level, "score": s.score, "cap": s.cap,
                          "confidence": s.confidence} for s in r.supports],
            "fact": r.fact, "source": r.source.rsplit("/", 2)[-1], "remediation": r.remediation,
        } for r in rules], indent=2))
        return
    for rule in rules:
        items = ", ".join(f"{s.item}" for s in rule.supports) or "(facts only)"
        click.echo(f"{rule.id:<40} {rule.kind:<20} {items}")
