"""The CI detector: triggers, reusable workflows, and following commands to the files they run."""

from __future__ import annotations

import textwrap

from mlscorecard.detectors.ci import detect_ci, parse_makefile, split_commands
from mlscorecard.snapshot import Snapshot

TESTS = {
    "tests/test_a.py": "def test_a():\n    assert 1\n",
    "tests/unit/test_b.py": "",
    "tests/helpers.py": "",
    "other/test_c.py": "",
    "pkg/model_test.py": "",
}


def workflow(run: str, on: str = "[push, pull_request]", extra: str = "") -> str:
    run = textwrap.indent(textwrap.dedent(run).strip(), " " * 12)
    return f"on: {on}\njobs:\n  t:\n    runs-on: ubuntu-latest\n{extra}    steps:\n      - run: |\n{run}\n"


def executed(files: dict[str, str]) -> dict[str, str]:
    ci = detect_ci(Snapshot.from_files(files))
    return {p: ci.automated_by(p).workflow if ci.automated_by(p) else None for p in ci.executions}


def assert_runs(runs: dict[str, list[str]], files: dict[str, str]) -> None:
    """Each `run:` line, alone in a workflow, executes exactly these repository files."""
    for run, want in runs.items():
        assert sorted(executed({**files, ".github/workflows/ci.yml": workflow(run)})) == want, run


def test_bare_pytest_collects_every_test_file():
    got = executed({**TESTS, ".github/workflows/ci.yml": workflow("pytest -q")})
    assert sorted(got) == ["other/test_c.py", "pkg/model_test.py", "tests/test_a.py", "tests/unit/test_b.py"]


def test_pytest_with_paths_and_ignores():
    got = executed({**TESTS, ".github/workflows/ci.yml": workflow("python -m pytest tests --ignore=tests/unit -k fast")})
    assert sorted(got) == ["tests/test_a.py"]


def test_testpaths_from_pyproject():
    files = {**TESTS, "pyproject.toml": "[tool.pytest.ini_options]\ntestpaths = ['other']\n",
             ".github/workflows/ci.yml": workflow("poetry run pytest")}
    assert sorted(executed(files)) == ["other/test_c.py"]


def test_make_targets_are_followed():
    files = {**TESTS, "Makefile": "test: lint\n\tcd tests && python -m pytest unit\nlint:\n\tflake8\n",
             ".github/workflows/ci.yml": workflow("make test")}
    assert sorted(executed(files)) == ["tests/unit/test_b.py"]


def test_make_variables_comments_and_recursive_make():
    makefile = ("PYTHON_INTERPRETER ?= python3  # the interpreter\n"
                "TEST_CMD := $(PYTHON_INTERPRETER) -m pytest\n"
                ".PHONY: ci test\n"
                "ci: ## everything CI runs\n"
                "\t$(MAKE) test\n"
                "test: ## run the unit tests\n"
                "\t${TEST_CMD} tests/unit\n")
    files = {**TESTS, "Makefile": makefile, ".github/workflows/ci.yml": workflow("make ci")}
    assert sorted(executed(files)) == ["tests/unit/test_b.py"]


def test_make_command_line_variables_shell_keywords_and_paths_under_variables():
    # Cloud Build's `make e2e-tests pipeline=training`; the recipe picks the template from the
    # environment (unknown here), so each template directory the path can name is collected
    makefile = ("e2e-tests:\n"
                "\t@if [ $$sync = true ] ; then \\\n"
                "\t\t$(MAKE) lint; \\\n"
                "\tfi && \\\n"
                "\tcd pipelines && pipenv run pytest tests/${PIPELINE_TEMPLATE}/$(pipeline)\n"
                "lint:\n\tpython lint.py\n")
    files = {"Makefile": makefile, "lint.py": "",
             "pipelines/tests/xgboost/training/test_e2e.py": "", "pipelines/tests/xgboost/prediction/test_e2e.py": "",
             "pipelines/tests/keras/training/test_e2e.py": "", "pipelines/tests/e2e/test_helpers.py": "",
             ".github/workflows/ci.yml": workflow("make e2e-tests pipeline=training")}
    assert sorted(executed(files)) == ["lint.py", "pipelines/tests/keras/training/test_e2e.py",
                                       "pipelines/tests/xgboost/training/test_e2e.py"]
    # a variable as the whole first segment, or inside a name, is not guessed at
    files = {**TESTS, ".github/workflows/ci.yml": workflow("pytest $TESTS/unit\npytest tests/test_$KIND.py")}
    assert sorted(executed(files)) == []


