"""Python facts from libcst, for source that the running interpreter's `ast` cannot parse but
libcst can (syntax newer than this Python). The facts are those of `python.analyse_python`.

Only called after `ast.parse` has refused a file for its syntax (not for its depth: libcst's
native parser overflows its stack on pathological nesting, which `ast` screens out first).
"""

from __future__ import annotations

from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .python import (
    ASSERT_LIKE_RE as _ASSERT_LIKE, _stops_run, METRIC_RE, RAISES_CONTEXTS, TRIVIAL_NAMES as _TRIVIAL_NAMES,
    Interest as _Interest, Scope, ScopeBook, is_test_context, package_of, resolve_relative,
)


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
    return ("name" if _is_reference(node) else "expr"), None


_CONSTANTS = (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis)


def _is_constant(node: cst.BaseExpression) -> bool:
    """What `ast` parses as a Constant: a string, bytes, a number, `...`, True, False, None."""
    return isinstance(node, _CONSTANTS) or (isinstance(node, cst.Name) and node.value in ("True", "False", "None"))


def _is_reference(node: cst.BaseExpression) -> bool:
    """As engine/python.py's: a name, an attribute of one, or an item of one under a constant or
    a name; or one cast by int() or looked up with get()."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "int" \
            and len(node.args) == 1 and node.args[0].keyword is None and node.args[0].star == "":
        node = node.args[0].value
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" \
            and 1 <= len(node.args) <= 2 and all(a.keyword is None and a.star == "" for a in node.args) \
            and all(_is_constant(a.value) or (not isinstance(a.value, cst.Call) and _is_reference(a.value))
                    for a in node.args):
        node = node.func.value
    while True:
        if isinstance(node, cst.Name):
            return True
        if isinstance(node, cst.Attribute):
            node = node.value
        elif isinstance(node, cst.Subscript):
            if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
                return False
            index = node.slice[0].slice.value
            if not (_is_constant(index) or _is_reference(index)):
                return False
            node = node.value
        else:
            return False


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


class _Visitor(ScopeBook, cst.CSTVisitor):
    def __init__(self, path: str, interest: _Interest) -> None:
        self.path = path
        self.package = package_of(path)
        self.interest = interest
        self.in_test_file = is_test_context(path)
        self.aliases: dict[str, str] = {}
        self.star_modules: list[str] = []
        self.imports: list[tuple[str, cst.CSTNode]] = []
        self.uses: list[dict[str, Any]] = []
        self.use_nodes: list[tuple[cst.CSTNode, dict[str, cst.CSTNode]]] = []
        self.func_stack: list[str] = []
        self.scopes: list[Scope] = [Scope()]
        self.tests = 0
        self.meaningful_tests = 0
        self.test_functions: list[tuple[str, cst.CSTNode, list[str]]] = []
        self.test_meaning: list[bool] = []  # per test function, in order of definition
        self._open_tests: list[int] = []  # indexes into test_meaning of the tests being visited
        self.defines: list[str] = []
        self.gates: list[tuple[cst.CSTNode, str | None, str | None]] = []  # threshold checks that raise/exit
        self.flag_names: dict[str, str | None] = {}  # as engine/python.py: `accepted = lo <= v <= hi`
        self.flag_functions: dict[str, str | None] = {}
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
            self.star_modules.append(module)
            return
        for alias in node.names:
            name = _attr_name(alias.name)
            full = f"{module}.{name}" if module else name
            bound = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
            self.aliases[bound] = full
            self.imports.append((full, node))

    # functions, classes and tests --------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        if not self.func_stack:
            self.defines.append(name)
        self.func_stack.append(name)
        self.scopes.append(Scope())
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

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        for base in node.bases:
            parts = _dotted(base.value)
            q = self.resolve(parts) if parts else None
            if q and self.interest.wants(q, []):
                self._record(q, base, "base", [], [], {})
        for dec in node.decorators:
            self._decorator(dec)

    def _decorator(self, dec: cst.Decorator) -> None:
        if isinstance(dec.decorator, cst.Call):
            return  # visit_Call records it
        parts = _dotted(dec.decorator)
        q = self.resolve(parts) if parts else None
        if q and self.interest.wants(q, []):
            self._record(q, dec, "decorator", [], [], {})

    def _mark_assertion(self) -> None:
        if self._open_tests:
            self.test_meaning[self._open_tests[-1]] = True

    # checks: asserts, assert-like calls, gates -------------------------------
    def visit_Assert(self, node: cst.Assert) -> None:
        if _references_code(node.test):
            self._mark_assertion()
        self.check_depth += 1
        if not self.in_test_file:
            has_threshold, word = self._threshold_or_flag(node.test)
            if has_threshold:
                self.gates.append((node, word, self.func_stack[-1] if self.func_stack else None))

    def leave_Assert(self, original_node: cst.Assert) -> None:
        self.check_depth -= 1

    def visit_If_test(self, node: cst.If) -> None:
        gate = _raises(node.body) or (isinstance(node.orelse, cst.Else) and _raises(node.orelse.body))
        self.assert_call_stack.append(gate)
        if gate:
            self.check_depth += 1
            has_threshold, word = self._threshold_or_flag(node.test)
            if has_threshold and not self.in_test_file:
                self.gates.append((node, word, self.func_stack[-1] if self.func_stack else None))

    def leave_If_test(self, node: cst.If) -> None:
        if self.assert_call_stack.pop():
            self.check_depth -= 1

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            if isinstance(item.item, cst.Call):
                d = _dotted(item.item.func)
                if d and d[-1] in RAISES_CONTEXTS:
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
        produced = set(range(start, len(self.uses)))
        for name in read:  # result = report.as_dict(): result inherits what report holds
            produced.update(scope.pending.get(name, ()))
        if not produced:
            return
        for target in node.targets:
            for name in _target_names(target.target):
                scope.pending.setdefault(name, set()).update(produced)

    def _flag(self, value: cst.BaseExpression) -> tuple[bool, str | None]:
        if isinstance(value, cst.Comparison):
            return _threshold(value)
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in self.flag_functions:
            return True, self.flag_functions[value.func.value]
        return False, None

    def _threshold_or_flag(self, test: cst.BaseExpression) -> tuple[bool, str | None]:
        has_threshold, word = _threshold(test)
        if not has_threshold and self.flag_names:
            if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
                test = test.expression
            if isinstance(test, cst.Name) and test.value in self.flag_names:
                return True, self.flag_names[test.value]
        return has_threshold, word

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None and self.func_stack and self.flag_names:
            for name in _target_names(node.value):
                if name in self.flag_names:
                    self.flag_functions[self.func_stack[-1]] = self.flag_names[name]
                    break

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self.in_test_file:
            is_flag, word = self._flag(node.value)
            for target in node.targets:
                for name in _target_names(target.target):
                    if is_flag:
                        self.flag_names[name] = word
                    else:
                        self.flag_names.pop(name, None)
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
        if parts is None and isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Call):
            inner = _dotted(node.func.value.func)  # torch.Generator().manual_seed(0)
            inner_q = self.resolve(inner) if inner else None
            if inner_q:
                qualname = f"{inner_q}.{node.func.attr.value}"
        assert_like = bool(parts and _ASSERT_LIKE.search(parts[-1]))
        if assert_like and self._open_tests and any(_references_code(a.value) for a in node.args):
            self._mark_assertion()
        self.assert_call_stack.append(assert_like)
        if assert_like:
            self.check_depth += 1
        kwnames = [a.keyword.value for a in node.args if a.keyword is not None]
        if parts is None and isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Subscript):
            parts = ["_", node.func.attr.value]  # a method of an item, `df[target].isna()`, as engine/python.py names it
        if not self.interest.wants(qualname, kwnames) and not (
                qualname is None and parts and self.interest.wants_method(".".join(parts))):
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


def _raises(suite: cst.BaseSuite, nested: int = 1) -> bool:
    """True when a block raises, exits or cancels the run (the body of a gate): at its top level,
    or inside an `if` directly in it (the same as engine/python.py's `raises`)."""
    body = suite.body if isinstance(suite, cst.IndentedBlock) else [suite]
    for stmt in body:
        if nested and isinstance(stmt, cst.If):
            other = stmt.orelse.body if isinstance(stmt.orelse, cst.Else) else None
            if _raises(stmt.body, nested - 1) or (other is not None and _raises(other, nested - 1)):
                return True
        smalls = stmt.body if isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) else []
        for small in smalls:
            if isinstance(small, cst.Raise):
                return True
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                d = _dotted(small.value.func)
                if d and _stops_run(d):
                    return True
    return False


