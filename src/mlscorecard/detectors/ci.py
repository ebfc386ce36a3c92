"""CI detector: which commands run without a person, on which triggers, and which files they reach.

GitHub Actions workflows are read (reusable workflows and local composite actions inside the
repository are followed); run lines are interpreted just far enough to know what they execute:
pytest and unittest (down to the test files they collect), ``python script.py`` and
``python -m module``, ``make`` targets, shell scripts in the repository and tox environments.
Nothing is executed.
"""

from __future__ import annotations

import configparser
import posixpath
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from typing import Any

from ..errors import reading
from ..globs import segment_match
from ..memo import selector
from ..snapshot import Snapshot
from ..yamlio import LineDict, YamlError, load_yaml
from ..engine.python import is_test_path
from . import tasks

WORKFLOW_RE = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")


@selector("github-workflows")
def is_github_workflow(path: str) -> bool:
    return bool(WORKFLOW_RE.match(path))

# Triggers that need a person: GitHub's workflow_dispatch, other systems' manual runs; "local"
# (pre-commit on a developer's machine) is not counted as automated either. "external" (a trigger
# kept outside the repository, as Cloud Build's and CodeBuild's are) counts as automated, since
# the config is a CI job, but its evidence carries less confidence, so a person confirms it.
MANUAL_TRIGGERS = frozenset({"workflow_dispatch", "manual", "local"})
EXTERNAL_CONFIDENCE = -0.25
MAX_DEPTH = 4

_WRAPPERS = {
    ("poetry", "run"), ("uv", "run"), ("pipenv", "run"), ("pdm", "run"), ("hatch", "run"), ("rye", "run"),
}
# `then make test`, `do pytest $d`: the command after a shell keyword of an if/for split at `;`
_SIMPLE_WRAPPERS = {"sudo", "xvfb-run", "time", "nice", "nohup", "exec", "command", "then", "else", "do"}
_PYTHON_RE = re.compile(r"^(.*/)?python(\d(\.\d+)?)?$"
                         # the interpreter in a variable: $PYTHON, ${PYTHON_BIN}, $(PYTHON_INTERPRETER)
                         r"|^\$(\w*PYTHON\w*|\{\w*PYTHON\w*\}|\(\w*PYTHON\w*\))$", re.I)
_ASSIGN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass
class Step:
    """One command (or `uses:` action) a job runs, with where it is written."""

    path: str  # config file that holds it
    line: int
    text: str
    manual: bool = False  # a job a person must start or approve (when: manual, approval steps)

    def __post_init__(self) -> None:
        # a command can carry a credential (`mysql -pX`, `curl -H "Authorization: token X"`): the
        # text kept in the facts, the cache and every report is the redacted one
        from ..safety.redaction import pattern_redactor

        self.text = pattern_redactor()(self.text)

    @classmethod
    def stored(cls, path: str, line: int, text: str, manual: bool = False) -> "Step":
        """A step as the cache kept it: its text was redacted when it was first recorded."""
        step = object.__new__(cls)
        step.path, step.line, step.text, step.manual = path, line, text, manual
        return step


@dataclass(eq=False)
class Workflow:
    """One pipeline (for GitLab CI, one job) of one CI config file, with its triggers and steps."""

    path: str
    system: str
    triggers: list[str]
    steps: list[Step] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # reusable workflows it calls
    effective_triggers: set[str] = field(default_factory=set)
    line: int = 1
    instance_of: "Workflow | None" = None  # a reusable workflow read again for one caller, with its inputs

    @property
    def automated(self) -> bool:
        return bool(self.effective_triggers - MANUAL_TRIGGERS - {"workflow_call"})


@dataclass
class Execution:
    """A repository file that a CI job runs: a collected test file, a script or a module."""

    path: str
    wf: Workflow
    line: int  # line of the run step in the workflow
    how: str
    manual: bool = False
    step_path: str = ""  # the file the step is written in (a template or action may differ from the workflow)

    @property
    def workflow(self) -> str:
        return self.wf.path


@dataclass
class CIFacts:
    workflows: list[Workflow] = field(default_factory=list)
    executions: dict[str, list[Execution]] = field(default_factory=dict)
    instances: list[Workflow] = field(default_factory=list)  # reusable workflows as called, with inputs
    unfollowed: list[str] = field(default_factory=list)  # scripts CI runs that the repository does not hold

    def external_only(self, workflow_path: str) -> bool:
        """Whether the workflows of this config run only on a trigger kept outside the repository."""
        flows = [w for w in self.workflows if w.path == workflow_path]
        return bool(flows) and all(w.effective_triggers <= {"external"} for w in flows)

    def automated_by(self, path: str) -> Execution | None:
        """The first automated workflow step that runs this file, if any."""
        for ex in sorted(self.executions.get(path, []), key=lambda e: (e.workflow, e.line)):
            if ex.wf.automated and not ex.manual:
                return ex
        return None

    def to_facts(self) -> list[dict[str, Any]]:
        """One entry per config file: its triggers (of all its pipelines) and what it runs."""
        merged: dict[str, dict[str, Any]] = {}
        for w in sorted(self.workflows, key=lambda w: w.path):
            entry = merged.setdefault(w.path, {"path": w.path, "system": w.system, "triggers": set(), "runs": []})
            entry["triggers"] |= w.effective_triggers
            for step in w.steps:
                if step.text not in entry["runs"]:
                    entry["runs"].append(step.text)
        return [{**e, "triggers": sorted(e["triggers"])} for e in merged.values()]

    # -- storing (memo.py keeps the CI facts of a repository with what they were read from) --------
    def encode(self) -> dict[str, Any]:
        every = [*self.workflows, *self.instances]
        index = {id(w): i for i, w in enumerate(every)}
        return {
            "workflows": [[w.path, w.system, w.triggers, [[s.path, s.line, s.text, s.manual] for s in w.steps],
                           w.calls, sorted(w.effective_triggers), w.line,
                           index[id(w.instance_of)] if w.instance_of is not None else None] for w in every],
            "top": len(self.workflows),
            "unfollowed": self.unfollowed,
            "executions": [[e.path, index[id(e.wf)], e.line, e.how, e.manual, e.step_path]
                           for target in self.executions for e in self.executions[target]],
        }

    @classmethod
    def decode(cls, data: dict[str, Any]) -> "CIFacts":
        every = [Workflow(path, system, triggers, [Step.stored(*s) for s in steps], calls, set(effective), line)
                 for path, system, triggers, steps, calls, effective, line, _ in data["workflows"]]
        for w, row in zip(every, data["workflows"]):
            if row[7] is not None:
                w.instance_of = every[row[7]]
        facts = cls(workflows=every[: data["top"]], instances=every[data["top"]:], unfollowed=data.get("unfollowed", []))
        for path, wf, line, how, manual, step_path in data["executions"]:
            facts.executions.setdefault(path, []).append(Execution(path, every[wf], line, how, manual, step_path))
        return facts


def _triggers(on: Any) -> list[str]:
    if isinstance(on, str):
        return [on]
    if isinstance(on, list):
        return [str(t) for t in on]
    if isinstance(on, dict):
        return [str(t) for t in on]
    return []


# pytest's options (and its common plugins': xdist, cov, timeout, rerunfailures, randomly,
# split, html, benchmark, hypothesis, repeat) that take their value as the next word: that word
# is not a test path (`pytest --cov-report html --durations 15` collects the default tests)
_PYTEST_OPTIONS_WITH_VALUE = frozenset({
    "-k", "-m", "-c", "--config-file", "-p", "-o", "--override-ini", "-r", "-W", "--pythonwarnings",
    "--rootdir", "--basetemp", "--confcutdir", "--junitxml", "--junit-xml", "--junit-prefix", "--maxfail",
    "--tb", "--capture", "--durations", "--durations-min", "--deselect", "--ignore", "--ignore-glob",
    "--import-mode", "--log-level", "--log-format", "--log-date-format", "--log-cli-level", "--log-cli-format",
    "--log-cli-date-format", "--log-file", "--log-file-level", "--log-file-format", "--log-file-date-format",
    "--log-file-mode", "--doctest-glob", "--doctest-report", "--verbosity", "--show-capture", "--report-log",
    "--color", "--code-highlight", "--lfnf", "--last-failed-no-failures", "--pdbcls", "--pastebin",
    "-n", "--numprocesses", "--dist", "--maxprocesses", "--max-worker-restart", "--tx", "--rsyncdir",
    "--cov-report", "--cov-config", "--cov-fail-under", "--cov-context",
    "--timeout", "--timeout-method", "--reruns", "--reruns-delay", "--only-rerun", "--randomly-seed",
    "--splits", "--group", "--splitting-algorithm", "--durations-path", "--store-durations-path",
    "--html", "--css", "--alluredir", "--count", "--repeat-scope",
    "--hypothesis-profile", "--hypothesis-seed", "--hypothesis-verbosity",
    "--benchmark-json", "--benchmark-save", "--benchmark-storage", "--benchmark-columns", "--benchmark-sort",
    "--benchmark-group-by", "--benchmark-min-rounds", "--benchmark-min-time", "--benchmark-max-time",
    "--benchmark-warmup-iterations", "--benchmark-timer", "--benchmark-calibration-precision",
})
# ... and those whose value is optional: argparse takes the next word when it is not an option
_PYTEST_OPTIONAL_VALUE = frozenset({"--cov", "--debug", "--cache-show", "--benchmark-compare",
                                    "--benchmark-histogram", "--benchmark-warmup"})


