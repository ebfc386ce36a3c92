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
