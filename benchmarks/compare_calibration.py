"""Compare an audit with a hand-labelled calibration file (shared/calibration/*.yaml).

    mlscorecard audit CHECKOUT --rev COMMIT --format json -o report.json
    python benchmarks/compare_calibration.py ../shared/calibration/OWNER+NAME.yaml report.json

Prints, item by item, the label and the tool's proposal, marks disagreements (crediting a
"none" and missing an "automated" are the serious kinds; borderline labels are marked), and
sums up agreement for both rubrics.
"""

from __future__ import annotations

import json
import sys

import yaml

ORDER = {"none": 0, "manual": 1, "automated": 2}


def main(labels_path: str, report_path: str) -> int:
    labels = yaml.safe_load(open(labels_path, encoding="utf-8"))
    report = json.load(open(report_path, encoding="utf-8"))
    if labels.get("commit") and report["repo"]["commit"] != labels["commit"]:
        print(f"warning: labels are for {labels['commit']}, report is for {report['repo']['commit']}")
    agree = serious = 0
    print(f"{'item':<12}{'label':<11}{'tool':<11}")
    for item_id, lab in labels["ml-test-score"].items():
        got = report["rubrics"]["ml-test-score"]["items"][item_id]["level"]
        want = lab["level"]
        border = "borderline" in lab.get("note", "")
        mark = ""
        if got == want:
            agree += 1
        elif ORDER[got] > ORDER[want]:
            mark = "over" + (" (borderline)" if border else "")
            serious += want == "none" and not border
        else:
            mark = "under" + (" (borderline)" if border else "")
            serious += want == "automated" and not border
        print(f"{item_id:<12}{want:<11}{got:<11}{mark}")
    n = len(labels["ml-test-score"])
    print(f"ML Test Score: {agree}/{n} items agree, {serious} serious disagreements")
    diffs = []
    for item_id, lab in labels["robustness"].items():
        got = report["rubrics"]["robustness"]["items"][item_id]["score"]
        diffs.append(got - lab["score"])
        print(f"{item_id:<32}{lab['score']:>3}{got:>5}{'' if got == lab['score'] else '  ' + format(got - lab['score'], '+d')}")
    exact = sum(1 for d in diffs if d == 0)
    print(f"Robustness: {exact}/{len(diffs)} exact, mean absolute error {sum(map(abs, diffs)) / len(diffs):.2f}, "
          f"total label {sum(l['score'] for l in labels['robustness'].values())} vs tool {report['rubrics']['robustness']['total']}")
    review = report["facts"].get("review", {})
    if "history" in labels:
        print(f"PR fraction: label {labels['history'].get('pr_fraction_last_200')} vs tool {review.get('pr_fraction')}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