class _CommandReader:
    """Follows commands to the repository files they execute."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self._pytest_cfg: dict[str, list[str]] = {}
        # each snippet is followed once per audit, and never into itself: a script that runs
        # itself, or twenty lines that each run the same Makefile, cost one reading, not 20^depth
        self._followed: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self._following: set[tuple[str, str]] = set()
        self._scripts: dict[tuple[str, str], list[tuple[str, str]]] = {}  # (script, cwd): what it runs
        self._specs: dict[str, dict | None] = {}  # job and component specs, by path
        self.actions_read: set[tuple[int, str, tuple]] = set()  # (workflow, action, inputs) already read
        self.unfollowed: set[str] = set()  # scripts a command runs that are not in the repository

    # -- entry point -----------------------------------------------------------------
    def executions(self, text: str, cwd: str, depth: int = 0) -> list[tuple[str, str]]:
        """(path, how) pairs for every repository file a shell snippet runs."""
        if depth > MAX_DEPTH:
            return []
        key = (text, cwd)
        done = self._followed.get(key)
        if done is not None:
            return done
        if key in self._following:
            return []
        self._following.add(key)
        try:
            out = self._follow(text, cwd, depth)
        finally:
            self._following.discard(key)
        self._followed[key] = out
        return out

    def _follow(self, text: str, cwd: str, depth: int) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        shell_vars: dict[str, str] = {}  # `CMD="python -m pytest tests"` earlier in the same snippet
        for command in split_commands(text):
            command = _UNRESOLVED_EXPR.sub("__expr__", command)  # ${{ env.X }} left over: one opaque word
            if shell_vars and "$" in command:
                command = _SHELL_REF.sub(lambda m: shell_vars.get(m.group(1) or m.group(2), m.group(0)), command)
            for inner in command_substitutions(command):  # `run_id=$(az ml job create -f job.yml ...)`
                out.extend(self.executions(inner, cwd, depth + 1))
            try:
                argv = shlex.split(command, comments=True)
            except ValueError:
                argv = command.split()
            if argv[:1] == ["export"]:
                argv = argv[1:]
            if not argv:
                continue
            if all(_ASSIGN_RE.match(a) for a in argv):
                for a in argv:
                    name, _, value = a.partition("=")
                    if len(value) <= 500:
                        shell_vars[name] = value
                continue
            if argv[0] == "eval" and len(argv) > 1:  # `eval "$command"`: the command the variable holds
                out.extend(self.executions(" ".join(argv[1:]), cwd, depth + 1))
                continue
            if argv[0] == "cd" and len(argv) > 1:
                cwd = _join(cwd, argv[1])
                continue
            out.extend(self._argv(argv, cwd, depth))
        return out

    def _argv(self, argv: list[str], cwd: str, depth: int) -> list[tuple[str, str]]:
        if argv[:2] == ["hatch", "run"] and depth < MAX_DEPTH:  # a hatch script, else a wrapped command
            script = tasks.hatch_script(self.snap, cwd, argv[2:], _join)
            if script is not None:
                return self._task_commands(script, cwd, depth)
        argv = _strip_wrappers(argv)
        if not argv:
            return []
        prog = posixpath.basename(argv[0])
        runner = _TASK_RUNNERS.get(prog)
        if runner is not None and depth < MAX_DEPTH:
            return self._task_commands(runner(self, argv[1:], cwd), cwd, depth)
        if prog in ("pytest", "py.test"):
            return self._pytest(argv[1:], cwd)
        if _PYTHON_RE.match(argv[0]) or prog == "coverage":
            rest = argv[1:]
            if _PYTHON_RE.match(argv[0]):
                rest = _drop_options(rest, _PYTHON_OPTIONS_WITH_VALUE, stop=("-m", "-c"))
                if rest[:1] == ["-c"]:  # inline code: no file of the repository named
                    return []
                if rest[:2] == ["-m", "coverage"]:  # python -m coverage run ...
                    prog, rest = "coverage", rest[2:]
                if len(rest) > 1 and rest[0] == "-m" and rest[1] in _PYTHON_LAUNCHER_MODULES:
                    return self._launched(rest[2:], cwd, depth, f"python -m {rest[1]}")
            if prog == "coverage":
                if rest[:1] != ["run"]:
                    return []
                rest = _drop_options(rest[1:], _COVERAGE_OPTIONS_WITH_VALUE)
            while rest and rest[0].startswith("-") and rest[0] != "-m":
                rest = rest[1:]
            if rest[:1] == ["-m"] and rest[1:2] in (["pytest"], ["py.test"]):  # py.test: the old name
                return self._pytest(rest[2:], cwd)
            if rest[:2] == ["-m", "unittest"]:
                return self._unittest(rest[2:], cwd)
            if rest[:1] == ["-m"] and len(rest) > 1:
                path = self._module_path(rest[1], cwd)
                return [(path, f"python -m {rest[1]}")] if path else []
            if rest and rest[0].endswith(".py"):
                path = _join(cwd, rest[0])
                if not self.snap.exists(path) and path.startswith("$"):
                    path = self._under_variable(path) or path
                if not self.snap.exists(path) and "__expr__" not in path and "$" not in path:
                    self.unfollowed.add(path)
                return [(path, f"python {rest[0]}")] if self.snap.exists(path) else []
            return []
        if prog in _LAUNCHERS or (prog == "accelerate" and argv[1:2] == ["launch"]):
            words = 2 if prog == "accelerate" else 1  # the launcher's own name: `accelerate launch`, `torchrun`
            return self._launched(argv[words:], cwd, depth, " ".join(argv[:words]))
        if prog in ("docker", "docker-compose", "podman", "podman-compose") and depth < MAX_DEPTH:
            inner = _container_command(prog, argv[1:])
            return self._argv(inner, cwd, depth + 1) if inner else []
        if prog in ("bash", "sh", "zsh") and depth < MAX_DEPTH:
            inline = _shell_command_string(argv[1:])
            if inline is not None:  # `bash -c "pytest tests"`, `bash -e -o pipefail -c ...`: the string is the command
                return self.executions(inline, cwd, depth + 1)
        if prog == "kedro" and argv[1:2] == ["run"]:
            return self._kedro_run(argv[2:])
        if prog == "make":
            return self._make(argv[1:], cwd, depth)
        if prog == "tox":
            return self._tox(cwd, depth, argv[1:])
        if prog in ("anyscale", "az") and depth < MAX_DEPTH:
            found = self._job_file(prog, argv[1:], cwd, depth)
            if found or prog == "anyscale":
                return found
        if prog in ("aws", "sam", "kubectl", "az", "oc"):
            return self._deployed_files(prog, argv[1:], cwd)
        if prog in ("papermill", "jupyter"):
            return self._notebooks(prog, argv[1:], cwd)
        if prog in ("bash", "sh", "zsh", "source", "."):
            script = next((a for a in argv[1:] if not a.startswith("-")), None)
            if script:
                return self._script(_join(cwd, script), cwd, depth)
            return []
        if argv[0].startswith("./") or argv[0].endswith(".sh"):
            path = _join(cwd, argv[0])
            if path.endswith(".py"):
                return [(path, argv[0])] if self.snap.exists(path) else []
            return self._script(path, cwd, depth)
        return []

    def _launched(self, args: list[str], cwd: str, depth: int, how: str) -> list[tuple[str, str]]:
        """The script or module a distributed launcher runs (`torchrun --nproc_per_node=2
        train.py`, `accelerate launch -m pkg.train`, `python -m torch.distributed.run ...`):
        the first .py argument, or the module after -m (`-m pytest` runs the tests); the
        launcher's options before it are skipped whatever values they take, so an option whose
        value is a .py file (`--config_file cfg.py train.py`) is taken for the script."""
        for i, a in enumerate(args):
            if a in ("-m", "--module") and i + 1 < len(args):
                if args[i + 1] in ("pytest", "unittest"):
                    return self._argv(["python", "-m", *args[i + 1:]], cwd, depth)
                path = self._module_path(args[i + 1], cwd)
                return [(path, f"{how} -m {args[i + 1]}")] if path else []
            if a.endswith(".py") and not a.startswith("-"):
                path = _join(cwd, a)
                return [(path, f"{how} {a}")] if self.snap.exists(path) else []
        return []

    def _kedro_run(self, args: list[str]) -> list[tuple[str, str]]:
        """`kedro run` runs the project's pipelines: their definitions (pipeline.py under a
        pipelines/ folder, as `kedro new` lays them out), or only the one `--pipeline NAME` names
        when a folder of that name exists; their node modules follow from the imports."""
        wanted = None
        for i, a in enumerate(args):
            if a in ("--pipeline", "-p") and i + 1 < len(args):
                wanted = args[i + 1]
            elif a.startswith("--pipeline="):
                wanted = a.split("=", 1)[1]
        found = self.snap.select("kedro-pipelines")
        named = [p for p in found if posixpath.basename(posixpath.dirname(p)) == wanted] if wanted else []
        return [(p, "kedro run") for p in (named or found)]

    _VARIABLE_PREFIX = re.compile(r"^\$(\([^)]*\)|\{[^}]*\}|\w+)/")

    def _under_variable(self, path: str) -> str | None:
        """A script under a CI variable (`$(System.ArtifactsDirectory)/code/mlops/train.py`, a
        copy of the repository published as an artifact): the longest tail of the path that is a
        file of the repository, if any."""
        m = self._VARIABLE_PREFIX.match(path)
        if not m or "$" in path[m.end():]:
            return None
        parts = path[m.end():].split("/")
        for k in range(len(parts) - 1):
            cand = "/".join(parts[k:])
            if self.snap.exists(cand):
                return cand
        return None

    # -- runners ------------------------------------------------------------------------
    def _pytest(self, args: list[str], cwd: str) -> list[tuple[str, str]]:
        targets: list[str] = []
        ignores: list[str] = []
        skip_next = False
        ignore_next = False
        for i, a in enumerate(args):
            if skip_next:
                skip_next = False
                if ignore_next:
                    ignores.append(_join(cwd, a))
                    ignore_next = False
                continue
            if a in _PYTEST_OPTIONS_WITH_VALUE:  # `--cov-report html`: html is the option's, not a path
                skip_next = True
                ignore_next = a == "--ignore"
                continue
            if a in _PYTEST_OPTIONAL_VALUE:  # `--cov src tests`: argparse gives src to --cov
                skip_next = i + 1 < len(args) and not args[i + 1].startswith("-")
                continue
            if a.startswith("--ignore="):
                ignores.append(_join(cwd, a.split("=", 1)[1]))
                continue
            if a.startswith("-"):
                continue
            targets.append(_join(cwd, a.split("::")[0]))
        if not targets:
            targets = [_join(cwd, t) for t in self._testpaths(cwd)] or [cwd]
        files = self._collect(targets, ignores, is_test_path)
        out = [(f, "pytest") for f in files]
        if any(a in ("--nbval", "--nbval-lax", "--nbmake") for a in args):  # pytest plugins that run notebooks
            notebooks = self._collect(targets, ignores, lambda p: True, suffix=".ipynb")
            out.extend((f, "pytest (runs the notebook)") for f in notebooks)
        return out

    def _unittest(self, args: list[str], cwd: str) -> list[tuple[str, str]]:
        start = cwd
        pattern = "test*.py"
        if args[:1] == ["discover"]:
            rest = args[1:]
            for i, a in enumerate(rest):
                if a in ("-s", "--start-directory") and i + 1 < len(rest):
                    start = _join(cwd, rest[i + 1])
                elif a in ("-p", "--pattern") and i + 1 < len(rest):
                    pattern = rest[i + 1]
            positional = [a for a in rest if not a.startswith("-")]
            if positional and not any(a in rest for a in ("-s", "--start-directory")):
                start = _join(cwd, positional[0])
        elif args:
            out = []
            for a in args:
                if a.startswith("-"):
                    continue
                path = self._module_path(a, cwd) if not a.endswith(".py") else _join(cwd, a)
                if path and self.snap.exists(path):
                    out.append((path, "unittest"))
            return out
        files = self._collect([start], [], lambda p: segment_match(pattern, posixpath.basename(p)))
        return [(f, "unittest") for f in files]

    def _collect(self, targets: list[str], ignores: list[str], accept, suffix: str = ".py") -> list[str]:
        found: set[str] = set()
        targets = list(targets)  # grows by what a target with variables can name
        for t in targets:
            if self.snap.exists(t):
                if t.endswith(suffix):
                    found.add(t)
                continue
            if "$" in t:
                targets.extend(self._variable_paths(t))
                continue
            for p in self.snap.under(t):
                if p.endswith(suffix) and accept(p):
                    if not any(p == i or p.startswith(i.rstrip("/") + "/") for i in ignores):
                        found.add(p)
        return sorted(found)

    _PATH_VARIABLE = re.compile(r"\$(?:\{[A-Za-z_]\w*\}|\([A-Za-z_]\w*\)|[A-Za-z_]\w*)")

    def _variable_paths(self, target: str) -> list[str]:
        """The directories and files a path with unresolved variables can name
        (`tests/${PIPELINE_TEMPLATE}/training`: tests/xgboost/training, tests/tensorflow/training),
        each variable standing for one path segment; none when a variable is the whole first
        segment (`$DIR/tests` could be anywhere)."""
        parts = target.split("/")
        if not parts or self._PATH_VARIABLE.fullmatch(parts[0]) or "__expr__" in target:
            return []
        if not all(self._PATH_VARIABLE.sub("", part) == part or self._PATH_VARIABLE.fullmatch(part)
                   for part in parts):
            return []  # a variable inside a name (`test_$X.py`) is not followed
        out: set[str] = set()
        first_var = next(i for i, part in enumerate(parts) if self._PATH_VARIABLE.fullmatch(part))
        prefix = "/".join(parts[:first_var])
        depth = len(parts)
        for p in self.snap.under(prefix):
            got = p.split("/")
            if len(got) < depth:
                continue
            if all(self._PATH_VARIABLE.fullmatch(want) or want == have for want, have in zip(parts, got)):
                out.add("/".join(got[:depth]))
        return sorted(out)

    def _testpaths(self, cwd: str) -> list[str]:
        if cwd in self._pytest_cfg:
            return self._pytest_cfg[cwd]
        paths: list[str] = []
        for name in ("pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"):
            cfg_path = _join(cwd, name)
            text = self.snap.read_text(cfg_path) if self.snap.exists(cfg_path) else None
            if not text:
                continue
            try:
                if name == "pyproject.toml":
                    opts = tomllib.loads(text).get("tool", {}).get("pytest", {}).get("ini_options", {})
                    value = opts.get("testpaths")
                    if value is None:
                        continue
                    paths = value.split() if isinstance(value, str) else (
                        [str(v) for v in value] if isinstance(value, list) else [])
                else:
                    parser = configparser.ConfigParser(interpolation=None)
                    parser.read_string(text)
                    section = {"pytest.ini": "pytest", "tox.ini": "pytest", "setup.cfg": "tool:pytest"}[name]
                    if not parser.has_option(section, "testpaths"):
                        if parser.has_section(section):
                            break
                        continue
                    paths = parser.get(section, "testpaths").split()
            except (tomllib.TOMLDecodeError, configparser.Error) as exc:
                self.snap.warn(cfg_path, f"cannot read pytest settings: {str(exc).splitlines()[0]}")
                continue
            break
        self._pytest_cfg[cwd] = paths
        return paths

    def _module_path(self, module: str, cwd: str) -> str | None:
        rel = module.replace(".", "/")
        for base in (cwd, _join(cwd, "src")):
            for cand in (f"{rel}.py", f"{rel}/__main__.py"):
                p = _join(base, cand)
                if self.snap.exists(p):
                    return p
        return None

    def _script(self, path: str, cwd: str, depth: int) -> list[tuple[str, str]]:
        key = (path, cwd)
        if key in self._scripts:
            return self._scripts[key]
        if not self.snap.exists(path):
            if "__expr__" not in path and "$" not in path and not self.snap.has_directory(path):
                self.unfollowed.add(path)
            return []
        text = self.snap.read_text(path)
        out = [] if text is None else [(path, "script"), *self.executions(text, cwd, depth + 1)]
        self._scripts[key] = out
        return out

    def _make(self, args: list[str], cwd: str, depth: int) -> list[tuple[str, str]]:
        makefile = None
        targets = []
        overrides: dict[str, str] = {}
        skip = False
        for i, a in enumerate(args):
            if skip:
                skip = False
                continue
            if a in ("-f", "-C"):
                skip = True
                if a == "-f" and i + 1 < len(args):
                    makefile = _join(cwd, args[i + 1])
                if a == "-C" and i + 1 < len(args):
                    cwd = _join(cwd, args[i + 1])
                continue
            if a.startswith("-"):
                continue
            if "=" in a:  # `make e2e-tests pipeline=training`: a variable the recipes read
                name, _, value = a.partition("=")
                if _ASSIGN_RE.match(a):
                    overrides[name] = value
                continue
            targets.append(a)
        makefile = makefile or next((p for p in (_join(cwd, "Makefile"), _join(cwd, "makefile"), _join(cwd, "GNUmakefile")) if self.snap.exists(p)), None)
        if makefile is None:
            return []
        text = self.snap.read_text(makefile)
        if text is None:
            return []
        rules = parse_makefile(text)
        variables = {**makefile_variables(text), **overrides}
        if not targets and rules:
            targets = [next(iter(rules))]
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        todo = list(targets)
        while todo:
            t = todo.pop(0)
            if t in seen or t not in rules:
                continue
            seen.add(t)
            deps, recipe = rules[t]
            todo.extend(deps)
            for line in recipe:
                line = expand_make_variables(line.lstrip("@-+ "), variables).replace("$$", "$")
                out.extend(self.executions(line, cwd, depth + 1))
        return out

    def _task_commands(self, commands: list[str], cwd: str, depth: int) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for command in commands:
            out.extend(self.executions(command, cwd, depth + 1))
        return out

    def _deployed_files(self, prog: str, args: list[str], cwd: str) -> list[tuple[str, str]]:
        """Templates and manifests a deployment command applies: what they define (a canary, a
        rollback alarm, an autoscaling policy) is then set up by the pipeline, not by a person.
        `aws cloudformation deploy|create-stack|update-stack --template-file F`,
        `sam deploy -t F`, `kubectl|oc apply|create|replace -f F|DIR`,
        `az deployment group|sub create --template-file F`."""
        verb = " ".join(args[:2])
        if prog == "aws" and not re.match(r"cloudformation (deploy|create-stack|update-stack|create-change-set)$", verb):
            return []
        if prog == "sam" and args[:1] != ["deploy"]:
            return []
        if prog in ("kubectl", "oc") and args[:1] not in (["apply"], ["create"], ["replace"]):
            return []
        if prog == "az" and not (args[:1] == ["deployment"] and "create" in args[:3]):
            return []
        flags = {"--template-file", "--template-body", "--template", "-t", "-f", "--filename"}
        out: list[tuple[str, str]] = []
        for i, a in enumerate(args[:-1]):
            if a in flags:
                target = _join(cwd, args[i + 1].removeprefix("file://"))
                how = f"{prog} {' '.join(args[:2])}"
                if self.snap.exists(target):
                    out.append((target, how))
                elif prog in ("kubectl", "oc"):  # a directory of manifests
                    out.extend((p, how) for p in self.snap.under(target) if p.endswith((".yaml", ".yml", ".json")))
        return out

    def _notebooks(self, prog: str, args: list[str], cwd: str) -> list[tuple[str, str]]:
        """Notebooks CI executes: `papermill IN.ipynb OUT`, `jupyter nbconvert --execute NB`,
        `jupyter execute NB`."""
        if prog == "jupyter" and not (args[:1] == ["execute"] or (args[:1] == ["nbconvert"] and "--execute" in args)):
            return []
        out = []
        for a in args:
            if a.endswith(".ipynb"):
                path = _join(cwd, a)
                if self.snap.exists(path):
                    out.append((path, f"{prog} (runs the notebook)"))
                if prog == "papermill":
                    break  # the second notebook is the output
        return out

    def _job_file(self, prog: str, args: list[str], cwd: str, depth: int) -> list[tuple[str, str]]:
        """Jobs submitted to a cluster from a spec in the repository: `anyscale jobs submit SPEC`
        runs the spec's `entrypoint`; `az ml job create --file SPEC` runs its `command` in `code`."""
        if prog == "anyscale" and args[:1] == ["service"] and args[1:2] in (["rollout"], ["deploy"]):
            spec = next((args[i + 1] for i, a in enumerate(args[:-1])
                         if a in ("-f", "--config-file", "--service-config-file")), None)
            path = _join(cwd, spec) if spec else None
            return [(path, "anyscale service rollout")] if path and self.snap.exists(path) else []
        if prog == "anyscale" and args[:2] == ["jobs", "submit"]:
            spec = next((a for a in args[2:] if not a.startswith("-") and a.endswith((".yaml", ".yml"))), None)
            key, code_key = "entrypoint", None
        elif prog == "az" and args[:3] == ["ml", "job", "create"]:
            spec = next((args[i + 1] for i, a in enumerate(args[:-1]) if a in ("--file", "-f")), None)
            key, code_key = "command", "code"
        else:
            return []
        if not spec:
            return []
        path = _join(cwd, spec)
        data = self._spec(path)
        if data is None:
            return []
        if prog == "az" and isinstance(data.get("jobs"), dict):  # a pipeline job: each step's command
            return self._azure_pipeline(path, data, depth, {path})
        if not isinstance(data.get(key), str):
            return []
        job_cwd = cwd
        if code_key and isinstance(data.get(code_key), str):
            job_cwd = _join(posixpath.dirname(path), data[code_key])
        return [(path, f"{prog} job"), *self.executions(data[key], job_cwd, depth + 1)]

    def _spec(self, path: str) -> dict | None:
        """A job or component spec (YAML mapping) in the repository, read once per audit."""
        if path not in self._specs:
            data = load_ci_yaml(self.snap, path) if self.snap.exists(path) else None
            self._specs[path] = data if isinstance(data, dict) else None
        return self._specs[path]

    def _azure_pipeline(self, path: str, data: dict, depth: int, seen: set[str]) -> list[tuple[str, str]]:
        """An Azure ML pipeline job (`type: pipeline`, `jobs:`): every step runs its `command` in
        its `code` folder, given inline, in an inline `component:` mapping, or by a component
        file in the repository (`component: ./train.yml` or `file:./train.yml`; a registered
        `azureml:` component is not here); a step that is itself a pipeline component is
        followed the same way. Each file is followed once (`seen`: a pipeline may name itself)."""
        out: list[tuple[str, str]] = [(path, "az ml pipeline job")]
        here = posixpath.dirname(path)
        for step in data["jobs"].values():
            if not isinstance(step, dict):
                continue
            spec, spec_path = step, path
            component = step.get("component")
            if isinstance(component, dict):
                spec = {**component, **{k: v for k, v in step.items() if k in ("command", "code")}}
            elif isinstance(component, str) and not component.startswith("azureml:"):
                spec_path = _join(here, component.removeprefix("file:"))
                if spec_path in seen or depth >= MAX_DEPTH:
                    continue
                seen.add(spec_path)
                loaded = self._spec(spec_path)
                if loaded is None:
                    continue
                out.append((spec_path, "az ml component"))
                if isinstance(loaded.get("jobs"), dict):
                    out.extend(self._azure_pipeline(spec_path, loaded, depth + 1, seen)[1:])
                    continue
                spec = {**loaded, **{k: v for k, v in step.items() if k in ("command", "code")}}
            if not isinstance(spec.get("command"), str):
                continue
            code = spec.get("code")
            base = posixpath.dirname(spec_path)
            job_cwd = _join(base, code.removeprefix("file:")) if isinstance(code, str) and not code.startswith("azureml:") else base
            out.extend(self.executions(spec["command"], job_cwd, depth + 1))
        return out

    def _tox(self, cwd: str, depth: int, args: list[str] = ()) -> list[tuple[str, str]]:
        """The commands of the environments `tox` runs: those `-e` names, else the envlist,
        else every environment; an environment without commands of its own has the base's.
        The settings are found where tox looks (`-c FILE`, else the first of tox.ini,
        setup.cfg with a [tox:tox] section, pyproject.toml's [tool.tox] as legacy_tox_ini text
        or as TOML, tox.toml)."""
        selected: list[str] = []
        config = None
        args = list(args)
        for i, a in enumerate(args):
            value = None
            if a in ("-e", "--env") and i + 1 < len(args):
                value = args[i + 1]
            elif a.startswith(("-e=", "--env=")):
                value = a.split("=", 1)[1]
            elif a.startswith("-e") and len(a) > 2 and not a.startswith("-e="):
                value = a[2:]
            elif a == "-c" and i + 1 < len(args):
                config = args[i + 1]
            if value:
                selected.extend(v.strip() for v in value.split(",") if v.strip())
        settings = self._tox_settings(cwd, config)
        if settings is None:
            return []
        envlist, envs, base, env_commands = settings
        if not selected or "ALL" in selected or any("$" in v or "{" in v or "__expr__" in v for v in selected):
            selected = envlist
            if not selected or any("{" in v for v in selected):  # factor expansions: not worked out
                selected = envs or ["py"]
        out: list[tuple[str, str]] = []
        for name in dict.fromkeys(selected):
            commands = env_commands.get(name)
            commands = base if commands is None else commands
            for root in ("{toxinidir}", "{tox_root}"):
                commands = commands.replace(root + "/", "").replace(root, ".")
            # `{posargs:pytest}`: the default, when no arguments are passed on (CI passes none)
            commands = _TOX_POSARGS_DEFAULT.sub(lambda m: m.group(1), commands)
            commands = re.sub(r"\{posargs[^}]*\}|\{[a-z_]+\}", "", commands)
            out.extend(self.executions(commands, cwd, depth + 1))
        return out

    def _tox_settings(self, cwd: str, config: str | None) -> tuple[list[str], list[str], str, dict[str, str | None]] | None:
        """(envlist, environments defined, base commands, commands per environment (None: the
        base's)) from the first tox configuration found, or None."""
        candidates = [config] if config else ["tox.ini", "setup.cfg", "pyproject.toml", "tox.toml"]
        for name in candidates:
            path = _join(cwd, name)
            text = self.snap.read_text(path) if self.snap.exists(path) else None
            if not text:
                continue
            kind = posixpath.basename(name)
            try:
                if kind.endswith(".toml"):
                    data = tomllib.loads(text)
                    if kind == "pyproject.toml":
                        tool = data.get("tool")
                        data = tool.get("tox") if isinstance(tool, dict) else None
                        if not isinstance(data, dict):
                            continue
                        if isinstance(data.get("legacy_tox_ini"), str):
                            return _tox_ini_settings(data["legacy_tox_ini"], "tox")
                    return _tox_toml_settings(data)
                if kind == "setup.cfg" and not config and "[tox:tox]" not in text:
                    continue
                return _tox_ini_settings(text, "tox:tox" if kind == "setup.cfg" else "tox")
            except (configparser.Error, tomllib.TOMLDecodeError) as exc:
                self.snap.warn(path, f"cannot read tox settings: {str(exc).splitlines()[0]}")
                return None
        return None


