"""runbook_core.dataclass_code: the code of the methods dataclasses writes, compiled ahead (the
browser's wheel carries it, sitebuild/compile_pyc.mjs) and run instead of compiling each text; a
text not found, a file of another Python, a damaged or missing file: compiled as before. The
real wheel's file is checked in Pyodide by tests/pyodide/engine_check.mjs (every text found,
each code the text's)."""

from __future__ import annotations

import dataclasses
import importlib
import marshal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from runbook_core import dataclass_code

CLASSES = """
from dataclasses import dataclass, field

@dataclass(frozen=True)
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)

@dataclass(frozen=True)
class Label:
    text: str
"""
# The same classes, and one more whose text no file holds.
MORE = (
    CLASSES
    + """
@dataclass(frozen=True)
class Unseen:
    a: int
    b: str
    c: float
"""
)


@pytest.fixture
def modules(tmp_path: Path) -> Iterator[Path]:
    """A folder on sys.path for the modules a test writes; dataclasses as it was, after."""
    sys.path.insert(0, str(tmp_path))
    before = dataclasses.__dict__.get("exec")
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n.startswith("dc_case_")]:
        del sys.modules[name]
    if before is None:
        dataclasses.__dict__.pop("exec", None)
    else:
        dataclasses.exec = before  # type: ignore[attr-defined]
    importlib.invalidate_caches()


def module(folder: Path, name: str, source: str):
    (folder / f"{name}.py").write_text(source, "utf-8")
    importlib.invalidate_caches()
    return importlib.import_module(name)


def written(folder: Path, source: str) -> Path:
    """CODE_FILE's content for `source`'s classes, written to a file."""
    (folder / "dc_case_collected.py").write_text(source, "utf-8")
    importlib.invalidate_caches()
    path = folder / "code.marshal"
    path.write_bytes(dataclass_code.collect(["dc_case_collected"]))
    return path


def test_the_classes_run_the_compiled_code_and_behave_the_same(modules: Path) -> None:
    path = written(modules, CLASSES)
    python, codes = marshal.loads(path.read_bytes())
    # A text per class (Python 3.14's dataclasses; a text per method in older ones).
    assert python == sys.version and len(codes) >= 2
    assert "exec" not in dataclasses.__dict__  # collect put dataclasses back as it was
    assert dataclass_code.install(str(path))
    served = module(modules, "dc_case_served", MORE)
    found, compiled = dataclass_code.served["found"], dataclass_code.served["compiled"]
    assert found == len(codes) and compiled >= 1  # Unseen: compiled as before
    plain = module(modules, "dc_case_plain_again", MORE.replace("Point", "P2"))
    # What each class does is what dataclasses' own compiled text does.
    for point in (served.Point, plain.P2):
        a = point(1, tags=("x",))
        assert a == point(1, 0, ("x",)) and a != point(2) and hash(a) == hash(point(1, 0, ("x",)))
        assert repr(a).endswith("(x=1, y=0, tags=('x',))")
        with pytest.raises(dataclasses.FrozenInstanceError):
            a.x = 3  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            del a.y  # type: ignore[misc]
        with pytest.raises(TypeError):
            point()  # type: ignore[call-arg]
    assert served.Unseen(1, "b", 2.0).b == "b"
    assert dataclass_code.install(str(path))  # installed already: nothing read again


def test_a_file_of_another_python_or_damaged_or_missing_changes_nothing(modules: Path) -> None:
    path = written(modules, CLASSES)
    python, codes = marshal.loads(path.read_bytes())
    cases = {
        "another Python": marshal.dumps(("3.99.0 (elsewhere)", codes)),
        "damaged": path.read_bytes()[:-200],
        "not marshal": b"\x00\xff" * 50,
        "empty": b"",
        "keys not digests": marshal.dumps((python, {"text": next(iter(codes.values()))})),
        "values not code": marshal.dumps((python, dict.fromkeys(codes, b"code"))),
        "not a pair": marshal.dumps([python, codes, 3]),
    }
    for why, data in cases.items():
        assert dataclass_code.code_file(data) is None, why
        path.write_bytes(data)
        assert not dataclass_code.install(str(path)), why
        assert "exec" not in dataclasses.__dict__, why
    assert not dataclass_code.install(str(modules / "missing.marshal"))
    assert not dataclass_code.install(str(modules))  # a folder
    assert "exec" not in dataclasses.__dict__


def test_the_source_package_has_no_file_and_collect_refuses_what_is_imported(
    modules: Path,
) -> None:
    """Outside the browser's wheel (CPython, the source wheel) there is nothing to install; and
    collect cannot record classes made before it was called."""
    assert not (Path(dataclass_code.__file__).parent / dataclass_code.CODE_FILE).exists()
    assert not dataclass_code.install()
    with pytest.raises(RuntimeError, match="runbook_core.record imported already"):
        dataclass_code.collect(["runbook_core.record"])
    (modules / "dc_case_none.py").write_text("X = 1\n", "utf-8")
    importlib.invalidate_caches()
    with pytest.raises(RuntimeError, match="no dataclass text was recorded"):
        dataclass_code.collect(["dc_case_none"])
