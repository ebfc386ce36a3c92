"""Pipeline steps: a check in a script a pipeline step runs is automated (engine/step_refs.py,
detectors/pipeline_steps.py), whoever submits the pipeline; nothing else becomes a step."""

from __future__ import annotations

from mlscorecard.audit import audit_snapshot
from mlscorecard.collect import collect
from mlscorecard.engine.step_refs import python_step_refs, yaml_step_refs
from mlscorecard.heuristics import load_heuristics
from mlscorecard.model import Evidence
from mlscorecard.scoring import score_all
from mlscorecard.snapshot import Snapshot

HEUR = load_heuristics()

VALIDATE = """import pandera as pa

schema = pa.DataFrameSchema({"price": pa.Column(float, nullable=False)})


def validate(df):
    return schema.validate(df)
"""

SDK_V1 = """from azureml.pipeline.steps import PythonScriptStep
from azureml.pipeline.core import Pipeline

validate_step = PythonScriptStep(
    name="validate",
    script_name="src/validate.py",
    source_directory=".",
)
pipeline = Pipeline(workspace=None, steps=[validate_step])
"""

PIPELINE_JOB = """$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
compute: azureml:cpu-cluster
jobs:
  validate:
    command: >-
      python -m src.validate --data ${{inputs.raw}}
    code: ../
  train:
    command: python src/train.py
    code:
      local_path: ../
"""


def data_1(files: dict[str, str]):
    result = audit_snapshot(Snapshot.from_files(files), HEUR)
    return result.rubrics["ml-test-score"].items["data-1"]


# -- what one file records -------------------------------------------------------------------
def test_a_python_definition_records_its_step_arguments_with_their_lines():
    refs = python_step_refs(SDK_V1, ["azureml.pipeline.steps", "azureml.pipeline.core"])
    assert [r[:3] for r in refs] == [[6, "script_name", "src/validate.py"], [7, "source_directory", "."]]


def test_a_file_without_a_pipeline_sdk_records_nothing():
    # `code="..."` and `command="..."` are everyday keyword names: only a pipeline SDK makes them steps
    assert python_step_refs('run(command="python src/validate.py", code="x.py")\n', ["subprocess"]) == []


def test_an_azure_ml_spec_records_each_command_with_its_code_folder():
    assert yaml_step_refs(PIPELINE_JOB) == [[6, "command", "python -m src.validate --data ${{inputs.raw}}", "../"],
                                            [10, "command", "python src/train.py", "../"]]


def test_a_compose_file_command_is_no_step():
    compose = "services:\n  worker:\n    image: app\n    command: python src/validate.py\n"
    assert yaml_step_refs(compose) == []
    assert yaml_step_refs("jobs: [unclosed\n  azureml: x\n  command: y\n") == []  # broken YAML: nothing


# -- what the audit makes of it ----------------------------------------------------------------
def test_a_check_in_a_script_an_sdk_step_runs_is_automated_by_that_step():
    item = data_1({"src/validate.py": VALIDATE, "build_pipeline.py": SDK_V1})
    assert item.level == "automated"
    ev = next(e for e in item.evidence if e.path == "src/validate.py")
    assert ev.automated_by == "pipeline step: build_pipeline.py:6"


def test_the_same_check_without_a_step_that_runs_it_is_manual():
    assert data_1({"src/validate.py": VALIDATE}).level == "manual"
    other = SDK_V1.replace("src/validate.py", "src/other.py")  # a step that runs another script
    assert data_1({"src/validate.py": VALIDATE, "src/other.py": "print(1)\n", "build_pipeline.py": other}).level == "manual"


def test_a_pipeline_job_spec_runs_its_modules_and_what_they_import():
    files = {"src/validate.py": VALIDATE, "mlops/pipeline.yml": PIPELINE_JOB,
             "src/train.py": "from src.checks import check\n\ncheck()\n",
             "src/checks.py": VALIDATE.replace("def validate", "def check")}
    facts = collect(Snapshot.from_files(files), HEUR)
    assert facts.pipeline_steps["src/validate.py"] == "pipeline step: mlops/pipeline.yml:6"
    assert facts.pipeline_steps["src/train.py"] == "pipeline step: mlops/pipeline.yml:10"
    assert facts.pipeline_steps["src/checks.py"] == "pipeline step: mlops/pipeline.yml:10 (imported)"
    assert data_1(files).level == "automated"


def test_an_ambiguous_import_is_not_followed():
    # `import utils` that two files could answer: neither is taken to run in the pipeline
    files = {"mlops/pipeline.yml": PIPELINE_JOB.replace("python -m src.validate --data ${{inputs.raw}}", "python src/train.py"),
             "src/train.py": "import utils\n", "src/utils.py": VALIDATE, "lib/utils.py": VALIDATE}
    facts = collect(Snapshot.from_files(files), HEUR)
    assert "src/train.py" in facts.pipeline_steps
    assert "src/utils.py" not in facts.pipeline_steps and "lib/utils.py" not in facts.pipeline_steps


def test_a_step_in_the_pipeline_gates_serving_whatever_ci_does():
    # infra-4's ci_automation_needs_any demotes what CI alone runs; a pipeline step is not CI
    step = Evidence("quality-gates/metric-gate", "src/evaluate.py", 1, 0.5, "s", "infra-4", level="automated",
                    automated_by="pipeline step: pipelines/train.py:12")
    assert score_all(HEUR, [step], {"history"})["ml-test-score"].items["infra-4"].level == "automated"


# -- in-process orchestrators: what a flow file imports runs in its tasks ------------------------
FLOW = """from prefect import flow, task

from src.checks import check


@flow
def nightly():
    check()
"""


def test_a_module_a_flow_imports_runs_with_the_flow():
    files = {"flows/nightly.py": FLOW, "src/checks.py": VALIDATE.replace("def validate", "def check")}
    facts = collect(Snapshot.from_files(files), HEUR)
    assert facts.flow_files == ["flows/nightly.py"]
    assert facts.pipeline_steps["src/checks.py"] == "pipeline step: flows/nightly.py (imports it)"
    assert data_1(files).level == "automated"


def test_importing_an_orchestrator_without_defining_a_flow_runs_nothing():
    # a helper that only imports prefect's logger defines no flow: what it imports is not a step
    helper = "from prefect import get_run_logger\n\nfrom src.checks import check\n"
    files = {"src/helpers.py": helper, "src/checks.py": VALIDATE.replace("def validate", "def check")}
    facts = collect(Snapshot.from_files(files), HEUR)
    assert facts.flow_files == [] and "src/checks.py" not in facts.pipeline_steps
    assert data_1(files).level == "manual"


def test_the_orchestrator_itself_has_no_flows_of_its_own():
    # a repository that is the orchestrator: `import prefect` names its own package
    files = {"prefect/__init__.py": "", "prefect/flows.py": FLOW.replace("from prefect import", "from prefect.core import"),
             "prefect/core.py": "def flow(f):\n    return f\n", "src/checks.py": VALIDATE}
    facts = collect(Snapshot.from_files(files), HEUR)
    assert facts.flow_files == ["prefect/flows.py"]
    assert facts.pipeline_steps == {}