def _tox_ini_settings(text: str, core: str) -> tuple[list[str], list[str], str, dict[str, str | None]]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(text)
    envs = [sec[len("testenv:"):] for sec in parser.sections() if sec.startswith("testenv:")]
    envlist = ""
    if parser.has_section(core):
        envlist = parser.get(core, "envlist", fallback="") or parser.get(core, "env_list", fallback="")
    base = parser.get("testenv", "commands", fallback="") if parser.has_section("testenv") else ""
    commands = {name: parser.get(f"testenv:{name}", "commands", fallback=None) for name in envs}
    return [v.strip() for v in re.split(r"[\s,]+", envlist) if v.strip()], envs, base, commands


def _toml_command(command) -> str:
    """One native-TOML tox command (a list of arguments; `{replace = "posargs", default = [...]}`
    stands for its default arguments) as a shell line."""
    if isinstance(command, str):
        return command
    if not isinstance(command, list):
        return ""
    words = []
    for arg in command:
        if isinstance(arg, str):
            words.append(shlex.quote(arg))
        elif isinstance(arg, dict) and arg.get("replace") == "posargs" and isinstance(arg.get("default"), list):
            words.extend(shlex.quote(a) for a in arg["default"] if isinstance(a, str))
    return " ".join(words)


def _toml_commands(env) -> str | None:
    commands = env.get("commands") if isinstance(env, dict) else None
    if not isinstance(commands, list):
        return None
    return "\n".join(line for line in map(_toml_command, commands) if line)


