"""Task runners, followed to the commands a task runs: mise, pixi, just, poe, hatch scripts,
Taskfile (go-task), nox and invoke; and the ML pipeline runners whose steps are commands (DVC
stages, MLproject entry points). A CI step `mise run check` or `pixi run tests` reaches the
same test files as the pytest line it stands for.

Every file here is read, never run: TOML and YAML are parsed; noxfile.py and tasks.py are
parsed with `ast` and only the string arguments of `session.run(...)` / `c.run(...)` are kept.
"""

from __future__ import annotations

import ast
import re
import tomllib
from typing import Any, Callable

MAX_TASK_DEPTH = 8  # tasks that depend on tasks that depend on ...


def _toml(snap, path: str) -> dict[str, Any] | None:
    if not snap.exists(path):
        return None
    text = snap.read_text(path)
    if not text:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        snap.warn(path, f"cannot read tasks: {str(exc).splitlines()[0]}")
        return None


def _as_commands(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _expand(name: str, table: dict[str, Any], commands_of: Callable[[Any], tuple[list[str], list[str]]],
            seen: set[str] | None = None) -> list[str]:
    """Commands of a task and, first, of the tasks it depends on (each task once)."""
    seen = seen if seen is not None else set()
    if name in seen or len(seen) > MAX_TASK_DEPTH * 8 or name not in table:
        return []
    seen.add(name)
    commands, depends = commands_of(table[name])
    out: list[str] = []
    for dep in depends:
        out.extend(_expand(dep, table, commands_of, seen))
    return out + commands


# ------------------------------------------------------------------------- mise
def mise(snap, cwd: str, args: list[str], join) -> list[str]:
    """`mise run TASK` / `mise r TASK` / `mise TASK`: [tasks.TASK] in mise.toml, with run and depends."""
    if args[:1] in (["run"], ["r"]):
        args = args[1:]
    names = [a for a in args if not a.startswith("-")][:1]
    if not names:
        return []
    for rel in ("mise.toml", ".mise.toml", ".config/mise.toml", "mise/config.toml"):
        data = _toml(snap, join(cwd, rel))
        if data is None:
            continue
        tasks = data.get("tasks") if isinstance(data.get("tasks"), dict) else {}
        aliases = {t.get("alias"): n for n, t in tasks.items() if isinstance(t, dict) and isinstance(t.get("alias"), str)}
        name = aliases.get(names[0], names[0])

        def commands_of(task: Any) -> tuple[list[str], list[str]]:
            if isinstance(task, (str, list)):
                return _as_commands(task), []
            if isinstance(task, dict):
                depends = _as_commands(task.get("depends"))
                return _as_commands(task.get("run")), [aliases.get(d, d) for d in depends]
            return [], []

        return _expand(name, tasks, commands_of)
    return []


# ------------------------------------------------------------------------- pixi
def pixi(snap, cwd: str, args: list[str], join) -> list[str]:
    """`pixi run [-e ENV] TASK`: [tool.pixi.tasks] (and each feature's tasks) in pyproject.toml, or
    [tasks] / [feature.*.tasks] in pixi.toml."""
    if args[:1] != ["run"]:
        return []
    rest, skip = [], False
    for a in args[1:]:
        if skip:
            skip = False
            continue
        if a in ("-e", "--environment", "--manifest-path"):
            skip = True
            continue
        if not a.startswith("-"):
            rest.append(a)
    if not rest:
        return []
    tables: list[dict[str, Any]] = []
    pyproject = _toml(snap, join(cwd, "pyproject.toml")) or {}
    pixi_cfg = pyproject.get("tool", {}).get("pixi", {}) if isinstance(pyproject.get("tool"), dict) else {}
    for data in (pixi_cfg, _toml(snap, join(cwd, "pixi.toml")) or {}):
        if isinstance(data.get("tasks"), dict):
            tables.append(data["tasks"])
        for feature in (data.get("feature") or {}).values():
            if isinstance(feature, dict) and isinstance(feature.get("tasks"), dict):
                tables.append(feature["tasks"])
    tasks: dict[str, Any] = {}
    for table in tables:
        tasks.update(table)
    if rest[0] not in tasks:
        return []

    def commands_of(task: Any) -> tuple[list[str], list[str]]:
        if isinstance(task, str):
            return [task], []
        if isinstance(task, dict):
            depends = task.get("depends-on", task.get("depends_on", []))
            depends = [d if isinstance(d, str) else d.get("task") for d in _list(depends)]
            return _as_commands(task.get("cmd")), [d for d in depends if isinstance(d, str)]
        return [], []

    return _expand(rest[0], tasks, commands_of)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


# ------------------------------------------------------------------------- poe and hatch
def poe(snap, cwd: str, args: list[str], join) -> list[str]:
    """`poe TASK`: [tool.poe.tasks] as a command, {cmd}, {shell}, {sequence} or a list."""
    names = [a for a in args if not a.startswith("-")][:1]
    pyproject = _toml(snap, join(cwd, "pyproject.toml")) or {}
    tasks = pyproject.get("tool", {}).get("poe", {}).get("tasks", {}) if isinstance(pyproject.get("tool"), dict) else {}
    if not names or not isinstance(tasks, dict):
        return []

    def commands_of(task: Any) -> tuple[list[str], list[str]]:
        if isinstance(task, str):
            return [task], []
        if isinstance(task, list):  # a sequence of task names or commands
            return [t for t in task if isinstance(t, str) and t not in tasks], [t for t in task if t in tasks]
        if isinstance(task, dict):
            seq = task.get("sequence")
            if isinstance(seq, list):
                refs = [s if isinstance(s, str) else s.get("ref") for s in seq]
                return [], [r for r in refs if isinstance(r, str)]
            return _as_commands(task.get("cmd") or task.get("shell")), _as_commands(task.get("deps"))
        return [], []

    return _expand(names[0], tasks, commands_of)


def hatch_script(snap, cwd: str, args: list[str], join) -> list[str] | None:
    """`hatch run [ENV:]SCRIPT`: the script's commands from [tool.hatch.envs.ENV.scripts], or None
    when SCRIPT is no script (hatch then runs it as a command)."""
    if not args:
        return None
    env, _, name = args[0].rpartition(":")
    pyproject = _toml(snap, join(cwd, "pyproject.toml")) or {}
    envs = pyproject.get("tool", {}).get("hatch", {}).get("envs", {}) if isinstance(pyproject.get("tool"), dict) else {}
    scripts = (envs.get(env or "default") or {}).get("scripts") if isinstance(envs, dict) else None
    if not isinstance(scripts, dict) or name not in scripts:
        return None
    return [re.sub(r"\{args[^}]*\}", "", c) for c in _as_commands(scripts[name])]


# ------------------------------------------------------------------------- Taskfile and just
def taskfile(snap, cwd: str, args: list[str], join, load_yaml) -> list[str]:
    """`task NAME`: Taskfile.yml's tasks.NAME.cmds (and deps)."""
    names = [a for a in args if not a.startswith("-")][:1] or ["default"]
    for rel in ("Taskfile.yml", "Taskfile.yaml", "taskfile.yml", "taskfile.yaml"):
        path = join(cwd, rel)
        text = snap.read_text(path) if snap.exists(path) else None
        if not text:
            continue
        try:
            data = load_yaml(text)
        except Exception as exc:  # YamlError: the file is not YAML
            snap.warn(path, str(exc))
            return []
        tasks = data.get("tasks") if isinstance(data, dict) and isinstance(data.get("tasks"), dict) else {}

        def commands_of(task: Any) -> tuple[list[str], list[str]]:
            if isinstance(task, list):
                return _as_commands(task), []
            if not isinstance(task, dict):
                return [], []
            cmds, refs = [], []
            for c in _list(task.get("cmds")):
                if isinstance(c, str):
                    cmds.append(c)
                elif isinstance(c, dict) and isinstance(c.get("cmd"), str):
                    cmds.append(c["cmd"])
                elif isinstance(c, dict) and isinstance(c.get("task"), str):
                    refs.append(c["task"])
            deps = [d if isinstance(d, str) else d.get("task") for d in _list(task.get("deps"))]
            return cmds, [d for d in deps + refs if isinstance(d, str)]

        return _expand(names[0], tasks, commands_of)
    return []


_JUST_RECIPE = re.compile(r"^@?([A-Za-z_][\w-]*)(?:\s+[^:=\n]*)?:(?!=)\s*([^#\n]*)")


def just(snap, cwd: str, args: list[str], join) -> list[str]:
    """`just [RECIPE]`: a justfile recipe's indented lines (after its dependencies)."""
    names = [a for a in args if not a.startswith("-") and "=" not in a][:1]
    for rel in ("justfile", "Justfile", ".justfile"):
        path = join(cwd, rel)
        text = snap.read_text(path) if snap.exists(path) else None
        if not text:
            continue
        recipes: dict[str, tuple[list[str], list[str]]] = {}
        current: str | None = None
        first: str | None = None
        for line in text.splitlines():
            if line[:1] in (" ", "\t") and current is not None:
                if line.strip() and not line.strip().startswith("#"):
                    recipes[current][0].append(line.strip().lstrip("@-"))
                continue
            m = _JUST_RECIPE.match(line)
            current = None
            if m and not line.startswith(("set ", "export ", "alias ", "import ", "mod ")):
                current = m.group(1)
                deps = [d for d in m.group(2).split() if re.fullmatch(r"[A-Za-z_][\w-]*", d)]
                recipes[current] = ([], deps)
                first = first or current
        name = names[0] if names else first
        return _expand(name, recipes, lambda r: r) if name else []
    return []


# ------------------------------------------------------------------------- nox and invoke
def _run_calls(source: str, path: str, decorator: str, runner: str) -> dict[str, list[str]]:
    """Functions decorated with `@<decorator>` (nox.session, task) -> the commands their
    `<first parameter>.<runner>(...)` calls run, from string arguments only."""
    try:
        tree = ast.parse(source, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    out: dict[str, list[str]] = {}
    # module-level lists of strings a call spreads (`TEST_ARGS = ["pytest", "-vv"]`, then
    # `session.run(*TEST_ARGS, "tests/unit")`)
    lists: dict[str, list[str]] = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, (ast.List, ast.Tuple))
                and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.value.elts)):
            lists[node.targets[0].id] = [e.value for e in node.value.elts]
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or not node.args.args:
            continue
        decorators = [d for d in node.decorator_list
                      if ast.unparse(d.func if isinstance(d, ast.Call) else d).split(".")[-1] == decorator]
        if not decorators:
            continue
        ctx = node.args.args[0].arg
        commands = []
        for call in ast.walk(node):
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == runner
                    and isinstance(call.func.value, ast.Name) and call.func.value.id == ctx):
                parts = []
                for a in call.args:
                    if isinstance(a, ast.Constant) and isinstance(a.value, str):
                        parts.append(a.value)
                    elif isinstance(a, ast.Starred) and isinstance(a.value, ast.Name) and a.value.id in lists:
                        parts.extend(lists[a.value.id])
                if parts:
                    commands.append(" ".join(parts) if runner == "run" and len(parts) > 1 else parts[0])
        out[node.name] = commands
        for d in decorators:  # `@nox.session(name="unit")`: the name the command line uses
            if isinstance(d, ast.Call):
                for kw in d.keywords:
                    if kw.arg == "name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        out.setdefault(kw.value.value, commands)
    return out


