"""Time a cold and a warm audit of one repository and print files/s.

    python benchmarks/audit_speed.py PATH [--rev REV] [--jobs N] [--repeat K]

Cold: an empty cache directory (every selected file is parsed). Warm: the same cache again
(per-blob results are reused; only listing, reading, CI and history work remain).
Results go to stdout as a small table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mlscorecard.audit import run_audit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--rev", default=None)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3, help="warm runs to take the median of")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        cold = run_audit(args.path, args.rev, cache_dir=Path(cache), jobs=args.jobs)
        cold_s = time.perf_counter() - t0
        warm_times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            warm = run_audit(args.path, args.rev, cache_dir=Path(cache), jobs=args.jobs)
            warm_times.append(time.perf_counter() - t0)
    warm_s = statistics.median(warm_times)
    files = cold.stats["files"]
    print(f"repository   {args.path} @ {cold.commit or 'working tree'}")
    print(f"files        {files} ({cold.stats['python_files']} .py, {cold.stats['parsed']} parsed after the pre-filter)")
    print(f"cold audit   {cold_s:8.2f} s   {files / cold_s:10.0f} files/s")
    print(f"warm audit   {warm_s:8.2f} s   {files / warm_s:10.0f} files/s   "
          f"({warm.stats['parsed_from_cache']} files from cache, median of {args.repeat})")
    print(f"scores       ML Test Score {cold.rubrics['ml-test-score'].score}, robustness {cold.rubrics['robustness'].score}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
