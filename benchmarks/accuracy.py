"""How close the audit comes to a careful reviewer, on hand-labelled real repositories.

    python benchmarks/accuracy.py LABELS_DIR [LABELS_DIR ...] [--mirrors DIR] [--index FILE]
                                  [--items] [--sections] [--json OUT] [--no-cache]

Each LABELS_DIR holds `OWNER+NAME.yaml` files in the calibration format
(`../shared/calibration/README.md`): the repository, the labelled commit, a level for each of
the 28 ML Test Score items, a score for each of the 22 robustness sub-categories, the seed lines
and the history's pull-request fraction. Each repository is audited at its labelled commit,
read from a local mirror or checkout: `--index FILE` (YAML, `OWNER/NAME: path`) or
`--mirrors DIR` (holding `OWNER+NAME/repo` or `OWNER+NAME`, as `fetch` leaves them). Nothing
in the repositories runs; the audit reads git objects only.

Measures, per repository, per label set (a LABELS_DIR: keep held-out labels in a directory of
their own) and overall:

- presence precision / recall / F1: an ML Test Score item is *present* when its level is not
  none; precision = present in both / present in the audit; recall = / present in the labels;
- exact: the level (none, manual, automated) is the same; `none everywhere` is what answering
  none for every item would get;
- automated recall: of the items the labels call automated, the share the audit calls automated;
- robustness MAE: mean |label score - audit score| over the 22 sub-categories;
- final error: |label final ML Test Score - audit final| (final = minimum of the 4 sections);
- seed recall: of the labelled seed lines, the share the audit's `facts.seeds` has (same file,
  within one line; notebook lines are counted in the .ipynb file, as the labels give them);
- PR-fraction error: |label - audit| of the last-200 first-parent pull-request fraction.

`--items` adds a table per item, `--sections` the figures per ML Test Score section and per
robustness category. The last line is one summary. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from mlscorecard.audit import run_audit
from mlscorecard.heuristics import load_heuristics

MTS_SECTIONS = ("data", "model", "infra", "monitor")
POINTS = {"none": 0, "manual": 1, "automated": 2}


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    exact: int = 0
    items: int = 0
    none_exact: int = 0
    auto_labelled: int = 0
    auto_found: int = 0
    rob_err: float = 0.0
    rob_n: int = 0
    final_err: list[int] = field(default_factory=list)
    seeds: int = 0
    seeds_found: int = 0
    pr_err: list[float] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        for k, v in vars(other).items():
            if isinstance(v, list):
                getattr(self, k).extend(v)
            else:
                setattr(self, k, getattr(self, k) + v)

    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def f1(self) -> float:
        p, r = self.precision(), self.recall()
        return 2 * p * r / (p + r) if p + r else 0.0

    def row(self) -> dict[str, float]:
        return {
            "precision": self.precision(), "recall": self.recall(), "f1": self.f1(),
            "exact": self.exact / self.items if self.items else 0.0,
            "none_everywhere": self.none_exact / self.items if self.items else 0.0,
            "automated_recall": self.auto_found / self.auto_labelled if self.auto_labelled else 1.0,
            "robustness_mae": self.rob_err / self.rob_n if self.rob_n else 0.0,
            "final_error_max": max(self.final_err) if self.final_err else 0,
            "final_error_mean": sum(self.final_err) / len(self.final_err) if self.final_err else 0.0,
            "seed_recall": self.seeds_found / self.seeds if self.seeds else 1.0,
            "pr_fraction_error": sum(self.pr_err) / len(self.pr_err) if self.pr_err else 0.0,
        }


def find_repo(name: str, index: dict[str, str], mirrors: list[Path]) -> Path | None:
    if name in index:
        return Path(index[name])
    key = name.replace("/", "+")
    for base in mirrors:
        for cand in (base / key / "repo", base / key):
            if cand.exists():
                return cand
    return None


def final(levels: dict[str, str], rubric) -> int:
    by_section = {s: 0 for s in MTS_SECTIONS}
    for item, level in levels.items():
        by_section[rubric.items[item]["group"]] += POINTS[level]
    return min(by_section.values())


_SOURCE_LINE = re.compile(r'^\s*"source":\s*(\[)?')


def notebook_raw_line(text: str, cell: int, line: int) -> int | None:
    """The line of the .ipynb file on which a cell's n-th source line is written (nbformat's
    own layout: one JSON string per source line); None when the layout is another."""
    starts = [i for i, ln in enumerate(text.split("\n"), start=1) if _SOURCE_LINE.match(ln)]
    if not 0 < cell <= len(starts):
        return None
    start = starts[cell - 1]
    return start + line if text.split("\n")[start - 1].rstrip().endswith("[") else start


def tool_seed_lines(result, snap_text) -> set[tuple[str, int]]:
    out = set()
    for row in result.facts.get("seeds", []):
        path, line = row.get("path"), row.get("line", 1)
        if row.get("cell") is not None and path.endswith(".ipynb"):
            raw = notebook_raw_line(snap_text(path) or "", row["cell"], line)
            if raw is not None:
                out.add((path, raw))
            continue
        out.add((path, line))
    return out


def score_repo(label: dict, result, heur, snap_text) -> tuple[Tally, dict[str, tuple[str, str]]]:
    t = Tally()
    mts = result.rubrics["ml-test-score"]
    labelled = {i: v["level"] for i, v in label["ml-test-score"].items()}
    audited = {i: mts.items[i].level for i in labelled}
    per_item = {}
    for item, want in labelled.items():
        got = audited[item]
        per_item[item] = (want, got)
        t.items += 1
        t.exact += want == got
        t.none_exact += want == "none"
        if want != "none" and got != "none":
            t.tp += 1
        elif got != "none":
            t.fp += 1
        elif want != "none":
            t.fn += 1
        if want == "automated":
            t.auto_labelled += 1
            t.auto_found += got == "automated"
    rob = result.rubrics["robustness"]
    for item, v in label["robustness"].items():
        t.rob_err += abs(v["score"] - (rob.items[item].score or 0))
        t.rob_n += 1
        per_item[item] = (str(v["score"]), str(rob.items[item].score or 0))
    rubric = heur.rubrics["ml-test-score"]
    t.final_err.append(abs(final(labelled, rubric) - final(audited, rubric)))
    seeds = (label.get("facts") or {}).get("seeds") or []
    found = tool_seed_lines(result, snap_text)
    for ref in seeds:
        path, _, line = str(ref).rpartition(":")
        t.seeds += 1
        t.seeds_found += any((path, int(line) + d) in found for d in (-1, 0, 1)) if line.isdigit() else 0
    want_pr = (label.get("history") or {}).get("pr_fraction_last_200")
    if want_pr is not None and result.facts.get("review", {}).get("available"):
        t.pr_err.append(abs(float(want_pr) - result.facts["review"]["pr_fraction"]))
    return t, per_item


def section_rows(per_item: dict[str, tuple[str, str]], heur) -> dict[str, Tally]:
    """One tally per ML Test Score section and per robustness category of one repository."""
    out: dict[str, Tally] = {}
    mts, rob = heur.rubrics["ml-test-score"], heur.rubrics["robustness"]
    for item, (want, got) in per_item.items():
        if item in mts.items:
            t = out.setdefault(mts.items[item]["group"], Tally())
            t.items += 1
            t.exact += want == got
            t.none_exact += want == "none"
            t.tp += want != "none" and got != "none"
            t.fp += want == "none" and got != "none"
            t.fn += want != "none" and got == "none"
            if want == "automated":
                t.auto_labelled += 1
                t.auto_found += got == "automated"
        else:
            t = out.setdefault(rob.items[item]["group"], Tally())
            t.rob_err += abs(int(want) - int(got))
            t.rob_n += 1
    return out


def fmt(row: dict[str, float]) -> str:
    return (f"P {row['precision']:.2f}  R {row['recall']:.2f}  F1 {row['f1']:.2f}  exact {row['exact']:.2f} "
            f"(none everywhere {row['none_everywhere']:.2f})  auto-R {row['automated_recall']:.2f}  "
            f"rob-MAE {row['robustness_mae']:.2f}  final-err max {row['final_error_max']} "
            f"mean {row['final_error_mean']:.2f}  seeds {row['seed_recall']:.2f}  PR-err {row['pr_fraction_error']:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels", nargs="+", type=Path, help="directories of OWNER+NAME.yaml label files")
    parser.add_argument("--mirrors", action="append", type=Path, default=[], help="directory of mirrors (repeatable)")
    parser.add_argument("--index", type=Path, help="YAML: OWNER/NAME: path")
    parser.add_argument("--items", action="store_true", help="also print the per-item table")
    parser.add_argument("--sections", action="store_true", help="also print figures per section and category")
    parser.add_argument("--json", type=Path, help="write every figure as JSON")
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args()
    index = yaml.safe_load(args.index.read_text()) if args.index else {}
    heur = load_heuristics()
    cache_dir = False if args.no_cache else None
    groups: dict[str, Tally] = {}
    total = Tally()
    item_tallies: dict[str, list[tuple[str, str]]] = {}
    sections: dict[str, dict[str, Tally]] = {}
    out_json: dict = {"repositories": {}, "groups": {}}
    print(f"{'repository':52} {'MTS label/audit':>15}  {'exact':>5} {'F1':>5} {'auto-R':>6} {'rob-MAE':>7} {'seeds':>5}")
    for directory in args.labels:
        group = directory.name
        tally = groups.setdefault(group, Tally())
        for path in sorted(directory.glob("*.yaml")):
            label = yaml.safe_load(path.read_text())
            name = label["repo"]
            repo = find_repo(name, index, args.mirrors)
            if repo is None:
                print(f"{name:52} not found (give --mirrors or --index)", file=sys.stderr)
                continue
            with tempfile.TemporaryDirectory() as tmp:
                result = run_audit(str(repo), label["commit"], cache_dir=Path(tmp) if cache_dir is False else None)
            from mlscorecard.snapshot import Snapshot

            snap = Snapshot.open(str(repo), label["commit"])
            try:
                t, per_item = score_repo(label, result, heur, snap.read_text)
            finally:
                snap.close()
            tally.add(t)
            total.add(t)
            for item, pair in per_item.items():
                item_tallies.setdefault(item, []).append(pair)
            for name_, sec in section_rows(per_item, heur).items():
                for key in (group, "overall"):
                    sections.setdefault(key, {}).setdefault(name_, Tally()).add(sec)
            rubric = heur.rubrics["ml-test-score"]
            labelled_final = final({i: v["level"] for i, v in label["ml-test-score"].items()}, rubric)
            row = t.row()
            print(f"{name[:40]:40} [{group[:9]:9}] {labelled_final:>7}/{result.rubrics['ml-test-score'].score:<7} "
                  f"{row['exact']:5.2f} {row['f1']:5.2f} {row['automated_recall']:6.2f} {row['robustness_mae']:7.2f} "
                  f"{row['seed_recall']:5.2f}", flush=True)
            out_json["repositories"][name] = {"group": group, "label_final": labelled_final,
                                              "audit_final": result.rubrics["ml-test-score"].score, **row,
                                              "items": {i: {"label": a, "audit": b} for i, (a, b) in per_item.items()}}
    if args.items:
        print("\nper item (label -> audit, over all repositories):")
        for item in sorted(item_tallies):
            pairs = item_tallies[item]
            agree = sum(a == b for a, b in pairs)
            present_l = sum(a not in ("none", "0") for a, _ in pairs)
            present_a = sum(b not in ("none", "0") for _, b in pairs)
            both = sum(a not in ("none", "0") and b not in ("none", "0") for a, b in pairs)
            print(f"  {item:30} exact {agree}/{len(pairs)}  present label {present_l} audit {present_a} both {both}  "
                  + " ".join(f"{a}>{b}" for a, b in pairs if a != b))
    if args.sections:
        mts_sections = MTS_SECTIONS
        rob_groups = [g["id"] for g in heur.rubrics["robustness"].groups]
        print("\nper section (ML Test Score: presence P/R/F1, exact, automated recall; robustness: MAE)")
        for key in [*groups, "overall"]:
            secs = sections.get(key, {})
            cells = [f"{sname} P {secs[sname].precision():.2f} R {secs[sname].recall():.2f} F1 {secs[sname].f1():.2f} "
                     f"exact {secs[sname].row()['exact']:.2f} auto-R {secs[sname].row()['automated_recall']:.2f}"
                     for sname in mts_sections if sname in secs]
            print(f"  {key:12} " + " | ".join(cells))
            print(f"  {'':12} " + " | ".join(f"{g} MAE {secs[g].row()['robustness_mae']:.2f}" for g in rob_groups if g in secs))
            out_json.setdefault("sections", {})[key] = {k: v.row() for k, v in secs.items()}
    print()
    for group, tally in groups.items():
        print(f"{group:14} {fmt(tally.row())}")
        out_json["groups"][group] = tally.row()
    out_json["overall"] = total.row()
    if args.json:
        args.json.write_text(json.dumps(out_json, indent=2))
    print(f"{'overall':14} {fmt(total.row())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
