"""Errors that stop a whole audit. Anything smaller is an AuditWarning in the report."""


class UnusableInput(Exception):
    """The input cannot be audited at all (missing path, not a repository, bad revision).

    The CLI prints the message as one line on stderr and exits with status 2.
    """


class HeuristicsError(Exception):
    """A rule or rubric file under heuristics/ is malformed. A bug in mlscorecard, not in the audited repo."""
