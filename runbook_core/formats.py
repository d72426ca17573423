"""Ticket formats: how each one draws headings, tables, lists and paragraphs, and escapes text.

Each format escapes untrusted text for its own renderer, so that no value can add a heading, a
row, a column, a link or markup: markdown (GitHub and GitLab issues), Jira wiki markup (Jira and
Confluence), and plain text (e-mail, any tracker).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from . import markdown as md

FORMAT_NAMES = {"markdown": "Markdown", "jira": "Jira wiki markup", "text": "Plain text"}


def _lines(text: str) -> list[str]:
    return md.clean(text).split("\n")


def _one_line(text: str) -> str:
    return " ".join(md.clean(text).split())


class Format:
    """The interface; `inline`, `cell` and `block` escape untrusted text, the rest draw structure
    from already-escaped pieces and the template's own (trusted) words."""

    name = ""
    extension = ""

    def inline(self, text: str) -> str:
        raise NotImplementedError

    def cell(self, text: str) -> str:
        raise NotImplementedError

    def block(self, text: str) -> str:
        raise NotImplementedError

    def bold(self, text: str) -> str:
        raise NotImplementedError

    def heading(self, level: int, text: str) -> str:
        raise NotImplementedError

    def paragraph(self, text: str) -> str:
        return text

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
        """A table of already-escaped cells: its head's lines, then one line per row."""
        return "\n".join([*self.table_head(header), *(self.table_row(header, r) for r in rows)])

    def table_head(self, header: Sequence[str]) -> list[str]:
        raise NotImplementedError

    def table_row(self, header: Sequence[str], row: Sequence[str]) -> str:
        raise NotImplementedError

    def no_rows(self, columns: int) -> tuple[str, ...]:
        return ("—", "none yet", *["—"] * (columns - 2))[:columns]

    def bullets(self, items: Sequence[str], tasks: bool, empty: str) -> str:
        raise NotImplementedError


class Markdown(Format):
    name, extension = "markdown", "md"

    def inline(self, text: str) -> str:
        return md.inline(text)

    def cell(self, text: str) -> str:
        return md.cell(text)

    def block(self, text: str) -> str:
        return md.block(text)

    def bold(self, text: str) -> str:
        return f"**{text}**"

    def heading(self, level: int, text: str) -> str:
        return f"{'#' * level} {text}"

    def table_head(self, header: Sequence[str]) -> list[str]:
        return ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]

    def table_row(self, header: Sequence[str], row: Sequence[str]) -> str:
        return "| " + " | ".join(row) + " |"

    def no_rows(self, columns: int) -> tuple[str, ...]:
        return ("—", "_none yet_", *["—"] * (columns - 2))[:columns]

    def bullets(self, items: Sequence[str], tasks: bool, empty: str) -> str:
        if not items:
            return f"_{md.inline(empty)}_"
        mark = "- [ ] " if tasks else "- "
        return "\n".join(mark + md.inline(item) for item in items)


# Jira wiki markup: these always act ({macro}, [link], |table|, !image!); the effect characters
# act only at a word's edge (*bold*, _italic_, -deleted-, +inserted+, ^sup^, ~sub~, ??cite??),
# so "v1.2_3" stays as typed.
_JIRA_ALWAYS = re.compile(r"([{}\[\]|!\\])")
_JIRA_EDGE = re.compile(r"(?<!\w)([*_+^~?-])|([*_+^~?-])(?!\w)")
# Line starts that make a block: h1. to h6., bq., lists (* # -), a rule (----), a table (|).
_JIRA_LINE_START = re.compile(r"^(\s*)(h[1-6]\.|bq\.)", re.IGNORECASE)


def _jira_escape(line: str) -> str:
    line = _JIRA_ALWAYS.sub(r"\\\1", line)
    line = _JIRA_EDGE.sub(lambda m: "\\" + (m.group(1) or m.group(2)), line)
    line = line.replace("#", "\\#") if line.lstrip().startswith("#") else line
    # "h1." and "bq." at a line's start have no escape character: a zero-width space breaks them.
    return _JIRA_LINE_START.sub(
        lambda m: m.group(1) + m.group(2)[0] + "\u200b" + m.group(2)[1:], line
    )


class Jira(Format):
    name, extension = "jira", "txt"

    def inline(self, text: str) -> str:
        return _jira_escape(_one_line(text)) or "—"

    def cell(self, text: str) -> str:
        # \\ is Jira's line break inside a cell; an empty cell needs a space.
        lines = [_jira_escape(line.strip()) for line in _lines(text.strip("\n"))]
        return " \\\\ ".join(line for line in lines if line) or " "

    def block(self, text: str) -> str:
        paragraphs, current = [], []
        for line in _lines(text.strip("\n")) + [""]:
            if line.strip():
                current.append(_jira_escape(line.strip()))
            elif current:
                paragraphs.append("\n".join(current))
                current = []
        return "\n\n".join(paragraphs) or "—"

    def bold(self, text: str) -> str:
        return f"*{text}*"

    def heading(self, level: int, text: str) -> str:
        return f"h{level}. {text}"

    def table_head(self, header: Sequence[str]) -> list[str]:
        return ["||" + "||".join(header) + "||"]

    def table_row(self, header: Sequence[str], row: Sequence[str]) -> str:
        return "|" + "|".join(row) + "|"

    def bullets(self, items: Sequence[str], tasks: bool, empty: str) -> str:
        if not items:
            return f"_{empty}_"
        return "\n".join("* " + self.inline(item) for item in items)


class Text(Format):
    name, extension = "text", "txt"

    def inline(self, text: str) -> str:
        return _one_line(text) or "—"

    def cell(self, text: str) -> str:
        return self.inline(text)

    def block(self, text: str) -> str:
        # Indented: no line of free text can look like a heading, its underline or a row.
        lines = [line.rstrip() for line in _lines(text.strip("\n"))]
        return "\n".join(f"    {line}" if line.strip() else "" for line in lines) or "    —"

    def bold(self, text: str) -> str:
        return text

    def heading(self, level: int, text: str) -> str:
        return f"{text}\n{('=' if level == 1 else '-') * len(text)}"

    def table_head(self, header: Sequence[str]) -> list[str]:
        return [] if len(header) == 2 else ["  " + " | ".join(header)]

    def table_row(self, header: Sequence[str], row: Sequence[str]) -> str:
        return f"  {row[0]}: {row[1]}" if len(header) == 2 else "  " + " | ".join(row)

    def bullets(self, items: Sequence[str], tasks: bool, empty: str) -> str:
        if not items:
            return f"  {empty}"
        mark = "  [ ] " if tasks else "  - "
        return "\n".join(mark + self.inline(item) for item in items)


FORMATS: dict[str, Format] = {f.name: f for f in (Markdown(), Jira(), Text())}