def _tox_toml_settings(data: dict) -> tuple[list[str], list[str], str, dict[str, str | None]]:
    envs_table = data.get("env") if isinstance(data.get("env"), dict) else {}
    envlist = data.get("env_list") or data.get("envlist") or []
    envlist = [v for v in envlist if isinstance(v, str)] if isinstance(envlist, list) else []
    base = _toml_commands(data.get("env_run_base")) or ""
    commands = {name: _toml_commands(env) for name, env in envs_table.items()}
    return envlist, list(envs_table), base, commands


def parse_makefile(text: str) -> dict[str, tuple[list[str], list[str]]]:
    """target -> (prerequisites, recipe lines); enough of make to follow test targets."""
    rules: dict[str, tuple[list[str], list[str]]] = {}
    current: list[str] = []
    lines = text.replace("\\\n", " ").splitlines()
    for line in lines:
        if line.startswith("\t"):
            for t in current:
                rules[t][1].append(line.strip())
            continue
        m = re.match(r"^([A-Za-z0-9_./%-][^:=#]*?)\s*:(?!=)\s*([^=#;]*)(?:;([^#]*))?(?:#.*)?$", line)
        if m:
            names = [n for n in m.group(1).split() if not n.startswith(".")]
            current = names
            for t in names:
                rules.setdefault(t, ([], []))
                rules[t][0].extend(m.group(2).split())
                if m.group(3):
                    rules[t][1].append(m.group(3).strip())
        elif line.strip() and not line.startswith("#"):
            current = []
    return rules


