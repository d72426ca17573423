"""Trim Pyodide's python_stdlib.zip to the modules the walkthrough's engine imports.

Every visitor downloads the standard library before Python starts; the engine uses a small part
of it. The list of modules to keep is data (overrides/stdlib-keep.txt, regenerated with
`make stdlib-keep`), and the trimmed zip is tested in the same runtime by
tests/pyodide/engine_check.mjs --stdlib before the browser tests use it.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

KEEP_FILE = Path(__file__).with_name("stdlib-keep.txt")


def read_keep_list(path: Path = KEEP_FILE) -> tuple[set[str], set[str]]:
    """(modules, packages kept whole): `name` keeps a module, `name.*` a whole package."""
    modules, whole = set(), set()
    for line in path.read_text("utf-8").splitlines():
        name = line.split("#", 1)[0].strip()
        if name.endswith(".*"):
            whole.add(name[:-2])
        elif name:
            modules.add(name)
    return modules, whole


def module_name(filename: str) -> str:
    """'encodings/utf_8.py' -> 'encodings.utf_8'; 'json/__init__.py' -> 'json'."""
    stem = filename.removesuffix(".py").removesuffix(".pyc")
    parts = stem.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def keeps(filename: str, modules: set[str], whole: set[str]) -> bool:
    if filename.endswith("/"):
        return False  # directories come back implicitly with their files
    name = module_name(filename)
    top_packages = {name.rsplit(".", i)[0] for i in range(name.count(".") + 1)}
    if top_packages & whole:
        return True
    if filename.endswith((".py", ".pyc")):
        return name in modules
    return filename.rsplit("/", 1)[0].replace("/", ".") in modules  # data beside a kept module


def trim(source: bytes, modules: set[str], whole: set[str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if keeps(info.filename, modules, whole):
                dst.writestr(info, src.read(info.filename), zipfile.ZIP_DEFLATED, 9)
    return out.getvalue()


def trim_file(source: Path, target: Path, keep: Path = KEEP_FILE) -> tuple[int, int]:
    data = source.read_bytes()
    trimmed = trim(data, *read_keep_list(keep))
    target.write_bytes(trimmed)
    return len(data), len(trimmed)


if __name__ == "__main__":
    import sys

    before, after = trim_file(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"python_stdlib.zip trimmed: {before:,} -> {after:,} bytes ({sys.argv[2]})")
