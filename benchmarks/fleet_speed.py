"""Fleet throughput: repositories per minute on real repositories (local bare mirrors), with the
time split into clone/fetch, analysis and database writes, and the peak memory of the whole run
(the client and every audit process it started, sampled together).

    python benchmarks/fleet_speed.py [--mirrors '/work/.mirror/*/repo'] [--count 20] [--workers 2] [--as urls|paths]

With --as urls (the default) each mirror is given as a file:// URL, so the first (cold) run really
clones it bare into an empty cache and audits it with an empty per-file cache (a mirror whose
objects are incomplete fails to clone, and is reported as failed); with --as paths the mirrors
are audited in place (no clone: the analysis alone). the second (warm) run fetches each clone and
finds every HEAD unchanged, which is what a weekly run costs for repositories nobody touched.
Results go to stdout; nothing is asserted.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import tempfile
import threading
from pathlib import Path

from mlscorecard.fleet.manifest import entries_from_args
from mlscorecard.fleet.runner import run_fleet
from mlscorecard.fleet.store import Store


def _tree_rss(root: int) -> int:
    """Resident bytes of ROOT and all its descendants right now."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(parts[1]), []).append(int(entry))
            rss[int(entry)] = int(parts[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


class PeakMemory(threading.Thread):
    def __init__(self, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.interval, self.peak, self.stop = interval, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, _tree_rss(os.getpid()))
            self.stop.wait(self.interval)


def _measure(label: str, entries, store, workers: int, cache: Path) -> None:
    mem = PeakMemory()
    mem.start()
    summary = run_fleet(entries, store, workers=workers, cache_dir=cache, timeout=900)
    mem.stop.set()
    mem.join()
    n = summary.total
    print(f"{label:<5} {n} repositories in {summary.wall_seconds:7.1f} s = {n / summary.wall_seconds * 60:6.1f} repos/min "
          f"({summary.counts['ok']} audited, {summary.counts['unchanged']} unchanged, {summary.counts['failed']} failed)")
    print(f"      clone/fetch {summary.clone_seconds:7.1f} s   analysis {summary.analysis_seconds:7.1f} s   "
          f"database writes {summary.database_seconds:6.2f} s   (clone and analysis summed over {workers} workers)")
    print(f"      peak memory of the whole run {mem.peak / 2**20:7.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", default="/work/.mirror/*/repo")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--as", dest="mode", choices=["urls", "paths"], default="urls")
    args = parser.parse_args()
    mirrors = sorted(glob.glob(args.mirrors))[: args.count]
    if not mirrors:
        print(f"no repositories match {args.mirrors}", file=sys.stderr)
        return 2
    entries = entries_from_args([f"file://{m}" if args.mode == "urls" else m for m in mirrors])
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(str(Path(tmp) / "fleet.sqlite"))
        print(f"{len(entries)} mirrors as {args.mode}, {args.workers} workers, {os.cpu_count()} CPUs")
        _measure("cold", entries, store, args.workers, Path(tmp) / "cache")
        _measure("warm", entries, store, args.workers, Path(tmp) / "cache")
        failed = store.db.query("SELECT DISTINCT repo, reason FROM audits WHERE status = 'failed'")
        for repo, reason in failed:
            print(f"      failed: {repo}: {reason}")
        size = sum(p.stat().st_size for p in Path(tmp).glob("fleet.sqlite*"))
        print(f"      database size after both runs {size / 2**20:.1f} MiB")
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