def test_interpreter_in_a_variable_and_mamba_run():
    files = {**TESTS, "train.py": "",
             ".github/workflows/ci.yml": workflow("$PYTHON -m pytest tests/unit\n"
                                                 "micromamba run -n env python train.py")}
    assert sorted(executed(files)) == ["tests/unit/test_b.py", "train.py"]


def test_modules_a_ci_script_imports_run_with_it():
    files = {**TESTS, "train.py": "import utils.dataloaders as dl\nfrom evaluate import report\nimport numpy\n",
             "utils/__init__.py": "", "utils/dataloaders.py": "def load():\n    pass\n",
             "evaluate.py": "def report():\n    pass\n", "unused.py": "",
             ".github/workflows/ci.yml": workflow("python train.py --epochs 1")}
    ci = detect_ci(Snapshot.from_files(files))
    assert ci.automated_by("utils/dataloaders.py").how == "imported by train.py"
    assert ci.automated_by("evaluate.py") is not None
    assert ci.automated_by("unused.py") is None
    assert ci.automated_by("train.py").how == "python train.py"


def test_shell_scripts_and_python_scripts():
    files = {**TESTS, "scripts/ci.sh": "#!/bin/sh\nset -e\npython train.py --smoke\n", "train.py": "",
             ".github/workflows/ci.yml": workflow("bash scripts/ci.sh")}
    assert sorted(executed(files)) == ["scripts/ci.sh", "train.py"]


def test_tox_environments():
    files = {**TESTS, "tox.ini": "[tox]\nenvlist = py311\n[testenv]\ncommands = pytest tests/unit {posargs}\n",
             ".github/workflows/ci.yml": workflow("tox -e py311")}
    assert sorted(executed(files)) == ["tests/unit/test_b.py"]


def test_tox_runs_only_the_environments_named_and_reads_toxinidir():
    tox = ("[tox]\nenvlist = unit\n"
           "[testenv]\ncommands = pytest {toxinidir}/tests/unit {posargs}\n"
           "[testenv:unit]\n"
           "[testenv:licenses]\ncommands = pip-licenses --format=csv\n"
           "[testenv:all]\ncommands =\n    pytest {posargs} \\\n        {toxinidir}/other\n")
    files = {**TESTS, "tox.ini": tox}
    assert sorted(executed({**files, ".github/workflows/ci.yml": workflow("tox --recreate -e licenses")})) == []
    assert sorted(executed({**files, ".github/workflows/ci.yml": workflow("tox")})) == ["tests/unit/test_b.py"]
    assert sorted(executed({**files, ".github/workflows/ci.yml": workflow("tox -e unit,all")})) == [
        "other/test_c.py", "tests/unit/test_b.py"]


