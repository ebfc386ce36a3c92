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

Records are `[line, key, value, base]`: key is the argument or YAML key, base the folder the
script or command runs in, from the same call (`source_directory=`, `source_dir=`, a `code=`
folder) or the same mapping (`code:`), or "".
"""

from __future__ import annotations

import re

# the SDKs whose step definitions name a script; a file that imports none of them is not read
STEP_SDKS = ("azureml", "azure.ai.ml", "sagemaker", "airflow", "kfp", "google.cloud.aiplatform")
SCRIPT_KEYS = frozenset({"script_name", "entry_point", "script_path", "code"})
COMMAND_KEYS = frozenset({"command", "bash_command"})
BASE_KEYS = frozenset({"source_directory", "source_dir"})
MAX_REFS = 200  # per file: a generated file of thousands of steps adds nothing past this

# a keyword argument (after `(` or `,`) given a string literal: `script_name="train.py"`, never
# a plain assignment (`code = "x.py"`)
_PY_REF_RE = re.compile(r"[(,][ \t\r\n]*(script_name|entry_point|script_path|code|bash_command|command|source_directory|source_dir)"
                        r"[ \t]*=[ \t]*[rRuU]?(\"|')([^\"'\n]{1,300})\2")
_CALL_SPAN = 4000  # characters around an argument searched for the call's parentheses


# orchestrators whose tasks run the project's functions in-process (detectors/pipeline_steps.py)
IN_PROCESS_ORCHESTRATORS = ("airflow", "prefect", "dagster", "kedro", "metaflow", "zenml", "luigi", "flytekit")
# what defines a flow, a DAG, a pipeline or its tasks (not a file that only imports a helper), on
# a line that is not a comment
_FLOW_RE = re.compile(r"^[ \t]*@(?:[\w.]*\.)?(?:dag|flow|task|job|op|asset|graph|pipeline|step|workflow)\b"
                      r"|^[^#\n]*?(?:\bDAG\(|\(\s*FlowSpec\s*\)|\bnode\(|\bpipeline\(\s*\[|\bluigi\.Task\b)", re.M)


def in_packages(module: str, roots) -> bool:
    """Whether a dotted module name is one of these packages or inside one (airflow.models)."""
    return any(module == r or module.startswith(r + ".") for r in roots)


def defines_flow(source: str, imports: list[str]) -> int | None:
    """The line where a file that imports an in-process orchestrator defines a flow or tasks
    with it, or None."""
    if not any(in_packages(i, IN_PROCESS_ORCHESTRATORS) for i in imports):
        return None
    mo = _FLOW_RE.search(source)
    return None if mo is None else source.count("\n", 0, mo.start()) + 1


def _unmatched(source: str, pos: int, step: int, opener: str, closer: str) -> int:
    """From pos, moving by step (-1 back, +1 forward) at most _CALL_SPAN characters, the first
    `closer` that no `opener` passed on the way balances (or where the search stopped)."""
    depth, i = 0, pos
    stop = max(0, pos - _CALL_SPAN) if step < 0 else min(len(source), pos + _CALL_SPAN)
    while i != stop:
        c = source[i + step if step < 0 else i]
        if c == opener:
            depth += 1
        elif c == closer:
            if depth == 0:
                return i + step if step < 0 else i
            depth -= 1
        i += step
    return i


def _call_span(source: str, pos: int) -> tuple[int, int]:
    """The parentheses of the call an argument at pos belongs to (bounded search; string
    literals are not skipped, so a parenthesis inside one can only narrow the span)."""
    return _unmatched(source, pos, -1, ")", "("), _unmatched(source, pos, 1, "(", ")")


def python_step_refs(source: str, imports: list[str]) -> list[list]:
    """Step arguments given as string literals, in a file that imports a pipeline SDK: one
    record per script or command, its base the same call's `source_directory=`/`source_dir=`
    (or `code=` naming a folder, Azure ML SDK v2) or ""; never on a comment line."""
    if not any(in_packages(i, STEP_SDKS) for i in imports):
        return []
    found = []
    for mo in _PY_REF_RE.finditer(source):
        line_start = source.rfind("\n", 0, mo.start(1)) + 1
        if source[line_start:mo.start(1)].lstrip().startswith("#"):
            continue
        found.append((mo.start(1), mo.group(1), mo.group(3).strip()))
    out: list[list] = []
    for pos, key, value in found:
        is_script = key in SCRIPT_KEYS and value.endswith((".py", ".sh"))
        if not (is_script or key in COMMAND_KEYS):
            continue  # a folder: the base of a script or command in the same call
        lo, hi = _call_span(source, pos)
        base = next((v for p, k, v in found if lo < p < hi and p != pos
                     and (k in BASE_KEYS or (k == "code" and not v.endswith((".py", ".sh"))))), "")
        out.append([source.count("\n", 0, pos) + 1, key, value, base])
        if len(out) >= MAX_REFS:
            break
    return out


_AZURE_SPEC_TYPES = frozenset({"command", "pipeline", "sweep", "parallel", "spark"})
MAX_COMMAND = 2000  # characters of one YAML command kept (a longer one is no step we can follow)


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
    # an Azure ML spec says so: its $schema, or a job or component `type:` (a compose file or a
    # Kubernetes manifest that names an azureml image is neither)
    top = docs[0] if docs else None
    if not isinstance(top, dict) or not ("azureml" in str(top.get("$schema", "")).lower()
                                         or top.get("type") in _AZURE_SPEC_TYPES):
        return []
    out: list[list] = []
    todo = list(docs)
    while todo and len(out) < MAX_REFS:
        node = todo.pop()
        if isinstance(node, dict):
            command = node.get("command")
            if isinstance(command, str) and command.strip() and len(command) <= MAX_COMMAND:
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
