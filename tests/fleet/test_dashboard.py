"""`fleet report`: Markdown and the HTML dashboard from a real history (two runs, one regression,
failures), with hostile repository names escaped, --fail-on-regression, and the page rendered in
headless Chromium like the single-repository HTML report."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from fleet_helpers import fleet_cli
from gitrepo import git
from mlscorecard.fleet.charts import sparkline

from browser import CHROMIUM, launch, open_page  # noqa: E402
HOSTILE = "<img src=x onerror=alert(1)>|`x`[a](http://evil)"


@pytest.fixture(scope="module")
def history(tmp_path_factory, fixture_repos):
    """Run 1, then the production service loses its CI and a new run finds the regression."""
    tmp_path = tmp_path_factory.mktemp("fleet-history")
    fleet_repos = {}
    for name, src in fixture_repos.items():
        fleet_repos[name] = tmp_path / "repos" / name
        shutil.copytree(src, fleet_repos[name], symlinks=True)
    prod = fleet_repos["production-service"]
    (tmp_path / "FLEET.yaml").write_text(
        "repositories:\n"
        f"  - path: {prod}\n    name: production\n"
        f"  - path: {fleet_repos['tested-training']}\n"
        f"  - path: {fleet_repos['research-script']}\n    name: '{HOSTILE}'\n"
        f"  - path: '{tmp_path}/<b>gone</b>'\n    name: gone\n")
    db, cache = tmp_path / "h.sqlite", tmp_path / "cache"  # module scope: the per-test cache is not set yet
    first = fleet_cli("run", tmp_path / "FLEET.yaml", "--db", db, "--cache-dir", cache, "--quiet").stdout.strip()
    assert fleet_cli("report", "--db", db, "--fail-on-regression").exit_code == 0  # nothing to compare with yet
    shutil.rmtree(prod / ".github")
    git(prod, "add", "-A")
    git(prod, "commit", "-q", "-m", "drop CI")
    second = fleet_cli("run", tmp_path / "FLEET.yaml", "--db", db, "--cache-dir", cache, "--quiet").stdout.strip()
    return db, first, second


def test_markdown_report(history):
    db, first, second = history
    md = fleet_cli("report", "--db", db).stdout
    assert md.startswith(f"# Fleet report: run {second}")
    assert "3 of 4 repositories audited, 1 failed." in md
    row = next(line for line in md.splitlines() if line.startswith("| production |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2] != "3" and cells[4].startswith("-") and cells[8] == "ok"  # score fell, Δ negative
    section = md.split("## Regressions since the previous audit")[1].split("##")[0]
    assert "**production** (since run " + first + "): ML Test Score 3 →" in section
    assert "→ manual" in section or "automated →" in section  # item-level drops are listed
    assert "## Most common gaps" in md and "missing in 3 of 3 repositories" in md
    assert "**monitor**" in md or "**data**" in md or "**model**" in md or "**infra**" in md
    # a hostile name and a hostile path cannot open a tag, a link, a code span or a table cell
    assert "<img" not in md and "<b>" not in md and not re.search(r"(?<!\\)\]\(http", md)
    assert "&lt;img src=x onerror=alert(1)&gt;\\|\\`x\\`\\[a\\](http://evil)" in md
    assert "&lt;b&gt;gone&lt;/b&gt;: no such file or directory" in md
    for line in md.splitlines():
        if line.startswith("| ") and "evil" in line:
            assert line.count(" | ") == 9 - 1  # still nine cells


def test_fail_on_regression_and_older_runs(history):
    db, first, second = history
    res = fleet_cli("report", "--db", db, "--fail-on-regression", code=1)
    assert "1 repositories regressed" in res.stderr
    assert fleet_cli("report", "--db", db, "--run", first, "--fail-on-regression").exit_code == 0
    assert "no run 'nope'" in fleet_cli("report", "--db", db, "--run", "nope", code=2).stderr


def test_html_dashboard_is_escaped_and_self_contained(history, tmp_path):
    db, _first, _second = history
    page = fleet_cli("report", "--db", db, "--format", "html").stdout
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page and "<b>gone" not in page
    assert "<script" not in page and "<link" not in page and "http://" not in page.replace("http://evil", "")
    assert page.count('<svg class="sparkline"') == 2 * 4 and page.count('<svg class="chart"') == 4


def test_sparkline_scales_and_skips_missing_runs():
    svg = str(sparkline([0, None, 14], 14, label="a <b>", width=100, height=20))
    assert 'points="3.0,17.0 97.0,3.0"' in svg and "a &lt;b&gt;" in svg


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="Chromium not installed (CI installs it)")
def test_dashboard_renders_in_headless_chromium(history, tmp_path):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "CI must install Chromium (.ci/run does)"
    db, _first, second = history
    out = tmp_path / "fleet.html"
    fleet_cli("report", "--db", db, "--format", "html", "--output", out)
    with sync_playwright() as p:
        browser = launch(p)
        page, requests = open_page(browser, out.as_uri())
        assert page.inner_text("#repo-count") == "4"
        assert page.inner_text("#audited-count") == "3" and page.inner_text("#failed-count") == "1"
        assert page.inner_text("#regression-count") == "1"
        assert page.inner_text("#weakest-section") in {"data", "model", "infra", "monitor"}
        assert page.locator("table.repos tr.repo").count() == 4
        assert HOSTILE in page.inner_text("table.repos")  # shown as text, not markup
        assert page.locator("img").count() == 0
        assert page.locator("ol.gaps li").count() > 0 and page.locator("ul.regressions li").count() == 1
        assert "production" in page.inner_text("ul.regressions") and "gone" in page.inner_text("ul.failed")
        assert page.locator("svg.chart").count() == 4
        box = page.locator("svg.chart").first.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100  # the charts are laid out, not collapsed
        assert page.locator("svg.chart polyline.s0").first.get_attribute("points").count(",") == 2  # two runs
        assert second in page.inner_text("#run")
        shot = tmp_path / "fleet.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert requests == [out.as_uri()]  # nothing fetched from anywhere: the page is self-contained
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    if os.environ.get("MLSCORECARD_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["MLSCORECARD_KEEP_SCREENSHOT"])
