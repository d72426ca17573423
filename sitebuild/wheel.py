"""The runbook_core wheel the browser gets: what the engine runs, compiled for Pyodide's Python.

The wheel built from the working tree (hatchling) is the one pip installs and the one the unit
tests run inside Pyodide; it carries the source of every module. The browser's copy, made from
it at build time:

- leaves out what only the CLI and the docs build use (`LEFT_OUT`, each with why), and the
  README that METADATA carries as its description;
- carries sourceless bytecode (`x.pyc`, no `x.py`) compiled inside the pinned Pyodide
  (compile_pyc.mjs, as for the standard library), so the page's Python imports runbook_core
  without compiling it; a traceback still names the module's file and line;
- carries the packaged data files also parsed (`runbook_core/data/parsed.jsonl`, from their
  TOML, runbook_core.datafile): tomllib is pure Python and slow under WebAssembly;
- carries the methods Python's dataclasses writes for its classes already compiled
  (`runbook_core/data/dataclass-code.marshal`, runbook_core.dataclass_code, made by
  compile_pyc.mjs in the same Pyodide): compiling them was most of the engine's first import;
- is tagged for that Python only (`cp314-none-any`: bytecode is for one Python version), lists
  its own files in RECORD, and is stored uncompressed: the web server compresses the whole file
  better than zip does file by file (as for the standard library);
- is reproducible: the same source wheel and Pyodide give the same bytes (members keep the
  source wheel's fixed dates), and publish.py names its folder after their hash.

Cached by content in .cache/wheel-browser/ (the latest only); `python -m sitebuild wheel OUT_DIR`
writes it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

from runbook_core.datafile import PARSED_FILE, parsed_lines
from sitebuild import BuildError
from sitebuild.pyc import COMPILER, compile_zip

PACKAGE = "runbook_core/"
# Package files the browser's engine never reads (runbook_core.widget and what it imports):
# tests/test_sitebuild.py checks that the widget imports none of them.
LEFT_OUT = {
    "__main__.py": "`python -m runbook_core`: the CLI",
    "cli.py": "the CLI",
    "reference.py": "the docs' reference tables: rendered by the site build, in CPython",
    "schema.py": "writes the record's JSON Schema (`make golden`)",
    "data/record.schema.json": "the record's JSON Schema: for CLI users and other tools",
}
DIST_INFO_LEFT_OUT = {"entry_points.txt": "the `runbook` command: the CLI"}
COMPRESSION = zipfile.ZIP_STORED


def python_tag(python_version: str) -> str:
    """'3.14.2' (Pyodide's lock file info) -> 'cp314'."""
    major, minor = python_version.split(".")[:2]
    return f"cp{major}{minor}"


def _kept(name: str) -> bool:
    if name.startswith(PACKAGE):
        return name.removeprefix(PACKAGE) not in LEFT_OUT
    dist_info, _, rest = name.partition(".dist-info/")
    return not (dist_info and rest in DIST_INFO_LEFT_OUT)


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def repack(name: str, compiled: bytes, tag: str) -> tuple[str, bytes]:
    """The browser's wheel from the source wheel's kept files, compiled (`compiled`, a zip in
    the source wheel's order): its file name for `tag` and its bytes, with WHEEL's tag and
    RECORD rewritten."""
    found = re.fullmatch(r"([^-]+)-([^-]+)-py3-none-any\.whl", name)
    if not found:
        raise BuildError(f"expected a pure-Python py3-none-any wheel, got {name}")
    dist_info = f"{found[1]}-{found[2]}.dist-info/"
    out, record = io.BytesIO(), []
    with (
        zipfile.ZipFile(io.BytesIO(compiled)) as source,
        zipfile.ZipFile(out, "w", COMPRESSION) as target,
    ):
        for info in source.infolist():
            if info.filename == dist_info + "RECORD":
                continue
            data = source.read(info)
            if info.filename == dist_info + "WHEEL":
                text, count = re.subn(
                    r"(?m)^Tag: py3-none-any$", f"Tag: {tag}-none-any", data.decode()
                )
                if count != 1:
                    raise BuildError(f"{name}: its WHEEL file has no single py3-none-any tag")
                data = text.encode()
            if info.filename == dist_info + "METADATA":
                data = metadata_headers(data)
            if info.filename.endswith(".py"):
                raise BuildError(f"{info.filename} was not compiled")
            member = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            member.external_attr = 0o644 << 16
            target.writestr(member, data, COMPRESSION)
            record.append(_record_line(info.filename, data))
        record.append(f"{dist_info}RECORD,,")
        member = zipfile.ZipInfo(dist_info + "RECORD", date_time=info.date_time)
        member.external_attr = 0o644 << 16
        target.writestr(member, "\n".join(record) + "\n", COMPRESSION)
    return f"{found[1]}-{found[2]}-{tag}-none-any.whl", out.getvalue()


def metadata_headers(data: bytes) -> bytes:
    """METADATA without its description (the README, after the first blank line): 13 KB the
    engine never reads; the headers keep it a valid wheel (the description is optional)."""
    headers, blank, _description = data.partition(b"\n\n")
    return headers + b"\n" if blank else data


def kept_files(data: bytes) -> bytes:
    """The source wheel's files the browser needs, as a zip in the same order (to compile),
    and the packaged data files parsed (PARSED_FILE) after the last of them."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target,
    ):
        tomls = []
        for info in source.infolist():
            if not _kept(info.filename):
                continue
            content = source.read(info)
            if info.filename.startswith(PACKAGE + "data/") and info.filename.endswith(".toml"):
                tomls.append((info.date_time, content.decode("utf-8")))
            target.writestr(info, content, zipfile.ZIP_STORED)
        if not tomls:
            raise BuildError("the source wheel has no runbook_core/data/*.toml")
        parsed = parsed_lines([text for _, text in tomls])
        member = zipfile.ZipInfo(PACKAGE + PARSED_FILE, date_time=tomls[-1][0])
        member.external_attr = 0o644 << 16
        target.writestr(member, parsed, zipfile.ZIP_STORED)
    return out.getvalue()


def browser_wheel(root: Path, name: str, data: bytes) -> tuple[str, bytes]:
    """The browser's wheel made from the source wheel (`name`, `data`), once per input (the
    source wheel, the pinned Pyodide, this code): its file name and bytes."""
    pyodide_dir = root / "node_modules" / "pyodide"
    key = hashlib.sha256(
        data
        + (pyodide_dir / "package.json").read_bytes()
        + COMPILER.read_bytes()
        + Path(__file__).read_bytes()
        + Path(__file__).with_name("pyc.py").read_bytes()
    ).hexdigest()[:16]
    cache = root / ".cache" / "wheel-browser" / key
    for cached in cache.glob("*.whl"):
        try:
            return cached.name, cached.read_bytes()
        except FileNotFoundError:  # pruned by another build meanwhile: make it again
            break
    python = json.loads((pyodide_dir / "pyodide-lock.json").read_text("utf-8"))["info"]["python"]
    compiled = compile_zip(
        root, kept_files(data), "the runbook_core wheel for the browser", PACKAGE.rstrip("/")
    )
    browser_name, browser_data = repack(name, compiled, python_tag(python))
    cache.mkdir(parents=True, exist_ok=True)
    (cache / (browser_name + ".tmp")).write_bytes(browser_data)
    (cache / (browser_name + ".tmp")).replace(cache / browser_name)
    for old in cache.parent.iterdir():  # one per source wheel: `mkdocs serve` makes many
        if old != cache:
            shutil.rmtree(old, ignore_errors=True)
    return browser_name, browser_data