def test_tox_settings_in_setup_cfg_and_pyproject():
    """tox looks in tox.ini, then setup.cfg ([tox:tox]), pyproject.toml ([tool.tox], as
    legacy_tox_ini text or native TOML) and tox.toml; the first one found counts."""
    ci = workflow("tox")
    setup_cfg = "[flake8]\nmax-line-length = 120\n[tox:tox]\nenvlist = py311\n[testenv]\ncommands = pytest tests/unit\n"
    assert sorted(executed({**TESTS, "setup.cfg": setup_cfg, ".github/workflows/ci.yml": ci})) == ["tests/unit/test_b.py"]
    # a setup.cfg without a [tox:tox] section is not tox's (its [testenv] could be anything's)
    not_tox = "[testenv]\ncommands = pytest tests/unit\n"
    assert sorted(executed({**TESTS, "setup.cfg": not_tox, ".github/workflows/ci.yml": ci})) == []
    legacy = ('[tool.tox]\nlegacy_tox_ini = """\n[tox]\nenv_list = unit\n[testenv:unit]\n'
              'commands = pytest {toxinidir}/other\n"""\n')
    assert sorted(executed({**TESTS, "pyproject.toml": legacy, ".github/workflows/ci.yml": ci})) == ["other/test_c.py"]
    native = ('[tool.tox]\nenv_list = ["3.12", "lint"]\n[tool.tox.env_run_base]\n'
              'commands = [["pytest", { replace = "posargs", default = ["tests/unit"], extend = true }]]\n'
              '[tool.tox.env.lint]\ncommands = [["ruff", "check", "."]]\n')
    assert sorted(executed({**TESTS, "pyproject.toml": native, ".github/workflows/ci.yml": ci})) == ["tests/unit/test_b.py"]
    assert sorted(executed({**TESTS, "pyproject.toml": native, ".github/workflows/ci.yml": workflow("tox -e lint")})) == []
    tox_toml = 'env_list = ["unit"]\n[env.unit]\ncommands = [["python", "-m", "pytest", "{tox_root}/other"]]\n'
    assert sorted(executed({**TESTS, "tox.toml": tox_toml, ".github/workflows/ci.yml": ci})) == ["other/test_c.py"]
    # tox.ini comes first
    first = {"tox.ini": "[tox]\nenvlist = py\n[testenv]\ncommands = pytest other\n", "setup.cfg": setup_cfg}
    assert sorted(executed({**TESTS, **first, ".github/workflows/ci.yml": ci})) == ["other/test_c.py"]


def test_commands_inside_containers_shells_and_wrappers():
    """What runs inside `docker run`/`docker compose run`/`exec`, `bash -c "..."`, and behind
    wrappers that take options (`sudo -E`, `xvfb-run -a`, `uvx`, `pipx run`, `nix develop -c`)."""
    runs = {
        "docker run --rm -v $PWD:/app -w /app img:latest pytest tests/test_a.py": ["tests/test_a.py"],
        "docker compose -f ci/compose.yml run --rm -T app python -m pytest tests/test_a.py": ["tests/test_a.py"],
        "docker-compose exec -T app pytest tests/test_a.py": ["tests/test_a.py"],
        "podman exec ctr pytest tests/test_a.py": ["tests/test_a.py"],
        "bash -lc 'pytest tests/test_a.py'": ["tests/test_a.py"],
        "sudo -E -u runner pytest tests/test_a.py": ["tests/test_a.py"],
        "xvfb-run -a -s '-screen 0 1024x768x24' pytest tests/test_a.py": ["tests/test_a.py"],
        "uvx pytest tests/test_a.py": ["tests/test_a.py"],
        "pipx run pytest tests/test_a.py": ["tests/test_a.py"],
        "nix develop -c pytest tests/test_a.py": ["tests/test_a.py"],
        "docker build -t img .": [],  # no command runs inside
        "docker compose up -d": [],
        "docker run --rm img": [],  # the image's own command: not known here
        "bash --version": [],
    }
    assert_runs(runs, TESTS)


