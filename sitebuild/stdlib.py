"""The standard library the site publishes: Pyodide's python_stdlib.zip, trimmed and compiled.

Every visitor downloads the standard library before Python starts, and Python then compiles
what it imports. The engine uses a small part of it: the list of modules to keep is data
(sitebuild/stdlib-keep.txt, regenerated with `make stdlib-keep`); what is kept is compiled to
bytecode inside the same Pyodide (sitebuild/compile_pyc.mjs). The result is cached by content
in .cache/stdlib/ and tested in the same runtime by tests/pyodide/engine_check.mjs --stdlib
(`make test-pyodide` writes it with `python -m sitebuild stdlib OUT.zip`).

The load benchmark's floor and peer install the same wheel with Pyodide's loadPackage, which
imports modules the engine never does (tarfile, email, importlib.metadata: 41 KB brotli). The
site does not publish those; the benchmark gives its floor and peer this zip with them added
(`--also bench/stdlib-loadpackage.txt`, also written by `make stdlib-keep`), the very zip the
site published before, so its yardsticks download what they did.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from sitebuild.pyc import COMPILER, compile_zip

HERE = Path(__file__).parent
KEEP_FILE = HERE / "stdlib-keep.txt"


def read_keep_list(path: Path = KEEP_FILE) -> set[str]:
    """The modules to keep, one a line ('#' starts a comment)."""
    lines = path.read_text("utf-8").splitlines()
    return {name for line in lines if (name := line.split("#", 1)[0].strip())}


def module_name(filename: str) -> str:
    """'encodings/utf_8.py' -> 'encodings.utf_8'; 'json/__init__.py' -> 'json'."""
    stem = filename.removesuffix(".py").removesuffix(".pyc")
    parts = stem.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def keeps(filename: str, modules: set[str]) -> bool:
    """Only kept modules: no directory entries, no data (no kept module reads any)."""
    return filename.endswith(".py") and module_name(filename) in modules


def trim(source: bytes, modules: set[str]) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(source)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst,
    ):
        for info in src.infolist():
            if keeps(info.filename, modules):
                dst.writestr(info, src.read(info.filename), zipfile.ZIP_DEFLATED, 9)
    return out.getvalue()


def published_stdlib(root: Path, also: Path | None = None) -> Path:
    """The trimmed, compiled zip for the site, built once per input (Pyodide, keep list, code);
    with `also`, a keep list whose modules are kept too (the benchmark's floor and peer)."""
    source = root / "node_modules" / "pyodide" / "python_stdlib.zip"
    data = source.read_bytes()
    extra = also.read_bytes() if also else b""
    key = hashlib.sha256(
        data + KEEP_FILE.read_bytes() + extra + COMPILER.read_bytes() + Path(__file__).read_bytes()
    ).hexdigest()[:16]
    target = root / ".cache" / "stdlib" / f"python_stdlib-{key}.zip"
    if target.is_file():
        return target
    modules = read_keep_list() | (read_keep_list(also) if also else set())
    compiled = compile_zip(root, trim(data, modules), "the standard library")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.with_suffix(".tmp").write_bytes(compiled)
    target.with_suffix(".tmp").replace(target)
    return target
