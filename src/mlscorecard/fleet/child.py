"""One repository's audit, in a process of its own: `python -m mlscorecard.fleet.child`.

The task arrives as JSON on stdin and the outcome leaves as JSON on stdout, so the parent can
kill a hung audit at its deadline and notice a crashed one (no outcome). Nothing here writes a
database: the client alone does.

Fault injection for the tests, honoured only here: MLSCORECARD_TEST_FLEET_HANG_ON=NAME makes the
audit of repository NAME hang, MLSCORECARD_TEST_FLEET_CRASH_ON=NAME makes its process die.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

HANG_ON = "MLSCORECARD_TEST_FLEET_HANG_ON"
CRASH_ON = "MLSCORECARD_TEST_FLEET_CRASH_ON"


def _die_with_parent() -> None:
    """A client killed mid-run takes its audits with it (Linux), instead of leaving them running."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.environ.get("MLSCORECARD_FLEET_PARENT") and str(os.getppid()) != os.environ["MLSCORECARD_FLEET_PARENT"]:
        os._exit(1)


def _fault(name: str) -> None:
    if name in os.environ.get(HANG_ON, "").split(","):
        while True:
            time.sleep(3600)
    if name in os.environ.get(CRASH_ON, "").split(","):
        os.abort()


def audit_task(task: dict) -> dict:
    """Fetch (if a URL), resolve the commit, and audit unless the commit is the one already
    audited with the same tool and heuristics. Failures come back as a reason, never raised."""
    from ..audit import run_audit
    from ..cache import default_cache_dir
    from ..errors import HeuristicsError, UnusableInput
    from ..heuristics import load_heuristics
    from ..reports import render
    from .sources import SourceError, fetch_url, local_path, redact_url, resolve_commit

    timings = {"clone_seconds": 0.0, "analysis_seconds": 0.0}
    _fault(task["name"])
    t0 = t1 = time.perf_counter()
    try:
        cache_root = Path(task["cache_dir"]) if task.get("cache_dir") else default_cache_dir() / "fleet"
        path = str(fetch_url(task["source"], cache_root / "clones")) if task["is_url"] else local_path(task["source"])
        commit = resolve_commit(path, task.get("rev"))
        timings["clone_seconds"] = time.perf_counter() - t0
        if commit and commit == task.get("known_commit"):
            return {"status": "unchanged", "commit": commit, "timings": timings}
        t1 = time.perf_counter()
        result = run_audit(path, task.get("rev"), cache_dir=cache_root / "blobs", jobs=task.get("jobs") or 1,
                           confirmations=task.get("confirmations"))
        report = json.loads(render("json", result, load_heuristics()))
        timings["analysis_seconds"] = time.perf_counter() - t1
        return {"status": "ok", "commit": result.commit, "report": report, "timings": timings}
    except (SourceError, UnusableInput) as exc:
        reason = redact_url(str(exc))
    except HeuristicsError as exc:
        reason = f"bad heuristics: {exc}"
    except Exception as exc:  # noqa: BLE001 - a bug of ours fails this repository, not the fleet
        reason = f"internal error: {type(exc).__name__}: {redact_url(' '.join(str(exc).split()))[:200]}"
    phase = "analysis_seconds" if timings["clone_seconds"] else "clone_seconds"  # where the failure's time went
    timings[phase] = time.perf_counter() - (t1 if phase == "analysis_seconds" else t0)
    return {"status": "failed", "reason": reason, "timings": timings}


def main() -> None:
    _die_with_parent()
    task = json.loads(sys.stdin.read())
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing printed during the audit can corrupt the outcome
    outcome = audit_task(task)
    out.write(json.dumps(outcome))
    out.flush()


if __name__ == "__main__":
    main()