_MAKE_ASSIGN = re.compile(r"^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?:\?|:|::|!)?=\s*(.*?)\s*(?:#.*)?$")
_MAKE_REF = re.compile(r"\$(?:\(([A-Za-z_][A-Za-z0-9_]*)\)|\{([A-Za-z_][A-Za-z0-9_]*)\})")


def makefile_variables(text: str) -> dict[str, str]:
    """Simple variable assignments of a Makefile (NAME = / := / ?= / ::= value), first one kept;
    $(MAKE) is make itself."""
    out: dict[str, str] = {"MAKE": "make"}
    for line in text.replace("\\\n", " ").splitlines():
        if line.startswith("\t"):
            continue
        m = _MAKE_ASSIGN.match(line)
        if m and m.group(1) not in out and len(m.group(2)) <= 500:  # a command or a path, not a blob
            out[m.group(1)] = m.group(2)
    return out


_MAKE_LINE_LIMIT = 4000


def expand_make_variables(line: str, variables: dict[str, str], depth: int = 3) -> str:
    """$(NAME) and ${NAME} replaced by their Makefile values (nested up to a few levels); unknown
    ones are left as they are."""
    for _ in range(depth):
        new = _MAKE_REF.sub(lambda m: variables.get(m.group(1) or m.group(2), m.group(0)), line)
        if new == line or len(new) > _MAKE_LINE_LIMIT:  # a value that keeps growing is not followed
            break
        line = new
    return line


_COVERAGE_OPTIONS_WITH_VALUE = frozenset({"--source", "--rcfile", "--omit", "--include", "--context", "--data-file",
                                          "--concurrency"})


def _drop_options(args: list[str], with_value: frozenset[str], stop: str | tuple[str, ...] = "-m") -> list[str]:
    """Leading options (and the values of those that take one) removed, up to the program's own
    -m or script (or up to an option in `stop`)."""
    stops = (stop,) if isinstance(stop, str) else stop
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] not in stops:
        i += 2 if args[i] in with_value and i + 1 < len(args) else 1
    return args[i:]


_PYTHON_OPTIONS_WITH_VALUE = frozenset({"-W", "-X", "--check-hash-based-pycs"})
# programs that start a training script on one or more processes: `torchrun train.py`
_LAUNCHERS = frozenset({"torchrun", "deepspeed", "horovodrun", "mpirun", "composer"})
_PYTHON_LAUNCHER_MODULES = frozenset({"torch.distributed.run", "torch.distributed.launch", "accelerate.commands.launch",
                                      "deepspeed.launcher.runner"})

# `docker run` / `docker compose run` options that take no value (every other option, unless
# written `--opt=value`, is followed by its value); the first word after the options is the
# image, service or container, the words after it the command run inside
_CONTAINER_FLAGS = frozenset({"--rm", "-t", "-i", "-it", "-ti", "-d", "--detach", "--quiet", "--init", "--privileged",
                              "--tty", "--interactive", "-T", "--no-deps", "--service-ports", "--use-aliases", "--build",
                              "--remove-orphans", "-P", "--publish-all", "--read-only", "--no-TTY", "--quiet-pull",
                              "--pull-always", "--no-healthcheck", "--sig-proxy"})
