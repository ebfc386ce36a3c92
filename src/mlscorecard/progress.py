"""A progress line on stderr for long audits: the stage and files analysed so far. Shown only on
a terminal (the caller decides); redrawn at most ten times a second; cleared when done."""

from __future__ import annotations

import time


class Progress:
    def __init__(self, stream, enabled: bool) -> None:
        self.stream, self.enabled = stream, enabled
        self._stage, self._last, self._shown = "", 0.0, False

    def stage(self, name: str) -> None:
        self._stage = name
        self._draw(name, force=True)

    def files(self, done: int, total: int) -> None:
        if total:
            self._draw(f"{self._stage} {done}/{total} files")

    def _draw(self, text: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        self.stream.write(f"\r\x1b[2Kmlscorecard: {text}")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


class NoProgress(Progress):
    def __init__(self) -> None:
        super().__init__(None, False)
