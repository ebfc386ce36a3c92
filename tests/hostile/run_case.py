"""Audit one hostile case in every format, in one process of its own (run by test_hostile_corpus).

    [HOSTILE_REVS=HEAD~1,HEAD~2] python run_case.py TARGET OUTDIR CACHE_DIR [AUDIT OPTIONS...]

Writes OUTDIR/<format> for each format and OUTDIR/summary.json: per format the exit code, what
went to stderr and any exception that escaped the command; the peak memory of this process and
of the largest process it started (KiB, summed), and the wall time.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import traceback
from pathlib import Path

from click.testing import CliRunner

from mlscorecard.cli import main as cli

FORMATS = ("json", "terminal", "markdown", "html", "sarif")


def run(target: str, outdir: Path, cache: str, options: list[str]) -> dict:
    start = time.perf_counter()
    summary: dict = {"formats": {}}
    runner = CliRunner()
    for fmt in FORMATS:
        out = outdir / fmt
        args = ["audit", target, "--format", fmt, "--cache-dir", cache, *options]
        if fmt != "terminal":
            args += ["-o", str(out)]
        res = runner.invoke(cli, args, catch_exceptions=True)
        if fmt == "terminal":
            out.write_bytes(res.stdout_bytes)
        escaped = None
        if res.exception is not None and not isinstance(res.exception, SystemExit):
            escaped = "".join(traceback.format_exception(*res.exc_info))
        summary["formats"][fmt] = {"exit": res.exit_code, "stderr": res.stderr_bytes.decode("utf-8", "replace"),
                                   "exception": escaped}
    for rev in filter(None, os.environ.get("HOSTILE_REVS", "").split(",")):
        for fmt in ("json", "markdown"):
            res = runner.invoke(cli, ["audit", target, "--rev", rev, "--format", fmt, "--cache-dir", cache, *options,
                                      "-o", str(outdir / f"{fmt}@{rev}")], catch_exceptions=True)
            escaped = None
            if res.exception is not None and not isinstance(res.exception, SystemExit):
                escaped = "".join(traceback.format_exception(*res.exc_info))
            summary["formats"][f"{fmt}@{rev}"] = {"exit": res.exit_code, "exception": escaped,
                                                  "stderr": res.stderr_bytes.decode("utf-8", "replace")}
    summary["seconds"] = time.perf_counter() - start
    # this process's peak plus the largest peak of the processes it started (workers, git): an
    # upper bound of the tree's peak when one child runs at a time, near it with a pool of two
    summary["max_rss_kib"] = _own_peak_kib() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return summary


def _own_peak_kib() -> int:
    """This process's peak RSS since it started running this program. Linux's ru_maxrss also
    keeps the peak of the image before exec — the forked pytest process that started us, whose
    size grows with every test that ran before — so it is read from VmHWM, which exec resets."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    target, outdir, cache, *options = sys.argv[1:]
    Path(outdir).mkdir(parents=True, exist_ok=True)
    result = run(target, Path(outdir), cache, options)
    (Path(outdir) / "summary.json").write_text(json.dumps(result, indent=1))