def test_commands_that_only_look_up_and_flags_before_the_command():
    """`command -v pytest` and `sudo -l` run nothing; a shell's `-c` may follow other flags;
    docker's flag clusters and global options, uvx's `-w`, `nix develop --impure -c` are read."""
    runs = {
        "command -v pytest": [],
        "sudo -l": [],
        "bash -e -o pipefail -c 'pytest tests/test_a.py'": ["tests/test_a.py"],
        "bash -e script_missing.sh": [],
        "docker run -itd img pytest tests/test_a.py": ["tests/test_a.py"],
        "docker run -q --rm img pytest tests/test_a.py": ["tests/test_a.py"],
        "docker -H tcp://builder:2375 run --rm img pytest tests/test_a.py": ["tests/test_a.py"],
        "uvx -w pytest-cov pytest tests/test_a.py": ["tests/test_a.py"],
        # a project runner's own options before the command (value-taking ones with their value)
        "uv run --extra cpu --extra serving pytest tests/test_a.py": ["tests/test_a.py"],
        "uv run --frozen --all-extras python -m pytest tests/test_a.py": ["tests/test_a.py"],
        "uv run --with pytest-cov -- pytest tests/test_a.py": ["tests/test_a.py"],
        "poetry run -C sub pytest tests/test_a.py": ["tests/test_a.py"],
        "uv run --extra cpu ruff check tests": [],
        "uv run -p 3.11 --isolated pytest tests/test_a.py": ["tests/test_a.py"],
        "nix develop --impure -c pytest tests/test_a.py": ["tests/test_a.py"],
        "torchrun --nproc_per_node 2 -m pytest tests/test_a.py": ["tests/test_a.py"],
        "python -c 'import runpy; runpy.run_path(\"x.py\")'": [],
    }
    assert_runs(runs, TESTS)


def test_a_long_option_chain_is_read_in_one_pass():
    run = "sudo " + "-E " * 5000 + "pytest tests/test_a.py"
    assert sorted(executed({**TESTS, ".github/workflows/ci.yml": workflow(run)})) == ["tests/test_a.py"]


def test_a_pyproject_whose_tool_is_not_a_table_is_no_tox_config():
    files = {**TESTS, "pyproject.toml": 'tool = "x"\n', ".github/workflows/ci.yml": workflow("tox\npytest tests/test_a.py")}
    assert sorted(executed(files)) == ["tests/test_a.py"]


def test_launchers_and_python_options_with_values():
    files = {**TESTS, "train.py": "", "pkg/fit.py": ""}
    runs = {
        "torchrun --nproc_per_node=2 --master_port 29500 train.py --epochs 1": ["train.py"],
        "accelerate launch --num_processes 1 train.py": ["train.py"],
        "deepspeed --num_gpus 1 train.py --deepspeed ds.json": ["train.py"],
        "python -m torch.distributed.run --nproc_per_node 1 train.py": ["train.py"],
        "torchrun --nproc_per_node 1 -m pkg.fit": ["pkg/fit.py"],
        "python -W ignore train.py": ["train.py"],
        "python3 -X dev -u train.py": ["train.py"],
        "python -c 'import train'": [],
    }
    assert_runs(runs, files)


def test_kedro_run_runs_the_pipeline_definitions():
    files = {**TESTS, "src/proj/pipelines/training/pipeline.py": "", "src/proj/pipelines/scoring/pipeline.py": "",
             "src/proj/pipelines/training/nodes.py": ""}
    assert sorted(executed({**files, ".github/workflows/ci.yml": workflow("kedro run")})) == [
        "src/proj/pipelines/scoring/pipeline.py", "src/proj/pipelines/training/pipeline.py"]
    assert sorted(executed({**files, ".github/workflows/ci.yml": workflow("kedro run --pipeline training")})) == [
        "src/proj/pipelines/training/pipeline.py"]
    assert sorted(executed({**files, ".github/workflows/ci.yml": workflow("kedro lint")})) == []


def test_working_directory():
    wf = "on: push\njobs:\n  t:\n    runs-on: x\n    defaults:\n      run:\n        working-directory: tests\n    steps:\n      - run: pytest unit\n"
    assert sorted(executed({**TESTS, ".github/workflows/ci.yml": wf})) == ["tests/unit/test_b.py"]


def test_manual_only_workflows_do_not_automate():
    got = executed({**TESTS, ".github/workflows/ci.yml": workflow("pytest tests/test_a.py", on="workflow_dispatch")})
    assert got == {"tests/test_a.py": None}


