"""MkDocs hooks: publish the runbook_core wheel and the self-hosted Pyodide runtime with the site.

At every build (`mkdocs build` and each `mkdocs serve` rebuild), `on_files`:

- builds the runbook_core wheel from the working tree (hatchling, in-process, reproducible) and
  publishes it under a content-hashed folder, so a page can never be served a stale wheel;
- adds only the Pyodide files the browser needs, from node_modules/pyodide, under a folder named
  after the pinned Pyodide version (immutable: a new version gets a new path); the standard
  library is the trimmed, precompiled one from stdlib_trim.py;
- leaves where they went in `config.extra["runbook_widget"]` for the `walkthrough()` macro, which
  writes them into the widget's data-* attributes relative to the page.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import tempfile
from pathlib import Path

import offline  # overrides/offline.py: MkDocs imports hooks with their folder on sys.path
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

# What the browser needs from the npm package; nothing else is published.
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
WIDGET_KEY = "runbook_widget"


def _root(config: MkDocsConfig) -> Path:
    return Path(config.config_file_path).resolve().parent


def _pyodide_version(pyodide_dir: Path) -> str:
    missing = [
        name for name in ("package.json", *PYODIDE_FILES) if not (pyodide_dir / name).is_file()
    ]
    if missing:
        raise PluginError(
            f"{pyodide_dir} is missing {', '.join(missing)}: the site publishes "
            "its own Pyodide from the npm package. Run `make setup` (npm ci)."
        )
    return json.loads((pyodide_dir / "package.json").read_text("utf-8"))["version"]


def _build_wheel(root: Path) -> tuple[str, bytes]:
    """The runbook_core wheel built from the working tree: (file name, bytes)."""
    from hatchling.builders.wheel import WheelBuilder

    with tempfile.TemporaryDirectory(prefix="runbook-wheel-") as tmp:
        try:
            built = list(WheelBuilder(str(root)).build(directory=tmp, versions=["standard"]))
        except Exception as exc:  # a broken pyproject.toml must stop the build, clearly
            raise PluginError(f"building the runbook_core wheel failed: {exc}") from exc
        if len(built) != 1 or not built[0].endswith("-none-any.whl"):
            raise PluginError(f"expected one pure-Python wheel, got {built}")
        path = Path(built[0])
        return path.name, path.read_bytes()


def _published_stdlib(root: Path) -> Path:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    try:
        from stdlib_trim import published_stdlib
    finally:
        sys.path.pop(0)
    try:
        return published_stdlib(root)
    except RuntimeError as exc:
        raise PluginError(str(exc)) from exc


# Build inputs that live beside the hooks in overrides/ (the theme folder), not site content.
BUILD_ONLY = ("compile_stdlib.mjs", "stdlib-keep.txt")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    root = _root(config)
    for name in BUILD_ONLY:
        if (built_only := files.get_file_from_path(name)) is not None:
            files.remove(built_only)
    pyodide_dir = root / "node_modules" / "pyodide"
    sources = {name: pyodide_dir / name for name in PYODIDE_FILES}
    sources["python_stdlib.zip"] = _published_stdlib(root)  # trimmed, precompiled
    # The folder is immutable: the Pyodide version, plus a hash of the one file we derive (the
    # standard library changes with stdlib-keep.txt), so caches never mix two of them.
    stdlib_hash = hashlib.sha256(sources["python_stdlib.zip"].read_bytes()).hexdigest()[:8]
    pyodide_base = f"pyodide/v{_pyodide_version(pyodide_dir)}-{stdlib_hash}/"
    for name, source in sources.items():
        files.append(File.generated(config, pyodide_base + name, abs_src_path=str(source)))

    name, data = _build_wheel(root)
    wheel = f"assets/wheels/{hashlib.sha256(data).hexdigest()[:16]}/{name}"
    files.append(File.generated(config, wheel, content=data))

    config.extra[WIDGET_KEY] = {
        "pyodide": pyodide_base,
        "wheel": wheel,
        # Site URL of every page, by docs path, for links drawn by the widget.
        "pages": {f.src_uri: f.url for f in files.documentation_pages()},
    }
    return files


def on_post_build(config: MkDocsConfig) -> None:
    # The offline service worker, sw.js at the site root, with every built file to precache.
    offline.write_service_worker(config.site_dir)


def on_serve(server, config: MkDocsConfig, builder):
    # `mkdocs serve` watches docs/ and overrides/; a change to the package must rebuild the wheel.
    server.watch(str(_root(config) / "runbook_core"))
    # The dev server guesses types with `mimetypes`; module workers and wasm need these.
    mimetypes.add_type("application/wasm", ".wasm")
    mimetypes.add_type("text/javascript", ".mjs")
    return server