_NOX_PYTHON_SUFFIX = re.compile(r"-(?:\d+(?:\.\d+)*|pypy[\d.]*)$")


def nox(snap, cwd: str, args: list[str], join) -> list[str]:
    """`nox [-s NAME ...]`: session.run(...) of the named sessions (all sessions without -s)."""
    path = join(cwd, "noxfile.py")
    text = snap.read_text(path) if snap.exists(path) else None
    if not text:
        return []
    sessions = _run_calls(text, path, "session", "run")
    wanted = [args[i + 1] for i, a in enumerate(args[:-1]) if a in ("-s", "--session", "--sessions", "-e")]
    out = []
    for name in wanted or _distinct(sessions):
        name = name.split("(")[0]  # `framework-integration(framework='x')`: a parametrised session
        if name not in sessions:  # `unit-3.10`: the session for one of its Python versions
            name = _NOX_PYTHON_SUFFIX.sub("", name)
        out.extend(sessions.get(name, []))
    return out


def _distinct(sessions: dict[str, list[str]]) -> list[str]:
    """Session names, one per function (a function is under its own name and its `name=`)."""
    seen: set[int] = set()
    out = []
    for name, commands in sessions.items():
        if id(commands) not in seen:
            seen.add(id(commands))
            out.append(name)
    return out


