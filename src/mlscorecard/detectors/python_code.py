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

# pytest's default names (test_*.py, *_test.py), conftest.py, and *_tests.py, which projects run by
# naming them on the command line or in python_files
TEST_FILE_RE = re.compile(r"(^|/)(test_[^/]*|[^/]*_tests?|conftest)\.py$")
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


def package_of(path: str) -> list[str]:
    """The package a file's relative imports start from (the file's own for __init__.py)."""
    parts = module_name(path).split(".") if module_name(path) else []
    return parts if path.endswith("__init__.py") else parts[:-1]


def resolve_relative(package: list[str], dots: int, module: str) -> str:
    """`from ..mod import x` in package a.b.c (dots=2) is a.b.mod."""
    up = dots - 1
    base = package[: len(package) - up] if up <= len(package) else []
    return ".".join([*base, module] if module else base)


class _Interest:
    """What the rules want recorded: qualified name patterns and keyword names."""

    def __init__(self, patterns: list[str], keywords: set[str]) -> None:
        self.exact = {p for p in patterns if "*" not in p}
        self.globs = [p for p in patterns if "*" in p]
        self.keywords = keywords

    def wants(self, qualname: str | None, kwnames: list[str]) -> bool:
        if qualname is not None:
            if qualname in self.exact or any(fnmatchcase(qualname, g) for g in self.globs):
                return True
        return any(k in self.keywords for k in kwnames)


def _literal(node: cst.BaseExpression) -> tuple[str, Any]:
    """(kind, value) of an argument: kinds int, float, str, bool, none, expr; short literals keep their value."""
    if isinstance(node, cst.Integer):
        return "int", node.evaluated_value
    if isinstance(node, cst.UnaryOperation) and isinstance(node.expression, cst.Integer):
        return "int", None
    if isinstance(node, cst.Float):
        return "float", None
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return "str", value if isinstance(value, str) and len(value) <= 60 else None
    if isinstance(node, (cst.ConcatenatedString, cst.FormattedString)):
        return "str", None
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return "bool", node.value == "True"
    if isinstance(node, cst.Name) and node.value == "None":
        return "none", None
    return "expr", None


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


# A comparison on one of these words, guarding a raise or exit, is a quality gate.
METRIC_RE = re.compile(
    r"(^|_)(auc|roc|acc|accuracy|f1|precision|recall|rmse|mse|mae|mape|r2|loss|score|metric|metrics|ap|map|ndcg|"
    r"error|threshold|drift|psi|baseline|champion|production|prod|bleu|rouge|perplexity|wer)(_|$|s$)",
    re.I,
)
_EXIT_CALLS = frozenset({"sys.exit", "exit", "quit", "os._exit"})
_ASSERT_LIKE = re.compile(r"^(assert|fail)|^assert_|_assert|^check_")


class _Scope:
    def __init__(self) -> None:
        self.pending: dict[str, list[int]] = {}  # name -> indexes of uses assigned to it
        self.checked: set[str] = set()  # names read inside an assert or a gate


