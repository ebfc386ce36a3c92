"""Errors that stop a whole audit. Anything smaller is an AuditWarning in the report."""

import os
from contextlib import contextmanager


class UnusableInput(Exception):
    """The input cannot be audited at all (missing path, not a repository, bad revision).

    The CLI prints the message as one line on stderr and exits with status 2.
    """


class HeuristicsError(Exception):
    """A rule or rubric file under heuristics/ is malformed. A bug in mlscorecard, not in the audited repo."""


# ------------------------------------------------------------------------- one file, one warning
@contextmanager
def reading(snap, path: str, what: str = "file"):
    """Run one reader of one file: if it fails in a way nobody planned for (a value of a type the
    reader did not expect, a recursion limit, memory), the failure becomes a warning on that path
    and the audit goes on without it. MLSCORECARD_DEBUG=1 lets the exception through."""
    try:
        yield
    except (KeyboardInterrupt, SystemExit, UnusableInput):
        raise
    except Exception as exc:
        if os.environ.get("MLSCORECARD_DEBUG"):
            raise
        snap.warn(path, unexpected(what, exc))


def unexpected(what: str, exc: BaseException) -> str:
    """The warning for a reader that failed: what failed and how, one line, short."""
    detail = " ".join(str(exc).split())[:80]
    return (f"{what} could not be read ({type(exc).__name__}{': ' + detail if detail else ''}); skipped "
            "— an mlscorecard bug, please report it")
