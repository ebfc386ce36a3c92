"""Python facts from CPython's `ast`: one parse per file, one visit that collects what every code
rule needs.

Names are resolved through the file's own imports and aliases
(``import numpy as np; np.random.seed(0)`` is ``numpy.random.seed``;
``from torch import manual_seed as ms; ms(1)`` is ``torch.manual_seed``; relative imports
against the file's package). `ast.parse` only parses: nothing in the file runs. Its tree
carries line numbers, so no second pass is needed for positions.

Source that this interpreter cannot parse but libcst can (syntax newer than the running
Python) goes to the libcst visitor in `python_libcst.py`, which returns the same facts.

The facts of one file are a JSON-able dict:

- ``imports``: ``[name, line]`` per imported name, sorted by line;
- ``uses``: calls, decorators, base classes and attribute assignments whose resolved name (or
  one of whose keywords) some rule asks about: ``name``, ``how``, positional argument kinds
  (``args``) and short literal values (``argv``), keyword kinds (``kws``), values (``kwv``) and
  lines (``kwl``), ``line``, and ``asserted`` (an assert, an assert-like call or a gate checks
  the result, directly or through a variable);
- ``tests``/``meaningful_tests`` and ``test_functions`` (``[name, line, asserts something real,
  parameter names]``): a placeholder such as ``assert print() is None`` asserts nothing real;
- ``gates``: ``[line, metric word or None, enclosing function or None]`` for threshold checks
  that raise or exit (outside tests); ``defines``: top-level function names;
- or ``{"error": message}`` when the file cannot be analysed.
"""

from __future__ import annotations

import ast
import builtins
import re
from functools import lru_cache
import fnmatch
from pathlib import PurePosixPath
from typing import Any

# pytest's default names (test_*.py, *_test.py), conftest.py, and *_tests.py, which projects run by
# naming them on the command line or in python_files
TEST_FILE_RE = re.compile(r"(^|/)(test_[^/]*|[^/]*_tests?|conftest)\.py$")
TEST_DIR_RE = re.compile(r"(^|/)tests?/")

# Names that carry no information about the code under test: an assert over only these is a placeholder.
TRIVIAL_NAMES = frozenset({"print", "True", "False", "None", "len", "str", "int", "float", "bool", "isinstance", "type"})

# A comparison on one of these words, guarding a raise or exit, is a quality gate.
METRIC_RE = re.compile(
    r"(^|_)(auc|roc|acc|accuracy|f1|precision|recall|rmse|mse|mae|mape|r2|loss|score|metric|metrics|ap|ndcg|"
    r"threshold|drift|psi|baseline|champion|production|prod|bleu|rouge|perplexity|wer)(_|$|s$)"
    # an error as a metric (`val_error`, `error_rate`), not an algorithm's internals (`estimator_error`)
    r"|^((val|valid|validation|test|train|eval|mean|abs|absolute|squared|relative|pred|prediction|"
    r"classification|reconstruction)_)?errors?(_rates?)?$"
    # mean average precision: `map`, `map50`, `val_map`, `box_map_50`; not `device_map`, `feature_map`
    r"|^((val|valid|eval|test|train|box|mask|seg|det)_)?map(\d*)(_|$)",
    re.I,
)
EXIT_CALLS = frozenset({"sys.exit", "exit", "quit", "os._exit"})
ASSERT_LIKE_RE = re.compile(r"^(assert|fail)|^assert_|_assert|^check_")


@lru_cache(maxsize=65536)
def assert_like(name: str) -> bool:
    """A call named like a check (`assertEqual`, `assert_allclose`, `check_array`)."""
    return ASSERT_LIKE_RE.search(name) is not None
RAISES_CONTEXTS = frozenset({"raises", "warns", "assertRaises", "assertWarns"})
DEPTH_MESSAGES = ("too many nested parentheses", "too many levels of indentation", "too many statically nested blocks")


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


MEMO_NAMES = 200_000  # distinct names remembered per process (a bound for generated code)


