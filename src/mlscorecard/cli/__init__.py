"""Command line: one module per command (group).

    mlscorecard audit [PATH]       audit_command.py
    mlscorecard confirm [PATH]     confirm_command.py
    mlscorecard rules              rules_command.py
    mlscorecard diff / comment     bot/cli.py (the pull-request bot)
    mlscorecard fleet run/report   fleet/cli.py (scheduled audits of many repositories)

Exit codes: 0 done; 1 a gate failed (--fail-under, --fail-under-robustness, --fail-on-problems,
--gate, --fail-on-regression); 2 bad usage or unusable input (one line on stderr).
Shell completion is click's: `eval "$(_MLSCORECARD_COMPLETE=bash_source mlscorecard)"` (zsh_source,
fish_source for those shells).
"""

from __future__ import annotations

import sys

import click

from .. import __version__
from .common import EXIT_GATE_FAILED, EXIT_UNUSABLE, die


# click >= 8.2 reports a group called without a command as this usage error (older click shows
# the help and exits itself)
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


class _OneLineErrors(click.Group):
    """click, with its usage errors as the one line every other error is (`mlscorecard: error:
    ...`, the command's --help named on it), not a usage block of four; exit 2 as before."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except _NO_ARGS_IS_HELP as exc:  # `mlscorecard`, `mlscorecard fleet`: the help, as click shows it
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            message = " ".join(exc.format_message().split())
            click.echo(f"mlscorecard: error: {message}{where}", err=True)
            sys.exit(EXIT_UNUSABLE)
        except click.ClickException as exc:
            click.echo(f"mlscorecard: error: {' '.join(exc.format_message().split())}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="mlscorecard")
def main() -> None:
    """Score an ML repository against the ML Test Score and the ML System Robustness Score."""


def _register() -> None:
    from ..bot.cli import comment_command, diff_command
    from ..fleet.cli import fleet
    from .audit_command import audit
    from .confirm_command import confirm
    from .rules_command import list_rules

    for command in (audit, confirm, list_rules, diff_command, comment_command, fleet):
        main.add_command(command)


_register()

__all__ = ["main", "EXIT_GATE_FAILED", "EXIT_UNUSABLE", "die"]
