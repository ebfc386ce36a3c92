"""Python detector: one libcst parse per file, one visit that collects what every code rule needs.

Names are resolved through the file's own imports and aliases
(``import numpy as np; np.random.seed(0)`` is ``numpy.random.seed``;
``from torch import manual_seed as ms; ms(1)`` is ``torch.manual_seed``). We do our own small
import pass over the CST rather than libcst's scope metadata, which costs several times more.
Line numbers (libcst's PositionProvider, the expensive part) are computed only for files that
hold something a rule wants.
"""

from __future__ import annotations

import ast
import re
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

TEST_FILE_RE = re.compile(r"(^|/)(test_[^/]*|[^/]*_test|conftest)\.py$")
TEST_DIR_RE = re.compile(r"(^|/)tests?/")

# Names that carry no information about the code under test: an assert over only these is a placeholder.
_TRIVIAL_NAMES = frozenset({"print", "True", "False", "None", "len", "str", "int", "float", "bool", "isinstance", "type"})


def is_test_path(path: str) -> bool:
    return bool(TEST_FILE_RE.search(path))


def is_test_context(path: str) -> bool:
    """Test code: a pytest-collectable file, or any Python file under a tests/ directory."""
    return bool(TEST_FILE_RE.search(path) or TEST_DIR_RE.search(path))