class Interest:
    """What the rules want recorded: qualified name patterns and keyword names."""

    def __init__(self, patterns: list[str], keywords: set[str]) -> None:
        self.exact = {p for p in patterns if "*" not in p}
        self.globs = [p for p in patterns if "*" in p]
        self.keywords = keywords
        # one regular expression for all globs (fnmatch's own translation), not one match per glob
        self._globs = re.compile("|".join(fnmatch.translate(g) for g in self.globs)) if self.globs else None
        # `*.method` globs also match a method called on an object whose type no import tells
        # (`client.set_registered_model_alias(...)`, `model.partial_fit(...)`)
        methods = [g for g in self.globs if g.startswith("*.")]
        self._methods = re.compile("|".join(fnmatch.translate(g) for g in methods)) if methods else None
        # globs a star import's names may meet: anchored at a module, with a name of their own
        anchored = [g for g in self.globs if not g.startswith(("*", "?", "["))
                    and g.rsplit(".", 1)[-1].strip("*?[]")]
        self._module_globs = re.compile("|".join(fnmatch.translate(g) for g in anchored)) if anchored else None
        # names recur across a repository (`torch.tensor`, `self.log`): each is matched once
        self._named: dict[str, bool] = {}
        self._method_named: dict[str, bool] = {}
        self._module_named: dict[str, bool] = {}

    def wants(self, qualname: str | None, kwnames: list[str]) -> bool:
        if qualname is not None:
            hit = self._named.get(qualname)
            if hit is None:
                hit = qualname in self.exact or (self._globs is not None and self._globs.match(qualname) is not None)
                if len(self._named) < MEMO_NAMES:
                    self._named[qualname] = hit
            if hit:
                return True
        if kwnames:
            keywords = self.keywords
            return any(k in keywords for k in kwnames)
        return False

    def wants_from_module(self, qualname: str) -> bool:
        """A name some rule asks for by its module: an exact name, or a glob that starts with one
        (`evidently.*QualityByClass`), not one that starts with a wildcard."""
        hit = self._module_named.get(qualname)
        if hit is None:
            hit = qualname in self.exact or (self._module_globs is not None and self._module_globs.match(qualname) is not None)
            if len(self._module_named) < MEMO_NAMES:
                self._module_named[qualname] = hit
        return hit

    def wants_method(self, dotted_text: str) -> bool:
        """An unresolved call `obj.method(...)` that a `*.method` pattern names."""
        if self._methods is None or "." not in dotted_text:
            return False
        hit = self._method_named.get(dotted_text)
        if hit is None:
            hit = self._methods.match(dotted_text) is not None
            if len(self._method_named) < MEMO_NAMES:
                self._method_named[dotted_text] = hit
        return hit

    def patterns(self) -> list[str]:
        return sorted(self.exact) + self.globs


def make_interest(rules: list) -> Interest:
    patterns: list[str] = []
    keywords: set[str] = set()
    for rule in rules:
        patterns.extend(rule.match.get("calls", []) or [])
        patterns.extend(rule.match.get("also_calls", []) or [])
        keywords.update((rule.match.get("keywords") or {}).keys())
        keywords.update(rule.match.get("any_keywords") or [])
    return Interest(patterns, keywords)


# ------------------------------------------------------------------------- expression helpers
def value_kind(value: Any) -> tuple[str, Any]:
    """(kind, value) of a literal value: kinds int, float, str, bool, none, expr; short literals
    keep their value (also used for configuration values, engine/configs.py)."""
    if value is True or value is False:
        return "bool", value
    if value is None:
        return "none", None
    if isinstance(value, int):
        return "int", value
    if isinstance(value, float):
        return "float", None
    if isinstance(value, str):
        return "str", value if len(value) <= 60 else None
    if isinstance(value, bytes):
        return "str", None
    return "expr", None


def literal(node: ast.expr) -> tuple[str, Any]:
    """(kind, value) of an argument: kinds int, float, str, bool, none, name, expr; short
    literals keep their value. name: a value held by a name (`SEED`, `args.seed`,
    `cfg["seed"]`, `int(cfg["seed"])`, `cfg.get("seed", 42)`), which a rule asking for expr takes too; expr: anything
    else computed (`int(time.time())`, `seed + rank`)."""
    if isinstance(node, ast.Constant):
        return value_kind(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant) \
            and type(node.operand.value) is int:
        return "int", None
    if isinstance(node, ast.JoinedStr):
        return "str", None
    return ("name" if _is_reference(node) else "expr"), None


