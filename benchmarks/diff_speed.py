"""Time `diff` of a one-file change next to a warm full audit of the same repository, in one run.

    python benchmarks/diff_speed.py PATH [--head REV] [--rounds K] [--jobs N]

The change: the nearest first-parent commit at or before --head (default HEAD) that touches
exactly one file, diffed against its parent. First both revisions are audited once into a fresh
cache (not timed), so every round is warm, as in CI with a restored cache. Then K paired rounds,
each timing a warm full audit of the head revision, a diff of base..head as the command runs it
(both sides at once when a second CPU is free, see bot/audits.py), and the same diff with the
sides one after the other, in rotating order so none always runs first. Medians and ratios are
printed with the load average (on a busy machine the side-by-side diff has no free CPU);
nothing is asserted (the issue's target: diff <= 1.5 x warm audit).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mlscorecard.audit import run_audit
from mlscorecard.bot.audits import diff_revisions


def one_file_change(path: str, head: str, look_back: int = 200) -> str:
    """The newest first-parent commit at or before `head` whose change touches one file."""
    shas = subprocess.run(["git", "-C", path, "rev-list", "--first-parent", f"--max-count={look_back}", head],
                          check=True, capture_output=True, text=True).stdout.split()
    for sha in shas:
        names = subprocess.run(["git", "-C", path, "diff-tree", "--no-commit-id", "-r", "--name-only", f"{sha}^", sha],
                               check=True, capture_output=True, text=True).stdout.split("\n")
        if len([n for n in names if n]) == 1:
            return sha
    raise SystemExit(f"no one-file commit in the last {look_back} first-parent commits of {head}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--head", default="HEAD")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()

    head = one_file_change(args.path, args.head)
    base = subprocess.run(["git", "-C", args.path, "rev-parse", f"{head}^"], check=True, capture_output=True,
                          text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        t0 = time.perf_counter()
        diff_revisions(args.path, base, head, cache, args.jobs)  # fills the cache for both sides
        cold_s = time.perf_counter() - t0
        times: dict[str, list[float]] = {"audit": [], "diff": [], "sequential": []}
        steps = [("audit", lambda: run_audit(args.path, head, cache_dir=cache, jobs=args.jobs)),
                 ("diff", lambda: diff_revisions(args.path, base, head, cache, args.jobs)),
                 ("sequential", lambda: diff_revisions(args.path, base, head, cache, args.jobs, parallel=False))]
        for round_no in range(args.rounds):
            for name, step in steps[round_no % 3:] + steps[:round_no % 3]:
                t0 = time.perf_counter()
                result = step()
                times[name].append(time.perf_counter() - t0)
                if name == "diff":
                    diff = result
    audits, diffs, sequential = times["audit"], times["diff"], times["sequential"]
    audit_s, diff_s, seq_s = (statistics.median(t) for t in (audits, diffs, sequential))
    print(f"repository      {args.path}")
    print(f"change          {base[:12]}..{head[:12]} (one file; {len(diff['evidence']['gained'])} evidence gained, "
          f"{len(diff['evidence']['lost'])} lost, {len(diff['evidence']['moved'])} moved)")
    print(f"cold diff       {cold_s:8.3f} s   (fills the cache; not compared)")
    print(f"warm audit      {audit_s:8.3f} s   median of {args.rounds} (min {min(audits):.3f}, max {max(audits):.3f})")
    print(f"warm diff       {diff_s:8.3f} s   median of {args.rounds} (min {min(diffs):.3f}, max {max(diffs):.3f})")
    print(f"one after other {seq_s:8.3f} s   median of {args.rounds} (min {min(sequential):.3f}, max {max(sequential):.3f})")
    print(f"ratio           {diff_s / audit_s:8.2f} x   diff / warm audit (target <= 1.5)")
    print(f"ratio, serial   {seq_s / audit_s:8.2f} x   sides one after the other / warm audit")
    print(f"load average    {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
