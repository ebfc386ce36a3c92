"""Every hostile case, audited in every format in a process of its own, must: exit as documented,
print no traceback, still audit the other files (the canary), show no 6-character piece of any
planted secret anywhere (reports and stderr), let no markup, control or bidi character through,
give valid SARIF URIs, run nothing it read, and stay within TIME_LIMIT and MEMORY_LIMIT.

The cases run two at a time (a session fixture); each case is then its own test."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CASES, SECRETS, Repo  # noqa: E402

TIME_LIMIT = 30.0  # seconds for one case, five formats
MEMORY_LIMIT = 500 * 1024  # KiB
RUNNER = Path(__file__).resolve().parent / "run_case.py"
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "src/mlscorecard/schema/report.schema.json").read_text())
PIECE = 6


def _run_case(name: str, base: Path) -> dict:
    root = base / re.sub(r"[^\w.-]", "_", name)
    repo = Repo(root / "repo")
    repo.root.mkdir(parents=True)
    expect = CASES[name](repo)
    out = root / "out"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "HOSTILE_REVS": ",".join(expect.revs)}
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(RUNNER), str(repo.root / expect.target), str(out),
                               str(root / "cache"), *expect.options],
                              capture_output=True, env=env, timeout=TIME_LIMIT * 2)
    except subprocess.TimeoutExpired as exc:
        proc = subprocess.CompletedProcess(exc.cmd, -9, b"", f"killed after {exc.timeout}s".encode())
    wall = time.perf_counter() - start
    summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else None
    outputs = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "summary.json"} if out.exists() else {}
    return {"expect": expect, "proc": proc, "summary": summary, "outputs": outputs, "wall": wall, "root": root}


@pytest.fixture(scope="session")
def corpus_results(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {name: pool.submit(_run_case, name, base) for name in CASES}
    results = {name: f.result() for name, f in futures.items()}
    slow = sorted(results.items(), key=lambda kv: -kv[1]["wall"])[:5]
    big = sorted(((n, r) for n, r in results.items() if r["summary"]), key=lambda kv: -kv[1]["summary"]["max_rss_kib"])[:5]
    report = ["hostile corpus: %d cases" % len(results),
              "slowest: " + ", ".join(f"{n} {r['wall']:.1f}s" for n, r in slow),
              "largest: " + ", ".join(f"{n} {r['summary']['max_rss_kib'] // 1024}MiB" for n, r in big)]
    (base / "corpus-report.txt").write_text("\n".join(report) + "\n")
    print("\n" + "\n".join(report))
    return results


def pieces(secret: str) -> set[str]:
    return {secret[i:i + PIECE] for i in range(len(secret) - PIECE + 1)}


ALL_PIECES = {p: name for name, s in SECRETS.items() for p in pieces(s)}
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_URI_REF = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$")


def strip_code_spans(md: str) -> str:
    """Markdown without its code spans (CommonMark: a run of n backticks up to the next run of n)."""
    out, i = [], 0
    while i < len(md):
        if md[i] == "\\" and i + 1 < len(md):
            out.append(md[i:i + 2])
            i += 2
            continue
        if md[i] == "`":
            j = i
            while j < len(md) and md[j] == "`":
                j += 1
            fence = md[i:j]
            end = re.compile(r"(?<!`)" + fence + r"(?!`)").search(md, j)
            if end:
                i = end.end()
                continue
            out.append(fence)
            i = j
            continue
        out.append(md[i])
        i += 1
    return "".join(out)


class _Tags(HTMLParser):

    # the report's own charts are inline SVG of these elements only; any other svg (or an element
    # inside one that could run or fetch something) came from the repository
    OUR_CHARTS = ("chart-ml", "chart-rob")
    SVG_PARTS = ("g", "rect", "line", "text", "tspan", "title", "desc", "path", "circle", "polyline")

    def __init__(self):
        super().__init__()
        self.bad: list[str] = []
        self.in_svg = False

    def handle_starttag(self, tag, attrs):
        if tag == "svg" and dict(attrs).get("id") in self.OUR_CHARTS and not self.in_svg:
            self.in_svg = True
        elif self.in_svg and tag not in self.SVG_PARTS:
            self.bad.append(f"svg {tag}")
        elif tag in ("script", "iframe", "object", "embed", "img", "svg", "form", "base"):
            self.bad.append(tag)
        if self.in_svg and any(k in ("href", "xlink:href", "src") for k, _ in attrs):
            self.bad.append(f"svg {tag} with a link")
        for k, v in attrs:
            if k.startswith("on") or (k in ("href", "src", "action") and (v or "").strip().lower().startswith(
                    ("javascript:", "data:", "vbscript:"))):
                self.bad.append(f"{tag} {k}={v}")

    def handle_endtag(self, tag):
        if tag == "svg":
            self.in_svg = False


def check(name: str, r: dict) -> list[str]:
    problems: list[str] = []
    exp, proc, summary = r["expect"], r["proc"], r["summary"]
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0 or summary is None:
        return [f"runner died (exit {proc.returncode}): {err[-2000:]}"]
    if "Traceback" in err:
        problems.append(f"traceback on the runner's stderr: {err[-1500:]}")
    for fmt, s in summary["formats"].items():
        if s["exception"]:
            problems.append(f"{fmt}: exception escaped: {s['exception'][-1500:]}")
        if s["exit"] != exp.exit_code:
            problems.append(f"{fmt}: exit {s['exit']}, expected {exp.exit_code}: {s['stderr'][:300]}")
        lines = s["stderr"].splitlines()
        if exp.exit_code == 2:
            if len(lines) != 1 or not lines[0].startswith("mlscorecard: error:"):
                problems.append(f"{fmt}: exit 2 needs one stderr line, got {lines!r}")
            elif exp.stderr and exp.stderr not in lines[0]:
                problems.append(f"{fmt}: stderr {lines[0]!r} does not say {exp.stderr!r}")
        elif lines:
            problems.append(f"{fmt}: unexpected stderr {lines[:3]!r}")
    if summary["seconds"] > TIME_LIMIT:
        problems.append(f"took {summary['seconds']:.1f}s (limit {TIME_LIMIT}s)")
    if summary["max_rss_kib"] > MEMORY_LIMIT:
        problems.append(f"peak memory {summary['max_rss_kib'] // 1024} MiB (limit {MEMORY_LIMIT // 1024} MiB)")
    texts = {f: b.decode("utf-8", "strict") for f, b in r["outputs"].items()} if exp.exit_code == 0 else {}
    for fmt in [f for f in texts if "@" in f]:  # earlier commits: valid JSON, and no markup in Markdown
        if fmt.startswith("json"):
            jsonschema.validate(json.loads(texts[fmt]), SCHEMA)
        elif re.search(r"<[A-Za-z/!?]", strip_code_spans(texts[fmt])):
            problems.append(f"{fmt}: live markup")
    texts["stderr"] = err + "".join(s["stderr"] for s in summary["formats"].values())
    for where, text in texts.items():
        for piece, secret in ALL_PIECES.items():
            if piece in text:
                problems.append(f"{where}: shows a piece of the {secret} secret")
                break
    if exp.exit_code != 0:
        return problems
    report = json.loads(texts["json"])
    try:
        jsonschema.validate(report, SCHEMA)
    except jsonschema.ValidationError as exc:
        problems.append(f"json: not valid against the schema: {exc.message[:200]}")
    for w in report["warnings"]:  # the per-reader guard is the last line; the corpus finds what is behind it
        if "an mlscorecard bug" in w["message"]:
            problems.append(f"a reader failed unexpectedly: {w['path']}: {w['message']}")
    for fmt in [f for f in texts if f.startswith("json@")]:
        for w in json.loads(texts[fmt])["warnings"]:
            if "an mlscorecard bug" in w["message"]:
                problems.append(f"{fmt}: a reader failed unexpectedly: {w['path']}: {w['message']}")
    if exp.canary:
        paths = {e["path"] for rub in report["rubrics"].values() for it in rub["items"].values() for e in it["evidence"]}
        if "canary/train.py" not in paths:
            problems.append("the canary file was not audited")
    for fmt in ("terminal", "markdown", "html"):
        mo = _CONTROL.search(texts[fmt])
        if mo:
            problems.append(f"{fmt}: raw control or bidi character {mo.group(0)!r}")
    md = strip_code_spans(texts["markdown"])
    for mo in re.finditer(r"<[A-Za-z/!?]|(?<!\\)\]\((?:javascript|data|vbscript):", md):
        problems.append(f"markdown: live markup {md[max(0, mo.start() - 20):mo.end() + 20]!r}")
        break
    tags = _Tags()
    tags.feed(texts["html"])
    if tags.bad:
        problems.append(f"html: {tags.bad[:3]}")
    sarif = json.loads(texts["sarif"])
    for res in sarif["runs"][0]["results"]:
        for loc in res["locations"]:
            uri = loc["physicalLocation"]["artifactLocation"]["uri"]
            if not _URI_REF.match(uri) or uri.split("/", 1)[0].count(":"):
                problems.append(f"sarif: not a relative URI reference: {uri!r}")
    for marker in (r["root"] / "PWNED", Path("/tmp/PWNED-mlscorecard")):
        if marker.exists():
            problems.append(f"something planted ran: {marker} exists")
    return problems


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_case(name, corpus_results):
    problems = check(name, corpus_results[name])
    assert not problems, f"{name}:\n" + "\n".join(problems)
