"""Declared dependencies: requirements files, pyproject.toml, setup.cfg, Pipfile, conda environments.

A dependency is never evidence (a library listed is not a check performed); it becomes a *hint*
in the report when a rule that names the package found nothing.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from posixpath import basename

from ..memo import selector
from ..snapshot import Snapshot
from ..yamlio import YamlError, load_yaml, mapping, seq

_REQ_FILE = re.compile(r"(^|/)([^/]*requirements[^/]*\.(txt|in)|requirements/[^/]+\.(txt|in)|constraints\.txt)$")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


# Distributions whose import name is not their name with - turned into _.
_IMPORT_NAMES = {
    "scikit-learn": "sklearn", "scikit-optimize": "skopt", "keras-tuner": "keras_tuner", "pyyaml": "yaml",
    "opencv-python": "cv2", "pillow": "PIL", "beautifulsoup4": "bs4", "interpret": "interpret",
}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def import_name(distribution: str) -> str:
    dist = normalise(distribution)
    return _IMPORT_NAMES.get(dist, dist.replace("-", "_"))


_TOKEN = re.compile(r"[A-Za-z0-9_.-]+")


class _Lines:
    """Where a name first appears in a file, outside comments, as a whole word (`\\bname\\b`).

    One pass over the file builds an index of every run of whole words (`torch`, `vision` and
    `torch-vision` for `torch-vision`), so a manifest of thousands of names costs one read, not
    one search from the top per name."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.first: dict[str, int] = {}
        for number, line in enumerate(text.split("\n"), start=1):
            for mo in _TOKEN.finditer(line.split("#", 1)[0]):
                parts = re.split(r"([.-])", mo.group(0).lower())
                words = parts[::2]
                for i in range(len(words)):
                    if not words[i]:
                        continue
                    for j in range(i, min(len(words), i + 8)):
                        if not words[j]:
                            break
                        self.first.setdefault("".join(parts[2 * i:2 * j + 1]), number)

    def of(self, name: str) -> int:
        line = self.first.get(name.lower())
        if line is not None or _TOKEN.fullmatch(name):
            return line or 1
        m = re.search(rf"^[^\n#]*?\b{re.escape(name)}\b", self.text, re.M | re.I)  # an odd name
        return self.text.count("\n", 0, m.start()) + 1 if m else 1


def _names_from_specs(specs) -> list[str]:
    out = []
    for spec in seq(specs):
        if isinstance(spec, str):
            m = _NAME.match(spec)
            if m:
                out.append(m.group(1))
    return out


def _is_pinned(spec: str, pip_syntax: bool) -> bool:
    if pip_syntax:
        return "==" in spec or "--hash" in spec
    return bool(re.search(r"[^<>!=]=[^=<>]*\d", spec))  # conda: numpy=1.26 or numpy==1.26


def _is_conda_env(path: str) -> bool:
    return bool(re.fullmatch(r"(environment|conda)[^/]*\.ya?ml", basename(path)))


@selector("pinnable-manifests")
def _pinnable(path: str) -> bool:
    return bool(_REQ_FILE.search(path)) or _is_conda_env(path)


@selector("dependency-manifests")
def _manifest(path: str) -> bool:
    return _pinnable(path) or basename(path) in ("pyproject.toml", "setup.cfg", "Pipfile")


def pinning(snap: Snapshot) -> dict[str, tuple[int, int]]:
    """For each requirements file and conda environment: (requirements, exactly pinned ones)."""
    out: dict[str, tuple[int, int]] = {}
    for path in snap.select("pinnable-manifests"):
        conda = _is_conda_env(path)
        text = snap.read_text(path)
        if text is None:
            continue
        specs: list[tuple[str, bool]] = []  # (spec, pip syntax?)
        if conda:
            try:
                data = load_yaml(text)
            except YamlError:
                continue
            for d in (data.get("dependencies") or []) if isinstance(data, dict) else []:
                if isinstance(d, str):
                    specs.append((d, False))
                elif isinstance(d, dict):
                    specs.extend((x, True) for x in seq(d.get("pip")) if isinstance(x, str))
        else:
            specs = [(line.split("#")[0].strip(), True) for line in text.splitlines()]
            specs = [(sp, pip) for sp, pip in specs if sp and not sp.startswith("-")]
        if not specs:
            continue
        pinned = sum(1 for sp, pip in specs if _is_pinned(sp, pip))
        out[path] = (len(specs), pinned)
    return out


def declared_dependencies(snap: Snapshot) -> dict[str, list[tuple[str, int]]]:
    """normalised distribution name -> [(file, line)], sorted."""
    found: dict[str, set[tuple[str, int]]] = {}

    def add(path: str, text: str, names: list[str]) -> None:
        lines = _Lines(text)
        for n in names:
            if normalise(n) in ("python", "pip"):
                continue
            found.setdefault(normalise(n), set()).add((path, lines.of(n)))

    for path in snap.select("dependency-manifests"):
        name = basename(path)
        text = snap.read_text(path)
        if text is None:
            continue
        try:
            if _REQ_FILE.search(path):
                add(path, text, [m.group(1) for line in text.splitlines()
                                 if (m := _NAME.match(line)) and not line.lstrip().startswith(("-", "#"))])
            elif name == "pyproject.toml":
                data = tomllib.loads(text)
                project = mapping(data.get("project"))
                names = _names_from_specs(project.get("dependencies"))
                for extra in mapping(project.get("optional-dependencies")).values():
                    names += _names_from_specs(extra)
                poetry = mapping(mapping(data.get("tool")).get("poetry"))
                for key in ("dependencies", "dev-dependencies"):
                    names += [n for n in mapping(poetry.get(key)) if n != "python"]
                for group in mapping(poetry.get("group")).values():
                    names += list(mapping(mapping(group).get("dependencies")))
                add(path, text, names)
            elif name == "Pipfile":
                data = tomllib.loads(text)
                add(path, text, list(mapping(data.get("packages"))) + list(mapping(data.get("dev-packages"))))
            elif name == "setup.cfg":
                parser = configparser.ConfigParser(interpolation=None)
                parser.read_string(text)
                specs = parser.get("options", "install_requires", fallback="").splitlines()
                add(path, text, _names_from_specs(specs))
            else:
                data = load_yaml(text)
                deps = data.get("dependencies", []) if isinstance(data, dict) else []
                names = []
                for d in seq(deps):
                    if isinstance(d, str):
                        names += _names_from_specs([re.split(r"[=<>! ]", d.split("::")[-1])[0]])
                    elif isinstance(d, dict):
                        names += _names_from_specs(d.get("pip"))
                add(path, text, names)
        except (tomllib.TOMLDecodeError, configparser.Error, YamlError, AttributeError, TypeError) as exc:
            snap.warn(path, f"cannot read dependencies: {str(exc).splitlines()[0][:80]}")
    return {k: sorted(v) for k, v in sorted(found.items())}
