"""The methods Python's dataclasses writes for runbook_core's classes, compiled at build time.

For each class, dataclasses writes its __init__, __repr__, __eq__, __hash__ and (frozen)
__setattr__ and __delattr__ as source text, and compiles that text as the class is defined.
Under WebAssembly, compiling it was most of the engine's first import (48 classes: 48 of the
81 ms `import runbook_core.widget` took in Node). The browser's wheel (sitebuild/wheel.py)
also carries that code already compiled (CODE_FILE, written by sitebuild/compile_pyc.mjs inside
the same Pyodide: the Python that compiled it, and each text's code by the SHA-256 of the
text). A text found there was compiled from that text exactly, by this Python, so running its
code is running the text (the engine check compares them); any other text, an older file, and
everything outside the browser's wheel are compiled as before. A file that cannot be read
changes nothing but the time.
"""

from __future__ import annotations

import builtins
import dataclasses
import hashlib
import importlib
import marshal
import os
import sys
from collections.abc import Iterable
from types import CodeType
from typing import Any

CODE_FILE = "data/dataclass-code.marshal"

# What the last install() found and served (the engine check reads it): the code of how many
# texts was found compiled, and how many texts were compiled as before.
served = {"found": 0, "compiled": 0}


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def code_file(data: bytes) -> dict[bytes, CodeType] | None:
    """CODE_FILE's {text_key: code}, or None when another Python wrote it or it is damaged."""
    try:
        python, codes = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    if python != sys.version or not isinstance(codes, dict):
        return None
    if not all(isinstance(k, bytes) and isinstance(v, CodeType) for k, v in codes.items()):
        return None
    return codes


class _Installed:
    """An exec for dataclasses: a text whose code is in `codes` runs that code."""

    def __init__(self, codes: dict[bytes, CodeType]) -> None:
        self.codes = codes

    def __call__(self, source: Any, globals: Any = None, locals: Any = None, /) -> None:
        if isinstance(source, str):
            code = self.codes.get(text_key(source))
            served["found" if code is not None else "compiled"] += 1
            if code is not None:
                source = code
        builtins.exec(source, globals, locals)


def install(path: str | None = None) -> bool:
    """dataclasses runs the compiled code found in CODE_FILE (`path`: the package's own); whether
    there was any. Nothing to find (CPython, the source wheel) leaves dataclasses as it is. The
    engine's worker calls it before it imports runbook_core.widget; a Python restored from a
    snapshot has it already."""
    if isinstance(getattr(dataclasses, "exec", None), _Installed):
        return True
    path = path or os.path.join(os.path.dirname(__file__), *CODE_FILE.split("/"))
    try:
        with open(path, "rb") as file:
            codes = code_file(file.read())
    except OSError:
        return False
    if not codes:
        return False
    served.update(found=0, compiled=0)
    dataclasses.exec = _Installed(codes)  # type: ignore[attr-defined]
    return True


def collect(modules: Iterable[str]) -> bytes:
    """CODE_FILE's content for the dataclasses these modules define: each imported (first here)
    while dataclasses' texts are recorded and compiled. The build runs it in the Pyodide the
    browser runs (sitebuild/compile_pyc.mjs)."""
    codes: dict[bytes, CodeType] = {}
    run = builtins.exec

    def recording(source: Any, globals: Any = None, locals: Any = None, /) -> None:
        if isinstance(source, str):
            source = codes.setdefault(
                text_key(source), compile(source, "<string>", "exec", dont_inherit=True)
            )
        run(source, globals, locals)

    modules = list(modules)
    made = [name for name in modules if name in sys.modules]
    if made:
        raise RuntimeError(f"{', '.join(made)} imported already: their dataclasses were made")
    before = getattr(dataclasses, "exec", None)
    dataclasses.exec = recording  # type: ignore[attr-defined]
    try:
        for name in modules:
            importlib.import_module(name)
    finally:
        if before is None:
            del dataclasses.exec  # type: ignore[attr-defined]
        else:
            dataclasses.exec = before  # type: ignore[attr-defined]
    if not codes:
        raise RuntimeError("no dataclass text was recorded: has dataclasses stopped using exec?")
    return marshal.dumps((sys.version, codes))
