"""Progress of a fleet run on stderr: a bar redrawn in place on a terminal, one plain line per
repository otherwise (cron mail, CI logs), so the log says what happened to each repository."""

from __future__ import annotations

import sys
from typing import TextIO

from ..safety.escaping import neutralise


class Progress:
    def __init__(self, total: int, *, stream: TextIO | None = None, done: int = 0, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.total = total
        self.done = done
        self.enabled = enabled
        self.counts = {"ok": 0, "unchanged": 0, "failed": 0}
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def start(self, run_id: str, resumed: int) -> None:
        if not self.enabled:
            return
        extra = f", {resumed} already recorded" if resumed else ""
        self.stream.write(f"mlscorecard fleet: run {run_id}: {self.total} repositories{extra}\n")
        self.stream.flush()

    def update(self, name: str, status: str, detail: str) -> None:
        self.done += 1
        self.counts[status] = self.counts.get(status, 0) + 1
        if not self.enabled:
            return
        shown = neutralise(name)
        if self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            tally = " ".join(f"{k} {v}" for k, v in self.counts.items())
            line = f"\r[{'#' * filled}{'-' * (width - filled)}] {self.done}/{self.total} {tally}  {shown[:30]}"
            self.stream.write(line + "\x1b[K")
        else:
            self.stream.write(f"mlscorecard fleet: [{self.done}/{self.total}] {shown}: {status}"
                              f"{' — ' + neutralise(detail) if detail else ''}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()
