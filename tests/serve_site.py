"""Serve built sites on 127.0.0.1 the way a static host does, with the headers the site ships.

    python tests/serve_site.py [DIRECTORY] [--port PORT] [--path /]

Each site is mounted at a path ("/" or "/runbook/"); its responses get the headers of the
`_headers` file the build wrote at its root, read as Netlify and Cloudflare Pages read it
(sitebuild.headers.HeadersFile: the types Pyodide needs, immutable caching for the hashed
folders, the Content-Security-Policy), the host's default Cache-Control elsewhere, and its
404.html for a missing path, with status 404.

Importable: `serve({path: directory}, port)` starts a threaded server in the background and
returns (server, thread); stop it with `server.shutdown(); server.server_close()`. Port 0 picks
a free port (`server.origin`). `build_site(out, site_url)` builds the site for that address:
Material's instant navigation engages only at the origin of the site_url.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from sitebuild.headers import HOST_DEFAULT_CACHE, HeadersFile  # noqa: E402

# What a host knows without being told (the site's `_headers` insists on the rest).
TYPES = {
    ".js": "text/javascript",
    ".json": "application/json",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".md": "text/markdown; charset=utf-8",
}


class SiteHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **TYPES}
    server: SiteServer

    def _mounted(self) -> tuple[str, Path] | None:
        """(the path inside the mounted site, "/walkthrough/"; its folder), or None."""
        path = unquote(urlsplit(self.path).path)
        for mount, directory in sorted(self.server.mounts.items(), key=lambda m: -len(m[0])):
            if path.startswith(mount):
                return "/" + path[len(mount) :], directory
        return None

    def translate_path(self, path: str) -> str:
        mounted = self._mounted()
        if mounted is None:
            return os.path.join(os.devnull, "not-mounted")
        inside, directory = mounted
        self.directory = str(directory)
        return super().translate_path(inside)

    def send_head(self):
        mounted = self._mounted()
        if mounted is not None and not os.path.exists(self.translate_path(self.path)):
            not_found = mounted[1] / "404.html"
            if not_found.is_file():  # as hosts do: the site's own 404 page
                body = not_found.read_bytes()
                self.send_response(404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self._site_headers("/404.html", mounted[1])
                super().end_headers()
                return io.BytesIO(body)
        return super().send_head()

    def guess_type(self, path) -> str:
        mounted = self._mounted()
        if mounted is not None:
            insisted = self.server.headers_of(mounted[1]).for_path(mounted[0])
            if "Content-Type" in insisted:
                return insisted["Content-Type"]
        return super().guess_type(path)

    def end_headers(self) -> None:
        mounted = self._mounted()
        if mounted is not None:
            self._site_headers(*mounted)
        super().end_headers()

    def _site_headers(self, path: str, directory: Path) -> None:
        found = self.server.headers_of(directory).for_path(path)
        found.setdefault("Cache-Control", HOST_DEFAULT_CACHE)
        for name, value in found.items():
            if name != "Content-Type":  # sent by send_head, from guess_type
                self.send_header(name, value)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], mounts: dict[str, Path]) -> None:
        super().__init__(address, SiteHandler)
        self.mounts = {path: Path(directory) for path, directory in mounts.items()}
        self._headers: dict[Path, tuple[float, HeadersFile]] = {}
        self._lock = threading.Lock()

    @property
    def origin(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def headers_of(self, directory: Path) -> HeadersFile:
        """The site's `_headers`, read again when it changes (a test may redeploy)."""
        path = directory / "_headers"
        mtime = path.stat().st_mtime if path.is_file() else 0.0
        with self._lock:
            cached = self._headers.get(directory)
            if cached is None or cached[0] != mtime:
                rules = HeadersFile.read(directory) if mtime else HeadersFile()
                cached = self._headers[directory] = (mtime, rules)
            return cached[1]

    def handle_error(self, request, client_address) -> None:
        # A browser that stops a download (a page closed mid-load) is not a server error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def build_site(
    out: Path, site_url: str, org: Path | None = None, generator: str = "mkdocs"
) -> str | None:
    """Build the site strictly from the working tree into `out`, for `site_url` (its address,
    "http://127.0.0.1:8123/runbook/"), with a team's `org` file if given, as `make build` does:
    the generator (mkdocs, or properdocs), then `python -m sitebuild postbuild`. None, or why
    it failed."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SITE_URL": site_url}
    if org is not None:
        env["RUNBOOK_ORG"] = str(org)
    steps = [
        [sys.executable, "-m", generator, "build", "--strict", "--quiet", "-f", "mkdocs.yml"]
        + ["-d", str(out)],
        [sys.executable, "-m", "sitebuild", "postbuild", str(out)],
    ]
    for command in steps:
        result = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, env=env, check=False
        )
        if result.returncode != 0:
            return (
                f"{' '.join(command[1:4])} failed (exit {result.returncode}):\n"
                f"{result.stderr[-4000:]}"
            )
    return None


def serve(
    mounts: dict[str, str | Path], port: int = 0, host: str = "127.0.0.1"
) -> tuple[SiteServer, threading.Thread]:
    """Serve each site folder at its path ({"/": "site"}) in a daemon thread: (server, thread).
    More may be mounted later (`server.mounts[path] = folder`)."""
    server = SiteServer((host, port), {path: Path(d) for path, d in mounts.items()})
    thread = threading.Thread(target=server.serve_forever, name="serve-site", daemon=True)
    thread.start()
    return server, thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", default="site")
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--path", default="/", help="where to mount it (default /)")
    args = parser.parse_args()
    server, thread = serve({args.path: args.directory}, args.port)
    print(f"Serving {Path(args.directory).resolve()} on {server.origin}{args.path}")
    try:
        thread.join()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
