"""What a pipeline definition says it runs, read from one file (cached with the file's facts).

A check inside a pipeline step runs without a person, whoever submits the pipeline (the
calibration standard: "the check runs inside the training/serving path itself (a pipeline
step ...)"). A step names its script in its definition: `PythonScriptStep(script_name=...,
source_directory=...)` and `CommandStep(command="python -m src.train")` (Azure ML SDK v1),
`command(command=..., code=...)` (SDK v2), `ProcessingStep(code=...)` and estimators'
`entry_point=`/`source_dir=` (SageMaker), `BashOperator(bash_command=...)` (Airflow),
`script_path=` (Vertex AI), or a job/component spec's `command:` with its `code:` folder (Azure ML
YAML). This module only records those strings with their lines; which repository files they
name is worked out for the whole repository (detectors/pipeline_steps.py), because it depends on
which files exist.

Records are `[line, key, value, base]`: key is the argument or YAML key, base the spec's `code:`
folder (YAML) or "" (Python, whose `source_directory=`/`source_dir=` are records of their own).
"""

from __future__ import annotations

import re

# the SDKs whose step definitions name a script; a file that imports none of them is not read
STEP_SDKS = ("azureml", "azure.ai.ml", "sagemaker", "airflow", "kfp", "google.cloud.aiplatform")
SCRIPT_KEYS = frozenset({"script_name", "entry_point", "script_path", "code"})
COMMAND_KEYS = frozenset({"command", "bash_command"})
BASE_KEYS = frozenset({"source_directory", "source_dir"})
MAX_REFS = 200  # per file: a generated file of thousands of steps adds nothing past this

_PY_REF_RE = re.compile(r"\b(script_name|entry_point|script_path|code|bash_command|command|source_directory|source_dir)"
                        r"[ \t]*=[ \t]*[rRuU]?(\"|')([^\"'\n]{1,300})\2")


# orchestrators whose tasks run the project's functions in-process (detectors/pipeline_steps.py)
IN_PROCESS_ORCHESTRATORS = ("airflow", "prefect", "dagster", "kedro", "metaflow", "zenml", "luigi", "flytekit")
# what defines a flow, a DAG, a pipeline or its tasks (not a file that only imports a helper)
_FLOW_RE = re.compile(r"^[ \t]*@(?:[\w.]*\.)?(?:dag|flow|task|job|op|asset|graph|pipeline|step|workflow)\b"
                      r"|\bDAG\(|\(\s*FlowSpec\s*\)|\bnode\(|\bpipeline\(\s*\[|\bluigi\.Task\b", re.M)


def defines_flow(source: str, imports: list[str]) -> bool:
    """Whether a file imports an in-process orchestrator and defines a flow or tasks with it."""
    return any(i == o or i.startswith(o + ".") for i in imports for o in IN_PROCESS_ORCHESTRATORS) \
        and _FLOW_RE.search(source) is not None


def imports_step_sdk(imports: list[str]) -> bool:
    return any(i == sdk or i.startswith(sdk + ".") for i in imports for sdk in STEP_SDKS)


def python_step_refs(source: str, imports: list[str]) -> list[list]:
    """Step arguments given as string literals, in a file that imports a pipeline SDK."""
    if not imports_step_sdk(imports):
        return []
    out: list[list] = []
    line, last = 1, 0
    for mo in _PY_REF_RE.finditer(source):
        line += source.count("\n", last, mo.start())
        last = mo.start()
        out.append([line, mo.group(1), mo.group(3).strip(), ""])
        if len(out) >= MAX_REFS:
            break
    return out


def yaml_step_refs(text: str) -> list[list]:
    """`command:` strings of an Azure ML job or component spec (any mapping of the file that has
    one: a command job, a component, each step of a pipeline job), with the `code:` folder of the
    same mapping (`code: ../src` or the older `code: {local_path: ../src}`)."""
    if "command" not in text or "azureml" not in text.lower():
        return []
    from ..yamlio import LineDict, YamlError, load_yaml_documents

    try:
        docs = load_yaml_documents(text)
    except YamlError:
        return []  # the file's own reader reports it
    out: list[list] = []
    todo = list(docs)
    while todo and len(out) < MAX_REFS:
        node = todo.pop()
        if isinstance(node, dict):
            command = node.get("command")
            if isinstance(command, str) and command.strip():
                code = node.get("code")
                if isinstance(code, dict):
                    code = code.get("local_path")
                base = code if isinstance(code, str) and not code.startswith("azureml:") else ""
                line = node.line_of("command") if isinstance(node, LineDict) else 1
                out.append([line, "command", command.strip(), base.removeprefix("file:")])
            todo.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            todo.extend(v for v in node if isinstance(v, (dict, list)))
    return sorted(out)