def _is_reference(node: ast.expr) -> bool:
    """A name, an attribute of one, or an item of one under a constant or a name; or one cast
    by int() (`int(cfg["seed"])`) or looked up with get() (`cfg.get("seed", 42)`)."""
    if node.__class__ is ast.Call and node.func.__class__ is ast.Name and node.func.id == "int" \
            and len(node.args) == 1 and not node.keywords and node.args[0].__class__ is not ast.Starred:
        node = node.args[0]
    if node.__class__ is ast.Call and node.func.__class__ is ast.Attribute and node.func.attr == "get" \
            and 1 <= len(node.args) <= 2 and not node.keywords \
            and all(a.__class__ is ast.Constant or (a.__class__ is not ast.Call and _is_reference(a)) for a in node.args):
        node = node.func.value  # a setting looked up by its key, with a default: `cfg.get("seed", 42)`
    while True:
        t = node.__class__
        if t is ast.Name:
            return True
        if t is ast.Attribute:
            node = node.value
        elif t is ast.Subscript:
            index = node.slice
            if not (index.__class__ is ast.Constant or _is_reference(index)):
                return False
            node = node.value
        else:
            return False


# a.b.c... longer than this is not code anyone wrote: not a name (an expression that long on few
# lines is refused as too deep before; spread over many short lines it is only left unresolved,
# so the walk of a test file for its tests only, which resolves nothing, finds the same)
MAX_DOTTED = 500


class TooDeep(Exception):
    pass


def dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
        if len(parts) > MAX_DOTTED:
            return None
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


# Fields that can hold nodes, per expression type (the rest hold names, numbers, operators).
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {
    ast.BoolOp: ("values",), ast.NamedExpr: ("target", "value"), ast.BinOp: ("left", "right"),
    ast.UnaryOp: ("operand",), ast.Lambda: ("args", "body"), ast.IfExp: ("test", "body", "orelse"),
    ast.Dict: ("keys", "values"), ast.Set: ("elts",), ast.ListComp: ("elt", "generators"),
    ast.SetComp: ("elt", "generators"), ast.DictComp: ("key", "value", "generators"),
    ast.GeneratorExp: ("elt", "generators"), ast.Await: ("value",), ast.Yield: ("value",),
    ast.YieldFrom: ("value",), ast.Compare: ("left", "comparators"), ast.Call: ("func", "args", "keywords"),
    ast.FormattedValue: ("value", "format_spec"), ast.JoinedStr: ("values",), ast.Constant: (),
    ast.Attribute: ("value",), ast.Subscript: ("value", "slice"), ast.Starred: ("value",), ast.Name: (),
    ast.List: ("elts",), ast.Tuple: ("elts",), ast.Slice: ("lower", "upper", "step"),
    ast.comprehension: ("target", "iter", "ifs"), ast.keyword: ("value",), ast.arg: ("annotation",),
    ast.arguments: ("posonlyargs", "args", "vararg", "kwonlyargs", "kw_defaults", "kwarg", "defaults"),
}


def _child_fields(t: type) -> tuple[str, ...]:
    fields = _CHILD_FIELDS.get(t)
    if fields is None:  # a node type this table does not know (newer Python): every field that holds nodes
        fields = ()
        if isinstance(t, type) and issubclass(t, ast.AST):
            fields = tuple(f for f in t._fields if f not in ("ctx", "type_comment", "id", "attr", "name", "arg",
                                                             "value" if t is ast.Constant else "", "kind",
                                                             "conversion", "is_async", "level", "module", "names"))
        _CHILD_FIELDS[t] = fields
    return fields


def _names_in(node: ast.AST) -> list[str]:
    """Every identifier an expression mentions: names, attribute names, keyword names, lambda
    parameters (what a check or an assignment reads)."""
    out: list[str] = []
    stack = [node]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        n = pop()
        t = n.__class__
        if t is ast.Name:
            out.append(n.id)
            continue
        if t is ast.Constant or n is None:
            continue
        if t is ast.Attribute:
            out.append(n.attr)
            push(n.value)
            continue
        if t is ast.keyword or t is ast.arg:
            if n.arg is not None:
                out.append(n.arg)
        for f in _child_fields(t):
            v = getattr(n, f)
            if v is None:
                continue
            if v.__class__ is list:
                extend(v)
            else:
                push(v)
    return out


def references_code(node: ast.AST) -> bool:
    """True when an expression names something beyond literals and trivial builtins."""
    return any(name not in TRIVIAL_NAMES for name in _names_in(node))


