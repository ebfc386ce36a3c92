"""Per-blob cache of detector results, keyed by blob sha, tool version, the heuristics' hash and
the hash of the detectors' source.

A re-audit of an unchanged repository (or the second side of a pull-request diff) re-parses
nothing. Stored in SQLite under $XDG_CACHE_HOME/mlscorecard (or --cache-dir). A cache that
cannot be opened or written is skipped with a warning; it never stops an audit.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mlscorecard"


class BlobCache:
    def __init__(self, directory: Path | None, namespace: str) -> None:
        self.namespace = namespace
        self.conn: sqlite3.Connection | None = None
        self.error: str | None = None
        self.hits = 0
        self.misses = 0
        self._pending: list[tuple[str, str]] = []
        if directory is None:
            return
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(str(directory / "cache.sqlite"), timeout=10)
            self.conn.execute("CREATE TABLE IF NOT EXISTS blobs (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        except (OSError, sqlite3.Error) as exc:
            self.error = f"cache disabled: {exc}"
            self.conn = None

    def _key(self, kind: str, sha: str) -> str:
        return f"{self.namespace}:{kind}:{sha}"

    def get(self, kind: str, sha: str | None) -> Any | None:
        if self.conn is None or sha is None:
            return None
        try:
            row = self.conn.execute("SELECT value FROM blobs WHERE key = ?", (self._key(kind, sha),)).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return json.loads(row[0])

    def put(self, kind: str, sha: str | None, value: Any) -> None:
        if self.conn is not None and sha is not None:
            self._pending.append((self._key(kind, sha), json.dumps(value)))

    def flush(self) -> None:
        if self.conn is None or not self._pending:
            return
        try:
            with self.conn:
                self.conn.executemany("INSERT OR REPLACE INTO blobs (key, value) VALUES (?, ?)", self._pending)
        except sqlite3.Error as exc:
            self.error = f"cache not written: {exc}"
        self._pending.clear()

    def close(self) -> None:
        self.flush()
        if self.conn is not None:
            self.conn.close()