class _Visitor(cst.CSTVisitor):
    def __init__(self, path: str, interest: _Interest) -> None:
        self.path = path
        self.package = package_of(path)
        self.interest = interest
        self.in_test_file = is_test_context(path)
        self.aliases: dict[str, str] = {}
        self.imports: list[tuple[str, cst.CSTNode]] = []
        self.uses: list[dict[str, Any]] = []
        self.use_nodes: list[tuple[cst.CSTNode, dict[str, cst.CSTNode]]] = []
        self.func_stack: list[str] = []
        self.scopes: list[_Scope] = [_Scope()]
        self.tests = 0
        self.meaningful_tests = 0
        self.test_functions: list[tuple[str, cst.CSTNode, list[str]]] = []
        self.test_meaning: list[bool] = []  # per test function, in order of definition
        self._open_tests: list[int] = []  # indexes into test_meaning of the tests being visited
        self.defines: list[str] = []
        self.gates: list[tuple[cst.CSTNode, str | None]] = []  # threshold checks that raise/exit
        self.check_depth = 0
        self.assign_names: list[set[str]] = []
        self.assign_start: list[int] = []
        self.assert_call_stack: list[bool] = []

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
            module = resolve_relative(self.package, len(node.relative), module)
        if isinstance(node.names, cst.ImportStar):
            self.imports.append((module, node))
            return
        for alias in node.names:
            name = _attr_name(alias.name)
            full = f"{module}.{name}" if module else name
            bound = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
            self.aliases[bound] = full
            self.imports.append((full, node))

    def resolve(self, parts: list[str]) -> str | None:
        head = parts[0]
        if head in self.aliases:
            return ".".join([self.aliases[head], *parts[1:]])
        return None

    # functions, classes and tests --------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        if not self.func_stack:
            self.defines.append(name)
        self.func_stack.append(name)
        self.scopes.append(_Scope())
        if name.startswith("test"):
            self.tests += 1
            params = [p.name.value for p in node.params.params]
            self.test_functions.append((name, node, params))
            self._open_tests.append(len(self.test_meaning))
            self.test_meaning.append(False)
        for dec in node.decorators:
            self._decorator(dec)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        name = self.func_stack.pop()
        self._close_scope()
        if name.startswith("test") and self._open_tests:
            if self.test_meaning[self._open_tests.pop()]:
                self.meaningful_tests += 1

    def leave_Module(self, original_node: cst.Module) -> None:
        self._close_scope()

    def _close_scope(self) -> None:
        scope = self.scopes.pop() if len(self.scopes) > 1 else self.scopes[0]
        for name in scope.pending.keys() & scope.checked:
            for i in scope.pending[name]:
                self.uses[i]["asserted"] = True

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        for base in node.bases:
            parts = _dotted(base.value)
            q = self.resolve(parts) if parts else None
            if q and self.interest.wants(q, []):
                self._record(q, base, "base", [], {}, {})
        for dec in node.decorators:
            self._decorator(dec)

    def _decorator(self, dec: cst.Decorator) -> None:
        if isinstance(dec.decorator, cst.Call):
            return  # visit_Call records it
        parts = _dotted(dec.decorator)
        q = self.resolve(parts) if parts else None
        if q and self.interest.wants(q, []):
            self._record(q, dec, "decorator", [], {}, {})

    def _mark_assertion(self) -> None:
        if self._open_tests:
            self.test_meaning[self._open_tests[-1]] = True

    # checks: asserts, assert-like calls, gates -------------------------------
    def visit_Assert(self, node: cst.Assert) -> None:
        if _references_code(node.test):
            self._mark_assertion()
        self.check_depth += 1
        if not self.in_test_file:
            has_threshold, word = _threshold(node.test)
            if has_threshold:
                self.gates.append((node, word))

    def leave_Assert(self, original_node: cst.Assert) -> None:
        self.check_depth -= 1

    def visit_If_test(self, node: cst.If) -> None:
        gate = _raises(node.body)
        self.assert_call_stack.append(gate)
        if gate:
            self.check_depth += 1
            has_threshold, word = _threshold(node.test)
            if has_threshold and not self.in_test_file:
                self.gates.append((node, word))

    def leave_If_test(self, node: cst.If) -> None:
        if self.assert_call_stack.pop():
            self.check_depth -= 1

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            if isinstance(item.item, cst.Call):
                d = _dotted(item.item.func)
                if d and d[-1] in ("raises", "warns", "assertRaises", "assertWarns"):
                    self._mark_assertion()

    def visit_Name(self, node: cst.Name) -> None:
        if self.check_depth:
            self.scopes[-1].checked.add(node.value)
        if self.assign_names:
            self.assign_names[-1].add(node.value)

    # assignments: which names hold the result of a recorded use --------------
    def visit_Assign_value(self, node: cst.Assign) -> None:
        self.assign_names.append(set())
        self.assign_start.append(len(self.uses))

    def leave_Assign_value(self, node: cst.Assign) -> None:
        read = self.assign_names.pop()
        start = self.assign_start.pop()
        scope = self.scopes[-1]
        produced = list(range(start, len(self.uses)))
        for name in read:  # result = report.as_dict(): result inherits what report holds
            produced.extend(scope.pending.get(name, []))
        if not produced:
            return
        for target in node.targets:
            for name in _target_names(target.target):
                scope.pending.setdefault(name, []).extend(produced)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            parts = _dotted(target.target)
            q = self.resolve(parts) if parts and len(parts) > 1 else None
            if q and self.interest.wants(q, []):
                kind, value = _literal(node.value)
                self._record(q, target, "assign", [kind], [value], {})

    # calls -----------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        parts = _dotted(node.func)
        qualname = self.resolve(parts) if parts else None
        assert_like = bool(parts and _ASSERT_LIKE.search(parts[-1]))
        if assert_like and self._open_tests and any(_references_code(a.value) for a in node.args):
            self._mark_assertion()
        self.assert_call_stack.append(assert_like)
        if assert_like:
            self.check_depth += 1
        kwnames = [a.keyword.value for a in node.args if a.keyword is not None]
        if not self.interest.wants(qualname, kwnames):
            return
        args, argv = [], []
        for a in node.args:
            if a.keyword is None and not a.star:
                kind, value = _literal(a.value)
                args.append(kind)
                argv.append(value)
        kws = {a.keyword.value: _literal(a.value) for a in node.args if a.keyword is not None}
        kw_nodes = {a.keyword.value: a for a in node.args if a.keyword is not None and a.keyword.value in self.interest.keywords}
        self._record(qualname or ".".join(parts or []), node, "call", args, argv, kws, kw_nodes)

    def leave_Call(self, original_node: cst.Call) -> None:
        if self.assert_call_stack.pop():
            self.check_depth -= 1

    def _record(self, qualname, node, how, args, argv, kws, kw_nodes=None) -> None:
        self.uses.append({
            "name": qualname,
            "how": how,
            "func": self.func_stack[-1] if self.func_stack else None,
            "args": args,
            "argv": argv,
            "kws": {k: v[0] for k, v in kws.items()},
            "kwv": {k: v[1] for k, v in kws.items() if v[1] is not None},
            "asserted": self.check_depth > 0,
        })
        self.use_nodes.append((node, kw_nodes or {}))


