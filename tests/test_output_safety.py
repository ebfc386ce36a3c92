"""The output-safety layers (redaction, escaping), the per-file guard, crash isolation, the worker
pool's recovery, and bounded following of CI commands — each tested on its own; the hostile corpus
(tests/hostile) tests them together."""

from __future__ import annotations

import json
import os
import time

import pytest
from click.testing import CliRunner

from mlscorecard.audit import audit_snapshot
from mlscorecard.cli import main
from mlscorecard.engine.isolation import NativeCrash, run_isolated
from mlscorecard.engine.python import MAX_SYNTAX_NODES, analyse_python
from mlscorecard.errors import reading
from mlscorecard.heuristics import load_heuristics
from mlscorecard.reports import render
from mlscorecard.safety import (REDACTED, Redactor, clip, markdown_code, markdown_text, neutralise,
                                sarif_uri)
from mlscorecard.safety.redaction import pattern_redactor, secret_patterns
from mlscorecard.snapshot import Snapshot

AWS = "AK" + "IAQ7ZK3M9T2XW4PL8R"
PASSWORD = "Zq8Rm2Lx" + "9Vt4Wk7NpQ3s"


def test_patterns_redact_credentials_anywhere():
    r = pattern_redactor()
    assert r(f"key {AWS} here") == f"key {REDACTED} here"
    assert r("git clone https://bot:Hq7Lm2Xv9Rk4@host/x.git") == f"git clone https://bot:{REDACTED}@host/x.git"
    assert r(f"run --password {PASSWORD} x") == f"run --password {REDACTED} x"
    assert r(f'password = "{PASSWORD}"') == f'password = "{REDACTED}"'


@pytest.mark.parametrize("text", [
    "mysql -h db -uroot -p{v} app < dump.sql",
    "sshpass -p {v} ssh deploy@host",
    'curl -H "Authorization: token {v}" https://api.github.com/user',
    "curl -H 'Authorization: Bearer {v}' https://x",
    "curl -u admin:{v} https://nexus/repo",
    "twine upload -p pypi-AgEIcHlwaS5vcmc{v}{v}{v}{v} dist/*",
])
def test_command_line_credentials_are_redacted(text):
    out = pattern_redactor()(text.format(v=PASSWORD))
    assert PASSWORD[:6] not in out and REDACTED in out, out


def test_ci_commands_never_hold_a_credential_in_facts_or_cache(tmp_path):
    """A credential in a `run:` line of unknown shape to the secrets rule is redacted where the
    command is recorded, so neither the facts, the reports nor the cache ever hold it."""
    from mlscorecard.cache import BlobCache

    wf = ("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
          f"      - run: mysql -uroot -p{PASSWORD} -e 'select 1'\n"
          f"      - run: sshpass -p {PASSWORD} scp model.pkl host:/srv\n      - run: pytest\n")
    heur = load_heuristics()
    cache = BlobCache(tmp_path / "cache", "test")
    snap = Snapshot.from_files({".github/workflows/ci.yml": wf, "tests/test_m.py": "def test_m():\n    assert 1\n"})
    result = audit_snapshot(snap, heur, cache=cache, jobs=1)
    cache.close()
    runs = [r for entry in result.facts["ci"] for r in entry["runs"]]
    assert any("mysql" in r for r in runs) and any("sshpass" in r for r in runs)
    assert not any(PASSWORD[:6] in r for r in runs)
    for fmt in ("json", "markdown", "html", "sarif", "terminal"):
        assert PASSWORD[:6] not in render(fmt, result, heur), fmt
    for f in (tmp_path / "cache").rglob("*"):
        if f.is_file():
            assert PASSWORD[:6].encode() not in f.read_bytes(), f


def test_patterns_leave_code_and_expressions_alone():
    r = pattern_redactor()
    for text in ("torch.manual_seed(0)", "token: ${{ secrets.GITHUB_TOKEN }}", "token = config.api_token",
                 "python train.py --seed 1", "0123456789abcdef0123456789abcdef01234567",
                 'curl -H "Authorization: Bearer ${{ secrets.TOKEN }}" https://x', "mysql -P 3306 -h db app",
                 "python -m pytest -p no:cacheprovider"):
        assert r(text) == text