def test_reusable_workflows_inherit_their_callers_triggers():
    files = {
        **TESTS,
        ".github/workflows/caller.yml": "on: pull_request\njobs:\n  call:\n    uses: ./.github/workflows/reusable.yml\n",
        ".github/workflows/reusable.yml": workflow("pytest tests/test_a.py", on="workflow_call"),
        ".github/workflows/orphan.yml": workflow("pytest other", on="workflow_call"),
    }
    ci = detect_ci(Snapshot.from_files(files))
    by_path = {w.path: w for w in ci.workflows}
    assert by_path[".github/workflows/reusable.yml"].effective_triggers == {"workflow_call", "pull_request"}
    assert ci.automated_by("tests/test_a.py").workflow == ".github/workflows/reusable.yml"
    assert ci.automated_by("other/test_c.py") is None  # nobody calls orphan.yml


def test_local_composite_actions():
    files = {
        **TESTS,
        ".github/actions/test/action.yml": "runs:\n  using: composite\n  steps:\n    - run: pytest tests/unit\n      shell: bash\n",
        ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: ./.github/actions/test\n",
    }
    ci = detect_ci(Snapshot.from_files(files))
    assert ci.automated_by("tests/unit/test_b.py").path == "tests/unit/test_b.py"


def test_unittest_discover():
    files = {**TESTS, ".github/workflows/ci.yml": workflow("python -m unittest discover -s tests -p 'test_*.py'")}
    assert sorted(executed(files)) == ["tests/test_a.py", "tests/unit/test_b.py"]


def test_facts_per_workflow():
    ci = detect_ci(Snapshot.from_files({".github/workflows/ci.yml": workflow("pip install .\npytest")}))
    assert ci.to_facts() == [{"path": ".github/workflows/ci.yml", "system": "github-actions",
                              "triggers": ["pull_request", "push"], "runs": ["pip install .\npytest"]}]


def test_split_commands_and_makefile_parsing():
    assert split_commands("a && b; c | d \\\n  --flag") == ["a", "b", "c", "d    --flag"]
    rules = parse_makefile("VAR := 1\n.PHONY: test\ntest: build\n\t@pytest\nbuild:\n\tpython setup.py build\n")
    assert rules["test"] == (["build"], ["@pytest"])


def test_jobs_submitted_from_a_spec_are_followed():
    files = {**TESTS, "train.py": "",
             "deploy/jobs/workloads.yaml": "name: w\nentrypoint: bash deploy/jobs/workloads.sh\n",
             "deploy/jobs/workloads.sh": "pytest tests/unit\npython train.py\n",
             "mlops/job.yml": "command: python train.py --epochs 1\ncode: ../\n",
             ".github/workflows/ci.yml": workflow("anyscale jobs submit deploy/jobs/workloads.yaml --wait\n"
                                                 "az ml job create --file mlops/job.yml")}
    assert sorted(executed(files)) == ["deploy/jobs/workloads.sh", "deploy/jobs/workloads.yaml", "mlops/job.yml",
                                       "tests/unit/test_b.py", "train.py"]


def test_coverage_wrappers():
    for cmd in ("python -m coverage run --source src -m pytest tests/unit -o junit_family=legacy",
                "python -m coverage run --source ${{ env.COVERAGE_SCOPE }} -m pytest -v tests/unit",
                "coverage run --rcfile=.coveragerc -m pytest tests/unit"):
        assert sorted(executed({**TESTS, ".github/workflows/ci.yml": workflow(cmd)})) == ["tests/unit/test_b.py"], cmd


def test_commands_given_to_retry_actions_are_followed():
    wf = ("on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n"
          "      - uses: nick-fields/retry@v3\n        with:\n          timeout_minutes: 10\n          command: pytest tests/unit\n"
          "      - uses: ultralytics/actions/retry@main\n        with:\n          run: |\n            python train.py\n"
          "      - uses: snyk/actions/python@master\n        with:\n          command: code test\n")
    ci = detect_ci(Snapshot.from_files({**TESTS, "train.py": "", ".github/workflows/ci.yml": wf}))
    assert sorted(ci.executions) == ["tests/unit/test_b.py", "train.py"]
    assert ci.automated_by("tests/unit/test_b.py").line == 9
    assert any(s.text == "python train.py" for w in ci.workflows for s in w.steps)


