"""The HTML page as something to look at: inline SVG charts, a table of contents, evidence in
`<details>` lists that stay short for a repository of thousands of files, and evidence links to
the repository's web host at the audited commit. Real repositories built here, a real audit,
and headless Chromium for the large page."""

from __future__ import annotations

import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gitrepo import FIXTURES, build_fixture, git
from mlscorecard.audit import run_audit
from mlscorecard.heuristics import load_heuristics
from mlscorecard.reports import render
from mlscorecard.reports.html import EVIDENCE_SHOWN

from browser import CHROMIUM, launch
HREF = re.compile(r'<a href="([^"]*)"><code>')


def page_of(repo: Path, tmp_path: Path, **kw) -> str:
    link_base = kw.pop("link_base", None)
    result = run_audit(str(repo), cache_dir=tmp_path / "cache", **kw)
    return render("html", result, load_heuristics(), link_base=link_base)


def svg(page: str, chart_id: str) -> ET.Element:
    """The chart as XML: well-formed, or the parse fails the test."""
    start = page.index(f'<svg id="{chart_id}"')
    return ET.fromstring(page[start:page.index("</svg>", start) + len("</svg>")])


def texts(el: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in el.iter("text")]


def test_charts_draw_every_section_against_the_bands_and_every_category(fixture_repos, tmp_path):
    heur = load_heuristics()
    conf = tmp_path / "c.yml"
    conf.write_text("confirmations:\n  data-1: {level: automated, by: Ada}\n  model-4: {level: automated, by: Bo}\n"
                    "  data.bias: {score: 3, by: Cy}\n")
    result = run_audit(str(fixture_repos["production-service"]), cache_dir=tmp_path / "cache", confirmations=str(conf))
    page = render("html", result, heur)
    mts = result.rubrics["ml-test-score"]
    ml = svg(page, "chart-ml")
    assert ml.get("role") == "img" and ml.find("title").text.startswith("ML Test Score by section: final score 4")
    words = texts(ml)
    for g in heur.rubrics["ml-test-score"].groups:
        assert g["title"] in words
    for b in heur.rubrics["ml-test-score"].data["scoring"]["bands"]:
        assert any(b["name"] in w for w in words), b["name"]
    # the confirmations raised Data 3 -> 4 and Model: both numbers are written beside the bar, and drawn
    assert (mts.proposed_groups["data"], mts.groups["data"]) == (3, 4) and mts.groups["model"] > mts.proposed_groups["model"]
    assert "4 / 14 (proposed 3) · minimum" in words
    assert f"{mts.groups['model']} / 14 (proposed {mts.proposed_groups['model']})" in words
    assert f"{mts.groups['monitor']} / 14" in words
    assert "final score 4: first pass at productionization" in words
    rows = {g.get("id"): g for g in ml.iter("g") if g.get("class") == "row"}
    assert set(rows) == {"chart-ml-data", "chart-ml-model", "chart-ml-infra", "chart-ml-monitor"}
    assert all(r.find("title") is not None and r.find("title").text for r in rows.values())
    assert [r.find("rect").get("class") for r in rows.values()].count("bar minimum") == 1
    assert len([x for x in ml.iter("rect") if x.get("class") == "proposed"]) == 2
    assert float(rows["chart-ml-data"].find("rect").get("width")) < float(rows["chart-ml-monitor"].find("rect").get("width"))

    rob = svg(page, "chart-rob")
    words = texts(rob)
    for g in heur.rubrics["robustness"].groups:
        n = sum(1 for i in heur.rubrics["robustness"].items.values() if i["category"] == g["id"])
        assert g["title"] in words and any(w.endswith(f" / {4 * n}") for w in words)
    rob_result = result.rubrics["robustness"]
    assert rob_result.groups["data"] == rob_result.proposed_groups["data"] + 3
    assert f"{rob_result.groups['data']} / 12 (proposed {rob_result.proposed_groups['data']})" in words
    assert any(w.startswith(f"total {rob_result.score} / 88") for w in words)
    assert "<script" not in page and "<foreignObject" not in page


