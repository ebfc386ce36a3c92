"""Committed secrets are negative evidence: located, capped, asked about, and never printed."""

from __future__ import annotations

import json

from click.testing import CliRunner

from mlscorecard.cli import main

SECRET_KEY = "AKIAZ7XQ4PL2MN8RB3TW"
SECRET_PASSWORD = "q8Zr2LmX9vTp4WkN7sYbE1"


def test_secrets_cap_the_score_and_never_reach_any_output(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "serve.py").write_text(
        "from fastapi import FastAPI\nfrom fastapi.security import APIKeyHeader\n"
        f"api_key = APIKeyHeader(name='X-API-Key')\nAWS_KEY = '{SECRET_KEY}'\n")
    (tmp_path / "deploy.yaml").write_text(f"db:\n  password: \"{SECRET_PASSWORD}\"\n")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "cd.yml").write_text(
        "on: push\npermissions:\n  id-token: write\njobs:\n  d:\n    runs-on: x\n    steps:\n      - run: echo hi\n")
    outputs = {fmt: CliRunner().invoke(main, ["audit", str(tmp_path), "--format", fmt, "--no-cache"]).stdout
               for fmt in ("json", "markdown", "terminal")}
    for fmt, text in outputs.items():
        assert SECRET_KEY not in text and SECRET_PASSWORD not in text, fmt
        assert SECRET_KEY[:8] not in text and SECRET_PASSWORD[:8] not in text, fmt  # not even in part
    report = json.loads(outputs["json"])
    item = report["rubrics"]["robustness"]["items"]["security.access-control"]
    negatives = [e for e in item["evidence"] if e.get("negative")]
    assert {(e["path"], e["line"]) for e in negatives} == {("app/serve.py", 4), ("deploy.yaml", 2)}
    assert item["score"] == 1 and item["needs_confirmation"] and "capped at 1" in item["reason"]
    assert "AWS access key id (value not shown)" in outputs["markdown"]
    assert "## Problems found" in outputs["markdown"]


def test_placeholders_and_references_are_not_secrets(tmp_path):
    (tmp_path / "settings.py").write_text(
        "import os\nAPI_KEY = os.environ['API_KEY']\ntoken = '${{ secrets.TOKEN }}'\npassword = 'changeme'\n")
    report = json.loads(CliRunner().invoke(main, ["audit", str(tmp_path), "--format", "json", "--no-cache"]).stdout)
    assert not [e for i in report["rubrics"]["robustness"]["items"].values() for e in i["evidence"] if e.get("negative")]


SAMPLES = {
    "AWS access key id": "key = 'AKIAZ7XQ4PL2MN8RB3TW'",
    "private key": "-----BEGIN OPENSSH PRIVATE KEY-----",
    "GitHub token": "GH = 'ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'",
    "Slack token": "SLACK = 'xoxb-" + "1234567890-abcdefghij'",
    "Google API key": "g = 'AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q'",
    "OpenAI API key": "o = 'sk-" + "proj-A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6'",
    "Hugging Face token": "h = 'hf_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6q7'",
    "Azure storage key": "conn = 'AccountKey=" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6q7R8s9T0u1V2w3X4y5Z6a7B8c9D0e1F2g3=='",
    "PyPI token": "pw = 'pypi-" + "AgEIcHlwaS5vcmcCJGE3ZjQ5YzU2LTk4ZDEtNGQ2Yi1hMzQxLTYwYjI3MGU4ZDkwZQ'",
    "password or token in config": "api_key: \"Zq8Xr2LmN9vTp4WkB7sY\"",
}


def test_every_secret_pattern_passes_its_pre_check():
    from mlscorecard.collect import collect
    from mlscorecard.heuristics import load_heuristics
    from mlscorecard.rules_engine import run_rule
    from mlscorecard.snapshot import Snapshot

    heur = load_heuristics()
    (rule,) = [r for r in heur.rules if r.id == "secrets/committed-credential"]
    assert set(SAMPLES) == set(rule.match["patterns"]) == set(rule.match["literals"])
    for label, line in SAMPLES.items():
        facts = collect(Snapshot.from_files({"config/settings.yaml": line + "\n"}), heur)
        assert [f.summary for f in run_rule(rule, facts)] == [f"committed credential: {label} (value not shown)"], label


def _secrets_rule():
    from mlscorecard.heuristics import load_heuristics

    (rule,) = [r for r in load_heuristics().rules if r.id == "secrets/committed-credential"]
    return rule


def _spans_both_ways(rule, text):
    import re

    from mlscorecard.matchers.text import matches_near

    lowered = text.lower()
    out = []
    for label, lead in rule.match["leads"].items():
        rx = re.compile(rule.match["patterns"][label])
        lits = {lit.lower() for lit in rule.match["literals"][label]}
        out.append((label, [m.span() for m in rx.finditer(text)],
                    [m.span() for m in matches_near(rx, text, lowered, lits, lead)]))
    return out