_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def threshold(test: ast.expr) -> tuple[bool, str | None]:
    """Whether an expression holds a threshold comparison (<, <=, >, >=), and the metric-like name
    it checks, if any. Equality tests (status == "False") are flags, not thresholds."""
    has_compare = False
    found: str | None = None
    counted: set[int] = set()  # names inside len(...): `len(errors) > 0` counts items, not a metric
    for n in _walk_in_order(test):
        if isinstance(n, ast.Compare) and any(isinstance(op, _ORDERING) for op in n.ops):
            has_compare = True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "len":
            counted.update(id(x) for a in n.args for x in ast.walk(a))
        if found is None and id(n) not in counted and not (isinstance(n, _AttrName) and n.node_id in counted):
            word = n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, _AttrName) else \
                n.value if isinstance(n, ast.Constant) and isinstance(n.value, str) else None
            if word is not None and METRIC_RE.search(word):
                found = word
    return has_compare, (found if has_compare else None)


def _walk_in_order(node: ast.AST):
    """Nodes in source order (pre-order; an attribute's value before its name is checked)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Attribute):  # `self.auc`: `self` is read before `auc`
            stack.append(_AttrName(n))
            stack.append(n.value)
            continue
        yield n
        stack.extend(reversed(list(ast.iter_child_nodes(n))))


class _AttrName:
    """Stands for an attribute's name in source-order walks."""

    __slots__ = ("attr", "node_id")
    _fields = ()

    def __init__(self, node: ast.Attribute) -> None:
        self.attr = node.attr
        self.node_id = id(node)


def _stops_run(d: list[str]) -> bool:
    """`sys.exit()`, `exit()`, or a run cancelled (`run.cancel()`, `run.parent.cancel()`: how an
    Azure ML pipeline step stops the pipeline)."""
    return ".".join(d) in EXIT_CALLS or (len(d) > 1 and d[-1] == "cancel" and any("run" in p.lower() for p in d[:-1]))


def raises(body: list[ast.stmt], nested: int = 1) -> bool:
    """True when a block raises, exits or cancels the run (the body of a gate): at its top level,
    or inside an `if` directly in it (`else: if allow_cancel: run.parent.cancel()`)."""
    for stmt in body:
        if isinstance(stmt, ast.Raise):
            return True
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            d = dotted(stmt.value.func)
            if d and _stops_run(d):
                return True
        if nested and isinstance(stmt, ast.If) and (raises(stmt.body, nested - 1) or raises(stmt.orelse, nested - 1)):
            return True
    return False


def target_names(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Starred):
        return target_names(node.value)
    if isinstance(node, (ast.Tuple, ast.List)):
        return [n for el in node.elts for n in target_names(el)]
    return []


# ------------------------------------------------------------------------- the visitor
_BUILTIN_NAMES = frozenset(dir(builtins))


class Scope:
    __slots__ = ("pending", "checked")

    def __init__(self) -> None:
        self.pending: dict[str, set[int]] = {}  # name -> indexes of uses assigned to it
        self.checked: set[str] = set()  # names read inside an assert or a gate


class ScopeBook:
    """The bookkeeping both visitors keep alike (this module's over `ast`, python_libcst's over
    libcst): import aliases to qualified names, and per scope the uses assigned to a name that an
    assert or a gate later reads. Needs `aliases`, `scopes` (a list of Scope) and `uses`."""

    aliases: dict[str, str]
    star_modules: list[str]  # `from evidently.metrics import *`, in order
    defines: list[str]  # top-level functions defined so far
    interest: Interest
    scopes: list[Scope]
    uses: list[dict[str, Any]]

    def resolve(self, parts: list[str]) -> str | None:
        head = parts[0]
        if head in self.aliases:
            return ".".join([self.aliases[head], *parts[1:]])
        # a bare name no import binds may come from a star import (notebooks: `from
        # evidently.metrics import *`; `ClassificationQualityByClass()`): the last such module
        # whose name a rule asks for by a name of its own (an exact name, or a glob whose last
        # part has letters: never `pkg.*`, which takes anything), unless it is a builtin or a
        # function this file defines
        if len(parts) != 1 or not self.star_modules or head in _BUILTIN_NAMES or head in self.defines:
            return None
        for module in reversed(self.star_modules):
            qualname = f"{module}.{head}"
            if self.interest.wants_from_module(qualname):
                return qualname
        return None

    def _close_scope(self) -> None:
        scope = self.scopes.pop() if len(self.scopes) > 1 else self.scopes[0]
        for name in scope.pending.keys() & scope.checked:
            for i in scope.pending[name]:
                self.uses[i]["asserted"] = True


MAX_DEPTH = 500  # expressions nested deeper than this (generated code) are not analysed