def module_name(path: str) -> str:
    p = PurePosixPath(path)
    parts = list(p.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


class _Interest:
    """What the rules want recorded: qualified call patterns and keyword names."""

    def __init__(self, patterns: list[str], keywords: set[str]) -> None:
        self.exact = {p for p in patterns if "*" not in p}
        self.globs = [p for p in patterns if "*" in p]
        self.keywords = keywords

    def wants(self, qualname: str | None, kwnames: list[str]) -> bool:
        if qualname is not None:
            if qualname in self.exact or any(fnmatchcase(qualname, g) for g in self.globs):
                return True
        return any(k in self.keywords for k in kwnames)


def _literal_kind(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Integer):
        return "int"
    if isinstance(node, cst.UnaryOperation) and isinstance(node.expression, cst.Integer):
        return "int"
    if isinstance(node, cst.Float):
        return "float"
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
        return "str"
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return "bool"
    if isinstance(node, cst.Name) and node.value == "None":
        return "none"
    return "expr"


def _dotted(node: cst.BaseExpression) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return parts[::-1]
    return None


def _attr_name(node: cst.BaseExpression) -> str:
    """Dotted text of a Name/Attribute chain (for import statements)."""
    d = _dotted(node)
    return ".".join(d) if d else ""


class _Visitor(cst.CSTVisitor):
    def __init__(self, path: str, interest: _Interest) -> None:
        self.path = path
        self.package = module_name(path).rsplit(".", 1)[0] if "." in module_name(path) or path.endswith("__init__.py") else ""
        if path.endswith("__init__.py"):
            self.package = module_name(path)
        self.interest = interest
        self.aliases: dict[str, str] = {}
        self.imports: list[tuple[str, cst.CSTNode]] = []
        self.calls: list[tuple[str, cst.CSTNode, str | None, list[str], dict[str, str], dict[str, cst.CSTNode]]] = []
        self.func_stack: list[str] = []
        self.tests = 0
        self.meaningful_tests = 0
        self._test_meaningful: list[bool] = []

    # imports ---------------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _attr_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.aliases[alias.asname.name.value] = full
            else:
                head = full.split(".")[0]
                self.aliases.setdefault(head, head)
            self.imports.append((full, node))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = _attr_name(node.module) if node.module is not None else ""
        if node.relative:
            base = self.package.split(".") if self.package else []
            up = len(node.relative) - 1
            base = base[: len(base) - up] if up <= len(base) else []
            module = ".".join([*base, module] if module else base)
        if isinstance(node.names, cst.ImportStar):
            self.imports.append((module, node))
            return
        for alias in node.names:
            name = _attr_name(alias.name)
            full = f"{module}.{name}" if module else name
            bound = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
            self.aliases[bound] = full
            self.imports.append((full, node))

    # functions and tests ---------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        self.func_stack.append(name)
        if name.startswith("test"):
            self.tests += 1
            self._test_meaningful.append(False)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        name = self.func_stack.pop()
        if name.startswith("test") and self._test_meaningful:
            if self._test_meaningful.pop():
                self.meaningful_tests += 1

    def _mark_assertion(self) -> None:
        if self._test_meaningful:
            self._test_meaningful[-1] = True

    def visit_Assert(self, node: cst.Assert) -> None:
        if _references_code(node.test):
            self._mark_assertion()

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            if isinstance(item.item, cst.Call):
                d = _dotted(item.item.func)
                if d and d[-1] in ("raises", "warns", "assertRaises", "assertWarns"):
                    self._mark_assertion()

    # calls -----------------------------------------------------------------
    def resolve(self, parts: list[str]) -> str | None:
        head = parts[0]
        if head in self.aliases:
            return ".".join([self.aliases[head], *parts[1:]])
        return None

    def visit_Call(self, node: cst.Call) -> None:
        parts = _dotted(node.func)
        qualname = self.resolve(parts) if parts else None
        if parts and self._test_meaningful and (parts[-1].startswith("assert") or parts[-1] in ("fail",)):
            if any(_references_code(a.value) for a in node.args):
                self._mark_assertion()
        kwnames = [a.keyword.value for a in node.args if a.keyword is not None]
        if not self.interest.wants(qualname, kwnames):
            return
        args = [_literal_kind(a.value) for a in node.args if a.keyword is None and not a.star]
        kws = {a.keyword.value: _literal_kind(a.value) for a in node.args if a.keyword is not None}
        kw_nodes = {a.keyword.value: a for a in node.args if a.keyword is not None and a.keyword.value in self.interest.keywords}
        func = self.func_stack[-1] if self.func_stack else None
        self.calls.append((qualname or ".".join(parts or []), node, func, args, kws, kw_nodes))


def _references_code(node: cst.CSTNode) -> bool:
    """True when an expression names something beyond literals and trivial builtins."""
    found = False

    class _Names(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            nonlocal found
            if n.value not in _TRIVIAL_NAMES:
                found = True

    node.visit(_Names())
    return found


_DEPTH_MESSAGES = ("too many nested parentheses", "too many levels of indentation", "too many statically nested blocks")


def _guard(source: str) -> tuple[str | None, SyntaxError | None]:
    """Reject input that would crash libcst's native parser (it overflows its stack and takes the
    process down on a few thousand nested brackets or unary operators). CPython's own parser
    (ast.parse: it only parses, never runs anything) guards its stack and says so."""
    try:
        ast.parse(source)
    except SyntaxError as exc:
        if any(m in str(exc.msg) for m in _DEPTH_MESSAGES):
            return f"nested too deeply to parse ({exc.msg}, line {exc.lineno}); not analysed", exc
        return None, exc  # let libcst decide: it also knows newer syntax than this interpreter
    except (RecursionError, MemoryError):
        return "nested too deeply to parse; not analysed", None
    except ValueError:  # NUL bytes and the like
        return "not parseable as Python source; not analysed", None
    return None, None


_COMPOUND_BODIES = ("body", "orelse", "finalbody", "handlers")


def _walk_statements(visitor: _Visitor, node: cst.CSTNode) -> None:
    """Feed the visitor statements only (imports, test functions, asserts, `with pytest.raises`,
    bare `self.assert*(...)` calls), without descending into expressions. About a tenth of the
    nodes of a full visit: enough for a test file that holds no call any rule looks for."""
    body = getattr(node, "body", None)
    if isinstance(node, cst.SimpleStatementLine):
        for small in node.body:
            if isinstance(small, cst.Import):
                visitor.visit_Import(small)
            elif isinstance(small, cst.ImportFrom):
                visitor.visit_ImportFrom(small)
            elif isinstance(small, cst.Assert):
                visitor.visit_Assert(small)
            elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                visitor.visit_Call(small.value)
        return
    if isinstance(node, cst.FunctionDef):
        visitor.visit_FunctionDef(node)
        _walk_statements(visitor, node.body)
        visitor.leave_FunctionDef(node)
        return
    if isinstance(node, cst.With):
        visitor.visit_With(node)
    if isinstance(body, (list, tuple)):
        for child in body:
            _walk_statements(visitor, child)
    elif isinstance(body, cst.CSTNode):
        _walk_statements(visitor, body)
    for attr in _COMPOUND_BODIES[1:]:
        part = getattr(node, attr, None)
        if isinstance(part, (list, tuple)):
            for child in part:
                _walk_statements(visitor, child)
        elif isinstance(part, cst.CSTNode):
            _walk_statements(visitor, part)


def _import_line(source: str, name: str) -> int:
    """Line of the import statement that brings in `name` (statement-level mode has no positions)."""
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        module = re.escape(".".join(parts[:k]))
        m = re.search(rf"^[ \t]*(?:from[ \t]+\.*{module}[ \t]+import\b|import[ \t]+{module}\b)", source, re.M)
        if m:
            return source.count("\n", 0, m.start()) + 1
    m = re.search(rf"^[ \t]*from[ \t]+\S+[ \t]+import[ \t(]+[^\n]*\b{re.escape(parts[-1])}\b", source, re.M)
    return source.count("\n", 0, m.start()) + 1 if m else 1


def analyse_python(path: str, source: str, interest: _Interest, full: bool = True) -> dict[str, Any]:
    """Parse one file and return its JSON-able facts, or {"error": message}.

    full=False (a test file that holds none of the rules' words) walks statements only and takes
    import lines from the text, skipping libcst's costly position computation.
    """
    problem, ast_error = _guard(source)
    if problem:
        return {"error": problem}
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        hint = " (Python 2 code?)" if re.search(r"^\s*print\s+[^\s(=]", source, re.M) else ""
        if ast_error is not None and ast_error.lineno:
            return {"error": f"syntax error at line {ast_error.lineno}: {ast_error.msg}{hint}; not analysed"}
        return {"error": f"syntax error at line {exc.raw_line}{hint}; not analysed"}
    except RecursionError:
        return {"error": "nested too deeply to parse; not analysed"}
    except Exception as exc:  # libcst raises a few other types on odd input
        return {"error": f"cannot parse: {type(exc).__name__}; not analysed"}
    visitor = _Visitor(path, interest)
    try:
        if full:
            module.visit(visitor)
        else:
            _walk_statements(visitor, module)
        need_lines = full and (bool(visitor.calls) or is_test_path(path))
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider) if need_lines else {}
    except RecursionError:
        return {"error": "nested too deeply to analyse; not analysed"}

    def line_of(node: cst.CSTNode) -> int:
        pos = positions.get(node)
        return pos.start.line if pos is not None else 1

    imports = {(name, line_of(node) if full else _import_line(source, name)) for name, node in visitor.imports}
    return {
        "imports": sorted(imports, key=lambda t: (t[1], t[0])),
        # [qualified name, line, enclosing function, positional arg kinds, keyword kinds, keyword lines]
        "calls": [
            [q, line_of(node), func, args, kws, {k: line_of(n) for k, n in kw_nodes.items()}]
            for q, node, func, args, kws, kw_nodes in visitor.calls
        ],
        "tests": visitor.tests,
        "meaningful_tests": visitor.meaningful_tests,
    }


def make_interest(rules: list) -> _Interest:
    patterns: list[str] = []
    keywords: set[str] = set()
    for rule in rules:
        patterns.extend(rule.match.get("calls", []) or [])
        keywords.update((rule.match.get("keywords") or {}).keys())
    return _Interest(patterns, keywords)
