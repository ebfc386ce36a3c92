"""The audited project's own settings for mlscorecard: `[tool.mlscorecard]` in pyproject.toml or
the top level of `.mlscorecard.yml` (beside `confirmations:`), or a file given with --config.

One schema (`KEYS`), validated with an error that names the file, the line and the key; the
command line overrides the file (`Settings.merged`). Read from the snapshot, so `--rev` reads the
settings of that commit and a work-tree audit reads the file on disk.

    [tool.mlscorecard]
    exclude = ["vendor/**"]              # never read (besides .git, virtualenvs, node_modules, build output)
    extend-exclude = ["generated/**"]    # added to exclude (a --config file or the command line extends)
    disable = ["seeds/config-seed"]      # these rules never count; the report lists them
    format = ["terminal", "sarif"]       # default formats
    fail-under = 4                       # exit 1 when the ML Test Score is lower
    fail-under-robustness = 20
    fail-on-problems = true              # exit 1 on a committed secret
    gate = ["infra-1", "model-1"]        # exit 1 when one of these items is at level none
    rules-dir = "ci/mlscorecard-rules"   # your own rules, loaded and example-tested like ours
    count-examples = false               # true: evidence in examples/, docs' code, vendored code counts
    [tool.mlscorecard.contexts]          # folders whose code is of a kind the audit cannot tell
    "services/**" = ["serving"]
    "jobs/retrain/**" = ["pipeline", "training"]
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import UnusableInput

PYPROJECT = "pyproject.toml"
SETTINGS_FILE = ".mlscorecard.yml"
FORMATS = ("terminal", "markdown", "json", "html", "sarif")
ANSWER_KEYS = ("version", "confirmations")  # .mlscorecard.yml's keys for human answers (confirmations.py)

# key -> (kind, description); kinds: globs, ids, formats, int14, int88, bool, contexts, path
KEYS: dict[str, tuple[str, str]] = {
    "exclude": ("globs", "files never read"),
    "extend-exclude": ("globs", "more files never read"),
    "disable": ("ids", "rules that never count"),
    "format": ("formats", "default report formats"),
    "fail-under": ("int14", "exit 1 when the ML Test Score is below this"),
    "fail-under-robustness": ("int88", "exit 1 when the Robustness Score is below this"),
    "fail-on-problems": ("bool", "exit 1 when a committed secret is found"),
    "gate": ("ids", "items that must not be at level none"),
    "contexts": ("contexts", "glob -> contexts its files are in"),
    "rules-dir": ("path", "a folder of your own rules (YAML, like heuristics/rules)"),
    "count-examples": ("bool", "count evidence in examples, docs' code, vendored and generated code"),
}


@dataclass(frozen=True)
class Settings:
    source: str | None = None  # where they were read ("pyproject.toml", ".mlscorecard.yml", a --config path)
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    format: tuple[str, ...] = ()
    fail_under: int | None = None
    fail_under_robustness: int | None = None
    fail_on_problems: bool = False
    gate: tuple[str, ...] = ()
    contexts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    rules_dir: str | None = None
    count_examples: bool = False
    lines: dict[str, int] = field(default_factory=dict, compare=False)  # key -> line, for errors

    @property
    def excluded_globs(self) -> tuple[str, ...]:
        return (*self.exclude, *self.extend_exclude)

    def merged(self, **options: Any) -> "Settings":
        """The command line's values over the file's: a value of None (or an empty tuple for
        lists) leaves the file's; `extend_exclude` adds to it."""
        changes = {k: v for k, v in options.items() if v is not None and v != () and k != "extend_exclude"}
        out = replace(self, **changes, lines={k: v for k, v in self.lines.items()
                                              if k.replace("-", "_") not in changes})
        if options.get("extend_exclude"):
            out = replace(out, extend_exclude=(*out.extend_exclude, *options["extend_exclude"]))
        return out

    def shown(self) -> dict[str, Any]:
        """What a report says about the settings it was made with."""
        out: dict[str, Any] = {"source": self.source}
        if self.excluded_globs:
            out["exclude"] = list(self.excluded_globs)
        if self.disable:
            out["disabled_rules"] = list(self.disable)
        if self.contexts:
            out["contexts"] = {g: list(c) for g, c in self.contexts}
        if self.rules_dir:
            out["rules_dir"] = self.rules_dir
        if self.count_examples:
            out["count_examples"] = True
        return out


def read_settings(snap, explicit: str | None = None, isolated: bool = False) -> Settings:
    """The settings of the audited project (or of `explicit`, a file); none with `isolated`."""
    if isolated:
        return Settings()
    if explicit:
        from pathlib import Path

        try:
            text = Path(explicit).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UnusableInput(f"{explicit}: cannot read the settings file: {getattr(exc, 'strerror', None) or exc}")
        return _parse(explicit, text, toml=explicit.endswith(".toml"), discovered=False)
    text = snap.read_text(SETTINGS_FILE) if snap.exists(SETTINGS_FILE) else None
    if text is not None:
        found = _parse(SETTINGS_FILE, text, toml=False)
        if found.lines:  # a .mlscorecard.yml holding only confirmations leaves pyproject's word
            return found
    text = snap.read_text(PYPROJECT) if snap.exists(PYPROJECT) else None
    if text is not None:
        return _parse(PYPROJECT, text, toml=True)
    return Settings()


