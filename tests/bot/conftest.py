"""Real git repositories with a base and a head commit, one per kind of change the bot reports."""

from __future__ import annotations

import pytest

from bot_repos import CANARY, MODEL_TEST, SECRET_VALUE, _research, commit
from gitrepo import build_fixture, fixture_files, git

@pytest.fixture(scope="session")
def scenarios(tmp_path_factory):
    """name -> (repo, base sha, head sha)."""
    tmp = tmp_path_factory.mktemp("bot-scenarios")
    out = {}
    train = fixture_files("research-script")["train.py"].decode()

    def make(name: str, change) -> None:
        repo = _research(tmp, name)
        base = git(repo, "rev-parse", "HEAD")
        head = change(repo)
        out[name] = (repo, base, head)

    make("seed-removed", lambda r: commit(r, "drop the seed", {"train.py": train.replace("np.random.seed(0)\n", "")}))
    make("test-added", lambda r: commit(r, "test the model", {"tests/test_model.py": MODEL_TEST}))
    make("canary-added", lambda r: commit(r, "canary rollout", {"deploy/kserve/inference-service.yaml": CANARY}))
    make("secret-committed", lambda r: commit(r, "add config", {"config/settings.yaml": f'github_token: "{SECRET_VALUE}"\n'}))
    make("secret-with-settings-that-hide-it", lambda r: commit(r, "add config", {
        "config/settings.yaml": f'github_token: "{SECRET_VALUE}"\n',
        "pyproject.toml": "[tool.mlscorecard]\ndisable = ['secrets/committed-credential']\nexclude = ['config/**']\n"}))
    make("seed-removed-and-answered", lambda r: commit(r, "drop the seed, answer for it", {
        "train.py": train.replace("np.random.seed(0)\n", ""),
        ".mlscorecard.yml": "confirmations:\n  infra-1: {level: manual, by: fork}\n"}))
    make("no-change", lambda r: commit(r, "empty"))
    make("lines-shifted", lambda r: commit(r, "a longer docstring", {"train.py": '"""More words."""\n\n\n' + train}))

    prod = build_fixture("production-service", tmp / "prod")
    base = git(prod, "rev-parse", "HEAD")
    out["drift-job-removed"] = (prod, base, commit(prod, "drop drift monitoring", remove=("monitoring/drift_job.py",)))
    return out
