"""YAML reading with line numbers and bounded work.

Audited YAML is untrusted: we compose the node graph with the C loader when present, then build
plain Python values ourselves, counting nodes so that alias bombs ("billion laughs") stop early.
Mapping keys are always strings (so GitHub's ``on:`` stays "on", not True), and every mapping is
a LineDict that knows the 1-based line of each key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

MAX_NODES = 200_000


class YamlError(Exception):
    """Malformed or oversized YAML; the message names the line when known."""


class LineDict(dict):
    """A dict that remembers the line of each key (1-based)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[str, int] = {}
        self.line = 1

    def line_of(self, key: str, default: int | None = None) -> int:
        return self.lines.get(key, default if default is not None else self.line)


class LineList(list):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[int] = []
        self.line = 1


_BOOL = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


def _scalar(node: "yaml.ScalarNode") -> Any:
    value = node.value
    tag = node.tag
    if tag.endswith(":bool"):
        return _BOOL.get(value.lower(), value)
    if tag.endswith(":int"):
        try:
            return int(value.replace("_", ""), 0)
        except ValueError:
            return value
    if tag.endswith(":null"):
        return None
    return value


def _build(node: "yaml.Node", budget: list[int]) -> Any:
    import yaml

    budget[0] -= 1
    if budget[0] < 0:
        raise YamlError(f"more than {MAX_NODES} nodes (alias expansion?); not analysed")
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        out = LineList()
        out.line = node.start_mark.line + 1
        for child in node.value:
            out.append(_build(child, budget))
            out.lines.append(child.start_mark.line + 1)
        return out
    if isinstance(node, yaml.MappingNode):
        out_d = LineDict()
        out_d.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # << merge keys
                merged = _build(value_node, budget)
                for m in merged if isinstance(merged, list) else [merged]:
                    if isinstance(m, LineDict):
                        for k, v in m.items():
                            out_d.setdefault(k, v)
                            out_d.lines.setdefault(k, m.line_of(k))
                continue
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(_build(key_node, budget))
            out_d[key] = _build(value_node, budget)
            out_d.lines[key] = key_node.start_mark.line + 1
        return out_d
    return None


def load_yaml_documents(text: str) -> list[Any]:
    """All documents of a YAML stream, or YamlError with the line of the problem."""
    import yaml  # imported on first use: a warm audit parses no YAML

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        loader = loader_class(text)
        try:
            nodes = []
            while loader.check_node():
                nodes.append(loader.get_node())
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise YamlError(f"invalid YAML at {where}{exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}") from None
    budget = [MAX_NODES]
    try:
        return [_build(n, budget) for n in nodes if n is not None]
    except RecursionError:
        raise YamlError("nested too deeply; not analysed") from None


def load_yaml(text: str) -> Any:
    docs = load_yaml_documents(text)
    return docs[0] if docs else None


def seq(value) -> list:
    """The value when it is a list, else an empty one: a config's `steps: 5` or `hooks: true` is
    read as no steps, never iterated (a string would be iterated character by character)."""
    return value if isinstance(value, list) else []


def mapping(value) -> dict:
    """The value when it is a mapping, else an empty one (`tool = "x"` in a pyproject.toml)."""
    return value if isinstance(value, dict) else {}
