"""SkyPilot-style borderless tables without a prettytable dependency.

SkyPilot prints tables with prettytable (no border, left aligned, no left padding, two spaces of
right padding), i.e. columns separated by two spaces. This is the same layout in a few lines, plus
ANSI awareness: cells may be coloured (statuses) and must still line up.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

import click

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
SEPARATOR = "  "


def visible_width(text: str) -> int:
    """Terminal columns taken by ``text``: escape codes take none, wide (East Asian) chars two."""
    plain = _ANSI.sub("", text)
    width = 0
    for ch in plain:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _cell(value: object) -> str:
    if value is None:
        return "-"
    return str(value)


def format_table(headers: Sequence[str], rows: Iterable[Sequence[object]], *,
                 bold_header: bool = True) -> str:
    """Renders ``rows`` under ``headers``; ``None`` cells print as ``-``.

    Lines carry no trailing spaces. Multi-line cells are flattened to one line so a stray newline
    in, say, a command cannot break the layout.
    """
    body = [[_cell(v).replace("\n", " ") for v in row] for row in rows]
    widths = [visible_width(h) for h in headers]
    for row in body:
        if len(row) != len(headers):
            raise ValueError(f"row has {len(row)} cells, table has {len(headers)} columns")
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], visible_width(cell))

    def line(cells: Sequence[str], style_header: bool = False) -> str:
        out = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - visible_width(cell))
            shown = click.style(cell, bold=True) if style_header else cell
            out.append(shown + pad)
        return SEPARATOR.join(out).rstrip()

    lines = [line(list(headers), style_header=bold_header)]
    lines.extend(line(row) for row in body)
    return "\n".join(lines)


def truncate(text: str, max_length: int) -> str:
    """Shortens ``text`` to about ``max_length`` characters on a word boundary, adding ``...``."""
    if max_length <= 0 or len(text) <= max_length:
        return text
    words = text.split(" ")
    if len(words[0]) > max_length:
        return words[0][:max_length] + "..."
    kept: list[str] = []
    total = 0
    for word in words:
        if total + len(word) > max_length:
            break
        kept.append(word)
        total += len(word) + 1
    return " ".join(kept) + "..."