_ORDERING = (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)


def _threshold(test: cst.CSTNode) -> tuple[bool, str | None]:
    """Whether an expression holds a threshold comparison (<, <=, >, >=), and the metric-like name
    it checks, if any. Equality tests (status == "False") are flags, not thresholds."""
    found: list[str] = []
    has_compare = False

    class _Find(cst.CSTVisitor):
        def visit_Call(self, n: cst.Call) -> bool:
            # names inside len(...): `len(errors) > 0` counts items, not a metric
            return not (isinstance(n.func, cst.Name) and n.func.value == "len")

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


def analyse_with_libcst(path: str, source: str, interest: _Interest) -> dict[str, Any] | None:
    """The facts of one file, or None when libcst cannot parse it either."""
    try:
        module = cst.parse_module(source)
    except Exception:  # ParserSyntaxError, and a few other types on odd input
        return None
    visitor = _Visitor(path, interest)
    try:
        module.visit(visitor)
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    except RecursionError:
        return {"error": "nested too deeply to analyse; not analysed"}

    def line_of(node: cst.CSTNode) -> int:
        pos = positions.get(node)
        return pos.start.line if pos is not None else 1

    uses = []
    for use, (node, kw_nodes) in zip(visitor.uses, visitor.use_nodes):
        uses.append({**use, "line": line_of(node), "kwl": {k: line_of(n) for k, n in kw_nodes.items()}})
    return {
        "imports": [list(i) for i in sorted({(name, line_of(node)) for name, node in visitor.imports},
                                            key=lambda t: (t[1], t[0]))],
        "uses": uses,
        "tests": visitor.tests,
        "meaningful_tests": visitor.meaningful_tests,
        "test_functions": [
            [name, line_of(node), meaningful, params]
            for (name, node, params), meaningful in zip(visitor.test_functions, visitor.test_meaning)
        ],
        "gates": [[line_of(node), word, func] for node, word, func in visitor.gates],
        "defines": visitor.defines,
    }
