"""The engine installs the browser's wheel from JavaScript
(docs/assets/javascripts/wheel-files.mjs): wheelFiles reads a stored zip's files exactly as
Python's zipfile does, and answers null (the engine then lets zipfile unpack it) for every zip
the build does not make."""

from __future__ import annotations

import base64
import io
import json
import shutil
import struct
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT

pytestmark = [
    pytest.mark.cpython_only,
    pytest.mark.skipif(shutil.which("node") is None, reason="needs Node"),
]

MODULE = ROOT / "docs" / "assets" / "javascripts" / "wheel-files.mjs"
# Reads base64 zips from stdin; writes, for each, null or its [path, base64] pairs, and whether
# every file's bytes are a view into the zip's own buffer (no copy).
SCRIPT = f"""
import {{ wheelFiles }} from {json.dumps(MODULE.as_uri())};
let input = "";
process.stdin.on("data", (d) => {{ input += d; }});
process.stdin.on("end", () => {{
  const out = JSON.parse(input).map((b64) => {{
    const zip = new Uint8Array(Buffer.from(b64, "base64"));
    const files = wheelFiles(zip);
    if (files === null) return null;
    return {{
      files: files.map(([path, bytes]) => [path, Buffer.from(bytes).toString("base64")]),
      views: files.every(([, bytes]) => bytes.buffer === zip.buffer),
    }};
  }});
  process.stdout.write(JSON.stringify(out));
}});
"""


