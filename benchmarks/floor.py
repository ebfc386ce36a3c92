"""The floor: the least work any audit of a repository must do, as a process of its own.

    python benchmarks/floor.py PATH [--rev REV]

List the tracked files at the commit (``git ls-tree``), read every blob (one ``git cat-file
--batch``), parse every YAML file with PyYAML's C loader, and run one ``git log`` of the last
200 first-parent commits with the files they touched (what the history detector reads). A
plain directory is walked and read from disk instead, without history.

`benchmarks/speed_vs_floor.py` runs this beside the audit and reports the audit's time as a
multiple of it. Prints what it read; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import yaml

try:
    Loader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    Loader = yaml.SafeLoader


def _git(root: str, *args: str, input: bytes | None = None) -> bytes:
    return subprocess.run(["git", "-C", root, *args], input=input, capture_output=True, check=True).stdout


def _is_git(root: str) -> bool:
    try:
        _git(root, "rev-parse", "--git-dir")
        return True
    except subprocess.CalledProcessError:
        return False


def read_git(root: str, rev: str) -> tuple[int, int, list[tuple[str, bytes]]]:
    listing = _git(root, "ls-tree", "-r", "-z", rev)
    shas, paths = [], []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, otype, sha = meta.split()
        if otype == b"blob" and mode != b"120000":
            shas.append(sha)
            paths.append(path.decode("utf-8", "surrogateescape"))
    out = _git(root, "cat-file", "--batch", input=b"\n".join(shas) + b"\n")
    blobs, pos = [], 0
    for path in paths:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].split()
        if header[-1] == b"missing":  # a stripped mirror lacks some objects
            pos = header_end + 1
            continue
        size = int(header[2])
        data = out[header_end + 1: header_end + 1 + size]
        pos = header_end + 1 + size + 1
        blobs.append((path, data))
    _git(root, "log", "--first-parent", "--name-only", "--no-renames", "-n200", "--format=%H%x1f%an%x1f%ae%x1f%B", rev)
    return len(paths), sum(len(d) for _, d in blobs), blobs


def read_directory(root: str) -> tuple[int, int, list[tuple[str, bytes]]]:
    blobs = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            full = os.path.join(dirpath, name)
            if os.path.isfile(full) and not os.path.islink(full):
                with open(full, "rb") as fh:
                    blobs.append((os.path.relpath(full, root), fh.read()))
    return len(blobs), sum(len(d) for _, d in blobs), blobs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--rev", default="HEAD")
    args = parser.parse_args()
    files, size, blobs = read_git(args.path, args.rev) if _is_git(args.path) else read_directory(args.path)
    parsed = 0
    for path, data in blobs:
        if path.endswith((".yml", ".yaml")):
            try:
                list(yaml.load_all(data, Loader=Loader))
                parsed += 1
            except yaml.YAMLError:
                pass
    print(f"{files} files, {size} bytes, {parsed} YAML documents parsed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