def test_a_found_value_is_removed_in_every_piece():
    r = Redactor(secret_patterns(load_heuristics()), [PASSWORD])
    assert PASSWORD[:8] not in r(f"cut at 80: ...{PASSWORD[:8]}")
    assert PASSWORD[4:12] not in r(f"middle {PASSWORD[4:12]} of it")
    assert r("nothing secret here") == "nothing secret here"


def test_the_tools_own_words_survive_a_found_value_that_shares_pieces_with_them(tmp_path):
    """A committed placeholder credential made of ordinary words must not turn rule ids, item
    ids and summaries into `[redacted]` (a report whose robustness item was
    `oper[redacted]ci-cd` could not be read, or scored, at all); the repository's own text
    still loses every piece of the value."""
    heur = load_heuristics()
    value = "operations_secrets_Xq7v9Lk2pW"
    files = {"config/app.yaml": f'db:\n  password: "{value}"\n',
             "notes.txt": f"the team's {value[:11]} board\n",
             "train.py": "import torch\ntorch.manual_seed(1)\n"}
    result = audit_snapshot(Snapshot.from_files(files), heur, cache=None, jobs=1)
    report = json.loads(render("json", result, heur))
    robustness = report["rubrics"]["robustness"]["items"]
    assert set(robustness) == set(heur.rubrics["robustness"].items)
    rules = {e["rule"] for item in robustness.values() for e in item["evidence"]}
    assert "secrets/committed-credential" in rules
    redactor = pattern_redactor(heur).with_values([value])
    assert redactor("operations.ci-cd: 2") == "operations.ci-cd: 2"
    assert value[:6] not in redactor(f"a snippet: {value[:9]}")


def test_a_secret_that_holds_an_item_id_is_redacted_whole():
    heur = load_heuristics()
    value = "Qz81vK.evaluation.environment.pW7"
    redactor = pattern_redactor(heur).with_values([value])
    out = redactor(f"snippet: {value} end")
    assert "evaluation" not in out and "environment" not in out and REDACTED in out
    assert redactor("evaluation.environment: 1") == "evaluation.environment: 1"


def test_dotted_tokens_are_still_credentials():
    heur = load_heuristics()
    jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    result = audit_snapshot(Snapshot.from_files({"config/app.yaml": f'api_key: "{jwt}"\n'}), heur, cache=None, jobs=1)
    assert any(e.negative for i in result.rubrics["robustness"].items.values() for e in i.evidence)
    assert jwt[:6] not in render("json", result, heur)


def test_a_settings_key_name_is_not_a_committed_credential():
    heur = load_heuristics()
    files = {"pkg/user_config.py": 'smtp_password = "spark.expectations.notifications.email.smtp_password"\n'}
    result = audit_snapshot(Snapshot.from_files(files), heur, cache=None, jobs=1)
    assert not any(e.negative for i in result.rubrics["robustness"].items.values() for e in i.evidence)


def test_clip_redacts_before_it_cuts():
    text = f"x {AWS}"
    assert clip(text, 10) == f"x {REDACTED}"[:10]
    assert AWS[:6] not in clip(text, 10)


def test_secret_found_in_a_file_is_redacted_from_every_field(tmp_path):
    heur = load_heuristics()
    files = {"config/app.yaml": f'db:\n  password: "{PASSWORD}"\n',
             f"keys/{AWS}.txt": "x\n",
             "README.md": f"We monitor drift and alert on call. {PASSWORD[:9]}\n",
             "train.py": "import torch\ntorch.manual_seed(1)\n"}
    result = audit_snapshot(Snapshot.from_files(files), heur, cache=None, jobs=1)
    for fmt in ("json", "markdown", "html", "sarif", "terminal"):
        out = render(fmt, result, heur)
        assert PASSWORD[:6] not in out and AWS[:6] not in out, fmt
    assert any(e.negative for i in result.rubrics["robustness"].items.values() for e in i.evidence)