# `docker -itd`, `-q`: clusters of one-letter flags that take no value
_FLAG_CLUSTER = re.compile(r"^-[itdPqT]+$")
# `docker` global options with a value (`docker -H tcp://host run ...`)
_DOCKER_GLOBAL_WITH_VALUE = frozenset({"-H", "--host", "-c", "--context", "--config", "-l", "--log-level",
                                       "--tlscacert", "--tlscert", "--tlskey"})
# `docker compose` / `docker-compose` global options with a value (before the subcommand)
_COMPOSE_GLOBAL_WITH_VALUE = frozenset({"-f", "--file", "-p", "--project-name", "--env-file", "--profile",
                                        "--project-directory", "--ansi", "--progress", "--parallel"})


def _container_command(prog: str, args: list[str]) -> list[str]:
    """The command `docker run IMAGE CMD...`, `docker exec CONTAINER CMD...`, `docker compose
    run|exec SERVICE CMD...` (and podman's, docker-compose's) runs inside the container, or
    []. Read as run where the step runs (the checkout, or the folder a `cd` moved to): CI
    builds the image from the checkout or mounts it, so `pytest tests` inside is the
    repository's tests."""
    compose = prog in ("docker-compose", "podman-compose")
    rest = args if compose else _drop_options(args, _DOCKER_GLOBAL_WITH_VALUE, stop=())
    if not compose and rest[:1] in (["compose"], ["container"]):
        compose = rest[0] == "compose"
        rest = rest[1:]
    if compose:
        rest = _drop_options(rest, _COMPOSE_GLOBAL_WITH_VALUE, stop=())
    if rest[:1] not in (["run"], ["exec"]):
        return []
    i = 1
    while i < len(rest) and rest[i].startswith("-"):
        opt = rest[i]
        boolean = "=" in opt or opt in _CONTAINER_FLAGS or _FLAG_CLUSTER.match(opt) is not None
        i += 1 if boolean else 2
    return rest[i + 1:] if i + 1 < len(rest) else []


def _is_command_flag(arg: str) -> bool:
    """`-c`, `-lc`, `-ec`, `-xec`: a shell's flags that end in c (the next word is the command)."""
    return len(arg) > 1 and arg[0] == "-" and arg[1] != "-" and arg.endswith("c") and arg[1:].isalpha()


def _shell_command_string(args: list[str]) -> str | None:
    """The command string of `bash [flags] -c STRING` (flags before it: `-e`, `-o pipefail`),
    or None when the shell runs a script or reads its input."""
    i = 0
    while i < len(args) and args[i][:1] in ("-", "+"):
        if _is_command_flag(args[i]):
            return args[i + 1] if i + 1 < len(args) else None
        i += 2 if args[i] in ("-o", "+o", "-O", "+O") else 1
    return None


_KEDRO_PIPELINE_RE = re.compile(r"(^|/)pipelines/[^/]+/pipeline\.py$")


@selector("kedro-pipelines")
def is_kedro_pipeline(path: str) -> bool:
    return bool(_KEDRO_PIPELINE_RE.search(path))


_UNRESOLVED_EXPR = re.compile(r"\$\{\{.*?\}\}")
_TOX_POSARGS_DEFAULT = re.compile(r"\{posargs:([^{}]*)\}")


def command_substitutions(command: str) -> list[str]:
    """The commands inside `$(...)` in a shell command, outermost only, parentheses balanced:
    `run_id=$(az ml job create -f job.yml --query name -o tsv)` runs `az ml job create ...`.
    One word with no space inside (`$(EXPERIMENT_NAME)`) is an Azure Pipelines macro, not a
    command; `$((1 + 2))` is arithmetic."""
    out, i = [], command.find("$(")
    while i != -1:
        depth, j = 0, i + 1
        while j < len(command):
            if command[j] == "(":
                depth += 1
            elif command[j] == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        inner = command[i + 2:j].strip()
        if depth == 0 and not inner.startswith("(") and " " in inner:
            out.append(inner)
        i = command.find("$(", j)
    return out


_SHELL_REF = re.compile(r"\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))")

# Task runners: program -> its tasks' commands (detectors/tasks.py)
_TASK_RUNNERS = {
    "mise": lambda r, args, cwd: tasks.mise(r.snap, cwd, args, _join),
    "pixi": lambda r, args, cwd: tasks.pixi(r.snap, cwd, args, _join),
    "just": lambda r, args, cwd: tasks.just(r.snap, cwd, args, _join),
    "poe": lambda r, args, cwd: tasks.poe(r.snap, cwd, args, _join),
    "task": lambda r, args, cwd: tasks.taskfile(r.snap, cwd, args, _join, load_yaml),
    "dvc": lambda r, args, cwd: tasks.dvc(r.snap, cwd, args, _join, load_yaml),
    "mlflow": lambda r, args, cwd: tasks.mlflow_project(r.snap, cwd, args, _join, load_yaml),
    "nox": lambda r, args, cwd: tasks.nox(r.snap, cwd, args, _join),
    "invoke": lambda r, args, cwd: tasks.invoke(r.snap, cwd, args, _join),
    "inv": lambda r, args, cwd: tasks.invoke(r.snap, cwd, args, _join),
}


def split_commands(text: str) -> list[str]:
    text = re.sub(r"\\\r?\n", " ", text)
    out: list[str] = []
    for line in text.splitlines():
        for part in re.split(r"&&|\|\||;|(?<![|])\|(?![|])", line):
            part = part.strip()
            if part and not part.startswith("#"):
                out.append(part)
    return out


