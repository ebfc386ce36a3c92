"""The audit's cost as a multiple of the floor, measured side by side in one run.

    python benchmarks/speed_vs_floor.py PATH [PATH ...] [--rounds K] [--back N] [--jobs J]

For each repository, K rounds of whole-process runs, each audit paired with a floor run
(`benchmarks/floor.py`) taken just before it, so machine noise hits both alike:

- cold:   an empty cache directory
- warm:   the same cache again, same commit (the whole result is remembered: audit_memo.py)
- files:  warm again, with MLSCORECARD_REMEMBER=0: every file's analysis from the cache, every
          detector, the scoring and the report computed again
- HEAD~N: a commit N first-parent steps back, on a cache warm from HEAD only (the second side of
          a pull request)

Each ratio is audit time / floor time of its pair; the median over rounds is printed. Peak
memory is the largest sum of PSS (proportional set size, so shared pages are not counted twice)
over the audit's whole process tree (workers included), sampled every 20 ms from /proc (Linux
only; elsewhere it prints n/a), in one more cold audit after the timed rounds: the sampler walks
/proc fifty times a second, and on a two-core machine that took 5-8% off the timed audit it
watched. Nothing is asserted: these are measurements, not tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _children(pid: int) -> list[int]:
    """pid and all its descendants, from /proc/*/stat."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(parents.get(p, []))
    return tree


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# Both sides run as an installed tool runs: with compiled bytecode. A sandbox that sets
# PYTHONDONTWRITEBYTECODE would otherwise recompile every module of an editable install on
# every run (about 0.15 s per audit, more than the whole warm work on a mid-sized repository).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
NO_MEMO = {"MLSCORECARD_REMEMBER": "0"}  # a warm audit through the per-file cache, not a remembered result


def warm_bytecode() -> None:
    """Compile every module of the tool once, before anything is timed, as an installed package
    has them (the modules an audit imports lazily too: a stale .pyc costs a compile per run)."""
    subprocess.run([sys.executable, "-c", "import compileall, os, mlscorecard; "
                    "compileall.compile_dir(os.path.dirname(mlscorecard.__file__), quiet=1)"],
                   env=ENV, check=True)


def timed(cmd: list[str], sample_memory: bool = False, env: dict | None = None) -> tuple[float, int | None]:
    """Wall time of a whole process (and its children), and its tree's peak PSS in KiB."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**ENV, **(env or {})})
    peak: list[int] = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], sum(_pss_kib(p) for p in _children(proc.pid)))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True) if sample_memory and os.path.isdir("/proc") else None
    if sampler:
        sampler.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - t0
    stop.set()
    if sampler:
        sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode(errors='replace')[-500:]}")
    return elapsed, (peak[0] if sampler else None)


def floor_cmd(path: str, rev: str) -> list[str]:
    return [sys.executable, str(HERE / "floor.py"), path, "--rev", rev]


def audit_cmd(path: str, rev: str, cache: str, jobs: int | None) -> list[str]:
    cmd = [sys.executable, "-m", "mlscorecard", "audit", path, "--rev", rev, "--format", "json",
           "-o", os.devnull, "--cache-dir", cache]
    return cmd + (["--jobs", str(jobs)] if jobs else [])


def rev_back(path: str, n: int) -> str | None:
    try:
        out = subprocess.run(["git", "-C", path, "rev-list", "--first-parent", f"--max-count={n + 1}", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.split()
    except subprocess.CalledProcessError:
        return None
    return out[n] if len(out) > n else None


def measure(path: str, rounds: int, back: int, jobs: int | None) -> dict[str, object]:
    head = subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    older = rev_back(path, back)
    ratios: dict[str, list[float]] = {"cold": [], "warm": [], "files": [], f"HEAD~{back}": []}
    times: dict[str, list[float]] = {k: [] for k in ("floor", *ratios)}
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as cache:
            f, _ = timed(floor_cmd(path, head))
            a, _ = timed(audit_cmd(path, head, cache, jobs))
            ratios["cold"].append(a / f)
            times["floor"].append(f)
            times["cold"].append(a)
            f, _ = timed(floor_cmd(path, head))
            a, _ = timed(audit_cmd(path, head, cache, jobs))
            ratios["warm"].append(a / f)
            times["warm"].append(a)
            f, _ = timed(floor_cmd(path, head))
            a, _ = timed(audit_cmd(path, head, cache, jobs), env=NO_MEMO)
            ratios["files"].append(a / f)
            times["files"].append(a)
            if older:
                f, _ = timed(floor_cmd(path, older))
                a, _ = timed(audit_cmd(path, older, cache, jobs))
                ratios[f"HEAD~{back}"].append(a / f)
                times[f"HEAD~{back}"].append(a)
    with tempfile.TemporaryDirectory() as cache:  # memory, untimed (see the module's docstring)
        _, peak = timed(audit_cmd(path, head, cache, jobs), sample_memory=True)
    files = subprocess.run(["git", "-C", path, "ls-tree", "-r", "--name-only", "HEAD"], capture_output=True,
                           text=True, check=True).stdout.count("\n")
    return {"path": path, "files": files, "ratios": ratios, "times": times, "peak_kib": peak}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--back", type=int, default=10, help="the older commit: HEAD~N (default 10)")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    warm_bytecode()
    print(f"{'repository':38} {'files':>6} {'floor s':>8} {'cold s':>8} {'cold x':>7} {'warm x':>7} "
          f"{'files x':>7} {'HEAD~' + str(args.back) + ' x':>9} {'peak MiB':>9}")
    for path in args.paths:
        r = measure(path, args.rounds, args.back, args.jobs)
        med = {k: (statistics.median(v) if v else float("nan")) for k, v in r["ratios"].items()}
        mem = f"{r['peak_kib'] / 1024:.0f}" if r["peak_kib"] is not None else "n/a"
        name = Path(path).resolve().parent.name if Path(path).name == "repo" else Path(path).name
        print(f"{name[:38]:38} {r['files']:>6} {statistics.median(r['times']['floor']):8.2f} "
              f"{statistics.median(r['times']['cold']):8.2f} {med['cold']:7.1f} {med['warm']:7.2f} {med['files']:7.2f} "
              f"{med[f'HEAD~{args.back}']:9.2f} {mem:>9}", flush=True)
    print(f"(median of {args.rounds} paired rounds; ratio = audit wall time / floor wall time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
