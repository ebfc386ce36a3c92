"""A throw-away PostgreSQL server for the tests: initdb and pg_ctl in a temporary directory, on a
free loopback port, as an unprivileged user when run as root (postgres refuses to run as root).
`start()` returns None with the reason when the binaries are not there."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Server:
    directory: Path
    port: int
    user: str | None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        _run(self.user, ["pg_ctl", "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop"], check=False)
        shutil.rmtree(self.directory, ignore_errors=True)


def _run(user: str | None, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess:
    full = ["runuser", "-u", user, "--", *cmd] if user else cmd
    return subprocess.run(full, check=check, capture_output=True, text=True, timeout=120)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def why_not() -> str | None:
    for tool in ("initdb", "pg_ctl"):
        if not shutil.which(tool):
            return f"PostgreSQL's {tool} is not on PATH (apt-get install postgresql; see the fleet README section)"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "running as root and runuser is missing: postgres cannot be started as root"
    return None


def start() -> Server:
    user = None
    if os.geteuid() == 0:
        names = {p.pw_name for p in pwd.getpwall()}
        user = "postgres" if "postgres" in names else "nobody"
    directory = Path(tempfile.mkdtemp(prefix="mlscorecard-pg-"))
    if user:
        entry = pwd.getpwnam(user)
        os.chown(directory, entry.pw_uid, entry.pw_gid)
    server = Server(directory, _free_port(), user)
    _run(user, ["initdb", "-D", str(directory / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
    opts = f"-p {server.port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    _run(user, ["pg_ctl", "-D", str(directory / "data"), "-l", str(directory / "log"), "-o", opts, "-w", "start"])
    return server