def test_a_command_held_in_a_shell_variable_is_followed():
    script = ('#!/usr/bin/env bash\nexport PYTHONWARNINGS="ignore"\n'
              'command="python3 -m pytest --cov=pkg tests/unit"\necho "$command"\neval "$command"\n'
              'TARGET=other\npytest ${TARGET}\n')
    files = {**TESTS, "run_tests.sh": script, ".github/workflows/ci.yml": workflow("./run_tests.sh")}
    assert sorted(executed(files)) == ["other/test_c.py", "run_tests.sh", "tests/unit/test_b.py"]


def test_scripts_a_dispatcher_imports_and_calls_main_of_run_with_their_imports():
    files = {"run.py": ("import sys\nfrom lib import log\n"
                        "def run(name):\n    if name == 'pipeline':\n        from scripts import pipeline as s\n"
                        "    s.main(sys.argv[2:])\n"),
             "scripts/__init__.py": "", "lib/__init__.py": "", "lib/log.py": "",
             "scripts/pipeline.py": "from lib import steps\ndef main(args):\n    steps.train()\n",
             "lib/steps.py": "def train():\n    pass\n",
             "scripts/helpers.py": "def main():\n    pass\n",  # not imported: not run
             ".github/workflows/ci.yml": workflow("python run.py pipeline")}
    ci = detect_ci(Snapshot.from_files(files))
    assert ci.automated_by("scripts/pipeline.py").how == "run by run.py"
    assert ci.automated_by("lib/steps.py").how == "imported by scripts/pipeline.py"
    assert ci.automated_by("lib/log.py").how == "imported by run.py"
    assert ci.automated_by("scripts/helpers.py") is None


def test_an_azure_ml_pipeline_job_runs_every_steps_command_inline_or_by_component():
    src = {f"data-science/src/{n}.py": "" for n in ("prep", "train", "evaluate", "register")}
    files = {
        **src,
        "mlops/azureml/train/pipeline.yml": textwrap.dedent("""
            $schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
            type: pipeline
            jobs:
              prep:
                type: command
                component: ./prep.yml
              train:
                type: command
                code: ../../../data-science/src
                command: >-
                  python train.py --data ${{inputs.data}} --model ${{outputs.model}}
              evaluate:
                component: file:./components/evaluate.yml
              register:
                component: azureml:register_model:1
            """),
        "mlops/azureml/train/prep.yml": "type: command\ncode: ../../../data-science/src\ncommand: python prep.py\n",
        "mlops/azureml/train/components/evaluate.yml": "code: ../../../../data-science/src\ncommand: python evaluate.py\n",
        ".github/workflows/train.yml": workflow("az ml job create --file mlops/azureml/train/pipeline.yml --stream",
                                                on="{schedule: [{cron: '0 0 * * 0'}]}"),
    }
    got = executed(files)
    assert sorted(p for p in got if p.endswith(".py")) == ["data-science/src/evaluate.py", "data-science/src/prep.py",
                                                           "data-science/src/train.py"]  # not the registered one
    assert {"mlops/azureml/train/pipeline.yml", "mlops/azureml/train/prep.yml",
            "mlops/azureml/train/components/evaluate.yml"} <= set(got)


def test_an_azure_ml_pipeline_that_names_itself_is_followed_once():
    steps = "".join(f"  s{i}:\n    component: ./p.yml\n" for i in range(25))
    files = {"ml/train.py": "", "ml/p.yml": f"type: pipeline\njobs:\n{steps}  t:\n    command: python train.py\n"
                                             "  inline:\n    component:\n      command: python train.py\n      code: .\n",
             ".github/workflows/t.yml": workflow("az ml job create --file ml/p.yml")}
    assert sorted(executed(files)) == ["ml/p.yml", "ml/train.py"]


