"""What the package imports is what it declares: every third-party module imported anywhere in
src/ comes from a core dependency, or from the `fleet` extra in the fleet's own modules (a user
who installs the package without extras must never meet a ModuleNotFoundError)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# distribution name -> the top-level modules it provides (where the two differ, or it brings more)
PROVIDES = {"gitpython": {"git"}, "pyyaml": {"yaml"}, "ruamel.yaml": {"ruamel"}, "pyahocorasick": {"ahocorasick"},
            "jinja2": {"jinja2", "markupsafe"}, "dask": {"dask", "distributed"}, "psycopg": {"psycopg"}}


def _modules(requirements: list[str]) -> set[str]:
    out: set[str] = set()
    for req in requirements:
        name = re.split(r"[\s\[<>=!~;]", req, maxsplit=1)[0].lower()
        out |= PROVIDES.get(name, {name.replace("-", "_")})
    return out


def _imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / "src" / "mlscorecard").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and not node.level and node.module else [])
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "mlscorecard":
                    found.setdefault(top, set()).add(path.relative_to(ROOT / "src" / "mlscorecard").as_posix())
    return found


def test_every_imported_module_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = _modules(project["dependencies"])
    fleet = _modules([r for r in project["optional-dependencies"]["fleet"]])
    imported = _imports()
    assert {"click", "yaml", "jsonschema", "httpx"} <= set(imported)  # the scan sees imports at all
    for module, files in sorted(imported.items()):
        if module in core:
            continue
        assert module in fleet, f"{module} (imported by {sorted(files)}) is not a declared dependency"
        assert all(f.startswith("fleet/") for f in files), f"{module} of the fleet extra imported by {sorted(files)}"
