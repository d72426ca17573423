"""Python source in a zip compiled to bytecode inside the pinned Pyodide (compile_pyc.mjs).

pyodide-build cannot do it offline, and the host's Python writes bytecode for its own version:
the bytecode the browser runs must come from the browser's Python, so Node runs that Pyodide.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from sitebuild import BuildError

COMPILER = Path(__file__).with_name("compile_pyc.mjs")


def compile_zip(root: Path, source: bytes, what: str, dataclass_code: str = "") -> bytes:
    """`source` (a zip) with every .py replaced by its sourceless .pyc, stored uncompressed; with
    `dataclass_code` (a package), also the code of its dataclasses' methods (compile_pyc.mjs)."""
    with tempfile.TemporaryDirectory(prefix="runbook-pyc-") as tmp:
        given, compiled = Path(tmp) / "source.zip", Path(tmp) / "compiled.zip"
        given.write_bytes(source)
        try:
            subprocess.run(
                ["node", str(COMPILER), str(given), str(compiled)]
                + (["--dataclass-code", dataclass_code] if dataclass_code else []),
                cwd=root,  # node_modules/pyodide: the Pyodide the site publishes
                check=True,
                capture_output=True,
                text=True,
                timeout=300,
            )
        except FileNotFoundError:
            raise BuildError(
                f"node is needed to compile {what}: install Node 20+, then make build"
            ) from None
        except subprocess.CalledProcessError as exc:
            raise BuildError(f"compiling {what} failed: {(exc.stderr or '')[-800:]}") from None
        return compiled.read_bytes()
