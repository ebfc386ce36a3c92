"""The result cache: per-file analyses by blob, repository-level detector results with what they
read (memo.py), history by commit, whole audits by everything they depend on (audit_memo.py).
One SQLite file under $XDG_CACHE_HOME/mlscorecard (or
--cache-dir).

Every key starts with the namespace: the tool version, the heuristics' digest and a digest of
the engine's own source (audit.code_digest), so results from other heuristics or other code are
never reused. A per-file key is the blob sha *and* the path: a file's contexts, relative imports
and the rules' path globs depend on where it is. A cache that cannot be opened, read or written
is a warning in the report, never the end of an audit.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import zlib
from pathlib import Path
from typing import Any

_BATCH = 500  # keys per SELECT ... IN (...)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mlscorecard"


def file_key(path: str, sha: str) -> str:
    return hashlib.sha1(f"{sha}\0{path}".encode("utf-8", "surrogateescape")).hexdigest()


class BlobCache:
    def __init__(self, directory: Path | None, namespace: str) -> None:
        self.namespace = namespace
        self.conn: sqlite3.Connection | None = None
        self.error: str | None = None
        self.hits = 0  # per-file analyses found
        self.misses = 0  # per-file analyses computed
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

    def _key(self, kind: str, key: str) -> str:
        return f"{self.namespace}:{kind}:{key}"

    def _fetch(self, keys: list[str]) -> dict[str, str]:
        if self.conn is None or not keys:
            return {}
        out: dict[str, str] = {}
        try:
            for i in range(0, len(keys), _BATCH):
                chunk = keys[i:i + _BATCH]
                rows = self.conn.execute(
                    f"SELECT key, value FROM blobs WHERE key IN ({','.join('?' * len(chunk))})", chunk).fetchall()
                out.update(rows)
        except sqlite3.Error as exc:
            self.error = f"cache not read: {exc}"
            return {}
        return out

    # ------------------------------------------------------------------ per-file analyses
    def get_files(self, keys: dict[str, str]) -> dict[str, Any]:
        """{path: analysis} for the paths whose key ({path: file_key}) is stored."""
        full = {self._key("file", k): p for p, k in keys.items()}
        rows = self._fetch(list(full))
        out = {full[k]: json.loads(v) for k, v in rows.items()}
        self.hits += len(out)
        return out

    def put_file(self, key: str, value: Any) -> None:
        self.misses += 1
        if self.conn is not None:
            self._pending.append((self._key("file", key), json.dumps(value, separators=(",", ":"))))

    # ------------------------------------------------------------------ other results
    def get(self, kind: str, key: str | None) -> Any | None:
        if self.conn is None or key is None:
            return None
        row = self._fetch([self._key(kind, key)])
        return json.loads(next(iter(row.values()))) if row else None

    def put(self, kind: str, key: str | None, value: Any) -> None:
        if self.conn is not None and key is not None:
            self._pending.append((self._key(kind, key), json.dumps(value, separators=(",", ":"))))

    def get_packed(self, kind: str, key: str) -> Any | None:
        """A large value stored compressed (a whole audit's result: audit_memo.py)."""
        row = self._fetch([self._key(kind, key)]) if self.conn is not None else {}
        if not row:
            return None
        try:
            return json.loads(zlib.decompress(next(iter(row.values()))))
        except (TypeError, ValueError, zlib.error):
            return None

    def put_packed_kept(self, kind: str, key: str, value: Any, slot_kind: str, slot: str, kept: int) -> None:
        """Store a packed value and keep only the `kept` newest of its slot (a list of keys
        under slot_kind:slot), in one write transaction: two audits finishing at once (a pull
        request's two sides) neither lose a key nor leave one behind."""
        if self.conn is None:
            return
        packed = zlib.compress(json.dumps(value, separators=(",", ":")).encode(), 1)
        slot_key = self._key(slot_kind, slot)
        try:
            if self.conn.in_transaction:
                self.conn.commit()
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                row = self.conn.execute("SELECT value FROM blobs WHERE key = ?", (slot_key,)).fetchone()
                keys = [k for k in (json.loads(row[0]) if row else []) if k != key]
                for old in keys[kept - 1:]:
                    self.conn.execute("DELETE FROM blobs WHERE key = ?", (self._key(kind, old),))
                self.conn.executemany("INSERT OR REPLACE INTO blobs (key, value) VALUES (?, ?)", [
                    (self._key(kind, key), packed),  # SQLite keeps bytes as a BLOB
                    (slot_key, json.dumps([key, *keys[:kept - 1]]))])
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        except (sqlite3.Error, ValueError) as exc:
            self.error = f"cache not written: {exc}"

    def get_memo(self, key: str) -> Any | None:
        return self.get("memo", hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest())

    def put_memo(self, key: str, value: Any) -> None:
        self.put("memo", hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest(), value)

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
