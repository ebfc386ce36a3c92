"""Output safety: everything a report shows that came from the audited repository passes here.

Two layers, each one mechanism rather than a rule per call site:

* ``redaction`` removes secret values from the whole result before any format sees it: values the
  secrets rules found in this audit (and every 6-character piece of them), and anything that
  looks like a credential wherever it appears (evidence summaries, CI commands, commit subjects,
  file names, warnings, confirmations).
* ``escaping`` makes a string inert for one output format: Markdown (HTML-escaped, table- and
  code-span-safe), the terminal (control and bidi characters shown as escapes), SARIF (URIs
  percent-encoded). HTML relies on jinja2's autoescape and ``neutralise`` for control characters.
"""

from .escaping import markdown_code, markdown_text, neutralise, sarif_uri, terminal_text
from .redaction import REDACTED, Redactor, clip, redact_result

__all__ = ["REDACTED", "Redactor", "clip", "markdown_code", "markdown_text", "neutralise", "redact_result",
           "sarif_uri", "terminal_text"]