# options of the wrappers that take a value, by program: the simple wrappers (`sudo -u runner
# pytest`, `xvfb-run -s "-screen 0" pytest`, `nice -n 10 python train.py`) and the project runners
# of _WRAPPERS (`uv run --extra cpu pytest`; `pipenv run` has none)
_WRAPPER_OPTIONS_WITH_VALUE = {
    "sudo": frozenset({"-u", "--user", "-g", "--group", "-C", "--close-from", "-D", "--chdir", "-h", "--host",
                       "-p", "--prompt", "-r", "--role", "-t", "--type", "-U", "--other-user", "-T",
                       "--command-timeout"}),
    "xvfb-run": frozenset({"-n", "--server-num", "-s", "--server-args", "-e", "--error-file", "-f", "--auth-file",
                           "-p", "--xauth-protocol", "-w", "--wait"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "uv": frozenset({"--extra", "--group", "--only-group", "--no-group", "--with", "--with-editable",
                     "--with-requirements", "--python", "-p", "--package", "--directory", "--project", "--env-file",
                     "--index", "--default-index", "--index-url", "--extra-index-url", "--find-links", "-f",
                     "--config-file", "--cache-dir", "--no-extra", "--refresh-package", "--reinstall-package",
                     "--upgrade-package", "-P", "--index-strategy", "--resolution", "--prerelease", "--exclude-newer",
                     "--link-mode", "--color", "--python-platform"}),
    "poetry": frozenset({"--directory", "-C", "--project", "-P"}),
    "pdm": frozenset({"--project", "-p", "--venv"}),
    "hatch": frozenset({"--env", "-e"}),
    "rye": frozenset({"--pyproject"}),
}


# a wrapper's options that make it only ask: `command -v`, `sudo -l` / `-v` (validate) / `-k`
_ASKS_ONLY = {"command": ("-v", "-V"), "sudo": ("-l", "--list", "-v", "--validate", "-k", "-K", "--reset-timestamp",
                                              "--remove-timestamp")}


def _drop_wrapper_options(argv: list[str], with_value: frozenset[str]) -> list[str]:
    """A wrapper's options removed, up to the command it runs (after `--`, when given)."""
    out = _drop_options(argv, with_value, stop="--")
    return out[1:] if out[:1] == ["--"] else out


def _strip_wrappers(argv: list[str]) -> list[str]:
    while argv:
        if tuple(argv[:2]) in _WRAPPERS:  # and the runner's own options: `uv run --extra cpu --frozen pytest`
            argv = _drop_wrapper_options(argv[2:], _WRAPPER_OPTIONS_WITH_VALUE.get(argv[0], frozenset()))
        elif argv[0] in _ASKS_ONLY and argv[1:2] and argv[1] in _ASKS_ONLY[argv[0]]:
            return []  # `command -v pytest`, `sudo -l`: looks the program up, runs nothing
        elif argv[0] in _SIMPLE_WRAPPERS:
            argv = _drop_wrapper_options(argv[1:], _WRAPPER_OPTIONS_WITH_VALUE.get(argv[0], frozenset()))
        elif argv[0] in ("uvx", "pipx") and len(argv) > 1:  # `uvx pytest`, `pipx run pytest`: the tool
            rest = argv[2:] if argv[0] == "pipx" and argv[1] == "run" else argv[1:]
            argv = _drop_wrapper_options(rest, frozenset({"--from", "--with", "-w", "--python", "--spec", "-p"}))
        elif argv[:2] == ["nix", "develop"]:  # `nix develop [.#shell] -c CMD`
            at = next((i for i, a in enumerate(argv) if a in ("-c", "--command")), None)
            argv = argv[at + 1:] if at is not None else []
        elif argv[0] == "timeout" and len(argv) > 1:
            argv = argv[2:]
        elif argv[0] == "env" or _ASSIGN_RE.match(argv[0]):
            argv = argv[1:]
        elif argv[1:2] == ["run"] and argv[0] in ("conda", "mamba", "micromamba"):
            argv = _drop_options(argv[2:], frozenset({"-n", "--name", "-p", "--prefix"}), stop=())
        else:
            break
    return argv


def load_ci_yaml(snap: Snapshot, path: str) -> Any | None:
    """A CI or job file's YAML, or None (unreadable, or invalid: a warning names the problem)."""
    text = snap.read_text(path)
    if text is None:
        return None
    try:
        return load_yaml(text)
    except YamlError as exc:
        snap.warn(path, str(exc))
        return None


def _join(cwd: str, rel: str) -> str:
    if rel.startswith("$") or rel.startswith("${{"):
        return rel
    rel = rel.strip("'\"")
    joined = posixpath.normpath(posixpath.join(cwd or ".", rel)) if not rel.startswith("/") else rel
    return "" if joined == "." else joined


# ---------------------------------------------------------------------- GitHub Actions
_EXPR = re.compile(r"\$\{\{\s*(inputs|parameters)\.([A-Za-z_][\w-]*)\s*(?:\|\|\s*'([^']*)'\s*)?\}\}")


def substitute(text: str, values: dict[str, str]) -> str:
    """Fill `${{ inputs.x }}` / `${{ parameters.x }}` (with `|| 'default'`) from known values."""

    def repl(m: re.Match) -> str:
        value = values.get(m.group(2))
        if value is None:
            value = m.group(3)
        return value if value is not None else m.group(0)

    return _EXPR.sub(repl, text) if "${{" in text else text


def _input_defaults(spec: Any) -> dict[str, str]:
    out = {}
    if isinstance(spec, dict):
        for name, conf in spec.items():
            if isinstance(conf, dict) and conf.get("default") is not None and not isinstance(conf["default"], (dict, list)):
                out[name] = str(conf["default"])
    return out


def _with_values(node: Any, inputs: dict[str, str]) -> dict[str, str]:
    if not isinstance(node, dict):
        return {}
    return {k: substitute(str(v), inputs) for k, v in node.items() if not isinstance(v, (dict, list)) and v is not None}


def _read_github_workflow(snap: Snapshot, path: str, reader: _CommandReader, facts: CIFacts,
                          inputs: dict[str, str] | None = None, instance: bool = False,
                          depth: int = 0, calling: tuple[str, ...] = ()) -> Workflow | None:
    """Read a workflow. Called again for each `uses: ./...yml` job with the caller's `with:` values
    (an instance), so a reusable workflow's steps are followed with its real inputs. A workflow is
    never followed into itself (`calling`: the chain of callers), and one caller's jobs that call
    the same workflow with the same inputs make one instance: a self-calling or fanned-out
    workflow costs what its distinct calls cost, not jobs to the power of the depth."""
    text = snap.read_text(path)
    if text is None:
        return None
    try:
        data = load_yaml(text)
    except YamlError as exc:
        if not instance:
            snap.warn(path, str(exc))
        return None
    if not isinstance(data, LineDict):
        if not instance:
            snap.warn(path, "not a workflow (top level is not a mapping); skipped")
        return None
    on = data.get("on")
    call_spec = on.get("workflow_call") if isinstance(on, dict) and isinstance(on.get("workflow_call"), dict) else {}
    values = {**_input_defaults(call_spec.get("inputs")), **(inputs or {})}
    wf = Workflow(path=path, system="github-actions", triggers=_triggers(on), line=data.line_of("on", 1))
    defaults_wd = _working_dir(data.get("defaults"))
    jobs = data.get("jobs")
    if not isinstance(jobs, dict):
        return wf
    instantiated: set[tuple[str, tuple]] = set()
    for job in jobs.values():
        if not isinstance(job, LineDict):
            continue
        uses = job.get("uses")
        if isinstance(uses, str):
            wf.steps.append(Step(path, job.line_of("uses"), f"uses: {uses}"))
            if uses.startswith("./"):
                callee = posixpath.normpath(uses[2:].split("@")[0])
                wf.calls.append(callee)
                with_values = _with_values(job.get("with"), values)
                key = (callee, tuple(sorted(with_values.items())))
                if (depth < MAX_DEPTH and callee not in calling and callee != path and key not in instantiated
                        and snap.exists(callee)):
                    instantiated.add(key)
                    inst = _read_github_workflow(snap, callee, reader, facts, with_values,
                                                 instance=True, depth=depth + 1, calling=(*calling, path))
                    if inst is not None:
                        inst.instance_of = wf
                        facts.instances.append(inst)
            continue
        job_wd = _working_dir(job.get("defaults")) or defaults_wd
        strategy = job.get("strategy")
        matrix = _matrix_values(strategy.get("matrix")) if isinstance(strategy, dict) else {}
        _read_steps(snap, path, job.get("steps"), job_wd, wf, reader, facts, 0, values, matrix)
    return wf


_MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([A-Za-z_][\w-]*)\s*\}\}")
MAX_MATRIX_VARIANTS = 16  # a command's matrix combinations followed; past that it stays unresolved


def _matrix_values(matrix: Any) -> dict[str, list[str]]:
    """Each matrix variable's scalar values: its list, and the values `include:` entries add
    (`toxenv: [py311, lint]`, `include: [{toxenv: docs}]`); a matrix built by an expression
    (`fromJSON(...)`) has none that can be known here."""
    out: dict[str, list[str]] = {}
    if not isinstance(matrix, dict):
        return out

    def add(key: Any, value: Any) -> None:
        if isinstance(key, str) and value is not None and not isinstance(value, (dict, list)):
            values = out.setdefault(key, [])
            if str(value) not in values:
                values.append(str(value))

    for key, value in matrix.items():
        if key in ("include", "exclude"):
            continue
        for v in value if isinstance(value, list) else []:
            add(key, v)
    for entry in matrix.get("include") or []:
        if isinstance(entry, dict):
            for key, value in entry.items():
                add(key, value)
    return out


def matrix_variants(text: str, wd: str | None, matrix: dict[str, list[str]]) -> list[tuple[str, str | None]]:
    """The command and working directory once per combination of the matrix values they use
    (`tox -e ${{ matrix.toxenv }}`: `tox -e py311`, `tox -e lint`); as they are when they use
    none, a variable the matrix does not list, or more than MAX_MATRIX_VARIANTS combinations.
    Combinations `include:`/`exclude:` would add or drop are not worked out: each variable's
    values are taken as independent (what a command could run, not the exact job list)."""
    used = list(dict.fromkeys(_MATRIX_REF.findall(text) + (_MATRIX_REF.findall(wd) if wd else [])))
    if not used or any(key not in matrix for key in used):
        return [(text, wd)]
    combos: list[dict[str, str]] = [{}]
    for key in used:
        combos = [{**c, key: v} for c in combos for v in matrix[key]]
        if len(combos) > MAX_MATRIX_VARIANTS:
            return [(text, wd)]

    def fill(s: str, combo: dict[str, str]) -> str:
        return _MATRIX_REF.sub(lambda m: combo[m.group(1)], s)

    return [(fill(text, c), fill(wd, c) if wd else wd) for c in combos]


def _read_steps(snap, path, steps, job_wd, wf, reader, facts, depth, values=None, matrix=None):
    values = values or {}
    if not isinstance(steps, list):
        return
    for step in steps:
        if not isinstance(step, LineDict):
            continue
        run = step.get("run")
        if isinstance(run, str):
            wd = step.get("working-directory") if isinstance(step.get("working-directory"), str) else job_wd
            add_command(wf, facts, reader, path, step.line_of("run"), substitute(run, values), wd,
                        matrix=matrix)
        uses = step.get("uses")
        if isinstance(uses, str):
            wf.steps.append(Step(path, step.line_of("uses"), f"uses: {uses}"))
            wrapped = _wrapped_command(uses, step.get("with"))
            if wrapped is not None:
                wd = step.get("working-directory") if isinstance(step.get("working-directory"), str) else job_wd
                add_command(wf, facts, reader, path, step["with"].line_of(wrapped[0]), substitute(wrapped[1], values), wd,
                            matrix=matrix)
            if uses.startswith("./") and depth < MAX_DEPTH:
                _read_local_action(snap, posixpath.normpath(uses[2:]), wf, reader, facts, depth + 1,
                                   _with_values(step.get("with"), values))


