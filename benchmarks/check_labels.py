"""Check hand-made label files against the calibration format before they are used.

    python benchmarks/check_labels.py FILE_OR_DIR [FILE_OR_DIR ...]

A label file (`../shared/calibration/README.md`) names the repository and a full commit, calls
every one of the 28 ML Test Score items none / manual / automated and scores every one of the 22
robustness sub-categories 0-4, each with a note; evidence is a list of `path:line` (or a bare
path where a whole file is the evidence); the facts' seed lines are `path:line` too. A file that
breaks any of this would be scored wrongly and silently by `accuracy.py`, so this prints one
line per problem and exits 1 if there is any (0 when every file is well formed). The test suite
runs it on every label in the project.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from mlscorecard.heuristics import load_heuristics

LEVELS = ("none", "manual", "automated")
REF = re.compile(r"^[^\s:][^:]*:\d+$")
FILE_REF = re.compile(r"^[^\s:][^:]*[^\s:]$")  # a whole file, where no one line is the evidence
COMMIT = re.compile(r"^[0-9a-f]{40}$")
REPO = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def problems(path: Path, heur=None) -> list[str]:
    """Every way the label file at `path` breaks the format, as readable sentences."""
    heur = heur or load_heuristics()
    try:
        label = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [f"cannot be read as YAML: {exc.__class__.__name__}"]
    if not isinstance(label, dict):
        return ["is not a mapping"]
    out = []
    repo = str(label.get("repo", ""))
    if not REPO.match(repo):
        out.append(f"repo {repo!r} is not OWNER/NAME")
    elif path.stem != repo.replace("/", "+"):
        out.append(f"file name should be {repo.replace('/', '+')}.yaml")
    if not COMMIT.match(str(label.get("commit", ""))):
        out.append("commit is not a full 40-hex id")
    pr = (label.get("history") or {}).get("pr_fraction_last_200")
    if pr is not None and not (isinstance(pr, (int, float)) and 0 <= pr <= 1):
        out.append(f"history.pr_fraction_last_200 {pr!r} is not a fraction")
    for rubric_id, key, valid in (
        ("ml-test-score", "level", lambda v: v in LEVELS),
        ("robustness", "score", lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 4),
    ):
        calls = label.get(rubric_id)
        if not isinstance(calls, dict):
            out.append(f"{rubric_id} is missing")
            continue
        wanted = set(heur.rubrics[rubric_id].items)
        for item in sorted(wanted - set(calls)):
            out.append(f"{rubric_id} {item} is missing")
        for item in sorted(set(calls) - wanted):
            out.append(f"{rubric_id} {item} is not an item of the rubric")
        for item, call in calls.items():
            if item not in wanted:
                continue
            if not isinstance(call, dict):
                out.append(f"{item} is not a mapping")
                continue
            if not valid(call.get(key)):
                out.append(f"{item} {key} {call.get(key)!r} is not valid")
            if not str(call.get("note") or "").strip():
                out.append(f"{item} has no note")
            evidence = call.get("evidence") or []
            if not isinstance(evidence, list):
                out.append(f"{item} evidence is not a list")
                continue
            for ref in evidence:
                if not (REF.match(str(ref)) or FILE_REF.match(str(ref))):
                    out.append(f"{item} evidence {ref!r} is not path:line or a path")
    seeds = (label.get("facts") or {}).get("seeds") or []
    for ref in seeds if isinstance(seeds, list) else [seeds]:
        if not REF.match(str(ref)):
            out.append(f"facts.seeds {ref!r} is not path:line")
    return out


def label_files(args: list[str]) -> list[Path]:
    files = []
    for arg in args:
        p = Path(arg)
        files.extend(sorted(p.glob("*.yaml")) if p.is_dir() else [p])
    return files


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: check_labels.py FILE_OR_DIR [FILE_OR_DIR ...]", file=sys.stderr)
        return 2
    heur = load_heuristics()
    bad = 0
    files = label_files(args)
    for path in files:
        for problem in problems(path, heur):
            print(f"{path}: {problem}")
            bad += 1
    print(f"{len(files)} label files, {bad} problems", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