def _rule_lines(rule, text):
    """(line, summary) of what the secrets matcher finds in a file holding `text`."""
    from mlscorecard.matchers import FileView
    from mlscorecard.matchers.text import match_secrets

    lowered = text.lower()
    found = frozenset(lit.lower() for lits in rule.match["literals"].values() for lit in lits if lit.lower() in lowered)
    view = FileView("config/settings.yaml", text, None, frozenset(), None, None, found, found, None, None, found)
    return sorted((f.line, f.summary) for f in match_secrets(rule, view))


def _full_scan_lines(rule, text):
    """The same, from a plain finditer over the whole text of every pattern whose literal is there."""
    import re

    from mlscorecard.matchers.text import _PLACEHOLDER, _entropy

    out = []
    for label, pattern in rule.match["patterns"].items():
        if not any(lit.lower() in text.lower() for lit in rule.match["literals"][label]):
            continue
        rx = re.compile(pattern)
        for mo in rx.finditer(text):
            value = mo.groupdict().get("value") or mo.group(0)
            if "value" in rx.groupindex and (_entropy(value) < float(rule.match["entropy_min"])
                                             or _PLACEHOLDER.match(value)):
                continue
            out.append((text.count("\n", 0, mo.start()) + 1, f"{rule.summary}: {label} (value not shown)"))
            break
    return sorted(out)


def test_a_letter_that_case_folding_matches_is_found_as_a_full_scan_finds_it():
    rule = _secrets_rule()
    text = 'client_\u017fecret = "Zq8Xr2LmN9vTp4WkB7sY"\ntoken: x\n'  # the long s matches (?i) s
    assert _rule_lines(rule, text) == _full_scan_lines(rule, text) != []


NEAR_TEXTS = [
    *(f"x = 1\n{line}\n{line}  # twice\n" for line in SAMPLES.values()),
    "client_secret = 'Zq8Xr2LmN9vTp4WkB7sY'\nCLIENT-SECRET: \"Zq8Xr2LmN9vTp4WkB7sYa\"\n",
    "password =\n    'Zq8Xr2LmN9vTp4WkB7sY'\n",  # the value on the next line
    "tokenizer = load(); token: 'aaaaaaaaaaaaaaaaaaaa'; auth_token='Zq8Xr2LmN9vTp4WkB7sY'\r\n",
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n-----BEGIN PRIVATE KEY-----\n",
    "db_password: 'xxxxxxxxxxxxxxxxxxxx'\nDB_PASSWORD = 'q8Zr2LmX9vTp4WkN7sYb'\n",
    '{"source": ["conn = connect(password=\\"q8Zr2LmX9vTp4WkN7sYb\\")\\n"]}',
]


def test_secret_patterns_tried_near_their_literals_find_what_a_full_scan_finds():
    """A `lead` is a claim about its pattern (every match begins at most that many characters
    before a literal): the near-literal search must yield exactly the full scan's matches."""
    rule = _secrets_rule()
    assert set(rule.match["leads"]) <= set(rule.match["patterns"])
    checked = 0
    for text in NEAR_TEXTS:
        for label, full, near in _spans_both_ways(rule, text):
            assert near == full, (label, text)
            checked += len(full)
    assert checked >= 20  # the texts do hold matches


def test_secret_leads_hold_on_generated_text():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    rule = _secrets_rule()
    pieces = st.sampled_from([*SAMPLES.values(), "client_", "CLIENT-", "secret", "token", "Token", "=", ": ", "'",
                              '"', "\\", "\n", " ", "x", "AKIA", "ghp_", "-----BEGIN ", "ENCRYPTED ", "PRIVATE KEY-----",
                              "Zq8Xr2LmN9vTp4WkB7sY", "hf_", "sk-", "pypi-AgE", "AccountKey=",
                              "\u017f", "\u0131", "\u212a", "\u0130", "client_\u017fecret", "\u00e9t\u00e9"])
    # what (?i) folds and lower() keeps, a letter that lower-cases to two, and plain non-ASCII

    from mlscorecard.matchers.text import folds_like_ascii

    @settings(max_examples=150, deadline=None, database=None)
    @given(st.lists(pieces, max_size=12))
    def check(parts):
        text = "".join(parts)
        if folds_like_ascii(text, text.lower()):  # where the near-literal search is used
            for label, full, near in _spans_both_ways(rule, text):
                assert near == full, label
        assert _rule_lines(rule, text) == _full_scan_lines(rule, text)  # the rule as the engine runs it

    check()
