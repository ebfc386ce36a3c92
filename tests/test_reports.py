"""Report formats: JSON against the published schema, determinism, Markdown gap report, terminal."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from mlscorecard.cli import main
from mlscorecard.reports.json_text import dumps_indented
from test_heuristics import ML_IDS, ROBUSTNESS_IDS

SCHEMA = json.loads(files("mlscorecard").joinpath("schema/report.schema.json").read_text())


def cli(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def reports(fixture_repos):
    out = {}
    for name, path in fixture_repos.items():
        res = cli("audit", str(path), "--format", "json", "--no-cache")
        assert res.exit_code == 0
        out[name] = res.stdout
    return out


def test_schema_is_itself_valid():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("name", ["research-script", "tested-training", "production-service"])
def test_every_report_validates_against_the_schema(reports, name):
    report = json.loads(reports[name])
    jsonschema.validate(report, SCHEMA)
    assert list(report["rubrics"]["ml-test-score"]["items"]) == ML_IDS
    assert list(report["rubrics"]["robustness"]["items"]) == ROBUSTNESS_IDS
    mts = report["rubrics"]["ml-test-score"]
    assert mts["score"] == min(mts["sections"].values())
    for item in mts["items"].values():
        assert item["points"] == {"none": 0, "manual": 1, "automated": 2}[item["level"]]
    rob = report["rubrics"]["robustness"]
    assert rob["total"] == sum(rob["categories"].values()) == sum(i["score"] for i in rob["items"].values())
    assert len(report["repo"]["commit"]) == 40 and report["repo"]["ref"] == "main"


def test_the_schema_rejects_a_broken_report(reports):
    report = json.loads(reports["tested-training"])
    del report["rubrics"]["ml-test-score"]["items"]["data-3"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(report, SCHEMA)
    report = json.loads(reports["tested-training"])
    report["rubrics"]["ml-test-score"]["items"]["data-3"].update(level="manual", points=1, evidence=[])
    with pytest.raises(jsonschema.ValidationError):  # no score without evidence
        jsonschema.validate(report, SCHEMA)


def test_same_commit_gives_byte_identical_output(fixture_repos, reports, tmp_path):
    path = str(fixture_repos["production-service"])
    for fmt in ("json", "markdown", "terminal"):
        a = cli("audit", path, "--format", fmt, "--no-cache").stdout
        b = cli("audit", path, "--format", fmt, "--cache-dir", str(tmp_path / "c")).stdout  # cold cache
        c = cli("audit", path, "--format", fmt, "--cache-dir", str(tmp_path / "c")).stdout  # warm cache
        assert a == b == c, fmt
    assert a != ""


def test_bare_clone_and_checkout_agree(fixture_repos, tmp_path):
    import subprocess

    src = fixture_repos["tested-training"]
    bare = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(bare)], check=True)
    a = json.loads(cli("audit", str(src), "--format", "json", "--no-cache").stdout)
    b = json.loads(cli("audit", str(bare), "--format", "json", "--no-cache").stdout)
    assert a["rubrics"] == b["rubrics"] and a["repo"]["commit"] == b["repo"]["commit"]


def test_markdown_gap_report(fixture_repos):
    md = cli("audit", str(fixture_repos["tested-training"]), "--format", "markdown", "--no-cache").stdout
    assert md.startswith("# mlscorecard report")
    assert "| ML Test Score (minimum over sections) | **" in md
    # per-section tables, one row per item, with level, points, confidence and path:line evidence
    # the behaviour test counts by its name (evidence of that kind stays at 0.4): 1 - 0.2 * 0.6 = 0.88
    assert "| infra-2 | Model specification code is unit-tested | automated | 2 | 0.88 | — | `tests/test_model.py:3`, `tests/test_model.py:6` |" in md
    assert "run by `.github/workflows/ci.yml`" in md
    # every gap has its remediation, an example of evidence and a question for a human
    gap = md.split("### data-1 — Feature distributions match expectations")[1].split("###")[0]
    assert "**Remediation:** Write a data schema" in gap
    assert "**Would count as evidence:**" in gap
    assert "**Question for a human:** Where are feature distributions checked" in gap
    assert "- [ ] **data-6**" in md  # invisible to static analysis: always in the checklist
    # lowest section first in the gap list
    order = [md.index(f"### {i} —") for i in ("monitor-1", "data-1")]
    assert order == sorted(order)


def test_markdown_escapes_table_cells(tmp_path):
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "roll|back.sh").write_text("kubectl rollout undo deployment/a|b\n")
    md = cli("audit", str(tmp_path), "--format", "markdown", "--no-cache").stdout
    assert "`deploy/roll\\|back.sh:1`" in md


def test_terminal_summary(fixture_repos):
    out = cli("audit", str(fixture_repos["production-service"]), "--no-cache").stdout
    assert "ML Test Score: 3  (first pass at productionization)" in out
    assert "  Infrastructure     7/14     3     2" in out  # score, manual items, automated items
    assert "Robustness Score: 37/88  (adequate but will fail at scale)" in out
    assert "<- minimum" in out


def test_output_file(fixture_repos, tmp_path):
    target = tmp_path / "report.json"
    res = cli("audit", str(fixture_repos["research-script"]), "--format", "json", "--output", str(target), "--no-cache")
    assert res.exit_code == 0 and res.stdout == ""
    jsonschema.validate(json.loads(target.read_text()), SCHEMA)


def test_fail_under(fixture_repos):
    path = str(fixture_repos["production-service"])  # ML Test Score 3
    assert cli("audit", path, "--fail-under", "3", "--no-cache").exit_code == 0
    res = cli("audit", path, "--fail-under", "4", "--no-cache")
    assert res.exit_code == 1
    assert "ML Test Score 3 is below --fail-under 4" in res.stderr


def test_bad_usage_exits_2(fixture_repos, tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")  # PATH defaults to "."; an empty directory is nothing to audit
    assert cli("audit").exit_code == 2
    assert cli("audit", str(fixture_repos["research-script"]), "--format", "pdf").exit_code == 2
    assert cli("audit", str(fixture_repos["research-script"]), "--fail-under", "15").exit_code == 2


def test_rev_audits_an_older_commit(fixture_repos):
    path = str(fixture_repos["tested-training"])
    old = json.loads(cli("audit", path, "--rev", "HEAD~3", "--format", "json", "--no-cache").stdout)
    new = json.loads(cli("audit", path, "--format", "json", "--no-cache").stdout)
    assert old["repo"]["commit"] != new["repo"]["commit"] and old["repo"]["ref"] == "HEAD~3"
    assert old["rubrics"]["ml-test-score"]["items"]["infra-2"]["level"] == "none"  # no tests yet
    assert new["rubrics"]["ml-test-score"]["items"]["infra-2"]["level"] == "automated"


def test_rules_command_lists_every_rule():
    out = cli("rules").stdout
    assert "seeds/global-seed" in out and "python-call" in out and "infra-1" in out


def test_each_piece_of_evidence_says_what_it_rests_on(fixture_repos):
    """Documentation and names are weak (confidence at most 0.4, so a person confirms them); a
    checked call, a test or CI is stronger. The JSON and the Markdown say which kind each is."""
    from mlscorecard.audit import run_audit
    from mlscorecard.model import BASES

    result = run_audit(str(fixture_repos["production-service"]), cache_dir=False)
    pieces = [e for rub in result.rubrics.values() for it in rub.items.values() for e in it.evidence]
    assert {e.basis for e in pieces} <= set(BASES) and {"code", "ci", "test"} <= {e.basis for e in pieces}
    assert all(e.confidence <= 0.4 for e in pieces if e.basis in ("documentation", "name"))
    from mlscorecard.heuristics import load_heuristics
    from mlscorecard.reports import render

    md = render("markdown", result, load_heuristics())
    assert ", checked code, confidence" in md and ", ci, confidence" in md


# ------------------------------------------------------------------------- the JSON writer
_LEAVES = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(st.characters(codec=None, exclude_categories=())))
_KEYS = st.text() | st.integers() | st.floats() | st.booleans() | st.none()
_VALUES = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                       | st.dictionaries(_KEYS, inner, max_size=4), max_leaves=30)


@settings(max_examples=400, deadline=None, database=None)
@given(_VALUES, st.booleans())
def test_the_json_writer_writes_what_json_dumps_writes(value, ascii_only):
    assert dumps_indented(value, 2, ensure_ascii=ascii_only) == json.dumps(value, indent=2, ensure_ascii=ascii_only)


def test_the_json_writer_leaves_the_unusual_to_json_dumps():
    class Mine(int):
        pass

    assert dumps_indented({"a": [Mine(3), True, {}]}) == json.dumps({"a": [Mine(3), True, {}]}, indent=2)
    with pytest.raises(TypeError):
        dumps_indented({"a": object()})
    with pytest.raises(TypeError):
        dumps_indented({(1, 2): 3})
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="Circular"):
        dumps_indented(cycle)
    deep: list = []
    for _ in range(300):
        deep = [deep]
    assert dumps_indented(deep) == json.dumps(deep, indent=2)


def test_reports_are_written_as_json_dumps_writes_them(fixture_repos):
    from mlscorecard.audit import run_audit
    from mlscorecard.reports.json_report import to_dict
    from mlscorecard.reports.sarif import to_sarif

    result = run_audit(str(fixture_repos["production-service"]), cache_dir=False)
    report, sarif = to_dict(result, result.heuristics), to_sarif(result, result.heuristics)
    assert dumps_indented(report, 2, ensure_ascii=False) == json.dumps(report, indent=2, ensure_ascii=False)
    assert dumps_indented(sarif, 2) == json.dumps(sarif, indent=2)


def test_a_report_written_into_the_repository_is_no_evidence_for_the_next_audit(fixture_repos, tmp_path):
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(fixture_repos["tested-training"], repo)
    runner = CliRunner()

    def audit(fmt: str, out: Path) -> None:
        assert runner.invoke(main, ["audit", str(repo), "-q", "--no-cache", "--format", fmt, "-o", str(out)]).exit_code == 0

    audit("json", tmp_path / "before.json")
    for fmt, name in [("markdown", "gaps.md"), ("html", "report.html"), ("json", "report.json"),
                      ("sarif", "report.sarif"), ("terminal", "report.txt")]:
        audit(fmt, repo / name)
    audit("json", tmp_path / "after.json")
    before, after = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("before", "after"))
    assert after["rubrics"] == before["rubrics"] and after["facts"]["seeds"] == before["facts"]["seeds"]
    assert not any(w["path"] in ("gaps.md", "report.html", "report.json") for w in after["warnings"])


@pytest.mark.parametrize("path, text", [
    ("README.md", "# mlscorecard\n\nA static auditor.\n"),
    ("notes.md", "We ran mlscorecard audit of the repo last week.\n"),
    ("tool.py", "# mlscorecard report: generated below\n"),  # code is code, whatever it says
    ("settings.json", '{\n  "name": "mlscorecard-settings-ui",\n  "version": 1\n}\n'),
])
def test_files_that_only_mention_the_tool_are_not_its_reports(path, text):
    from mlscorecard.engine.files import own_report

    assert not own_report(path, text)


def test_a_file_dressed_as_our_report_still_has_its_secrets_found(tmp_path):
    key = "AK" + "IAQ7ZK3M9T2XW4PL8R"
    (tmp_path / "train.py").write_text("import random\nrandom.seed(0)\n")
    (tmp_path / "notes.md").write_text(f"# mlscorecard report: `x`\n\naws_access_key_id = {key}\n")
    (tmp_path / "creds.json").write_text(f'{{\n  "tool": {{\n    "name": "mlscorecard",\n    "key": "{key}"\n  }}\n}}\n')
    res = CliRunner().invoke(main, ["audit", str(tmp_path), "-q", "--no-cache", "--fail-on-problems",
                                    "--format", "json", "-o", str(tmp_path / "out.json")])
    assert res.exit_code == 1 and "notes.md" in res.stderr and "creds.json" in res.stderr
    assert key not in (tmp_path / "out.json").read_text()


@pytest.mark.parametrize("opening", ["\x1b[1mmlscorecard audit of /x (not a git repository)\x1b[0m\n",
                                     "mlscorecard diff abc123..def456: does not move any score\n"])
def test_coloured_terminal_reports_and_terminal_diffs_are_ours(opening):
    from mlscorecard.engine.files import own_report

    assert own_report("report.txt", opening + "more\n")
