"""Build real git repositories with a scripted history (test helper; uses the git CLI).

Dates and identities are fixed, so the same script always gives the same commit shas.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def git(repo: Path, *args: str, env: dict | None = None) -> str:
    base = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada Dev", "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada Dev", "GIT_COMMITTER_EMAIL": "ada@example.com",
        "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo.parent),
    }
    base.update(env or {})
    out = subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                         cwd=repo, env=base, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def _write(repo: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        p = repo / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")


def make_repo(path: Path, history: list[dict], *, bare_copy: bool = False) -> Path:
    """history: steps {kind: direct|merge|squash, subject, files, author?}; returns the repo path.

    merge: files are committed on a branch and merged with --no-ff as "Merge pull request #N";
    squash: one commit on main whose subject ends in "(#N)"; direct: one plain commit.
    """
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    for n, step in enumerate(history, start=1):
        date = f"2026-01-{n:02d}T12:00:00+00:00"
        env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        if step.get("author"):
            name, email = step["author"]
            env.update({"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email})
        kind = step.get("kind", "direct")
        subject = step["subject"]
        if kind == "merge":
            branch = f"feature-{n}"
            git(path, "checkout", "-q", "-b", branch, env=env)
            _write(path, step["files"])
            git(path, "add", "-A", env=env)
            git(path, "commit", "-q", "-m", step.get("branch_subject", subject), env=env)
            git(path, "checkout", "-q", "main", env=env)
            git(path, "merge", "-q", "--no-ff", branch, "-m", f"Merge pull request #{n} from org/{branch}", env=env)
            git(path, "branch", "-q", "-D", branch, env=env)
        else:
            _write(path, step["files"])
            git(path, "add", "-A", env=env)
            if kind == "squash":
                subject = f"{subject} (#{n})"
            git(path, "commit", "-q", "--allow-empty", "-m", subject, env=env)
    if bare_copy:
        bare = path.parent / (path.name + ".git")
        subprocess.run(["git", "clone", "-q", "--bare", str(path), str(bare)], check=True, capture_output=True)
        return bare
    return path


def fixture_files(name: str) -> dict[str, bytes]:
    root = FIXTURES / name
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


# How each fixture's files arrive in its history: (kind, subject, number of files), in order.
FIXTURE_HISTORIES = {
    "research-script": [
        ("direct", "first experiment", 2),
        ("direct", "try a CNN", 1),
        ("direct", "more epochs", None),
    ],
    "tested-training": [
        ("direct", "Initial commit", 2),
        ("merge", "Add feature code and its tests", 3),
        ("squash", "Add the model and training entry point", 4),
        ("merge", "Run the tests in CI", None),
        ("bot", "Bump pandas from 2.2.2 to 2.2.3", 0),
    ],
    "production-service": [
        ("direct", "Initial commit", 3),
        ("merge", "Feature code shared by training and serving", 4),
        ("squash", "Model and retraining job", 4),
        ("merge", "Serving API with Prometheus metrics", 4),
        ("direct", "hotfix: pin prometheus-client", 1),
        ("merge", "Kubernetes, KServe canary and rollback", None),
        ("bot", "Bump fastapi from 0.115.4 to 0.115.5", 0),
    ],
}


def build_fixture(name: str, dest: Path) -> Path:
    """The fixture as a real git repository whose HEAD tree equals fixtures/NAME."""
    files = list(fixture_files(name).items())
    history = []
    for kind, subject, count in FIXTURE_HISTORIES[name]:
        take = files if count is None else files[:count]
        files = [] if count is None else files[count:]
        step: dict = {"kind": "direct" if kind == "bot" else kind, "subject": subject, "files": dict(take)}
        if kind == "bot":
            step["author"] = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")
            step["files"] = {"requirements.txt": fixture_files(name)["requirements.txt"]}
        history.append(step)
    assert not files, "fixture history leaves files out"
    return make_repo(dest / name, history)
