"""A data file's TOML, parsed: the one way the package reads TOML.

tomllib is pure Python, and slow under WebAssembly (the engine's first render spent most of its
time in it). The browser's wheel (sitebuild/wheel.py) also carries every packaged data file
already parsed, as JSON (PARSED_FILE: one line per file, the SHA-256 of its text, a tab, its
parsed form), written at build time from the same files. A text found there is that file
exactly, so its parsed form is the one tomllib gives (tests/test_datafile.py); any other text (a
team's org file, the source wheel's files, a test's) is parsed here as before.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib.resources import files
from typing import Any

PARSED_FILE = "data/parsed.jsonl"


class TOMLError(ValueError):
    """Not valid TOML: tomllib's own message."""


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def _parsed() -> dict[str, str]:
    """{text_key: parsed form as JSON}: empty outside the browser's wheel."""
    try:
        lines = files("runbook_core").joinpath(PARSED_FILE).read_text("utf-8").splitlines()
    except FileNotFoundError:
        return {}
    return dict(line.split("\t", 1) for line in lines if line)


def loads(text: str) -> dict[str, Any]:
    """tomllib.loads(text), a new object every call (callers may change it)."""
    kept = _parsed().get(text_key(text)) if _parsed() else None
    if kept is not None:
        parsed: dict[str, Any] = json.loads(kept)
        return parsed
    import tomllib  # only for a text not parsed at build time

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TOMLError(str(exc)) from None


def parsed_lines(texts: list[str]) -> str:
    """PARSED_FILE's content for these TOML texts (the build writes it into the browser's
    wheel, from the packaged data files)."""
    import tomllib

    return "".join(
        text_key(text)
        + "\t"
        + json.dumps(tomllib.loads(text), ensure_ascii=False, separators=(",", ":"))
        + "\n"
        for text in texts
    )
