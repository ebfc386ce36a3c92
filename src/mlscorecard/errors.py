"""Errors that stop a whole audit. Anything smaller is an AuditWarning in the report."""

import os
import signal
import threading
from contextlib import contextmanager

# Time limits per reader: a file (all its rules, its parse) and a whole-repository detector (CI,
# dependencies, CODEOWNERS). Linear algorithms and size limits keep real repositories far below
# them; the clock is the last line against input nobody foresaw. Seconds; the environment overrides.
FILE_SECONDS = float(os.environ.get("MLSCORECARD_FILE_TIMEOUT") or 20)
DETECTOR_SECONDS = float(os.environ.get("MLSCORECARD_DETECTOR_TIMEOUT") or 60)


class UnusableInput(Exception):
    """The input cannot be audited at all (missing path, not a repository, bad revision).

    The CLI prints the message as one line on stderr and exits with status 2.
    """


class HeuristicsError(Exception):
    """A rule or rubric file under heuristics/ is malformed. A bug in mlscorecard, not in the audited repo."""


# ------------------------------------------------------------------------- one file, one warning
# Failures that may not happen again (a clock ran out, git timed out, a worker died, a reader
# hit an error nobody planned for): an audit that had one is not remembered (audit_memo.py).
_transient = [0]


def note_transient() -> None:
    _transient[0] += 1


def transient_count() -> int:
    return _transient[0]


@contextmanager
def reading(snap, path: str, what: str = "file"):
    """Run one reader of one file: if it fails in a way nobody planned for (a value of a type the
    reader did not expect, a recursion limit, memory), the failure becomes a warning on that path
    and the audit goes on without it. MLSCORECARD_DEBUG=1 lets the exception through."""
    try:
        yield
    except (KeyboardInterrupt, SystemExit, UnusableInput):
        raise
    except TimeLimit as exc:
        note_transient()
        snap.warn(path, f"{what} took longer than {exc.seconds:g} s to read; skipped")
    except Exception as exc:
        if os.environ.get("MLSCORECARD_DEBUG"):
            raise
        note_transient()
        snap.warn(path, unexpected(what, exc))


def unexpected(what: str, exc: BaseException) -> str:
    """The warning for a reader that failed: what failed and how, one line, short."""
    detail = " ".join(str(exc).split())[:80]
    return (f"{what} could not be read ({type(exc).__name__}{': ' + detail if detail else ''}); skipped "
            "— an mlscorecard bug, please report it")


class TimeLimit(BaseException):
    """A reader ran past its time limit (raised from the SIGALRM handler of `time_limit`). A
    BaseException, so the `except Exception` of a reader cannot swallow it: only `reading`,
    around that reader, turns it into a warning."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than {seconds:g} s")
        self.seconds = seconds


@contextmanager
def time_limit(seconds: float):
    """Interrupt the block with TimeLimit after `seconds` of wall time. Python code and regular
    expressions are interrupted (the regex engine checks for signals); a C call that never returns
    to the interpreter is not, which is why native parsers run in `engine/isolation.py`'s child.
    Only the main thread can take signals; elsewhere (an audit run from a thread) no clock runs.
    Inside another limit, that one stays the only clock."""
    if (seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread()
            or signal.getitimer(signal.ITIMER_REAL)[0]):
        yield
        return

    def expired(signum, frame):
        raise TimeLimit(seconds)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