def _depth(node: ast.AST) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        n, d = stack.pop()
        deepest = max(deepest, d)
        for f in _child_fields(type(n)):
            v = getattr(n, f)
            for x in (v if v.__class__ is list else (v,)):
                if isinstance(x, ast.AST):
                    stack.append((x, d + 1))
    return deepest


_Name, _Constant, _Call, _Attribute, _Subscript = ast.Name, ast.Constant, ast.Call, ast.Attribute, ast.Subscript


def _calls_in(node: ast.AST) -> list[ast.Call]:
    """Every call in an expression, in source order (an outer call before the calls inside it)."""
    calls: list[ast.Call] = []
    stack = [node]
    pop, push, extend = stack.pop, stack.append, stack.extend
    fields_of = _CHILD_FIELDS.get
    while stack:
        n = pop()
        t = n.__class__
        if t is _Name or t is _Constant:  # about half of all nodes: nothing below them
            continue
        if t is _Attribute:
            push(n.value)
            continue
        if t is _Call:
            calls.append(n)
            push(n.func)
            extend(n.args)
            extend(n.keywords)
            continue
        if n is None:  # a dict's keys, a function's keyword defaults
            continue
        for f in fields_of(t) or _child_fields(t):
            v = getattr(n, f)
            if v is None:
                continue
            if v.__class__ is list:
                extend(v)
            else:
                push(v)
    if len(calls) > 1:
        calls.sort(key=lambda c: (c.lineno, c.col_offset, -(c.end_lineno or 0), -(c.end_col_offset or 0)))
    return calls


def _too_deep(node: ast.AST) -> bool:
    """Only for expressions long enough to hide pathological nesting (generated code): the
    depth costs a second walk, so it is measured only where the source span is large."""
    span = (node.end_lineno or 0) - node.lineno
    width = (node.end_col_offset or 0) - node.col_offset
    return (span > 200 or width > 2 * MAX_DEPTH) and _depth(node) > MAX_DEPTH


_STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")


