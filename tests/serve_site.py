"""Serve a built site on 127.0.0.1 the way a static host does, with the MIME types Pyodide needs.

    python tests/serve_site.py [DIRECTORY] [--port 8000]

Importable: `serve(directory, port)` starts a threaded server in the background and returns
(server, thread); stop it with `server.shutdown(); server.server_close()`. Port 0 picks a free
port (`server.server_address[1]`); note that Material's instant navigation engages only at the
origin of `site_url` (http://127.0.0.1:8000/).
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TYPES = {
    ".wasm": "application/wasm",  # required by WebAssembly.instantiateStreaming
    ".mjs": "text/javascript",  # module workers refuse other types
    ".js": "text/javascript",
    ".json": "application/json",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".md": "text/markdown; charset=utf-8",
}


class SiteHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def end_headers(self) -> None:
        # Revalidate every time: a rebuilt site is never hidden behind a heuristic cache.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A browser that stops a download (a page closed mid-load) is not a server error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def build_site(out: Path) -> str | None:
    """Build the site strictly from the working tree into `out`: None, or why it failed."""
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(out)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    if result.returncode == 0:
        return None
    return f"mkdocs build --strict failed (exit {result.returncode}):\n{result.stderr[-4000:]}"


def serve(
    directory: str | Path, port: int = 8000, host: str = "127.0.0.1"
) -> tuple[SiteServer, threading.Thread]:
    """Serve `directory` in a daemon thread; returns (server, thread)."""
    handler = functools.partial(SiteHandler, directory=str(directory))
    server = SiteServer((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, name="serve-site", daemon=True)
    thread.start()
    return server, thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", default="site")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    server, thread = serve(args.directory, args.port)
    print(
        f"Serving {Path(args.directory).resolve()} on http://127.0.0.1:{server.server_address[1]}/"
    )
    try:
        thread.join()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