def _parse(source: str, text: str, toml: bool, discovered: bool = True) -> Settings:
    """discovered: found in the repository (pyproject.toml, .mlscorecard.yml), not given with
    --config: a file given by name must parse."""
    if toml:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            if discovered and "[tool.mlscorecard" not in text:
                return Settings()  # a broken pyproject that says nothing to us is not our error
            raise UnusableInput(f"{source}: not valid TOML ({exc})") from None
        tool = data.get("tool")
        tool = tool if isinstance(tool, dict) else {}
        named_pyproject = source.rsplit("/", 1)[-1] == PYPROJECT
        table = tool.get("mlscorecard") if discovered or named_pyproject else tool.get("mlscorecard", data)
        if table is None:
            if not discovered:
                raise UnusableInput(f"{source}: no [tool.mlscorecard] table")
            return Settings()
        if not isinstance(table, dict):
            raise UnusableInput(f"{source}: [tool.mlscorecard] must be a table")
        lines = {k: _toml_line(text, k) for k in table}
        return _validated(source, table, lines)
    from .yamlio import LineDict, YamlError, load_yaml

    try:
        data = load_yaml(text)
    except YamlError as exc:
        if discovered:
            return Settings()  # the confirmations reader warns about the file, and the audit goes on
        raise UnusableInput(f"{source}: not valid YAML ({exc})") from None
    if data is None:
        return Settings()
    if not isinstance(data, dict):
        raise UnusableInput(f"{source}: the top level must be a mapping")
    table = {k: v for k, v in data.items() if k not in ANSWER_KEYS}
    lines = {k: (data.line_of(k, 1) if isinstance(data, LineDict) else 1) for k in table}
    return _validated(source, table, lines)


def _toml_line(text: str, key: str) -> int:
    section = re.search(r"^\s*\[tool\.mlscorecard(\.[\w-]+)?\]", text, re.M)
    start = section.start() if section else 0
    mo = re.compile(rf"^[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*=|^[ \t]*\[tool\.mlscorecard\.{re.escape(key)}\]",
                    re.M).search(
        text, start)
    return text.count("\n", 0, mo.start()) + 1 if mo else text.count("\n", 0, start) + 1


def _validated(source: str, table: dict, lines: dict[str, int]) -> Settings:
    values: dict[str, Any] = {}
    for key, value in table.items():
        where = f"{source}:{lines.get(key, 1)}"
        if key not in KEYS:
            import difflib  # only for a mistake: not on every audit's path

            close = difflib.get_close_matches(str(key), list(KEYS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known keys: {', '.join(KEYS)}"
            raise UnusableInput(f"{where}: unknown key {key!r}{hint}")
        kind = KEYS[key][0]
        values[key.replace("-", "_")] = _checked(where, key, kind, value)
    return Settings(source=source, lines=lines, **values)


def _checked(where: str, key: str, kind: str, value: Any) -> Any:
    def bad(expected: str) -> UnusableInput:
        return UnusableInput(f"{where}: {key} must be {expected}, not {type(value).__name__} {value!r:.60}")

    if kind in ("globs", "ids", "formats"):
        items = [value] if isinstance(value, str) and kind == "formats" else value
        if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
            raise bad("a list of strings")
        if kind == "formats":
            unknown = [v for v in items if v not in FORMATS]
            if unknown:
                raise UnusableInput(f"{where}: {key}: unknown format {unknown[0]!r}; one of {', '.join(FORMATS)}")
        return tuple(items)
    if kind in ("int14", "int88"):
        top = 14 if kind == "int14" else 88
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
            raise bad(f"a whole number from 0 to {top}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if kind == "path":
        import posixpath

        norm = posixpath.normpath(value) if isinstance(value, str) and value else ""
        if not norm or norm in (".", "..") or norm.startswith(("/", "../")):
            raise bad("a folder inside the repository (not its top)")
        return norm
    if kind == "contexts":
        if not isinstance(value, dict) or not all(
                isinstance(g, str) and isinstance(c, list) and all(isinstance(x, str) for x in c) for g, c in value.items()):
            raise bad("a table of glob = [context, ...]")
        return tuple((g, tuple(c)) for g, c in value.items())
    raise AssertionError(kind)  # pragma: no cover


def _where(settings: Settings, key: str) -> str:
    """`file:line` of a key read from a settings file, or the option that gave it."""
    if key in settings.lines and settings.source:
        return f"{settings.source}:{settings.lines[key]}"
    return f"--{key}"


def check_names(settings: Settings, heur) -> None:
    """Rule ids, item ids and context names that the heuristics do not know are errors too."""
    rules = {r.id for r in heur.rules}
    for rid in settings.disable:
        if rid not in rules:
            import difflib

            close = difflib.get_close_matches(rid, sorted(rules), n=1)
            raise UnusableInput(f"{_where(settings, 'disable')}: disable: no rule {rid!r}"
                                + (f" (did you mean {close[0]!r}?)" if close else "; `mlscorecard rules` lists them"))
    items = {i for rubric in heur.rubrics.values() for i in rubric.items}
    for iid in settings.gate:
        if iid not in items:
            raise UnusableInput(f"{_where(settings, 'gate')}: gate: no rubric item {iid!r}")
    from .heuristics import BUILTIN_CONTEXTS

    known = set(heur.contexts) | set(BUILTIN_CONTEXTS)
    for glob, names in settings.contexts:
        for name in names:
            if name not in known:
                raise UnusableInput(f"{_where(settings, 'contexts')}: contexts: {glob!r}: "
                                    f"unknown context {name!r}; one of {', '.join(sorted(known))}")