def test_pytest_options_that_take_a_value_are_not_test_paths():
    # `--cov-report html` (stable-baselines3's run_tests.sh): html is the report kind, and with
    # no path given pytest collects its default tests; `--cov src` gives src to --cov
    assert_runs({
        "python3 -m pytest --cov-report html --cov-report term --cov=. -v -m 'not expensive' --durations=15":
            ["other/test_c.py", "pkg/model_test.py", "tests/test_a.py", "tests/unit/test_b.py"],
        "pytest --durations 15 --reruns 2 -n 4 --dist loadfile tests/unit": ["tests/unit/test_b.py"],
        "pytest --cov src tests --ignore tests/unit": ["tests/test_a.py"],
        "pytest --cov --cov-report=xml tests/unit": ["tests/unit/test_b.py"],
        "coverage run --source pkg -m py.test tests/unit -v": ["tests/unit/test_b.py"],
    }, TESTS)


def test_pytest_in_a_script_a_make_target_runs():
    files = {**TESTS, "Makefile": "pytest:\n\t./scripts/run_tests.sh\n",
             "scripts/run_tests.sh": "#!/bin/bash\npython3 -m pytest --cov-report html --cov=. -v\n",
             ".github/workflows/ci.yml": workflow("make pytest")}
    assert sorted(executed(files)) == ["other/test_c.py", "pkg/model_test.py", "scripts/run_tests.sh",
                                       "tests/test_a.py", "tests/unit/test_b.py"]


def test_matrix_values_are_followed():
    # `tox -e ${{ matrix.toxenv }}` and `working-directory: ${{ matrix.project }}`: the files each
    # matrix value runs (include: entries add values)
    tox = "[tox]\nenvlist = unit, other\n[testenv:unit]\ncommands = pytest tests/unit\n[testenv:other]\ncommands = pytest other\n"
    wf = ("on: [push, pull_request]\njobs:\n  t:\n    runs-on: ubuntu-latest\n"
          "    strategy:\n      matrix:\n        toxenv: [unit]\n        include:\n          - toxenv: other\n"
          "    steps:\n      - run: tox -e ${{ matrix.toxenv }}\n"
          "  p:\n    runs-on: ubuntu-latest\n"
          "    strategy:\n      matrix:\n        project: [a, b]\n"
          "    steps:\n      - run: python train.py\n        working-directory: ${{ matrix.project }}\n")
    files = {**TESTS, "tox.ini": tox, "a/train.py": "", "b/train.py": "", ".github/workflows/ci.yml": wf}
    assert sorted(executed(files)) == ["a/train.py", "b/train.py", "other/test_c.py", "tests/unit/test_b.py"]
    ci = detect_ci(Snapshot.from_files(files))
    assert [s.text for s in ci.workflows[0].steps] == ["tox -e ${{ matrix.toxenv }}", "python train.py"]


def test_matrix_values_unknown_or_too_many_stay_unresolved():
    from mlscorecard.detectors.ci import MAX_MATRIX_VARIANTS, matrix_variants

    assert matrix_variants("tox -e ${{ matrix.env }}", None, {"toxenv": ["a"]}) == [("tox -e ${{ matrix.env }}", None)]
    many = {"a": [str(i) for i in range(MAX_MATRIX_VARIANTS)], "b": ["x", "y"]}
    text = "run ${{ matrix.a }} ${{ matrix.b }}"
    assert matrix_variants(text, None, many) == [(text, None)]
    assert matrix_variants("run ${{ matrix.b }}", "${{ matrix.b }}", many) == [("run x", "x"), ("run y", "y")]


def test_tox_posargs_default_is_the_command_ci_runs():
    # `coverage run -m {posargs:pytest} tests/`: with no arguments passed on, tox runs the default
    tox = "[tox]\nenv_list = py313\n[testenv:py313]\ncommands =\n    coverage run -m {posargs:pytest} tests/unit\n"
    files = {**TESTS, "tox.ini": tox, ".github/workflows/ci.yml": workflow("tox -e py313")}
    assert sorted(executed(files)) == ["tests/unit/test_b.py"]
    # an environment named by an expression the workflow does not resolve: the envlist's
    files[".github/workflows/ci.yml"] = workflow("tox -e ${{ steps.pick.outputs.env }}")
    assert sorted(executed(files)) == ["tests/unit/test_b.py"]
