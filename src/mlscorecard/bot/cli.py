"""Commands `mlscorecard diff` and `mlscorecard comment` (registered by `mlscorecard.cli`).

Exit codes: 0 done; 1 `--fail-on-regression` and the change is a regression; 2 bad usage,
unusable input, or a host that refuses (one line on stderr, never the token).

Only click and the standard library are imported here: `mlscorecard audit` imports this module
at start-up, and the audit, jinja2 and httpx load only when a command runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

EXIT_REGRESSION = 1
DIFF_FORMATS = ("terminal", "markdown", "json", "sarif")


def _die(message: str) -> None:
    from ..cli.common import die  # imported here: the cli package imports this module as it loads

    die(message)


def _compute(path: str, base: str | None, head: str | None, cache_dir: Path | None, no_cache: bool,
             jobs: int | None) -> dict:
    from ..cli.common import guarded
    from .audits import ci_context, diff_revisions

    diff = guarded(lambda: diff_revisions(path, base, head, False if no_cache else cache_dir, jobs))
    context = ci_context(os.environ)
    if context:
        diff["context"] = context
    return diff


def _write(text: str, output: str | None) -> None:
    from ..cli.common import write_report

    write_report(text, output)


_revisions = [
    click.argument("path", default=".", type=click.Path(path_type=str)),
    click.option("--base", default=None, metavar="REV",
                 help="Base revision (default: the merge base of HEAD with origin/HEAD, else main or master)."),
    click.option("--head", default=None, metavar="REV", help="Head revision (default HEAD)."),
    click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                 help="Per-file result cache (default $XDG_CACHE_HOME/mlscorecard); the second side reuses it."),
    click.option("--no-cache", is_flag=True, help="Do not read or write the per-file result cache."),
    click.option("--jobs", "-j", type=click.IntRange(1), default=None, help="Processes used to parse files."),
]


def _with_revisions(fn):
    for decorator in reversed(_revisions):
        fn = decorator(fn)
    return fn


@click.command("diff")
@_with_revisions
@click.option("--format", "formats", type=click.Choice(DIFF_FORMATS), multiple=True,
              help="Output format (default terminal); repeat for several, each with its --output.")
@click.option("--output", "-o", "outputs", type=click.Path(dir_okay=False, path_type=str), multiple=True,
              help="Write to FILE instead of stdout; repeat once per --format, in the same order.")
@click.option("--fail-on-regression", is_flag=True,
              help="Exit 1 when the ML Test Score drops or a --gate item gets worse.")
@click.option("--gate", "gates", multiple=True, metavar="ITEM",
              help="An item (e.g. infra-1, security.access-control) that must not get worse. Repeatable.")
@click.option("--link-base", default=None, metavar="URL",
              help="Markdown: link evidence to URL/path#Lline (e.g. https://github.com/org/repo/blob/HEAD_SHA).")
def diff_command(path, base, head, cache_dir, no_cache, jobs, formats, outputs, fail_on_regression, gates, link_base):
    """What the change BASE..HEAD does to the scores of the repository at PATH.

    Both sides are read from git objects (nothing is checked out; bare repositories work) and
    nothing in the repository is executed.
    """
    from ..diff import regressed, render_diff

    from ..cli.common import paired_outputs

    pairs = paired_outputs(list(formats or ("terminal",)), outputs)
    diff = _compute(path, base, head, cache_dir, no_cache, jobs)  # once, whatever the number of formats
    for fmt, output in pairs:
        _write(render_diff(fmt, diff, link_base=link_base), output)
    why = regressed(diff, tuple(gates))
    if fail_on_regression and why:
        click.echo(f"mlscorecard: regression: {'; '.join(why)}", err=True)
        sys.exit(EXIT_REGRESSION)


@click.command("comment")
@click.argument("host", type=click.Choice(["github", "gitlab"]))
@_with_revisions
@click.option("--from", "from_file", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="A diff JSON computed earlier (e.g. in another workflow); nothing is audited.")
@click.option("--dry-run", is_flag=True, help="Print the comment body instead of posting it.")
@click.option("--api-url", default=None, help="API root (default from CI: GITHUB_API_URL / CI_API_V4_URL).")
@click.option("--repo", default=None, help="owner/name (GitHub) or project id or path (GitLab).")
@click.option("--pr", type=click.IntRange(1), default=None, help="Pull request number / merge request IID.")
@click.option("--token-env", default=None, metavar="NAME",
              help="Environment variable holding the token (default GITHUB_TOKEN; GitLab: GITLAB_TOKEN).")
def comment_command(host, path, base, head, cache_dir, no_cache, jobs, from_file, dry_run, api_url, repo, pr, token_env):
    """Post the diff as ONE comment on the pull request (created once, then updated in place).

    The token is read from the environment only and never printed.
    """
    from ..errors import UnusableInput
    from ..hosts.base import HostError
    from ..hosts.target import github_target, github_token, gitlab_target, gitlab_token, link_base
    from .comment import build_body, load_diff, post

    if from_file and (base or head):
        _die("--from and --base/--head exclude each other")
    try:
        diff = load_diff(from_file) if from_file else _compute(path, base, head, cache_dir, no_cache, jobs)
    except UnusableInput as exc:
        _die(str(exc))
    env = os.environ
    try:
        target = (github_target(env, api_url, repo, pr, diff) if host == "github"
                  else gitlab_target(env, api_url, repo, pr))
    except HostError as exc:
        if not dry_run:
            _die(str(exc))
        target = None
    body = build_body(diff, link_base(target, diff["head"]["commit"]) if target else None,
                      base_link=link_base(target, diff["base"]["commit"]) if target else None)
    if dry_run:
        click.echo(body, nl=False)
        return
    try:
        if host == "github":
            action, comment_id = post(target, github_token(env, token_env), body)
        else:
            token, job_token = gitlab_token(env, token_env)
            action, comment_id = post(target, token, body, job_token=job_token)
    except HostError as exc:
        _die(str(exc))
    click.echo(f"mlscorecard: comment {comment_id} {action} on {host} {target.repo} #{target.number}", err=True)


__all__ = ["diff_command", "comment_command"]
