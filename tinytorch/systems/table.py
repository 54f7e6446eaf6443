"""Plain-text tables with aligned columns: what every systems tool returns for people to read.

A `Table` is a list of row dicts plus formatting. `print(table)` and a notebook's echo of the last
expression both show the same aligned text (no HTML, so it reads the same in a terminal, a notebook
and a log file); `table.rows` and `table.column(name)` give the numbers back for code and tests.
"""

from __future__ import annotations


def format_value(value, spec: str | None = None) -> str:
    """One cell as text: ints with thousands separators, floats with 4 significant digits."""
    if value is None:
        return "-"
    if spec is not None and not isinstance(value, str):
        return format(value, spec)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # nan
            return "nan"
        if value == 0:
            return "0"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.4g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)


def format_bytes(n: float) -> str:
    """1536 -> '1.5 KiB': memory figures a person can compare at a glance."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover - unreachable


class Table:
    """Rows of named values rendered as aligned plain text.

    rows:    list of dicts (missing keys print as '-')
    columns: which keys to show, in order (default: the keys of the first row)
    formats: optional {column: format spec} such as {"ms": ".3f"}
    title:   a line printed above the header
    """

    def __init__(self, rows, columns=None, formats=None, title: str | None = None):
        self.rows = [dict(r) for r in rows]
        self.columns = list(columns) if columns is not None else (list(self.rows[0]) if self.rows else [])
        self.formats = dict(formats or {})
        self.title = title

    def column(self, name: str) -> list:
        return [row.get(name) for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    def __iter__(self):
        return iter(self.rows)

    def _cell(self, row, col) -> str:
        return format_value(row.get(col), self.formats.get(col))

    def __str__(self) -> str:
        cells = [[self._cell(r, c) for c in self.columns] for r in self.rows]
        widths = [max([len(c)] + [len(line[i]) for line in cells]) for i, c in enumerate(self.columns)]
        # numbers right-aligned (digits line up), text left-aligned
        numeric = [all(isinstance(r.get(c), (int, float)) or r.get(c) is None for r in self.rows) for c in self.columns]

        def line(values):
            parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
            return "  ".join(parts).rstrip()

        out = []
        if self.title:
            out.append(self.title)
        out.append(line(self.columns))
        out.append("  ".join("-" * w for w in widths))
        out.extend(line(c) for c in cells)
        return "\n".join(out)

    __repr__ = __str__
