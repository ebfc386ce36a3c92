"""The system Chromium, driven by Playwright, for the tests that look at HTML pages (the single
report, the fleet dashboard). Playwright never downloads a browser here; `.ci/run` installs
Debian's chromium."""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
# no background traffic: this machine has no network, and a test page must fetch nothing
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)


def open_page(browser, url: str, width: int = 1280, height: int = 900):
    """(page, requests): the page at `url`, and every URL it asked for (a self-contained page asks
    for nothing but itself)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    return page, requests
