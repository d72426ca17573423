"""The standard library the site publishes: Pyodide's python_stdlib.zip, trimmed and compiled.

Every visitor downloads the standard library before Python starts, and Python then compiles
what it imports. The engine uses a small part of it: the list of modules to keep is data
(sitebuild/stdlib-keep.txt, regenerated with `make stdlib-keep`); what is kept is compiled to
bytecode inside the same Pyodide (sitebuild/compile_stdlib.mjs). The result is cached by content
in .cache/stdlib/ and tested in the same runtime by tests/pyodide/engine_check.mjs --stdlib
(`make test-pyodide` writes it with `python -m sitebuild stdlib OUT.zip`).
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import zipfile
from pathlib import Path

from sitebuild import BuildError

HERE = Path(__file__).parent
KEEP_FILE = HERE / "stdlib-keep.txt"
COMPILER = HERE / "compile_stdlib.mjs"


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
    with (
        zipfile.ZipFile(io.BytesIO(source)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst,
    ):
        for info in src.infolist():
            if keeps(info.filename, modules, whole):
                dst.writestr(info, src.read(info.filename), zipfile.ZIP_DEFLATED, 9)
    return out.getvalue()


def published_stdlib(root: Path) -> Path:
    """The trimmed, compiled zip for the site, built once per input (Pyodide, keep list, code)."""
    source = root / "node_modules" / "pyodide" / "python_stdlib.zip"
    data = source.read_bytes()
    key = hashlib.sha256(
        data + KEEP_FILE.read_bytes() + COMPILER.read_bytes() + Path(__file__).read_bytes()
    ).hexdigest()[:16]
    target = root / ".cache" / "stdlib" / f"python_stdlib-{key}.zip"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    trimmed = target.with_suffix(".trimmed.zip")
    trimmed.write_bytes(trim(data, *read_keep_list()))
    try:
        subprocess.run(
            ["node", str(COMPILER), str(trimmed), str(target.with_suffix(".tmp"))],
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
    except FileNotFoundError:
        raise BuildError(
            "node is needed to compile the standard library: install Node 20+, then make build"
        ) from None
    except subprocess.CalledProcessError as exc:
        raise BuildError(
            f"compiling the standard library failed: {(exc.stderr or '')[-800:]}"
        ) from None
    target.with_suffix(".tmp").replace(target)
    trimmed.unlink()
    return target
