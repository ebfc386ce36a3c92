"""Writing confirmations without losing anything a person wrote.

ruamel.yaml's round-trip mode keeps comments, key order, quoting and blank lines, so adding or
updating one entry leaves the rest of the file as the person left it. A file that cannot be
parsed is reported with its line and never overwritten. Writes go to a temporary file that
replaces the original in one rename.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from .confirmations import ConfirmationsError, check_document

HEADER = ("mlscorecard confirmations: a person's answer per rubric item, merged into every audit.\n"
          "See the README (\"The human loop\") for the fields.\n")


def _yaml() -> YAML:
    y = YAML()  # round-trip
    y.preserve_quotes = True
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 100
    return y


def load_for_update(path: Path) -> CommentedMap:
    if not path.exists():
        doc = CommentedMap()
        doc.yaml_set_start_comment(HEADER)
        doc["version"] = 1
        doc["confirmations"] = CommentedMap()
        return doc
    text = path.read_text(encoding="utf-8")
    try:
        check_document(text, str(path))  # the same checks, and messages with lines, as reading
        doc = _yaml().load(text)
    except ConfirmationsError as exc:
        raise ConfirmationsError(f"{exc}; not changed") from None
    except YAMLError as exc:
        raise ConfirmationsError(f"{path}: {exc}; not changed") from None
    if doc is None:
        doc = CommentedMap()
    if doc.get("confirmations") is None:
        doc["confirmations"] = CommentedMap()
    return doc


def set_entry(doc: CommentedMap, item_id: str, values: dict[str, Any]) -> None:
    """Add or update one item's entry; keys not given keep their value (and their comments)."""
    entries = doc["confirmations"]
    entry = entries.get(item_id)
    if not isinstance(entry, CommentedMap):
        entry = CommentedMap()
        entries[item_id] = entry
    if values.get("not_applicable"):
        for key in ("level", "score"):
            entry.pop(key, None)
    else:
        entry.pop("not_applicable", None)
        entry.pop("reason", None)
    for key, value in values.items():
        if value is None or value == []:
            continue
        entry[key] = value


def save(doc: CommentedMap, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".mlscorecard-", suffix=".yml", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            _yaml().dump(doc, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def today() -> str:
    return dt.datetime.now(dt.timezone.utc).date().isoformat()