def test_neutralise_shows_controls_and_bidi_as_escapes():
    assert neutralise("a\x1b[31mb") == "a\\x1b[31mb"
    assert neutralise("x\u202ey\u2066") == "x\\u202ey\\u2066"
    assert neutralise("new\nline\ttab") == "new\\nline\\ttab"
    assert neutralise("caf\udce9.py") == "caf\\xe9.py"  # an undecodable byte of a file name
    assert neutralise("plain") == "plain"


def test_markdown_text_and_code_spans():
    assert markdown_text("<script>x</script>") == "&lt;script&gt;x&lt;/script&gt;"
    assert markdown_text("[a](javascript:1) | `b`") == "\\[a\\](javascript:1) \\| \\`b\\`"
    assert markdown_code("a`b") == "``a`b``"
    assert markdown_code("`x`") == "`` `x` ``"
    assert markdown_code("a|b", in_table=True) == "`a\\|b`"
    assert markdown_code("<b>") == "`<b>`"  # literal inside a code span


def test_sarif_uris_are_percent_encoded():
    assert sarif_uri("src/model.py") == "src/model.py"
    assert sarif_uri("a b/#?%.py") == "a%20b/%23%3F%25.py"
    assert sarif_uri("c:x.py") == "c%3Ax.py"  # not a scheme
    assert sarif_uri("caf\udce9.py") == "caf%E9.py"


def test_a_reader_that_fails_costs_a_warning_on_its_file(monkeypatch):
    snap = Snapshot.from_files({"a.py": "x = 1\n"})
    with reading(snap, "ci.yml", "CI configuration"):
        [] + 1  # noqa: an unplanned TypeError
    assert [(w.path, w.message.split(" (")[0]) for w in snap.warnings] == [("ci.yml", "CI configuration could not be read")]
    monkeypatch.setenv("MLSCORECARD_DEBUG", "1")
    with pytest.raises(TypeError):
        with reading(snap, "ci.yml"):
            [] + 1


def test_a_detector_bug_does_not_stop_the_audit(monkeypatch):
    import mlscorecard.detectors.ci as ci

    def broken(*args, **kw):
        raise TypeError("'int' object is not iterable")

    monkeypatch.setattr(ci, "_read_github_workflow", broken)
    files = {".github/workflows/ci.yml": "on: push\n", "train.py": "import torch\ntorch.manual_seed(1)\n"}
    result = audit_snapshot(Snapshot.from_files(files), load_heuristics(), cache=None, jobs=1)
    assert any(w.path == ".github/workflows/ci.yml" and "could not be read (TypeError" in w.message
               for w in result.warnings)
    assert result.rubrics["ml-test-score"].items["infra-1"].evidence


def test_a_file_that_takes_too_long_costs_a_warning_on_that_file(monkeypatch):
    """The per-file clock: a reader stuck in Python code (or a regex) is interrupted after
    FILE_SECONDS, the file gets a warning, and every other file is still read."""
    import mlscorecard.collect as collect

    real = collect.analyse_file

    def stuck_on_slow(plan, path, data):
        while path == "slow.py":
            pass
        return real(plan, path, data)

    monkeypatch.setattr(collect, "analyse_file", stuck_on_slow)
    monkeypatch.setattr(collect, "FILE_SECONDS", 0.5)
    files = {"slow.py": "import torch\n", "train.py": "import torch\ntorch.manual_seed(1)\n"}
    result = audit_snapshot(Snapshot.from_files(files), load_heuristics(), cache=None, jobs=1)
    assert [w.message for w in result.warnings if w.path == "slow.py"] == ["file took longer than 0.5 s to read; skipped"]
    assert [e.path for e in result.rubrics["ml-test-score"].items["infra-1"].evidence] == ["train.py"]


def test_a_time_limit_interrupts_a_backtracking_regex():
    import re

    from mlscorecard.errors import TimeLimit, time_limit

    with pytest.raises(TimeLimit):
        with time_limit(0.3):
            re.match(r"(a+)+b", "a" * 64)