def test_a_section_confirmed_not_applicable_is_written_as_such_and_not_drawn(fixture_repos, tmp_path):
    heur = load_heuristics()
    data_items = [i for i, d in heur.rubrics["ml-test-score"].items.items() if d["group"] == "data"]
    rob_security = [i for i, d in heur.rubrics["robustness"].items.items() if d["group"] == "security"]
    conf = tmp_path / "c.yml"
    conf.write_text("confirmations:\n" + "".join(f"  {i}: {{not_applicable: true, reason: no data pipeline}}\n"
                                                  for i in [*data_items, rob_security[0]]))
    page = page_of(fixture_repos["production-service"], tmp_path, confirmations=str(conf))
    ml = svg(page, "chart-ml")
    (data_row,) = [g for g in ml.iter("g") if g.get("id") == "chart-ml-data"]
    assert "N/A (not applicable), proposed 3" in texts(data_row)
    assert [r.get("class") for r in data_row.iter("rect")] == ["proposed"]  # no bar; the proposal outlined
    rob = svg(page, "chart-rob")
    (security,) = [g for g in rob.iter("g") if g.get("id") == "chart-rob-security"]
    n = len(rob_security) - 1  # one sub-category less to score: the category's maximum shrinks
    assert any(w.split(" (")[0].endswith(f" / {4 * n}") for w in texts(security)), texts(security)


def test_table_of_contents_links_to_every_section_it_names(fixture_repos, tmp_path):
    page = page_of(fixture_repos["production-service"], tmp_path)
    toc = page[page.index('<nav id="toc"'):page.index("</nav>")]
    targets = re.findall(r'href="#([^"]+)"', toc)
    assert targets[:3] == ["scores", "ml-items", "rob-items"] and "evidence" in targets
    for t in targets:
        assert f'id="{t}"' in page, t


def test_evidence_links_go_to_the_web_host_at_the_audited_commit(tmp_path):
    repo = build_fixture("tested-training", tmp_path)
    git(repo, "remote", "add", "origin", "git@github.com:acme/trainer.git")
    commit = git(repo, "rev-parse", "HEAD")
    page = page_of(repo, tmp_path)
    links = HREF.findall(page)
    assert links and all(u.startswith(f"https://github.com/acme/trainer/blob/{commit}/") for u in links)
    assert all(re.search(r"#L[1-9]\d*$", u) for u in links if ".ipynb" not in u)
    # a notebook cell's line counts within the cell: the link opens the notebook, without #L
    notebook = [u for u in links if u.endswith("/notebooks/eda.ipynb")]
    assert notebook and not [u for u in links if ".ipynb#" in u]

    git(repo, "remote", "set-url", "origin", "https://gitlab.example.org/group/sub/trainer.git")
    links = HREF.findall(page_of(repo, tmp_path))
    assert links and all(u.startswith(f"https://gitlab.example.org/group/sub/trainer/-/blob/{commit}/") for u in links)

    links = HREF.findall(page_of(repo, tmp_path, link_base="https://mirror.example/src/"))
    assert links and all(u.startswith("https://mirror.example/src/") for u in links)  # --link-base wins

    git(repo, "remote", "remove", "origin")  # a checkout with no known host: its own files, no line
    links = HREF.findall(page_of(repo, tmp_path))
    assert links and all(u.startswith("file://") and "#" not in u for u in links)


def test_a_plain_directory_has_no_evidence_links(tmp_path):
    plain = tmp_path / "plain"
    shutil.copytree(FIXTURES / "production-service", plain)
    page = page_of(plain, tmp_path)
    assert "<code>tests/test_model.py:3</code>" in page and not HREF.findall(page)


