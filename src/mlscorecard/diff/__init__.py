"""Compare two audits: what a change does to the scores, the evidence and the problems.

`compare(base_json, head_json)` takes two JSON reports (schema_version 1) and returns a ResultDiff
as a plain dict (schema `mlscorecard/schema/diff.schema.json`); `render_diff` turns it into
terminal text, Markdown, JSON or SARIF. Nothing here runs an audit or touches the network.
"""

from .compare import SCHEMA_ID, compare, regressed
from .render import FORMATS, render_diff

__all__ = ["SCHEMA_ID", "compare", "regressed", "FORMATS", "render_diff"]
