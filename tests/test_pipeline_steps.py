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
def test_a_python_definition_records_each_script_with_its_call_s_folder():
    refs = python_step_refs(SDK_V1, ["azureml.pipeline.steps", "azureml.pipeline.core"])
    assert refs == [[6, "script_name", "src/validate.py", "."]]
    two = """from azureml.pipeline.steps import PythonScriptStep
a = PythonScriptStep(script_name="train.py", source_directory="train_step")
b = PythonScriptStep(script_name="validate.py",
                     source_directory="check_step")
"""
    assert python_step_refs(two, ["azureml.pipeline.steps"]) == [[2, "script_name", "train.py", "train_step"],
                                                               [3, "script_name", "validate.py", "check_step"]]
    v2 = 'from azure.ai.ml import command\njob = command(code="./src", command="python validate.py")\n'
    assert python_step_refs(v2, ["azure.ai.ml"]) == [[2, "command", "python validate.py", "./src"]]


def test_assignments_and_comments_are_no_step_arguments():
    text = """import sagemaker
code = "src/validate.py"
# step = ProcessingStep(code="src/validate.py")
"""
    assert python_step_refs(text, ["sagemaker"]) == []


def test_a_file_without_a_pipeline_sdk_records_nothing():
    # `code="..."` and `command="..."` are everyday keyword names: only a pipeline SDK makes them steps
    assert python_step_refs('run(command="python src/validate.py", code="x.py")\n', ["subprocess"]) == []


def test_an_azure_ml_spec_records_each_command_with_its_code_folder():
    assert yaml_step_refs(PIPELINE_JOB) == [[6, "command", "python -m src.validate --data ${{inputs.raw}}", "../"],
                                            [10, "command", "python src/train.py", "../"]]


def test_a_compose_file_command_is_no_step():
    compose = "services:\n  worker:\n    image: app\n    command: python src/validate.py\n"
    assert yaml_step_refs(compose) == []
    # an Azure ML image named in a compose file or a Kubernetes manifest makes neither a spec
    azure_image = compose.replace("image: app", "image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04")
    assert yaml_step_refs(azure_image) == []
    job = "apiVersion: batch/v1\nkind: Job\nmetadata: {annotations: {team: azureml}}\ncommand: python src/validate.py\n"
    assert yaml_step_refs(job) == []
    component = "type: command\ncode: ../src\ncommand: python validate.py\nenvironment: azureml:env:1\n"
    assert yaml_step_refs(component) == [[3, "command", "python validate.py", "../src"]]
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
    assert facts.flow_files == {"flows/nightly.py": 6}
    assert facts.pipeline_steps["src/checks.py"] == "pipeline step: flows/nightly.py:6 (imports it)"
    assert data_1(files).level == "automated"


def test_importing_an_orchestrator_without_defining_a_flow_runs_nothing():
    # a helper that only imports prefect's logger defines no flow: what it imports is not a step
    helper = "from prefect import get_run_logger\n\nfrom src.checks import check\n"
    files = {"src/helpers.py": helper, "src/checks.py": VALIDATE.replace("def validate", "def check")}
    facts = collect(Snapshot.from_files(files), HEUR)
    assert facts.flow_files == {} and "src/checks.py" not in facts.pipeline_steps
    assert data_1(files).level == "manual"


def test_the_orchestrator_itself_has_no_flows_of_its_own():
    # a repository that is the orchestrator: `import prefect` names its own package
    files = {"prefect/__init__.py": "", "prefect/flows.py": FLOW.replace("from prefect import", "from prefect.core import"),
             "prefect/core.py": "def flow(f):\n    return f\n", "src/checks.py": VALIDATE}
    facts = collect(Snapshot.from_files(files), HEUR)
    assert facts.flow_files == {"prefect/flows.py": 6}
    assert facts.pipeline_steps == {}
    # a project's own module that happens to share the name elsewhere does not turn flows off
    files = {"flows/nightly.py": FLOW, "src/orchestration/prefect.py": "x = 1\n",
             "src/checks.py": VALIDATE.replace("def validate", "def check")}
    assert "src/checks.py" in collect(Snapshot.from_files(files), HEUR).pipeline_steps


def test_a_flow_s_orchestrator_imports_are_never_the_project_s_modules():
    dag = "from airflow import DAG\nfrom airflow.models import Variable\n\nwith DAG('d') as d:\n    pass\n"
    files = {"dags/d.py": dag, "src/airflow/models.py": VALIDATE}
    assert collect(Snapshot.from_files(files), HEUR).pipeline_steps == {}
    commented = "from airflow.models import Variable\nfrom src.checks import check\n# used by the DAG(...) in dags/\n"
    files = {"src/helper.py": commented, "src/checks.py": VALIDATE}
    assert collect(Snapshot.from_files(files), HEUR).flow_files == {}


def test_definitions_in_tests_run_nothing():
    test = 'import sagemaker\n\ndef test_step():\n    ProcessingStep(name="v", code="src/validate.py")\n'
    assert data_1({"src/validate.py": VALIDATE, "tests/test_pipeline.py": test}).level == "manual"


def test_a_shell_script_a_step_runs_is_followed_to_what_it_runs():
    build = 'import sagemaker\nstep = ProcessingStep(name="v", code="scripts/run.sh")\n'
    files = {"build.py": build, "scripts/run.sh": "python src/validate.py\n", "src/validate.py": VALIDATE}
    facts = collect(Snapshot.from_files(files), HEUR)
    assert facts.pipeline_steps["src/validate.py"] == "pipeline step: build.py:2"


def test_a_warm_audit_reads_no_blob_for_pipeline_steps(tmp_path, monkeypatch):
    from gitrepo import make_repo
    from mlscorecard import snapshot as snapshot_module
    from mlscorecard.audit import run_audit

    spec = PIPELINE_JOB.replace("python -m src.validate --data ${{inputs.raw}}", "bash scripts/run.sh")
    files = {"mlops/pipeline.yml": spec, "scripts/run.sh": "make validate\n",
             "Makefile": "validate:\n\tpython src/validate.py\n", "src/validate.py": VALIDATE,
             "src/train.py": "print(1)\n"}
    repo = make_repo(tmp_path / "repo", [{"subject": "one", "files": files}])
    reads = []
    original = snapshot_module.BlobReader.read
    monkeypatch.setattr(snapshot_module.BlobReader, "read", lambda self, sha: reads.append(sha) or original(self, sha))
    cold = run_audit(str(repo), cache_dir=tmp_path / "cache", remember=False)
    assert cold.rubrics["ml-test-score"].items["data-1"].level == "automated" and reads
    reads.clear()
    warm = run_audit(str(repo), cache_dir=tmp_path / "cache", remember=False)
    assert warm.rubrics["ml-test-score"].items["data-1"].level == "automated"
    assert reads == []