def read_in_js(*zips: bytes) -> list[dict | None]:
    out = subprocess.run(
        ["node", "--input-type=module", "-e", SCRIPT],
        input=json.dumps([base64.b64encode(z).decode() for z in zips]),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def files_of(result: dict | None) -> dict[str, bytes]:
    assert result is not None, "wheelFiles refused a zip the build could make"
    assert result["views"], "wheelFiles copied bytes instead of returning views"
    files = [(path, base64.b64decode(data)) for path, data in result["files"]]
    assert len({path for path, _ in files}) == len(files)
    return dict(files)


def zipfile_reading(data: bytes) -> dict[str, bytes]:
    """What Python's zipfile extracts: every member but the folders."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist() if not i.is_dir()}


def make_zip(
    members: dict[str, bytes],
    compression: int = zipfile.ZIP_STORED,
    comment: bytes = b"",
    folders: tuple[str, ...] = (),
) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for folder in folders:
            z.mkdir(folder)
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, (2026, 1, 2, 3, 4, 6)), data, compression)
        z.comment = comment
    return out.getvalue()


NESTED = {
    "pkg/__init__.pyc": b"\x00\x01bytecode",
    "pkg/data/deep/er/file.txt": "naïve café ✓\n".encode(),
    "pkg/sub/module.pyc": bytes(range(256)) * 40,
    "pkg/sub/empty.txt": b"",
    "pkg-1.0.dist-info/RECORD": b"pkg/__init__.pyc,,\n",
    "top.txt": b"PK\x05\x06 looks like an end record, inside a file",
}


def test_reads_a_nested_stored_zip_as_zipfile_does() -> None:
    """Several members in nested folders (one empty, one with the end record's signature in its
    bytes, folder entries too): the same paths and bytes as zipfile, as views, not copies; a
    zip's comment after its end record is fine."""
    plain = make_zip(NESTED)
    with_folders = make_zip(NESTED, folders=("pkg/", "pkg/empty-folder/"))
    commented = make_zip(NESTED, comment=b"a comment")
    # (zipfile itself takes a signature inside the comment for the end record: not compared)
    tricky = make_zip(NESTED, comment=b"PK\x05\x06" + bytes(18) + b"\x05\x00PK")
    results = read_in_js(plain, with_folders, commented, tricky)
    for data, result in zip((plain, with_folders, commented), results[:3], strict=True):
        assert files_of(result) == zipfile_reading(data) == NESTED
    assert files_of(results[-1]) == NESTED


def test_an_empty_zip_has_no_files() -> None:
    """An empty zip (only its end record) is read: no files, not a refusal."""
    assert read_in_js(make_zip({})) == [{"files": [], "views": True}]


def test_reads_the_browser_wheel_the_build_makes(tmp_path: Path) -> None:
    """The browser's wheel (`python -m sitebuild wheel DIR`): every member read equals
    zipfile's reading, in the same order."""
    subprocess.run(
        [sys.executable, "-m", "sitebuild", "wheel", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = tmp_path.glob("runbook_core-*.whl")
    data = wheel.read_bytes()
    (result,) = read_in_js(data)
    files = files_of(result)
    expected = zipfile_reading(data)
    assert list(files) == list(expected)
    assert files == expected
    assert "runbook_core/widget.pyc" in files
    assert len(files) > 20


def _patched(data: bytes, signature: bytes, offset: int, value: bytes) -> bytes:
    """`data` with `value` written at `offset` from each record that starts with `signature`."""
    out = bytearray(data)
    at = out.find(signature)
    assert at >= 0
    while at >= 0:
        out[at + offset : at + offset + len(value)] = value
        at = out.find(signature, at + 1)
    return bytes(out)


def _zip64() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z, z.open("big.txt", "w", force_zip64=True) as f:
        f.write(b"small, but written with zip64 sizes")
    return out.getvalue()


def _with_end(data: bytes, **fields: int) -> bytes:
    """`data` with fields of its end record replaced (disk, entries, size, offset)."""
    at = data.rfind(b"PK\x05\x06")
    names = ("disk", "cd_disk", "disk_entries", "entries", "size", "offset")
    values = dict(zip(names, struct.unpack("<HHHHII", data[at + 4 : at + 20]), strict=True))
    values.update(fields)
    return data[: at + 4] + struct.pack("<HHHHII", *values.values()) + data[at + 20 :]


def _mixed() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("a.txt", b"a" * 50, zipfile.ZIP_STORED)
        z.writestr("b.txt", b"b" * 50, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _twice() -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w") as z:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name: made on purpose
        z.writestr("a", b"1")
        z.writestr("a", b"2")
    return out.getvalue()


GOOD = make_zip(NESTED)
LOCAL, CENTRAL = b"PK\x03\x04", b"PK\x01\x02"
REFUSED = {
    "deflated member": make_zip({"a.txt": b"text " * 100}, zipfile.ZIP_DEFLATED),
    "one deflated among stored": _mixed(),
    "zip64 member": _zip64(),
    "zip64 end record": _with_end(GOOD, offset=0xFFFFFFFF),
    "zip64 entry count": _with_end(GOOD, entries=0xFFFF, disk_entries=0xFFFF),
    "encrypted flag": _patched(_patched(GOOD, CENTRAL, 8, b"\x01\x00"), LOCAL, 6, b"\x01\x00"),
    "data descriptor flag": _patched(GOOD, CENTRAL, 8, b"\x08\x00"),
    "parent folder": make_zip({"../x": b"x"}),
    "parent folder inside": make_zip({"pkg/../../x": b"x"}),
    "absolute name": make_zip({"/abs": b"x"}),
    "empty segment": make_zip({"pkg//x": b"x"}),
    "dot segment": make_zip({"pkg/./x": b"x"}),
    "backslash": make_zip({"..\\x": b"x"}),
    "same name twice": _twice(),
    "file that is also a folder": make_zip({"pkg": b"file", "pkg/x": b"x"}),
    "truncated file": GOOD[: len(GOOD) // 2],
    "truncated end record": GOOD[:-5],
    "garbage": b"this is not a zip file at all" * 10,
    "empty bytes": b"",
    "central directory elsewhere": _with_end(GOOD, offset=1),
    "entries miscounted": _with_end(GOOD, entries=5, disk_entries=5),
    "another disk": _with_end(GOOD, disk=1),
    "local name differs": _patched(GOOD, LOCAL, 30, b"q"),
    "local size differs": _patched(GOOD, LOCAL, 18, b"\x00\x00\x00\x00"),
    "trailing bytes after the end record": GOOD + b"junk",
}


def test_refuses_every_zip_the_build_does_not_make() -> None:
    """Each zip the build never makes gives null (the engine then unpacks it with zipfile),
    never a wrong or partial list of files."""
    results = dict(zip(REFUSED, read_in_js(*REFUSED.values()), strict=True))
    assert {name: r for name, r in results.items() if r is not None} == {}


def test_the_refusals_are_refusals_of_readable_zips_or_of_broken_ones() -> None:
    """The refused zips that zipfile itself reads really are zips (so the refusal is the
    reader's rule, not an accident of a broken test case)."""
    readable = {"deflated member", "one deflated among stored", "zip64 member", "parent folder"}
    for name in readable:
        assert zipfile_reading(REFUSED[name])
