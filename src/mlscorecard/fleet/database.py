"""A thin connection layer over SQLite (default) and PostgreSQL (psycopg 3), so the store writes
one SQL text for both: `?` placeholders (turned into `%s` for psycopg), `{blob}`/`{real}` type
names, and explicit transactions.

SQLite runs in WAL mode with a long busy timeout, and every write transaction starts with
`BEGIN IMMEDIATE`: two writers queue for the write lock instead of failing half-way, and a
reader never blocks a writer. PostgreSQL gives the same guarantees with ordinary transactions.
"""

from __future__ import annotations

import re
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

BUSY_TIMEOUT_SECONDS = 120


class DatabaseError(Exception):
    """The database cannot be opened or is not ours; the message fits one stderr line."""


def redact_dsn(url: str) -> str:
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


class Transaction:
    """The cursor of one transaction, with the placeholder style translated."""

    def __init__(self, cursor, translate) -> None:
        self._cursor = cursor
        self._translate = translate

    def execute(self, sql: str, params: tuple = ()) -> int:
        self._cursor.execute(self._translate(sql), params)
        return self._cursor.rowcount

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        self._cursor.execute(self._translate(sql), params)
        return list(self._cursor.fetchall())


class SqliteDatabase:
    dialect = "sqlite"
    types = {"blob": "BLOB", "real": "REAL"}

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None,
                                        check_same_thread=False)
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
            mode = self._set_wal()
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute("PRAGMA foreign_keys = ON")
        except (sqlite3.Error, OSError) as exc:
            raise DatabaseError(f"{path}: cannot open the database ({exc})") from None
        if mode.lower() != "wal":
            raise DatabaseError(f"{path}: the database cannot use write-ahead logging (journal mode {mode})")

    def _set_wal(self) -> str:
        """Switching a new file to WAL needs a moment alone with it, and SQLite reports a second
        opener as busy at once instead of waiting: wait here, as the busy timeout would."""
        deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
        while True:
            try:
                return self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _translate(self, sql: str) -> str:
        return sql.format(**self.types) if "{" in sql else sql

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield Transaction(cur, self._translate)
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return list(self.conn.execute(self._translate(sql), params).fetchall())

    def lock_schema(self, tx: Transaction) -> None:
        """BEGIN IMMEDIATE already holds the only write lock."""

    def tables(self) -> set[str]:
        return {r[0] for r in self.query("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def close(self) -> None:
        self.conn.close()


class PostgresDatabase:
    dialect = "postgresql"
    types = {"blob": "BYTEA", "real": "DOUBLE PRECISION"}

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise DatabaseError("a PostgreSQL --db needs psycopg: pip install 'mlscorecard[fleet]'") from None
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=20)
        except psycopg.Error as exc:
            first = (str(exc).strip().splitlines() or ["connection failed"])[0]
            raise DatabaseError(f"{redact_dsn(url)}: cannot connect ({redact_dsn(first)})") from None

    def _translate(self, sql: str) -> str:
        sql = sql.format(**self.types) if "{" in sql else sql
        return sql.replace("%", "%%").replace("?", "%s")

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self.conn.transaction():
            with self.conn.cursor() as cur:
                yield Transaction(cur, self._translate)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.conn.cursor() as cur:
            cur.execute(self._translate(sql), params)
            return list(cur.fetchall())

    def lock_schema(self, tx: Transaction) -> None:
        """Two clients migrating one database at once take turns."""
        tx.query("SELECT pg_advisory_xact_lock(7265637)")

    def tables(self) -> set[str]:
        return {r[0] for r in self.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}

    def close(self) -> None:
        self.conn.close()


def connect(target: str):
    """`postgresql://...` (or `postgres://`) through psycopg; anything else is a SQLite file."""
    if target.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(target)
    return SqliteDatabase(Path(target))