def _target_names(node: cst.BaseExpression) -> list[str]:
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, (cst.Tuple, cst.List)):
        return [n for el in node.elements for n in _target_names(el.value)]
    return []


def _raises(suite: cst.BaseSuite) -> bool:
    """True when a block raises or exits at its top level (the body of a gate)."""
    body = suite.body if isinstance(suite, cst.IndentedBlock) else [suite]
    for stmt in body:
        smalls = stmt.body if isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) else []
        for small in smalls:
            if isinstance(small, cst.Raise):
                return True
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                d = _dotted(small.value.func)
                if d and ".".join(d) in _EXIT_CALLS:
                    return True
    return False


_ORDERING = (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)


def _threshold(test: cst.CSTNode) -> tuple[bool, str | None]:
    """Whether an expression holds a threshold comparison (<, <=, >, >=), and the metric-like name
    it checks, if any. Equality tests (status == "False") are flags, not thresholds."""
    found: list[str] = []
    has_compare = False

    class _Find(cst.CSTVisitor):
        def visit_Comparison(self, n: cst.Comparison) -> None:
            nonlocal has_compare
            if any(isinstance(t.operator, _ORDERING) for t in n.comparisons):
                has_compare = True

        def visit_Name(self, n: cst.Name) -> None:
            if METRIC_RE.search(n.value):
                found.append(n.value)

        def visit_SimpleString(self, n: cst.SimpleString) -> None:
            value = n.value.strip("'\"")
            if METRIC_RE.search(value):
                found.append(value)

    test.visit(_Find())
    return has_compare, (found[0] if has_compare and found else None)


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