class _Visitor(ScopeBook):
    """One walk over a module's statements; each expression's calls are found in one pass over
    its subtree (no per-node dispatch): a few times faster than an ast.NodeVisitor."""

    def __init__(self, path: str, interest: Interest, tests_only: bool = False) -> None:
        self.package = package_of(path)
        self.interest = interest
        self.in_test_file = is_test_context(path)
        # a test file in which no call rule can match (files.py's pre-filter): its imports,
        # definitions and test functions are all anyone reads, so no use is recorded, and an
        # expression is looked into only while the test around it has not asserted yet
        self.tests_only = tests_only
        self.aliases: dict[str, str] = {}
        self.star_modules: list[str] = []
        self.imports: set[tuple[str, int]] = set()
        self.uses: list[dict[str, Any]] = []
        self.depth = 0  # functions entered
        self.functions: list[str] = []  # names of the functions entered, innermost last
        self.scopes: list[Scope] = [Scope()]
        self.tests = 0
        self.test_functions: list[list[Any]] = []  # [name, line, meaningful, params]
        self._open_tests: list[list[Any]] = []
        self.defines: list[str] = []
        self.gates: list[list[Any]] = []
        # `accepted = lo <= value <= hi` ... `if not accepted: raise`: names bound to a threshold
        # comparison (and functions returning one) stand for it in a later check
        self.flag_names: dict[str, str | None] = {}
        self.flag_functions: dict[str, str | None] = {}
        self.handlers = {
            ast.Import: self._import, ast.ImportFrom: self._import_from, ast.FunctionDef: self._function,
            ast.AsyncFunctionDef: self._function, ast.ClassDef: self._class, ast.Assert: self._assert,
            ast.If: self._if, ast.With: self._with, ast.AsyncWith: self._with, ast.Assign: self._assign,
            ast.Expr: self._value, ast.Return: self._value,
        }

    def module(self, tree: ast.Module) -> None:
        self._statements(tree.body)
        self._close_scope()

    def _statements(self, body: list) -> None:
        handlers = self.handlers
        for stmt in body:
            handler = handlers.get(type(stmt))
            if handler is not None:
                handler(stmt)
            else:
                self._parts(stmt)

    def _parts(self, node: ast.AST) -> None:
        """A statement (or handler, case, item) without special meaning: its expressions and its
        nested statements, in field order."""
        for f in node._fields:
            v = getattr(node, f, None)
            if v is None:
                continue
            if v.__class__ is list:
                if f in _STATEMENT_LISTS and v and isinstance(v[0], ast.stmt):
                    self._statements(v)
                    continue
                for x in v:
                    if isinstance(x, ast.expr):
                        self._expression(x)
                    elif isinstance(x, ast.AST) and not isinstance(x, ast.stmt):
                        self._parts(x)
                    elif isinstance(x, ast.stmt):
                        self._statements([x])
            elif isinstance(v, ast.expr):
                self._expression(v)
            elif isinstance(v, ast.AST) and not isinstance(v, (ast.expr_context, ast.operator)):
                self._parts(v)

    def _value(self, node: ast.Expr | ast.Return) -> None:
        if node.value is not None:
            if node.__class__ is ast.Return and self.functions and self.flag_names:
                for name in target_names(node.value):
                    if name in self.flag_names:
                        self.flag_functions[self.functions[-1]] = self.flag_names[name]
                        break
            self._expression(node.value)

    def _flag(self, value: ast.expr) -> tuple[bool, str | None]:
        """Whether an assigned value is a threshold comparison (or a call of a local function
        that returns one), and its metric word."""
        if isinstance(value, ast.Compare):
            return threshold(value)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in self.flag_functions:
            return True, self.flag_functions[value.func.id]
        return False, None

    def _threshold_or_flag(self, test: ast.expr) -> tuple[bool, str | None]:
        has_threshold, word = threshold(test)
        if not has_threshold and self.flag_names:
            if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                test = test.operand
            if isinstance(test, ast.Name) and test.id in self.flag_names:
                return True, self.flag_names[test.id]
        return has_threshold, word

    # imports -------------------------------------------------------------------------
    def _import(self, node: ast.Import) -> None:
        for alias in node.names:
            full = alias.name
            if alias.asname is not None:
                self.aliases[alias.asname] = full
            else:
                head = full.split(".")[0]
                self.aliases.setdefault(head, head)
            self.imports.add((full, node.lineno))

    def _import_from(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:
            module = resolve_relative(self.package, node.level, module)
        for alias in node.names:
            if alias.name == "*":
                self.imports.add((module, node.lineno))
                self.star_modules.append(module)
                continue
            full = f"{module}.{alias.name}" if module else alias.name
            self.aliases[alias.asname or alias.name] = full
            self.imports.add((full, node.lineno))

    # functions, classes and tests ---------------------------------------------------------
    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        name = node.name
        if not self.depth:
            self.defines.append(name)
        self.depth += 1
        self.functions.append(name)
        self.scopes.append(Scope())
        is_test = name.startswith("test")
        if is_test:
            self.tests += 1
            entry = [name, node.lineno, False, [a.arg for a in node.args.args]]
            self.test_functions.append(entry)
            self._open_tests.append(entry)
        for dec in node.decorator_list:
            self._decorator(dec)
        for dec in node.decorator_list:
            self._expression(dec)
        self._parts(node.args)
        if node.returns is not None:
            self._expression(node.returns)
        self._statements(node.body)
        self.depth -= 1
        self.functions.pop()
        self._close_scope()
        if is_test:
            self._open_tests.pop()

    def _class(self, node: ast.ClassDef) -> None:
        for base in () if self.tests_only else node.bases:
            parts = dotted(base)
            q = self.resolve(parts) if parts else None
            if q and self.interest.wants(q, []):
                self._record(q, base.lineno, "base", [], [], {}, asserted=False)
        for dec in node.decorator_list:
            self._decorator(dec)
        for expr in (*node.decorator_list, *node.bases):
            self._expression(expr)
        for kw in node.keywords:
            self._expression(kw.value)
        self._statements(node.body)

    def _decorator(self, dec: ast.expr) -> None:
        if self.tests_only or isinstance(dec, ast.Call):
            return  # recorded as a call
        parts = dotted(dec)
        q = self.resolve(parts) if parts else None
        if q and self.interest.wants(q, []):
            self._record(q, dec.lineno, "decorator", [], [], {}, asserted=False)

    def _mark_assertion(self) -> None:
        if self._open_tests:
            self._open_tests[-1][2] = True

    # checks: asserts, assert-like calls, gates ------------------------------------------------
    def _assert(self, node: ast.Assert) -> None:
        if self._open_tests and not self._open_tests[-1][2] and references_code(node.test):
            self._mark_assertion()
        if not self.in_test_file:
            has_threshold, word = self._threshold_or_flag(node.test)
            if has_threshold:
                self.gates.append([node.lineno, word, self.functions[-1] if self.functions else None])
        self._expression(node.test, checked=True)
        if node.msg is not None:
            self._expression(node.msg, checked=True)

    def _if(self, node: ast.If) -> None:
        # the gate's stop in either branch: `if new_mse < prod_mse: register... else: cancel`
        if self.tests_only:  # no gate in a test file, no use to mark as checked
            self._expression(node.test)
        elif raises(node.body) or (node.orelse and not isinstance(node.orelse[0], ast.If) and raises(node.orelse)):
            has_threshold, word = self._threshold_or_flag(node.test)
            if has_threshold and not self.in_test_file:
                self.gates.append([node.lineno, word, self.functions[-1] if self.functions else None])
            self._expression(node.test, checked=True)
        else:
            self._expression(node.test)
        self._statements(node.body)
        self._statements(node.orelse)

    def _with(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            if isinstance(item.context_expr, ast.Call):
                d = dotted(item.context_expr.func)
                if d and d[-1] in RAISES_CONTEXTS:
                    self._mark_assertion()
        for item in node.items:
            self._expression(item.context_expr)
            if item.optional_vars is not None:
                self._expression(item.optional_vars)
        self._statements(node.body)

    # assignments: which names hold the result of a recorded use -------------------------------
    def _assign(self, node: ast.Assign) -> None:
        if self.tests_only:  # a test file: no flag, no gate, no use
            for target in node.targets:
                self._expression(target)
            self._expression(node.value)
            return
        if not self.in_test_file:
            is_flag, word = self._flag(node.value)
            for target in node.targets:
                for name in target_names(target):
                    if is_flag:
                        self.flag_names[name] = word
                    else:
                        self.flag_names.pop(name, None)
        for target in node.targets:
            parts = dotted(target)
            q = self.resolve(parts) if parts and len(parts) > 1 else None
            if q and self.interest.wants(q, []):
                kind, value = literal(node.value)
                self._record(q, target.lineno, "assign", [kind], [value], {}, asserted=False)
        for target in node.targets:
            self._expression(target)
        start = len(self.uses)
        self._expression(node.value)
        scope = self.scopes[-1]
        produced = set(range(start, len(self.uses)))
        if scope.pending:  # result = report.as_dict(): result inherits what report holds
            for name in set(_names_in(node.value)):
                produced.update(scope.pending.get(name, ()))
        if not produced:
            return
        for target in node.targets:
            for name in target_names(target):
                scope.pending.setdefault(name, set()).update(produced)

    # expressions: the calls in them ---------------------------------------------------------
    def _expression(self, expr: ast.expr, checked: bool = False) -> None:
        t = expr.__class__
        if t is _Name or t is _Constant:
            if checked and t is _Name:
                self.scopes[-1].checked.add(expr.id)
            return
        if _too_deep(expr):
            raise TooDeep
        if self.tests_only:
            self._assertions_in(expr)
            return
        if checked:
            self.scopes[-1].checked.update(_names_in(expr))
        calls = _calls_in(expr)
        if not calls:
            return
        inside_checks: set[int] = set()  # calls within an assert-like call are checked too
        wants = self.interest.wants
        for call in calls:
            parts = dotted(call.func)
            qualname = self.resolve(parts) if parts else None
            if parts is None and call.func.__class__ is _Attribute and call.func.value.__class__ is _Call:
                inner = dotted(call.func.value.func)  # a method of what a call returns: torch.Generator().manual_seed(0)
                inner_q = self.resolve(inner) if inner else None
                if inner_q:
                    qualname = f"{inner_q}.{call.func.attr}"
            if parts and assert_like(parts[-1]):
                if self._open_tests and any(
                        references_code(a) for a in (*call.args, *(k.value for k in call.keywords))):
                    self._mark_assertion()
                self.scopes[-1].checked.update(_names_in(call))
                inside_checks.update(id(c) for c in _calls_in(call))
            kwnames = [k.arg for k in call.keywords if k.arg is not None]
            if parts is None and call.func.__class__ is _Attribute and call.func.value.__class__ is _Subscript:
                parts = ["_", call.func.attr]  # a method of an item, `df[target].isna()`: only a `*.isna` glob takes it
            if not wants(qualname, kwnames) and not (
                    qualname is None and parts and self.interest.wants_method(".".join(parts))):
                continue
            args, argv = [], []
            for a in call.args:
                if not isinstance(a, ast.Starred):
                    kind, value = literal(a)
                    args.append(kind)
                    argv.append(value)
            kws = {k.arg: literal(k.value) for k in call.keywords if k.arg is not None}
            kwl = {k.arg: k.lineno for k in call.keywords if k.arg is not None and k.arg in self.interest.keywords}
            self._record(qualname or ".".join(parts or []), call.lineno, "call", args, argv, kws,
                         asserted=checked or id(call) in inside_checks, kwl=kwl)

    def _assertions_in(self, expr: ast.expr) -> None:
        """tests_only: whether an assert-like call on code (`self.assertEqual(out, 3)`) in this
        expression makes the innermost open test assert, as _expression decides it."""
        if not self._open_tests or self._open_tests[-1][2]:
            return
        for call in _calls_in(expr):
            parts = dotted(call.func)
            if parts and assert_like(parts[-1]) and any(
                    references_code(a) for a in (*call.args, *(k.value for k in call.keywords))):
                self._mark_assertion()
                return

    def _record(self, qualname: str, line: int, how: str, args: list, argv: list, kws: dict, *,
                asserted: bool, kwl: dict | None = None) -> None:
        self.uses.append({
            "name": qualname,
            "how": how,
            "args": args,
            "argv": argv,
            "kws": {k: v[0] for k, v in kws.items()},
            "kwv": {k: v[1] for k, v in kws.items() if v[1] is not None},
            "asserted": asserted,
            "line": line,
            "kwl": kwl or {},
        })


def _python2_hint(source: str) -> str:
    return " (Python 2 code?)" if re.search(r"^\s*print\s+[^\s(=]", source, re.M) else ""


def parse_error(source: str, exc: SyntaxError) -> str | None:
    """The warning for source `ast` refuses, or None when another parser may still read it."""
    if any(m in str(exc.msg) for m in DEPTH_MESSAGES):
        return f"nested too deeply to parse ({exc.msg}, line {exc.lineno}); not analysed"
    return None


# A syntax tree costs about 500 bytes of memory per node; commas, brackets, colons and equals
# signs count nodes from below without tokenising. A file over the budget is data written as
# Python (a 2 MB list literal is 900,000 nodes and a gigabyte), not code a rubric asks about.
MAX_SYNTAX_NODES = 300_000


def syntax_nodes_estimate(source: str) -> int:
    return sum(source.count(c) for c in ",([{:=")


def analyse_python(path: str, source: str, interest: Interest, tests_only: bool = False) -> dict[str, Any]:
    """Parse one file and return its JSON-able facts, or {"error": message}. tests_only: a test
    file no call rule can match (see _Visitor): the same facts, without "uses"."""
    nodes = syntax_nodes_estimate(source)
    if nodes > MAX_SYNTAX_NODES:
        return {"error": f"too large to analyse (about {nodes:,} syntax nodes, more than {MAX_SYNTAX_NODES:,}); "
                         "not analysed"}
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        deep = parse_error(source, exc)
        if deep:
            return {"error": deep}
        from .isolation import NativeCrash, run_isolated
        from .python_libcst import analyse_with_libcst  # newer syntax than this interpreter knows?

        try:  # libcst's parser is native code: a crash or a hang in it must cost this file only
            result = run_isolated(analyse_with_libcst, path, source, interest)
        except NativeCrash as exc:  # a crash, a clock or the memory limit: another run may do better
            return {"error": f"the libcst parser {exc}; not analysed", "transient": True}
        if result is None:
            where = f" at line {exc.lineno}" if exc.lineno else ""
            return {"error": f"syntax error{where}: {exc.msg}{_python2_hint(source)}; not analysed",
                    "error_line": exc.lineno or 0}
        return result
    except (RecursionError, MemoryError):
        return {"error": "nested too deeply to parse; not analysed"}
    except ValueError:  # NUL bytes and the like
        return {"error": "not parseable as Python source; not analysed"}
    visitor = _Visitor(path, interest, tests_only)
    try:
        visitor.module(tree)
    except (RecursionError, TooDeep):
        return {"error": "nested too deeply to analyse; not analysed"}
    return {
        "imports": [list(i) for i in sorted(visitor.imports, key=lambda t: (t[1], t[0]))],
        "uses": visitor.uses,
        "tests": visitor.tests,
        "meaningful_tests": sum(1 for t in visitor.test_functions if t[2]),
        "test_functions": visitor.test_functions,
        "gates": visitor.gates,
        "defines": visitor.defines,
    }
