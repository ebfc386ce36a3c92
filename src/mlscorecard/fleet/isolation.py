"""Run one audit in a child process that can be killed: the per-repository timeout, and the
reason a repository failed when its audit hung or its process died.

This function is what a worker runs, in a local thread pool or on a Dask worker: it only waits
on its child, so a thread per slot costs nothing, and the same code serves both engines.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from ..safety.escaping import neutralise
from .sources import redact_url

KILL_GRACE_SECONDS = 5
_LIVE: set[subprocess.Popen] = set()


def kill_all() -> None:
    """Stop every audit this process started (the client was interrupted)."""
    for proc in list(_LIVE):
        _kill(proc)


def _child_environment() -> dict[str, str]:
    package_root = str(Path(__file__).resolve().parent.parent.parent)
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": package_root + (os.pathsep + path if path else ""),
            "MLSCORECARD_FLEET_PARENT": str(os.getpid())}


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the child and any git process it started
    except (ProcessLookupError, PermissionError):
        proc.kill()


def run_isolated(task: dict, timeout: float) -> dict:
    """The outcome dict of `child.audit_task`, or a failed outcome saying why there is none."""
    # -P and cwd="/": a directory named mlscorecard in the current directory (an audited checkout?)
    # can never shadow the package
    proc = subprocess.Popen([sys.executable, "-P", "-m", "mlscorecard.fleet.child"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_child_environment(),
                            cwd="/", start_new_session=True)
    _LIVE.add(proc)
    try:
        out, err = proc.communicate(json.dumps(task).encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.communicate(timeout=KILL_GRACE_SECONDS)
        return {"status": "failed", "reason": f"timed out after {timeout:g} s; the audit was stopped", "timings": {}}
    finally:
        _LIVE.discard(proc)
    if proc.returncode == 0 and out:
        try:
            return json.loads(out)
        except ValueError:
            pass
    lines = [ln for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
    last = neutralise(redact_url(lines[-1].strip()))[:160] if lines else ""
    code = proc.returncode
    try:
        how = f"killed by signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
    except ValueError:
        how = f"killed by signal {-code}"
    return {"status": "failed", "reason": f"the audit process died ({how}){': ' + last if last else ''}", "timings": {}}