def test_isolated_memory_is_bounded():
    """A native parse that asks for gigabytes dies in its child (RLIMIT_AS), as a NativeCrash."""
    with pytest.raises(NativeCrash):
        run_isolated(_allocate, 2 << 30)


def _allocate(n):
    return len(bytearray(n))


def _abort():
    os.abort()


def _sleep():
    time.sleep(30)


def _fail():
    raise ValueError("ordinary")


def test_isolated_calls_survive_crashes_and_hangs():
    assert run_isolated(sum, [1, 2, 3]) == 6
    with pytest.raises(NativeCrash, match="crashed"):
        run_isolated(_abort)
    with pytest.raises(NativeCrash, match="longer than"):
        run_isolated(_sleep, timeout=0.5)
    with pytest.raises(ValueError, match="ordinary"):
        run_isolated(_fail)


def test_a_file_over_the_syntax_budget_is_not_parsed():
    from mlscorecard.engine.python import make_interest

    source = "v = [" + "1," * (MAX_SYNTAX_NODES + 10) + "]\n"
    result = analyse_python("big.py", source, make_interest([]))
    assert result["error"].startswith("too large to analyse")


def test_a_worker_that_dies_costs_only_its_file(tmp_path, monkeypatch):
    (tmp_path / "canary").mkdir()
    (tmp_path / "canary" / "train.py").write_text("import torch\ntorch.manual_seed(1)\n")
    (tmp_path / "src").mkdir()
    for i in range(60):
        (tmp_path / "src" / f"f{i}.py").write_text(f"import numpy\nx = {i}\n")
    (tmp_path / "src" / "KILLME.py").write_text("import torch\ntorch.manual_seed(2)\n")
    monkeypatch.setenv("MLSCORECARD_TEST_CRASH_WORKER_ON", "KILLME")
    res = CliRunner().invoke(main, ["audit", str(tmp_path), "--no-cache", "--jobs", "2", "--format", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert [w["path"] for w in report["warnings"]] == ["src/KILLME.py"]
    assert "died" in report["warnings"][0]["message"]
    paths = {e["path"] for r in report["rubrics"].values() for i in r["items"].values() for e in i["evidence"]}
    assert "canary/train.py" in paths


def test_ci_commands_are_followed_once_each():
    files = {".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    steps:\n      - run: bash scripts/a.sh\n"
                                         "      - uses: ./.github/actions/x\n",
             ".github/actions/x/action.yml": "runs:\n  using: composite\n  steps:\n"
                                             + "    - uses: ./.github/actions/x\n" * 30 + "    - run: pytest\n",
             "scripts/a.sh": "bash scripts/b.sh\nbash scripts/a.sh\n" * 30,
             "scripts/b.sh": "bash scripts/a.sh\npython train.py\n" * 30,
             "train.py": "import torch\ntorch.manual_seed(1)\n"}
    snap = Snapshot.from_files(files)
    reads: list[str] = []
    original = snap.read_text

    def counting(path):
        reads.append(path)
        return original(path)

    snap.read_text = counting
    from mlscorecard.detectors.ci import detect_ci

    facts = detect_ci(snap)
    assert reads.count("scripts/b.sh") <= 2 and reads.count(".github/actions/x/action.yml") <= 2
    assert "train.py" in facts.executions


def test_a_key_header_without_a_body_does_not_cut_up_ordinary_text():
    """A private-key header followed by code (a test of a secrets scanner, no END line): only
    base64 lines count as the key's body, so words of the report (`robustness`) stay whole."""
    heur = load_heuristics()
    files = {"tests/test_scan.py": 'KEY = "-----BEGIN RSA ' + 'PRIVATE KEY-----"\n'
                                   'rubrics = report["rubrics"]["robustness"]\nassert rubrics\n',
             "train.py": "import torch\ntorch.manual_seed(1)\n"}
    result = audit_snapshot(Snapshot.from_files(files), heur, cache=None, jobs=1)
    assert set(result.rubrics) == {"ml-test-score", "robustness"}
    assert '"robustness"' in render("json", result, heur)
