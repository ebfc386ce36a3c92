"""CI systems beyond GitHub Actions: GitLab CI, Azure Pipelines, CircleCI, Travis CI, Bitbucket
Pipelines, Buildkite, Jenkins and pre-commit. Each reader turns one config into Workflows
(triggers + shell commands), so every rule and every "which files run" question works the same
whatever the system. Triggers are normalised to push, pull_request, schedule, tag, manual, local.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from typing import Any

from ..errors import reading
from ..memo import selector
from ..snapshot import Snapshot
from ..yamlio import LineDict, LineList, YamlError, load_yaml, seq
from .ci import CIFacts, Execution, Step, Workflow, _CommandReader, _input_defaults, add_command, load_ci_yaml, substitute

MAX_TEMPLATE_DEPTH = 5


def _commands(value: Any) -> list[tuple[int | None, str]]:
    """(line, command) pairs of a script given as a string or a list of strings."""
    if isinstance(value, str):
        return [(None, value)]
    if isinstance(value, LineList):
        return [(line, v) for v, line in zip(value, value.lines) if isinstance(v, str)]
    return []


def _add_script(wf, facts, reader, path, holder: LineDict, key: str, cwd=None, manual=False) -> None:
    value = holder.get(key)
    for line, cmd in _commands(value):
        add_command(wf, facts, reader, path, line or holder.line_of(key), cmd, cwd, manual)


# ---------------------------------------------------------------------------- GitLab CI
_GITLAB_RESERVED = {"stages", "variables", "default", "include", "workflow", "image", "services", "before_script",
                    "after_script", "cache", "types"}


def _gitlab_triggers(job: LineDict, workflow_rules: Any) -> list[str]:
    text = repr(job.get("rules")) + repr(job.get("only")) + repr(workflow_rules)
    triggers = set()
    only = job.get("only")
    only_list = only if isinstance(only, list) else (only.get("refs") if isinstance(only, dict) else None)
    if isinstance(only_list, list) and only_list:
        for ref in only_list:
            ref = str(ref)
            triggers.add({"schedules": "schedule", "merge_requests": "pull_request", "tags": "tag",
                          "web": "manual", "api": "manual", "triggers": "manual"}.get(ref, "push"))
    else:
        triggers.add("push")
        if "merge_request_event" in text:
            triggers.add("pull_request")
        if "schedule" in text:
            triggers.add("schedule")
        if "CI_COMMIT_TAG" in text:
            triggers.add("tag")
    return sorted(triggers)


def _only_manual_rules(rules: Any) -> bool:
    """A job whose every rule that can run it says `when: manual` waits for a person."""
    active = [r for r in seq(rules) if isinstance(r, dict) and r.get("when") != "never"]
    return bool(active) and all(r.get("when") == "manual" for r in active)


def _gitlab_includes(data: LineDict) -> list[str]:
    inc = data.get("include")
    items = inc if isinstance(inc, list) else [inc] if inc else []
    out = []
    for item in items:
        if isinstance(item, str) and not item.startswith(("http://", "https://")):
            out.append(item.lstrip("/"))
        elif isinstance(item, dict) and isinstance(item.get("local"), str):
            out.append(item["local"].lstrip("/"))
    return out


def _gitlab_extended(job: LineDict, bases: dict[str, LineDict], depth: int = 0,
                     done: dict[int, LineDict] | None = None) -> LineDict:
    """The job with the keys of the jobs it `extends:` (in order, its own keys last), as GitLab
    merges them; the keys keep the lines they are written on. Each job is merged once (`done`):
    templates that extend several others, level after level, cost their number, not its power."""
    parents = job.get("extends")
    parents = [parents] if isinstance(parents, str) else parents if isinstance(parents, list) else []
    if not parents or depth > 10:
        return job
    done = {} if done is None else done
    if id(job) in done:
        return done[id(job)]
    merged = LineDict()
    merged.line = job.line
    for name in parents:
        base = bases.get(name) if isinstance(name, str) else None
        if base is None or base is job:
            continue
        base = _gitlab_extended(base, bases, depth + 1, done)
        for key, value in base.items():
            merged[key] = value
            merged.lines[key] = base.line_of(key)
    for key, value in job.items():
        merged[key] = value
        merged.lines[key] = job.line_of(key)
    done[id(job)] = merged
    return merged


def read_gitlab(snap: Snapshot, path: str, reader: _CommandReader, facts: CIFacts) -> None:
    seen: set[str] = set()
    todo = [path]
    jobs: list[tuple[str, str, LineDict]] = []
    bases: dict[str, LineDict] = {}
    defaults: dict[str, Any] = {}
    workflow_rules = None
    while todo:
        p = todo.pop(0)
        if p in seen or not snap.exists(p) or len(seen) > 20:
            continue
        seen.add(p)
        data = load_ci_yaml(snap, p)
        if not isinstance(data, LineDict):
            continue
        todo.extend(_gitlab_includes(data))
        workflow_rules = workflow_rules or (data.get("workflow") or {}).get("rules") if isinstance(data.get("workflow"), dict) else workflow_rules
        if isinstance(data.get("default"), dict):
            defaults.update(data["default"])
        for key in ("before_script", "after_script"):
            if key in data:
                defaults[key] = data[key]
        for name, job in data.items():
            if name in _GITLAB_RESERVED or not isinstance(job, LineDict):
                continue
            bases.setdefault(name, job)  # what `extends:` can name, hidden `.templates` included
            if name.startswith("."):
                continue
            if "script" in job or "trigger" in job or "extends" in job:
                jobs.append((p, name, job))
    merged: dict[int, LineDict] = {}
    jobs = [(p, name, _gitlab_extended(job, bases, done=merged)) for p, name, job in jobs]
    for p, _name, job in jobs:
        manual = job.get("when") == "manual" or _only_manual_rules(job.get("rules"))
        wf = Workflow(path=p, system="gitlab-ci", triggers=_gitlab_triggers(job, workflow_rules), line=job.line)
        for key in ("before_script", "script", "after_script"):
            if key in job:
                _add_script(wf, facts, reader, p, job, key, manual=manual)
            elif key in defaults and key != "script":
                for line, cmd in _commands(defaults[key]):
                    add_command(wf, facts, reader, p, line or job.line, cmd, None, manual)
        if manual:
            wf.triggers = ["manual"]
        facts.workflows.append(wf)


# ---------------------------------------------------------------------------- Azure Pipelines
_AZURE_SCRIPT_KEYS = ("script", "bash", "pwsh", "powershell")


def _azure_template_path(ref: str, current: str) -> str:
    ref = ref.split("@")[0]
    if ref.startswith("/"):
        return posixpath.normpath(ref.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(current), ref))


def _is_local_template(value: Any) -> bool:
    """A template in this repository (`path.yml` or `path.yml@self`), not `path.yml@other-repo`."""
    return isinstance(value, str) and ("@" not in value or value.endswith("@self"))


def _azure_templates(node: Any, current: str) -> list[str]:
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "template":
                if _is_local_template(value):
                    out.append(_azure_template_path(value, current))
            else:
                out.extend(_azure_templates(value, current))
    elif isinstance(node, list):
        for item in node:
            out.extend(_azure_templates(item, current))
    return out


def _azure_walk(snap, node: Any, path: str, wf: Workflow, reader, facts, depth: int, manual: bool,
                values: dict[str, str] | None = None, calling: tuple[str, ...] = (),
                expanded: set | None = None) -> bool:
    """Add every script of a pipeline, following local templates with the parameters passed to
    them; True once a manual gate was seen. A template is never followed into itself (`calling`),
    and one pipeline expands a template with the same parameters once (`expanded`), so templates
    that include themselves or each other many times cost their distinct uses only."""
    values = values or {}
    expanded = set() if expanded is None else expanded
    if depth > MAX_TEMPLATE_DEPTH:
        return manual
    if isinstance(node, LineDict):
        if node.get("task", "").startswith("ManualValidation") if isinstance(node.get("task"), str) else False:
            wf.steps.append(_note_step(path, node.line_of("task"), "ManualValidation (a person approves)"))
            return True
        for key in _AZURE_SCRIPT_KEYS:
            if isinstance(node.get(key), str):
                add_command(wf, facts, reader, path, node.line_of(key), substitute(node[key], values),
                            node.get("workingDirectory"), manual)
        inputs = node.get("inputs")
        if isinstance(node.get("task"), str) and isinstance(inputs, dict):
            for key in ("script", "inlineScript", "scriptPath", "filePath", "arguments"):
                value = inputs.get(key)
                if isinstance(value, str):
                    text = value if key in ("script", "inlineScript") else (
                        f"bash {value}" if key in ("scriptPath", "filePath") else value)
                    add_command(wf, facts, reader, path, inputs.line_of(key), substitute(text, values), None, manual)
        for key, value in node.items():
            if key == "template" and _is_local_template(value):
                tpath = _azure_template_path(value, path)
                data = load_ci_yaml(snap, tpath) if snap.exists(tpath) else None
                wf.steps.append(_note_step(path, node.line_of("template"), f"template: {value}"))
                if data is not None:
                    passed = {k: substitute(str(v), values) for k, v in (node.get("parameters") or {}).items()
                              if not isinstance(v, (dict, list)) and v is not None} \
                        if isinstance(node.get("parameters"), dict) else {}
                    declared = data.get("parameters") if isinstance(data, dict) else None
                    defaults = {p["name"]: str(p["default"]) for p in seq(declared)
                                if isinstance(p, dict) and "name" in p and p.get("default") is not None
                                and not isinstance(p.get("default"), (dict, list))} if isinstance(declared, list) \
                        else _input_defaults(declared)
                    params = {**defaults, **passed}
                    key = (tpath, tuple(sorted(params.items())))
                    if tpath != path and tpath not in calling and key not in expanded:
                        expanded.add(key)
                        manual = _azure_walk(snap, data, tpath, wf, reader, facts, depth + 1, manual, params,
                                             (*calling, path), expanded)
            elif key == "parameters" and depth > 0:
                continue  # a template's declared parameters are not steps
            elif isinstance(value, (dict, list)):
                manual = _azure_walk(snap, value, path, wf, reader, facts, depth, manual, values, calling, expanded)
    elif isinstance(node, list):
        for item in node:
            manual = _azure_walk(snap, item, path, wf, reader, facts, depth, manual, values, calling, expanded)
    return manual


def _note_step(path: str, line: int, text: str) -> Step:
    """A step that runs no shell command (a template reference, an approval, a hook id), kept so
    rules that read steps (ci-run) and the facts see it."""
    return Step(path, line, text)


def _azure_triggers(data: LineDict) -> list[str]:
    triggers = []
    trigger = data.get("trigger", "default")
    if trigger not in ("none", None, False) and trigger != []:
        triggers.append("push")
    pr = data.get("pr", "default")
    if pr not in ("none", None, False) and pr != []:
        triggers.append("pull_request")
    if data.get("schedules"):
        triggers.append("schedule")
    # resources.pipelines[].trigger: this pipeline runs when another one completes (a CD stage
    # after the training CI), as a GitHub workflow_run does
    resources = data.get("resources")
    pipelines = resources.get("pipelines") if isinstance(resources, dict) else None
    if isinstance(pipelines, list) and any(isinstance(p, dict) and p.get("trigger") not in (None, "none", False)
                                           and p.get("trigger") != [] for p in pipelines):
        triggers.append("workflow_run")
    return triggers or ["manual"]


_AZURE_TEMPLATE_NAME = re.compile(r"(^|/)templates?/|[._-]templates?\.ya?ml$")


def read_azure(snap: Snapshot, candidates: list[str], reader: _CommandReader, facts: CIFacts) -> None:
    loaded = {p: load_ci_yaml(snap, p) for p in candidates}
    templates = {t for p, d in loaded.items() if d is not None for t in _azure_templates(d, p)}
    for p, data in loaded.items():
        if p in templates or not isinstance(data, LineDict):
            continue
        if not any(k in data for k in ("steps", "jobs", "stages", "trigger", "pr", "schedules", "extends")):
            continue
        # a template that a pipeline outside the candidates includes is not a pipeline of its own
        if _AZURE_TEMPLATE_NAME.search(p) and not any(k in data for k in ("trigger", "pr", "schedules")):
            continue
        wf = Workflow(path=p, system="azure-pipelines", triggers=_azure_triggers(data),
                      line=data.line_of("trigger", data.line_of("pr", 1)))
        _azure_walk(snap, data, p, wf, reader, facts, 0, False)
        facts.workflows.append(wf)


# ---------------------------------------------------------------------------- CircleCI
def read_circleci(snap: Snapshot, path: str, reader: _CommandReader, facts: CIFacts) -> None:
    data = load_ci_yaml(snap, path)
    if not isinstance(data, LineDict):
        return
    jobs = data.get("jobs") if isinstance(data.get("jobs"), dict) else {}

    def add_job(wf: Workflow, name: str, manual: bool = False) -> None:
        job = jobs.get(name)
        if not isinstance(job, LineDict):
            return
        for step in seq(job.get("steps")):
            if isinstance(step, LineDict) and "run" in step:
                run = step["run"]
                if isinstance(run, str):
                    add_command(wf, facts, reader, path, step.line_of("run"), run, None, manual)
                elif isinstance(run, LineDict) and isinstance(run.get("command"), str):
                    add_command(wf, facts, reader, path, run.line_of("command"), run["command"],
                                run.get("working_directory"), manual)

    workflows = data.get("workflows") if isinstance(data.get("workflows"), dict) else {}
    if not workflows:
        for name, job in jobs.items():
            wf = Workflow(path=path, system="circleci", triggers=["push"], line=getattr(job, "line", 1))
            add_job(wf, name)
            facts.workflows.append(wf)
        return
    for flow in workflows.values():
        if not isinstance(flow, LineDict):
            continue
        scheduled = any(isinstance(t, dict) and "schedule" in t for t in seq(flow.get("triggers")))
        wf = Workflow(path=path, system="circleci", triggers=["schedule"] if scheduled else ["push", "pull_request"],
                      line=flow.line)
        approval_seen = False
        for entry in seq(flow.get("jobs")):
            name, conf = (entry, {}) if isinstance(entry, str) else next(iter(entry.items())) if isinstance(entry, dict) and entry else (None, {})
            if name is None:
                continue
            if isinstance(conf, dict) and conf.get("type") == "approval":
                approval_seen = True
                continue
            add_job(wf, name, approval_seen)  # jobs after an approval wait for a person
        facts.workflows.append(wf)


# ---------------------------------------------------------------------------- Travis, Bitbucket, Buildkite
_TRAVIS_KEYS = ("before_install", "install", "before_script", "script", "after_success", "after_script", "before_deploy")


def read_travis(snap: Snapshot, path: str, reader: _CommandReader, facts: CIFacts) -> None:
    data = load_ci_yaml(snap, path)
    if not isinstance(data, LineDict):
        return
    wf = Workflow(path=path, system="travis", triggers=["push", "pull_request"], line=1)
    holders = [data]
    jobs = data.get("jobs") or data.get("matrix")
    if isinstance(jobs, dict) and isinstance(jobs.get("include"), list):
        holders.extend(j for j in jobs["include"] if isinstance(j, LineDict))
    for holder in holders:
        for key in _TRAVIS_KEYS:
            if key in holder:
                _add_script(wf, facts, reader, path, holder, key)
    facts.workflows.append(wf)


def read_bitbucket(snap: Snapshot, path: str, reader: _CommandReader, facts: CIFacts) -> None:
    data = load_ci_yaml(snap, path)
    pipelines = data.get("pipelines") if isinstance(data, LineDict) else None
    if not isinstance(pipelines, LineDict):
        return

    def add_steps(wf: Workflow, items: Any) -> None:
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, LineDict):
                continue
            if isinstance(item.get("parallel"), (list, dict)):
                par = item["parallel"]
                add_steps(wf, par.get("steps") if isinstance(par, dict) else par)
            step = item.get("step")
            if isinstance(step, LineDict):
                manual = step.get("trigger") == "manual"
                _add_script(wf, facts, reader, path, step, "script", manual=manual)

    for section, trigger in (("default", "push"), ("branches", "push"), ("pull-requests", "pull_request"),
                             ("tags", "tag"), ("custom", "manual")):
        value = pipelines.get(section)
        if value is None:
            continue
        wf = Workflow(path=path, system="bitbucket-pipelines", triggers=[trigger], line=pipelines.line_of(section))
        if isinstance(value, list):
            add_steps(wf, value)
        elif isinstance(value, dict):
            for sub in value.values():
                add_steps(wf, sub)
        facts.workflows.append(wf)


def read_buildkite(snap: Snapshot, path: str, reader: _CommandReader, facts: CIFacts) -> None:
    data = load_ci_yaml(snap, path)
    steps = data.get("steps") if isinstance(data, LineDict) else data if isinstance(data, list) else None
    if not isinstance(steps, list):
        return
    wf = Workflow(path=path, system="buildkite", triggers=["push"], line=1)
    gated = False
    for step in steps:
        if not isinstance(step, LineDict):
            continue
        if "block" in step or "input" in step:
            gated = True
        for key in ("command", "commands"):
            if key in step:
                _add_script(wf, facts, reader, path, step, key, manual=gated)
    facts.workflows.append(wf)


# ---------------------------------------------------------------------------- Jenkins
_JENKINS_SH = re.compile(r"\b(sh|bat|pwsh|powershell)\s*\(?\s*(?:script\s*:\s*)?(\"\"\"|'''|\"|')(.*?)\2", re.S)


def read_jenkinsfile(snap: Snapshot, path: str, reader: _CommandReader, facts: CIFacts) -> None:
    """Jenkinsfiles are Groovy: shell steps and triggers are read with patterns, so evidence may be
    partial; a Jenkinsfile with stages but no recognisable shell step gets a warning."""
    text = snap.read_text(path)
    if text is None:
        return
    triggers = ["push"]
    if re.search(r"\bcron\s*\(", text):
        triggers.append("schedule")
    wf = Workflow(path=path, system="jenkins", triggers=triggers, line=1)
    gate = re.search(r"^\s*input\s*[({]|\binput\s+message\s*:", text, re.M)
    found = 0
    for m in _JENKINS_SH.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        manual = bool(gate and gate.start() < m.start())
        add_command(wf, facts, reader, path, line, m.group(3), None, manual)
        found += 1
    if not found and re.search(r"\bstages?\s*[({]", text):
        snap.warn(path, "Jenkinsfile: no shell steps recognised; its evidence is partial")
    facts.workflows.append(wf)


# ---------------------------------------------------------------------------- Google Cloud Build
def read_cloud_build(snap: Snapshot, path: str, reader: _CommandReader, facts: CIFacts) -> None:
    """Cloud Build configs: each step runs `entrypoint args` (or the image's own program) in `dir`.
    Their triggers live in the cloud project, not in the repository: "external", automated with
    lower confidence, so a person confirms them."""
    data = load_ci_yaml(snap, path)
    steps = data.get("steps") if isinstance(data, LineDict) else None
    if not isinstance(steps, list):
        return
    wf = Workflow(path=path, system="cloud-build", triggers=["external"], line=data.line_of("steps"))
    for step in steps:
        if not isinstance(step, LineDict) or not isinstance(step.get("name"), str):
            continue
        args = [str(a) for a in seq(step.get("args")) if not isinstance(a, (dict, list))]
        if isinstance(step.get("script"), str):
            command = step["script"]
        elif step.get("entrypoint") in ("bash", "sh", "/bin/bash", "/bin/sh") and args[:1] == ["-c"]:
            command = " ".join(args[1:])
        else:
            program = step.get("entrypoint") or step["name"].split("/")[-1].split(":")[0].split("@")[0]
            command = " ".join([str(program), *(shlex.quote(a) for a in args)])
        cwd = step.get("dir") if isinstance(step.get("dir"), str) else None
        if cwd and not snap.has_directory(cwd):
            cwd = None  # a directory the build cloned the repository into: the repository root
        add_command(wf, facts, reader, path, step.line, command, cwd)
    facts.workflows.append(wf)


_CLOUD_BUILD_NAME = re.compile(r"cloudbuild[^/]*\.ya?ml")
_CLOUD_BUILD_DIR = re.compile(r"(^|/)(build|cloudbuild|ci|deploy)/[^/]+\.ya?ml$")


def _is_cloud_build(snap: Snapshot, path: str) -> bool:
    if _CLOUD_BUILD_NAME.fullmatch(posixpath.basename(path)):
        return True
    if not _CLOUD_BUILD_DIR.search(path):
        return False
    text = snap.read_text(path) or ""
    return bool(re.search(r"^steps:\s*$", text, re.M) and re.search(r"^-?\s*-?\s*name:\s*['\"]?(gcr\.io|\$_|[\w.-]+/)", text, re.M))


# ---------------------------------------------------------------------------- AWS CodePipeline and CodeBuild
_BUILDSPEC_RE = re.compile(r"(^|/)buildspec[^/]*\.ya?ml$")
# CloudFormation templates that may define a CodePipeline: by name or folder (their content decides)
_CFN_CANDIDATE_RE = re.compile(
    r"(^|/)([^/]*(pipeline|cicd|ci-cd|codebuild|cfn|stack|template)[^/]*|(cloudformation|cfn|cicd|infra|infrastructure)/[^/]+)\.(ya?ml|json|template)$",
    re.I)
_CODEBUILD_SRC = re.compile(r"\$\{?CODEBUILD_SRC_DIR\}?")


def _cfn_value(value: Any) -> Any:
    """A CloudFormation reference as the name it points at: `!Ref X` (the YAML tag is dropped on
    reading) or `{"Ref": "X"}`."""
    if isinstance(value, dict) and len(value) == 1 and "Ref" in value:
        return value["Ref"]
    return value


def _add_buildspec(snap: Snapshot, data: Any, path: str, reader: _CommandReader, facts: CIFacts,
                   wf: Workflow, manual: bool, packaged: dict[str, str] | None = None) -> None:
    """A CodeBuild buildspec's phases, in order; $CODEBUILD_SRC_DIR is the repository root.
    `packaged` collects `cloudformation package --template-file A --output-template-file B`:
    B's name -> A, the template a later deploy action of the pipeline really deploys."""
    phases = data.get("phases") if isinstance(data, LineDict) else None
    if not isinstance(phases, LineDict):
        return
    for name in ("install", "pre_build", "build", "post_build"):
        phase = phases.get(name)
        if isinstance(phase, LineDict):
            for line, cmd in _commands(phase.get("commands")):
                cmd = _CODEBUILD_SRC.sub(".", cmd)
                add_command(wf, facts, reader, path, line or phase.line_of("commands"), cmd, None, manual)
                if packaged is not None and "cloudformation" in cmd and "package" in cmd:
                    try:
                        argv = shlex.split(cmd)
                    except ValueError:
                        continue
                    opts = {a: argv[i + 1] for i, a in enumerate(argv[:-1]) if a.startswith("--")}
                    if "--template-file" in opts and "--output-template-file" in opts:
                        packaged[posixpath.basename(opts["--output-template-file"])] = posixpath.normpath(opts["--template-file"])


def read_codepipelines(snap: Snapshot, candidates: list[str], reader: _CommandReader, facts: CIFacts) -> set[str]:
    """CloudFormation templates with an AWS::CodePipeline::Pipeline: each pipeline runs on its
    source's changes (a CodeCommit, GitHub or S3 source starts it) through its stages in order;
    a manual-approval action holds every later action for a person. A CodeBuild action runs its
    project's buildspec (a file in the repository, or inline). Returns the buildspecs read."""
    used: set[str] = set()
    for path in candidates:
        text = snap.read_text(path) or ""
        if "AWS::CodePipeline::Pipeline" not in text:
            continue
        data = load_ci_yaml(snap, path)
        resources = data.get("Resources") if isinstance(data, LineDict) else None
        if not isinstance(resources, LineDict):
            continue
        projects = {name: res for name, res in resources.items()
                    if isinstance(res, LineDict) and res.get("Type") == "AWS::CodeBuild::Project"}
        for name, res in resources.items():
            if not isinstance(res, LineDict) or res.get("Type") != "AWS::CodePipeline::Pipeline":
                continue
            props = res.get("Properties") if isinstance(res.get("Properties"), LineDict) else LineDict()
            stages = props.get("Stages") if isinstance(props.get("Stages"), list) else []
            actions = [a for st in stages if isinstance(st, LineDict) for a in (st.get("Actions") or [])
                       if isinstance(a, LineDict)]
            kinds = [a.get("ActionTypeId") if isinstance(a.get("ActionTypeId"), LineDict) else LineDict() for a in actions]
            has_source = any(k.get("Category") == "Source" for k in kinds)
            wf = Workflow(path=path, system="aws-codepipeline", triggers=["push"] if has_source else ["external"],
                          line=res.line)
            manual = False
            packaged: dict[str, str] = {}
            for action, kind in zip(actions, kinds):
                category, provider = kind.get("Category"), kind.get("Provider")
                line = action.line_of("Name")
                config = action.get("Configuration") if isinstance(action.get("Configuration"), LineDict) else LineDict()
                if category == "Approval":
                    manual = True
                    wf.steps.append(_note_step(path, line, f"manual approval: {action.get('Name')}"))
                    continue
                if category == "Source":
                    continue
                if provider == "CodeBuild":
                    project = projects.get(str(_cfn_value(config.get("ProjectName"))))
                    source = project.get("Properties", {}).get("Source") if project is not None else None
                    spec = source.get("BuildSpec") if isinstance(source, dict) else None
                    if isinstance(spec, str) and snap.exists(spec.strip()):
                        used.add(spec.strip())
                        _add_buildspec(snap, load_ci_yaml(snap, spec.strip()), spec.strip(), reader, facts, wf, manual, packaged)
                    elif isinstance(spec, str) and "phases" in spec:
                        try:
                            inline = load_yaml(spec)
                        except YamlError:
                            inline = None
                        _add_buildspec(snap, inline, path, reader, facts, wf, manual, packaged)
                    wf.steps.append(Step(path, line, f"codebuild: {action.get('Name')}", manual))
                else:  # CloudFormation deploy, Step Functions, Lambda...: a step the facts show
                    what = config.get("TemplatePath") or config.get("StateMachineArn") or config.get("FunctionName") or ""
                    wf.steps.append(Step(path, line, f"{str(provider).lower()}: {action.get('Name')} {_cfn_value(what)}".strip(), manual))
                    template = _artifact_file(snap, config.get("TemplatePath"), packaged) if provider == "CloudFormation" else None
                    if template:  # the stack this action deploys, as the repository holds it; what the
                        # stack sets up (a canary, alarms, a monitoring schedule) then runs unattended,
                        # also when a person approved the release
                        how = "codepipeline cloudformation deploy" + (" after a manual approval" if manual else "")
                        facts.executions.setdefault(template, []).append(Execution(template, wf, line, how, False, path))
            facts.workflows.append(wf)
    return used


def _artifact_file(snap: Snapshot, template_path: Any, packaged: dict[str, str]) -> str | None:
    """`BuildOutput::deploy-dev.yml`: the template a build packaged under that name, or the
    repository file of that name when exactly one has it."""
    if not isinstance(template_path, str) or "::" not in template_path:
        return None
    name = posixpath.basename(template_path.split("::", 1)[1])
    if name in packaged and snap.exists(packaged[name]):
        return packaged[name]
    hits = [p for p in snap.select("yaml-and-json") if posixpath.basename(p) == name]
    return hits[0] if len(hits) == 1 else None


@selector("yaml-and-json")
def _is_yaml_or_json(path: str) -> bool:
    return path.endswith((".yml", ".yaml", ".json", ".template"))


def read_buildspec(snap: Snapshot, path: str, reader: _CommandReader, facts: CIFacts) -> None:
    """A buildspec no pipeline in the repository runs: its trigger is a CodeBuild project or
    webhook kept in the cloud account ("external")."""
    wf = Workflow(path=path, system="aws-codebuild", triggers=["external"], line=1)
    _add_buildspec(snap, load_ci_yaml(snap, path), path, reader, facts, wf, False)
    facts.workflows.append(wf)


# ---------------------------------------------------------------------------- pre-commit
def read_pre_commit(snap: Snapshot, path: str, reader: _CommandReader, facts: CIFacts) -> None:
    """Hooks run on a developer's machine ("local"); they count as automated only when CI runs pre-commit."""
    data = load_ci_yaml(snap, path)
    if not isinstance(data, LineDict):
        return
    wf = Workflow(path=path, system="pre-commit", triggers=["local"], line=1)
    for repo in seq(data.get("repos")):
        if not isinstance(repo, LineDict):
            continue
        for hook in seq(repo.get("hooks")):
            if isinstance(hook, LineDict) and isinstance(hook.get("id"), str):
                entry = hook.get("entry") if repo.get("repo") == "local" and isinstance(hook.get("entry"), str) else None
                if entry:
                    add_command(wf, facts, reader, path, hook.line_of("entry"), entry)
                else:
                    wf.steps.append(_note_step(path, hook.line_of("id"), f"hook: {hook['id']}"))
    facts.workflows.append(wf)


# ---------------------------------------------------------------------------- dispatch
_AZURE_RE = re.compile(r"(^|/)(azure-pipelines[^/]*\.ya?ml|\.?azure-pipelines/.+\.ya?ml|\.azuredevops/.+\.ya?ml|\.pipelines/.+\.ya?ml)$")
_JENKINS_RE = re.compile(r"(^|/)(Jenkinsfile[^/]*|[^/]+\.jenkinsfile)$")
# Azure DevOps registers a pipeline from any YAML file, and templates keep them in folders of
# their own (`devops/pipeline/`, `environment_setup/*-pipeline.yml`, `infra/PIPELINE-0-setup.yml`):
# a YAML file whose path says pipeline or devops is one when its top level has a trigger (trigger,
# pr, schedules) beside a body (pool, stages, jobs, steps). An Azure ML, Kubeflow or Tekton
# pipeline definition has no top-level trigger; a GitHub workflow's trigger is `on:`.
_AZURE_CANDIDATE_RE = re.compile(r"(?i)(pipeline|devops)[^/]*(/.*)?\.ya?ml$")
_AZURE_TRIGGER_KEY = re.compile(r"^(?:trigger|pr|schedules)[ \t]*:", re.M)
_AZURE_BODY_KEY = re.compile(r"^(?:pool|stages|jobs|steps)[ \t]*:", re.M)


def _may_be_azure_elsewhere(path: str) -> bool:
    """By its path, a file _is_azure_elsewhere may find a pipeline in (never a GitHub workflow)."""
    return not path.startswith(".github/") and bool(_AZURE_CANDIDATE_RE.search(path))


def _is_azure_elsewhere(snap: Snapshot, path: str) -> bool:
    if not _may_be_azure_elsewhere(path):
        return False
    text = snap.read_text(path) or ""
    return bool(_AZURE_TRIGGER_KEY.search(text) and _AZURE_BODY_KEY.search(text))


_OTHER_CONFIGS = frozenset({".gitlab-ci.yml", ".gitlab-ci.yaml", ".circleci/config.yml", ".circleci/config.yaml",
                            ".travis.yml", "bitbucket-pipelines.yml", "bitbucket-pipelines.yaml", ".pre-commit-config.yaml"})
_BUILDKITE_RE = re.compile(r"\.buildkite/pipeline[^/]*\.ya?ml")


@selector("ci-configs")
def is_ci_config(path: str) -> bool:
    """Paths a CI system other than GitHub Actions could be configured in (by name alone)."""
    name = posixpath.basename(path)
    return (path in _OTHER_CONFIGS or bool(_AZURE_RE.search(path)) or bool(_BUILDKITE_RE.fullmatch(path))
            or bool(_BUILDSPEC_RE.search(path)) or bool(_CFN_CANDIDATE_RE.search(path))
            or (bool(_JENKINS_RE.search(path)) and not name.endswith((".md", ".txt")))
            or (path.endswith((".yaml", ".yml")) and bool(_CLOUD_BUILD_NAME.fullmatch(name) or _CLOUD_BUILD_DIR.search(path)))
            or _may_be_azure_elsewhere(path))


def read_other_systems(snap: Snapshot, reader: _CommandReader, facts: CIFacts) -> None:
    azure = []
    configs = snap.select("ci-configs")
    buildspecs_run: set[str] = set()
    with reading(snap, ".", "CodePipeline templates"):
        buildspecs_run = read_codepipelines(snap, [p for p in configs if _CFN_CANDIDATE_RE.search(p)], reader, facts)
    for path in configs:
        with reading(snap, path, "CI configuration"):
            _read_other(snap, path, reader, facts, azure, buildspecs_run)
    if azure:
        with reading(snap, azure[0], "Azure Pipelines configuration"):
            read_azure(snap, azure, reader, facts)


def _read_other(snap: Snapshot, path: str, reader: _CommandReader, facts: CIFacts, azure: list[str],
                buildspecs_run) -> None:
    """Dispatch one config file to the reader of its CI system (Azure files are read together)."""
    name = posixpath.basename(path)
    if path == ".gitlab-ci.yml" or path == ".gitlab-ci.yaml":
        read_gitlab(snap, path, reader, facts)
    elif _AZURE_RE.search(path):
        azure.append(path)
    elif path in (".circleci/config.yml", ".circleci/config.yaml"):
        read_circleci(snap, path, reader, facts)
    elif path == ".travis.yml":
        read_travis(snap, path, reader, facts)
    elif path in ("bitbucket-pipelines.yml", "bitbucket-pipelines.yaml"):
        read_bitbucket(snap, path, reader, facts)
    elif _BUILDKITE_RE.fullmatch(path):
        read_buildkite(snap, path, reader, facts)
    elif _JENKINS_RE.search(path) and not name.endswith((".md", ".txt")):
        read_jenkinsfile(snap, path, reader, facts)
    elif path == ".pre-commit-config.yaml":
        read_pre_commit(snap, path, reader, facts)
    elif _BUILDSPEC_RE.search(path):
        if path not in buildspecs_run:
            read_buildspec(snap, path, reader, facts)
    elif path.endswith((".yaml", ".yml")) and _is_cloud_build(snap, path):
        read_cloud_build(snap, path, reader, facts)
    elif _is_azure_elsewhere(snap, path):
        azure.append(path)