def test_a_hostile_file_name_stays_text_in_the_page_and_its_link(tmp_path):
    repo = build_fixture("production-service", tmp_path)
    name = 'tests/test_"><img src=x onerror=alert(1)>.py'
    shutil.copy(repo / "tests" / "test_model.py", repo / name)
    shutil.copy(repo / "tests" / "test_model.py", os.fsencode(repo / "tests") + b"/test_\xff.py")  # not UTF-8
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a file named to break out of an attribute")
    git(repo, "remote", "add", "origin", "https://github.com/acme/fraud")
    page = page_of(repo, tmp_path)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;.py" in page
    assert any(u.endswith("/tests/test_%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.py#L3")
               for u in HREF.findall(page))
    assert f"https://github.com/acme/fraud/blob/{git(repo, 'rev-parse', 'HEAD')}/tests/test_%FF.py#L3" in HREF.findall(page)
    assert "<code>tests/test_\\xff.py:3</code>" in page  # the undecodable byte shown, not passed through


def many_file_repo(dest: Path, files: int) -> Path:
    """The production-service fixture plus `files` model tests that each give evidence to several
    items (tests importing model code, seeded generators)."""
    repo = build_fixture("production-service", dest)
    body = (FIXTURES / "production-service" / "tests" / "test_model.py").read_text()
    for i in range(files):
        p = repo / "tests" / "bulk" / f"pkg{i // 100:03d}" / f"test_model_{i:05d}.py"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(body)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"{files} generated model tests")
    git(repo, "remote", "add", "origin", "https://github.com/acme/fraud.git")
    return repo


def evidence_count(page: str) -> int:
    return sum(int(n) for n in re.findall(r"<summary>[^<]*<span class=\"muted\">\((\d+) piece", page))


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="Chromium not installed (CI installs it)")
def test_a_page_for_thousands_of_files_stays_small_and_renders(tmp_path):
    from playwright.sync_api import sync_playwright

    small = page_of(many_file_repo(tmp_path / "small", 300), tmp_path)
    big = page_of(many_file_repo(tmp_path / "big", 3000), tmp_path)
    assert evidence_count(big) > 15_000 and evidence_count(big) > 8 * evidence_count(small)
    # what is shown is bounded per item, so the page does not grow with the repository
    assert len(big.encode()) < 1.1 * len(small.encode()) and len(big.encode()) < 400_000
    lists = re.findall(r'<ul id="evlist-([^"]+)">(.*?)</ul>', big, re.S)
    assert lists and all(body.count("<li") <= EVIDENCE_SHOWN + 1 for _, body in lists)
    # every rule behind an item shows at least one row, however many rows one rule has
    for item_id, block in re.findall(r'<details class="evidence" id="ev-([^"]+)">(.*?)</details>', big, re.S):
        counted = set(re.findall(r"<code>([^<]+)</code> \d+", block.split("<ul", 1)[0]))
        assert counted <= set(re.findall(r"</a> \[([^,\]]+),", block)), item_id
    assert "seeds/seeded-generator" in dict(lists)["training.reproducibility"]
    infra2 = dict(lists)["infra-2"]
    shown = infra2.count("<li>")
    assert shown == EVIDENCE_SHOWN
    (more,) = re.findall(r"and (\d+) more \(weaker or repeated\)", infra2)
    assert shown + int(more) >= 3002  # every test file imports the model code
    assert re.search(r'infra-2 — [^<]*<span class="muted">\((\d+) pieces in (\d+) files, strongest 20 shown\)', big)

    report = tmp_path / "big.html"
    report.write_text(big, encoding="utf-8")
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(report.as_uri())
        box = page.locator("#chart-ml").bounding_box()
        assert box and box["width"] > 400 and box["height"] > 100
        details = page.locator("#ev-infra-2")
        assert details.get_attribute("open") is None and not page.locator("#evlist-infra-2").is_visible()
        # the "+K more" link in the item's row lands in the folded list, and Chromium unfolds it
        page.locator('#item-infra-2 a[href="#evlist-infra-2"]').click()
        assert page.locator("#evlist-infra-2").is_visible()
        assert page.locator("#evlist-infra-2 li").count() == EVIDENCE_SHOWN + 1
        page.screenshot(path=str(tmp_path / "big.png"))
        browser.close()