def invoke(snap, cwd: str, args: list[str], join) -> list[str]:
    """`invoke TASK` / `inv TASK`: c.run("...") in the task of tasks.py."""
    path = join(cwd, "tasks.py")
    text = snap.read_text(path) if snap.exists(path) else None
    names = [a for a in args if not a.startswith("-")][:1]
    if not text or not names:
        return []
    return _run_calls(text, path, "task", "run").get(names[0].replace("-", "_"), [])


# ------------------------------------------------------------------------- DVC and MLflow projects
def _yaml_file(snap, path: str, load_yaml) -> Any:
    text = snap.read_text(path) if snap.exists(path) else None
    if not text:
        return None
    try:
        return load_yaml(text)
    except Exception as exc:  # YamlError: the file is not YAML
        snap.warn(path, str(exc))
        return None


def dvc(snap, cwd: str, args: list[str], join, load_yaml) -> list[str]:
    """`dvc repro [TARGET...]` / `dvc exp run`: the `cmd` of every stage of dvc.yaml (a target
    reruns its upstream stages too, so all are taken), each in the stage's wdir."""
    rest = args[2:] if args[:2] == ["exp", "run"] else args[1:] if args[:1] == ["repro"] else None
    if rest is None:
        return []
    files = sorted({t.split(":")[0] for t in rest if not t.startswith("-") and t.split(":")[0].endswith("dvc.yaml")})
    out: list[str] = []
    for rel in files or ["dvc.yaml"]:
        path = join(cwd, rel)
        data = _yaml_file(snap, path, load_yaml)
        stages = data.get("stages") if isinstance(data, dict) else None
        if not isinstance(stages, dict):
            continue
        base = path.rsplit("/", 1)[0] if "/" in path else ""
        for stage in stages.values():
            if isinstance(stage, dict) and isinstance(stage.get("do"), dict):  # foreach ... do
                stage = stage["do"]
            if not isinstance(stage, dict):
                continue
            wdir = stage.get("wdir") if isinstance(stage.get("wdir"), str) else "."
            where = join(base, wdir) if base else join(cwd, wdir)
            for command in _as_commands(stage.get("cmd")):
                out.append(f"cd {where or '.'} && {command}" if (where or ".") != (cwd or ".") else command)
    return out


