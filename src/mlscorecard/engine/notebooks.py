"""Notebooks: the code cells of an .ipynb as one Python source, with a map back to cells.

IPython magics (`%timeit`, `!pip install`, `%%bash` cells, `x?`) are not Python: each such line
becomes `pass` at its indentation (cell magics blank the whole cell, except those that run their
Python body: %%time, %%timeit, %%capture, %%prun), so line numbers stay true and the rest of the
cell is still analysed. A `%%writefile x.py` cell is the Python of a file the
notebook writes (and then runs): its body is analysed.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field

# %line magic, !shell, ?help, and `obj?` / `obj??` (a name or attribute chain, nothing else)
_MAGIC_LINE = re.compile(r"^(\s*)(%|!|\?)|^(\s*)[A-Za-z_][\w.]*(\(\))?\?{1,2}\s*$")
# IPython automagic: `pip install x` or `cd data` without the %, when the line is not Python
_AUTOMAGIC = re.compile(r"^(\s*)(pip|pip3|conda|cd|ls|mkdir|wget|curl|apt-get|load_ext|matplotlib|env|set_env)\s+[^=\s(.,\[][^=]*$")
# `files = !ls` and `t = %timeit -o f()`: the value of a shell command or a magic
_MAGIC_ASSIGN = re.compile(r"^(\s*[\[(]?[A-Za-z_][\w.,\s\[\]()]*?=)\s*[!%]")


class NotebookError(Exception):
    pass


@dataclass
class NotebookSource:
    source: str
    cell_starts: list[int]  # 1-based line in `source` where each code cell begins
    cell_numbers: list[int]  # 1-based index of that cell among all cells of the notebook
    prose: str = ""  # the Markdown cells, joined the same way (documentation as evidence)
    prose_starts: list[int] = field(default_factory=list)
    prose_numbers: list[int] = field(default_factory=list)

    def without_cell_at(self, line: int) -> tuple["NotebookSource", int]:
        """The same source with the code cell holding `line` blanked (its lines emptied, so the
        others keep their numbers), and that cell's number: one broken cell need not hide the rest."""
        i = max(bisect.bisect_right(self.cell_starts, line) - 1, 0)
        lines = self.source.split("\n")
        end = self.cell_starts[i + 1] - 1 if i + 1 < len(self.cell_starts) else len(lines)
        for k in range(self.cell_starts[i] - 1, min(end, len(lines))):
            lines[k] = ""
        return (NotebookSource("\n".join(lines), self.cell_starts, self.cell_numbers, self.prose, self.prose_starts,
                               self.prose_numbers), self.cell_numbers[i])

    def locate(self, line: int) -> tuple[int, int]:
        """(cell number, line within the cell) of a line of `source`."""
        i = bisect.bisect_right(self.cell_starts, line) - 1
        i = max(i, 0)
        return self.cell_numbers[i], line - self.cell_starts[i] + 1


_WRITEFILE = re.compile(r"^\s*%%(?:writefile|file)\s+(?:-a\s+)?\S+\.py\s*$")
# cell magics whose body is ordinary Python (timed, captured, profiled); %%bash, %%sql, %%html... are not
_PYTHON_CELL_MAGIC = re.compile(r"^\s*%%(?:time|timeit|capture|prun|memit|debug)\b")


def _clean(lines: list[str]) -> list[str]:
    if lines and _WRITEFILE.match(lines[0]):  # the cell's body is a Python file the notebook writes
        return ["", *_clean(lines[1:])]
    if lines and _PYTHON_CELL_MAGIC.match(lines[0]):  # %%time, %%capture: the body is Python, run as is
        return ["", *_clean(lines[1:])]
    if lines and lines[0].lstrip().startswith("%%"):
        return ["" for _ in lines]
    out = []
    continued = False  # inside a magic or shell line that ends with a backslash
    for line in lines:
        if continued:
            out.append("")
            continued = line.rstrip().endswith("\\")
            continue
        assign = _MAGIC_ASSIGN.match(line)
        if assign and "==" not in assign.group(1):
            out.append(f"{assign.group(1)} None")
            continue
        m = _MAGIC_LINE.match(line) or _AUTOMAGIC.match(line)
        if m:
            indent = m.group(1) if m.group(1) is not None else (m.group(3) or "")
            out.append(f"{indent}pass")
            continued = line.rstrip().endswith("\\")
        else:
            out.append(line)
    return out


def notebook_source(text: str) -> NotebookSource:
    try:
        nb = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise NotebookError(f"not valid JSON ({str(exc).splitlines()[0][:60]}); skipped") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if cells is None and isinstance(nb, dict) and isinstance(nb.get("worksheets"), list):  # nbformat 3
        cells = [c for ws in nb["worksheets"] if isinstance(ws, dict) and isinstance(ws.get("cells"), list)
                 for c in ws["cells"]]
    if not isinstance(cells, list):
        raise NotebookError("not a Jupyter notebook (no cells); skipped")
    parts: list[str] = []
    starts: list[int] = []
    numbers: list[int] = []
    prose: list[str] = []
    prose_starts: list[int] = []
    prose_numbers: list[int] = []
    line = prose_line = 1
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown"):
            continue
        src = cell.get("source", cell.get("input", ""))
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        if not isinstance(src, str):
            continue
        if cell["cell_type"] == "markdown":
            lines = src.split("\n")
            prose_starts.append(prose_line)
            prose_numbers.append(number)
            prose.append("\n".join(lines))
            prose_line += len(lines)
            continue
        lines = _clean(src.split("\n"))
        starts.append(line)
        numbers.append(number)
        parts.append("\n".join(lines))
        line += len(lines)
    if not parts:
        raise NotebookError("no code cells; skipped")
    return NotebookSource("\n".join(parts) + "\n", starts, numbers,
                          "\n".join(prose) + "\n" if prose else "", prose_starts, prose_numbers)