def _walk_statements(visitor: _Visitor, node: cst.CSTNode) -> None:
    """Feed the visitor statements only (imports, test functions, asserts, `with pytest.raises`,
    bare `self.assert*(...)` calls), without descending into expressions. About a tenth of the
    nodes of a full visit: enough for a test file that holds no name any rule looks for."""
    body = getattr(node, "body", None)
    if isinstance(node, cst.SimpleStatementLine):
        for small in node.body:
            if isinstance(small, cst.Import):
                visitor.visit_Import(small)
            elif isinstance(small, cst.ImportFrom):
                visitor.visit_ImportFrom(small)
            elif isinstance(small, cst.Assert):
                visitor.visit_Assert(small)
                visitor.leave_Assert(small)
            elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                visitor.visit_Call(small.value)
                visitor.leave_Call(small.value)
        return
    if isinstance(node, cst.FunctionDef):
        visitor.visit_FunctionDef(node)
        _walk_statements(visitor, node.body)
        visitor.leave_FunctionDef(node)
        return
    if isinstance(node, cst.With):
        visitor.visit_With(node)
    for attr in ("body", "orelse", "finalbody", "handlers"):
        part = body if attr == "body" else getattr(node, attr, None)
        if isinstance(part, (list, tuple)):
            for child in part:
                _walk_statements(visitor, child)
        elif isinstance(part, cst.CSTNode):
            _walk_statements(visitor, part)


def _line_of_regex(source: str, pattern: str) -> int:
    m = re.search(pattern, source, re.M)
    return source.count("\n", 0, m.start()) + 1 if m else 1


def _import_line(source: str, name: str) -> int:
    """Line of the import statement that brings in `name` (statement-level mode has no positions)."""
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        module = re.escape(".".join(parts[:k]))
        line = _line_of_regex(source, rf"^[ \t]*(?:from[ \t]+\.*{module}[ \t]+import\b|import[ \t]+{module}\b)")
        if line > 1 or re.match(rf"[ \t]*(?:from[ \t]+\.*{module}[ \t]+import\b|import[ \t]+{module}\b)", source):
            return line
    return _line_of_regex(source, rf"^[ \t]*from[ \t]+\S+[ \t]+import[ \t(]+[^\n]*\b{re.escape(parts[-1])}\b")


def analyse_python(path: str, source: str, interest: _Interest, full: bool = True) -> dict[str, Any]:
    """Parse one file and return its JSON-able facts, or {"error": message}.

    full=False (a test file that holds none of the rules' words) walks statements only and takes
    import and test lines from the text, skipping libcst's costly position computation.
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
            visitor.leave_Module(module)
        need_lines = full and (bool(visitor.uses) or bool(visitor.gates) or is_test_path(path))
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider) if need_lines else {}
    except RecursionError:
        return {"error": "nested too deeply to analyse; not analysed"}

    def line_of(node: cst.CSTNode) -> int:
        pos = positions.get(node)
        return pos.start.line if pos is not None else 1

    if full:
        imports = {(name, line_of(node)) for name, node in visitor.imports}
        test_lines = [line_of(node) for _, node, _ in visitor.test_functions]
    else:
        imports = {(name, _import_line(source, name)) for name, node in visitor.imports}
        test_lines = [_line_of_regex(source, rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(n)}\b")
                      for n, _, _ in visitor.test_functions]
    uses = []
    for use, (node, kw_nodes) in zip(visitor.uses, visitor.use_nodes):
        uses.append({**use, "line": line_of(node), "kwl": {k: line_of(n) for k, n in kw_nodes.items()}})
    return {
        "imports": sorted(imports, key=lambda t: (t[1], t[0])),
        "uses": uses,
        "tests": visitor.tests,
        "meaningful_tests": visitor.meaningful_tests,
        # [name, line, asserts something real, parameter names]
        "test_functions": [
            [name, line, meaningful, params]
            for (name, _node, params), line, meaningful in zip(visitor.test_functions, test_lines, visitor.test_meaning)
        ],
        # [line, metric word or None]: threshold checks that raise or exit (outside tests)
        "gates": [[line_of(node), word] for node, word in visitor.gates],
        "defines": visitor.defines,
    }


def make_interest(rules: list) -> _Interest:
    patterns: list[str] = []
    keywords: set[str] = set()
    for rule in rules:
        patterns.extend(rule.match.get("calls", []) or [])
        keywords.update((rule.match.get("keywords") or {}).keys())
        keywords.update(rule.match.get("any_keywords") or [])
    return _Interest(patterns, keywords)