def mlflow_project(snap, cwd: str, args: list[str], join, load_yaml) -> list[str]:
    """`mlflow run DIR [-e ENTRY]`: the command of that MLproject entry point (main by default);
    a remote project URI is not followed."""
    if args[:1] != ["run"]:
        return []
    entry, uri, skip = "main", None, False
    for i, a in enumerate(args[1:], start=1):
        if skip:
            skip = False
            continue
        if a in ("-e", "--entry-point") and i + 1 < len(args):
            entry, skip = args[i + 1], True
        elif a.startswith("-"):
            skip = a in ("-P", "--param-list", "-b", "--backend", "--experiment-name", "--experiment-id",
                         "-c", "--backend-config", "--env-manager", "--run-name", "--version", "-v")
        elif uri is None:
            uri = a
    if uri is None or "://" in uri or uri.startswith("git@"):
        return []
    where = join(cwd, uri)
    data = _yaml_file(snap, join(where, "MLproject"), load_yaml)
    points = data.get("entry_points") if isinstance(data, dict) else None
    point = points.get(entry) if isinstance(points, dict) else None
    command = point.get("command") if isinstance(point, dict) else None
    if not isinstance(command, str):
        return []
    command = re.sub(r"\{[^{}]*\}", "__expr__", command)  # {alpha} parameters
    return [f"cd {where or '.'} && {command}" if (where or ".") != (cwd or ".") else command]
