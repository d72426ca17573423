"""Put untrusted text into markdown without letting it change the document's structure.

Every character a markdown or HTML renderer could act on is neutralised: HTML becomes entities,
inline syntax is backslash-escaped, line-start block syntax (headings, quotes, lists, fences,
rules) loses its power, and inside table cells pipes are escaped and newlines become <br>.
"""

from __future__ import annotations

import re

_INLINE = re.compile(r"([\\`*_\[\]|~])")
# C0 and C1 controls (NEL, \x85, ends a line for str.splitlines), and the Unicode line breaks.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL.sub(" ", text)


def _escape_line(line: str) -> str:
    line = "".join(_HTML.get(ch, ch) for ch in line)
    line = _INLINE.sub(r"\\\1", line)
    # Leading spaces would make an indented code block; keep them visible but inert.
    stripped = line.lstrip(" \t")
    if len(stripped) != len(line):
        line = "&#32;" + stripped if stripped else ""
    # A heading, list item, setext underline or ordered list would start at the line's start.
    if line and line[0] in "#-+=":
        line = "\\" + line
    return re.sub(r"^(\d+)([.)])", r"\1\\\2", line)


def inline(text: str) -> str:
    """One line of text for a heading, a list item or running text."""
    lines = [_escape_line(line) for line in clean(text).split("\n")]
    return " ".join(line for line in lines if line) or "—"


def cell(text: str) -> str:
    """Text for one table cell: never adds a row or a column."""
    lines = [_escape_line(line) for line in clean(text).strip("\n").split("\n")]
    return "<br>".join(lines) or "—"


def block(text: str) -> str:
    """Multi-line text as paragraphs with hard line breaks; never a heading, list or fence."""
    lines = [_escape_line(line) for line in clean(text).strip("\n").split("\n")]
    out, paragraph = [], []
    for line in lines + [""]:
        if line:
            paragraph.append(line)
        elif paragraph:
            out.append("<br>\n".join(paragraph))
            paragraph = []
    return "\n\n".join(out) or "—"