# Actions that run a shell command given as an input (retry wrappers): `uses: nick-fields/retry@v3`
# `with: {command: pytest}`, `uses: ultralytics/actions/retry@main` `with: {run: docker push ...}`
_COMMAND_ACTION_RE = re.compile(r"(^|/)(retry|wretry\.action|retry-action)(@|/|$)", re.I)


def _wrapped_command(uses: str, inputs) -> tuple[str, str] | None:
    """(input name, command) of an action that runs a command given in its inputs."""
    if not isinstance(inputs, LineDict) or not _COMMAND_ACTION_RE.search(uses.split("@", 1)[0] + "@"):
        return None
    for key in ("run", "command"):
        value = inputs.get(key)
        if isinstance(value, str) and value.strip():
            return key, value
    return None


def add_command(wf: Workflow, facts: CIFacts, reader: "_CommandReader", path: str, line: int, text: str,
                cwd: str | None = None, manual: bool = False, matrix: dict[str, list[str]] | None = None) -> None:
    """Record one shell command of a pipeline, and the repository files it runs (under each
    combination of the job's matrix values it uses: one step, the files of every variant)."""
    wf.steps.append(Step(path, line, text.strip(), manual))
    variants = matrix_variants(text, cwd, matrix) if matrix else [(text, cwd)]
    runs = reader.executions(variants[0][0], _join("", variants[0][1] or "."))
    for variant, variant_cwd in variants[1:]:  # a file another variant runs too counts once
        runs = runs + [run for run in reader.executions(variant, _join("", variant_cwd or ".")) if run not in runs]
    for target, how in runs:
        facts.executions.setdefault(target, []).append(Execution(target, wf, line, how, manual, path))


def _read_local_action(snap, directory, wf, reader, facts, depth, values=None):
    key = (id(wf), directory, tuple(sorted((values or {}).items())))
    if key in reader.actions_read:  # already part of this workflow (or being read: an action using itself)
        return
    reader.actions_read.add(key)
    for name in ("action.yml", "action.yaml"):
        path = f"{directory}/{name}"
        if not snap.exists(path):
            continue
        text = snap.read_text(path)
        if text is None:
            return
        try:
            data = load_yaml(text)
        except YamlError as exc:
            snap.warn(path, str(exc))
            return
        if not isinstance(data, dict):
            return
        action_values = {**_input_defaults(data.get("inputs")), **(values or {})}
        runs = data.get("runs")
        if isinstance(runs, dict):
            _read_steps(snap, path, runs.get("steps"), None, wf, reader, facts, depth, action_values)
        return


def _working_dir(defaults: Any) -> str | None:
    if isinstance(defaults, dict) and isinstance(defaults.get("run"), dict):
        wd = defaults["run"].get("working-directory")
        return wd if isinstance(wd, str) else None
    return None


def detect_ci(snap: Snapshot) -> CIFacts:
    facts = CIFacts()
    reader = _CommandReader(snap)
    for path in snap.select("github-workflows"):
        with reading(snap, path, "GitHub Actions workflow"):
            wf = _read_github_workflow(snap, path, reader, facts)
            if wf is not None:
                facts.workflows.append(wf)
    from .ci_systems import read_other_systems  # GitLab, Azure, CircleCI, Jenkins, ...

    read_other_systems(snap, reader, facts)
    _propagate_triggers(facts.workflows)
    for inst in reversed(facts.instances):  # callers come after their callees: reversed, callers first
        inst.effective_triggers = set(inst.instance_of.effective_triggers) - {"workflow_call"}
    _pre_commit_in_ci(facts)
    _imported_by_scripts(snap, facts)
    facts.unfollowed = sorted(reader.unfollowed)
    return facts


IMPORTED_BY = "imported by "  # the `how` of a module that runs because a CI-run script imports it
_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+\(?([\w, \t]+)|import[ \t]+([\w.]+(?:[ \t]*,[ \t]*[\w.]+)*))",
                          re.M)


def _module_files(snap: Snapshot, roots: list[str], dotted: str) -> list[str]:
    rel = dotted.replace(".", "/")
    for root in roots:
        base = posixpath.join(root, rel) if root else rel
        for cand in (base + ".py", base + "/__init__.py"):
            if snap.exists(cand):
                return [cand]
    return []


def _local_imports(snap: Snapshot, path: str, text: str) -> list[str]:
    """Repository modules a script imports directly (next to it, from the root or from src/)."""
    here = posixpath.dirname(path)
    roots = list(dict.fromkeys([here, "", "src"]))
    out: list[str] = []
    for mo in _IMPORT_LINE.finditer(text):
        module, names, plain = mo.group(1), mo.group(2), mo.group(3)
        if plain:
            for name in plain.split(","):
                out.extend(_module_files(snap, roots, name.strip()))
            continue
        dots = len(module) - len(module.lstrip("."))
        module = module.lstrip(".")
        search = roots
        if dots:
            up = here
            for _ in range(dots - 1):
                up = posixpath.dirname(up)
            search = [up]
        found = _module_files(snap, search, module) if module else []
        for name in (names or "").replace("(", " ").split(","):
            name = name.strip().split(" ")[0]
            if name and name != "*":  # `from pkg import module` imports pkg/module.py
                found.extend(_module_files(snap, search, f"{module}.{name}" if module else name))
        out.extend(found)
    return list(dict.fromkeys(out))


RUN_BY = "run by "  # the `how` of a script a CI-run dispatcher imports and calls main() of
_CALLS_MAIN_RE = re.compile(r"\.main\(")
_DEFINES_MAIN_RE = re.compile(r"^def main\(", re.M)


def _imported_by_scripts(snap: Snapshot, facts: CIFacts) -> None:
    """The repository modules that an automated CI job's script imports (one level): their code
    runs with the script, as a check in evaluate.py runs when CI runs train.py, which calls it.
    Recorded with how = "imported by <script>" so rules about what CI runs directly skip them.

    A dispatcher (`run.py pipeline` importing scripts/pipeline.py and calling its main()) runs
    the scripts it imports: a module that defines main(), imported by a script that calls
    `.main(`, is recorded as run (how = "run by <script>"), and its own imports are followed."""
    added: dict[str, list[Execution]] = {}
    todo = list(facts.executions.items())
    seen_scripts: set[str] = set()
    while todo:
        path, executions = todo.pop(0)
        if not path.endswith(".py") or is_test_path(path) or path in seen_scripts:
            continue
        live = [e for e in executions if not e.manual and e.wf.automated and not e.how.startswith(IMPORTED_BY)]
        if not live:
            continue
        seen_scripts.add(path)
        text = snap.read_text(path)
        if not text or len(text) > 1_000_000:
            continue
        dispatches = live[0].how.startswith(RUN_BY) is False and bool(_CALLS_MAIN_RE.search(text))
        for module in _local_imports(snap, path, text):
            if module == path or module in facts.executions or is_test_path(module):
                continue
            ex = live[0]
            if dispatches and module not in added:
                body = snap.read_text(module) or ""
                if _DEFINES_MAIN_RE.search(body):
                    run = Execution(module, ex.wf, ex.line, RUN_BY + path, False, ex.step_path)
                    added.setdefault(module, []).append(run)
                    todo.append((module, [run]))
                    continue
            if module not in added or not any(e.how.startswith(RUN_BY) for e in added[module]):
                added.setdefault(module, []).append(Execution(module, ex.wf, ex.line, IMPORTED_BY + path, False,
                                                              ex.step_path))
    for module, executions in added.items():
        facts.executions.setdefault(module, []).extend(executions)


def _pre_commit_in_ci(facts: CIFacts) -> None:
    """pre-commit hooks run without a person when an automated CI step runs pre-commit."""
    runners = [w for w in facts.workflows if w.system != "pre-commit" and w.automated
               and any(re.search(r"\bpre-commit\s+run\b|pre-commit/action", s.text) for s in w.steps)]
    for w in facts.workflows:
        if w.system == "pre-commit" and runners:
            w.effective_triggers = set().union(*(r.effective_triggers for r in runners))


def _propagate_triggers(workflows: list[Workflow]) -> None:
    """A reusable workflow (on: workflow_call) runs on the triggers of the workflows that call it."""
    by_path = {w.path: w for w in workflows}
    for w in workflows:
        w.effective_triggers = set(w.triggers)
    changed = True
    while changed:
        changed = False
        for w in workflows:
            for callee_path in w.calls:
                callee = by_path.get(callee_path)
                if callee is None:
                    continue
                new = w.effective_triggers - callee.effective_triggers
                if new:
                    callee.effective_triggers |= new
                    changed = True
