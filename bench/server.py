"""A static host for the benchmark: the built site from memory, served as a CDN would serve it.

- MIME types Pyodide needs (application/wasm, text/javascript for .mjs/.js);
- gzip (brotli if the `brotli` module is installed) for text, JS, JSON, wasm and zip when the
  client accepts it, compressed once at start-up;
- Content-Length, keep-alive (HTTP/1.1), ETag + Last-Modified, 304 on revalidation;
- Cache-Control as the deploy recipes set it (sitebuild/headers.py, the one declaration):
  `public, max-age=31536000, immutable` for versioned or content-hashed paths (pyodide/vX.Y.Z/,
  assets/wheels/<hash>/, Material's `*.<hash>.min.*`), else `no-cache` (revalidated);
- counts the bytes it writes (headers + bodies), in total and per path, for `bytes_cold`.

    python bench/server.py DIRECTORY [--port 8000]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import mimetypes
import re
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sitebuild.headers import CONTENT_TYPES, cache_control  # noqa: E402

try:  # optional: not a dependency of the project
    import brotli
except ImportError:
    brotli = None

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".gz": "application/gzip",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    **CONTENT_TYPES,  # what the site insists on (.wasm, .mjs)
}
COMPRESSIBLE = re.compile(r"^(text/|application/(javascript|json|wasm|zip|xml)|image/svg)")
MIN_SAVING = 0.05  # keep a compressed copy only if it saves at least 5%


@dataclass
class Entry:
    body: bytes
    type: str
    etag: str  # without quotes; the encoding is appended per variant
    mtime: float
    encoded: dict[str, bytes] = field(default_factory=dict)  # "br"/"gzip" -> body


@dataclass
class Stats:
    """Bytes written since the last reset, and the requests served (for the report)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    bytes: int = 0
    by_path: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    log: list[tuple[float, float, str, str, int, int]] = field(default_factory=list)
    active: int = 0
    t0: float = field(default_factory=time.perf_counter)

    def reset(self) -> None:
        with self.lock:
            self.bytes = 0
            self.by_path = defaultdict(int)
            self.log = []
            self.t0 = time.perf_counter()


def load_files(directory: Path) -> dict[str, Entry]:
    """Every file under `directory`, keyed by URL path, compressed once where it pays."""
    files: dict[str, Entry] = {}
    for path in sorted(directory.rglob("*")):
        if not path.is_file():
            continue
        body = path.read_bytes()
        kind = (
            TYPES.get(path.suffix)
            or mimetypes.guess_type(path.name)[0]
            or "application/octet-stream"
        )
        entry = Entry(body, kind, hashlib.sha256(body).hexdigest()[:20], path.stat().st_mtime)
        if COMPRESSIBLE.match(kind) and len(body) > 256:
            variants = {"gzip": gzip.compress(body, 9, mtime=0)}
            if brotli is not None:
                variants["br"] = brotli.compress(body, quality=9 if len(body) > 1 << 20 else 11)
            for name, data in variants.items():
                if len(data) <= len(body) * (1 - MIN_SAVING):
                    entry.encoded[name] = data
        files["/" + path.relative_to(directory).as_posix()] = entry
    return files


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: StaticServer

    def setup(self) -> None:
        super().setup()
        self.wfile = _Counting(self.wfile, self)  # type: ignore[assignment]
        self.counted_path = ""
        self.status = 0
        self.sent = 0  # bytes of the current response

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:
        self.respond(head=False)

    def do_HEAD(self) -> None:
        self.respond(head=True)

    def respond(self, head: bool) -> None:
        stats = self.server.stats
        with stats.lock:
            stats.active += 1
        self.status, self.sent = 0, 0
        start = time.perf_counter()
        try:
            self._respond(head)
        finally:
            with stats.lock:
                stats.active -= 1
                stats.log.append(
                    (
                        start - stats.t0,
                        time.perf_counter() - stats.t0,
                        self.command,
                        self.counted_path,
                        self.status,
                        self.sent,
                    )
                )

    def _respond(self, head: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        self.counted_path = path
        files = self.server.files
        if path.endswith("/"):
            path += "index.html"
        entry = files.get(path)
        if entry is None and path + "/index.html" in files:
            return self.simple(301, location=path + "/")
        if entry is None:
            entry = files.get("/404.html")
            return self.send(404, entry, head, "no-store") if entry else self.simple(404)
        self.send(200, entry, head, cache_control(path.lstrip("/")))

    def send(self, status: int, entry: Entry, head: bool, cache: str) -> None:
        accepted = {
            part.split(";")[0].strip()
            for part in self.headers.get("Accept-Encoding", "").split(",")
        }
        encoding = next(
            (name for name in ("br", "gzip") if name in entry.encoded and name in accepted), None
        )
        if not self.server.compress:
            encoding = None
        body = entry.encoded[encoding] if encoding else entry.body
        etag = f'"{entry.etag}{"-" + encoding if encoding else ""}"'
        if status == 200 and self.not_modified(entry):
            status, body = 304, b""
        self.status = status
        self.send_response(status)
        self.send_header("Content-Type", entry.type)
        self.send_header("Cache-Control", cache)
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", formatdate(entry.mtime, usegmt=True))
        if entry.encoded and self.server.compress:
            self.send_header("Vary", "Accept-Encoding")
        if status != 304:
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def not_modified(self, entry: Entry) -> bool:
        tags = self.headers.get("If-None-Match")
        if tags is not None:
            # Any variant of the same content validates (nginx/CDNs compare the same way).
            wanted = {
                tag.strip().removeprefix("W/").strip('"').split("-")[0] for tag in tags.split(",")
            }
            return "*" in wanted or entry.etag in wanted
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return int(entry.mtime) <= parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError):
                return False
        return False

    def simple(self, status: int, location: str | None = None) -> None:
        self.status = status
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Counting:
    """Wraps the handler's wfile; adds every byte written to the server's counters."""

    def __init__(self, raw, handler: Handler) -> None:
        self.raw = raw
        self.handler = handler

    def write(self, data: bytes) -> int:
        stats = self.handler.server.stats
        with stats.lock:
            stats.bytes += len(data)
            stats.by_path[self.handler.counted_path or "?"] += len(data)
        self.handler.sent += len(data)
        return self.raw.write(data)

    def __getattr__(self, name: str):
        return getattr(self.raw, name)


class StaticServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], files: dict[str, Entry]) -> None:
        super().__init__(address, Handler)
        self.files = files
        self.stats = Stats()
        # False: every file as it is, as a host that does not compress (`python -m http.server`)
        self.compress = True

    def handle_error(self, request, client_address) -> None:
        # A browser that drops a download (a context closed mid-load) is not a server error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Until no request is being served (a closed page's downloads have stopped)."""
        deadline = time.monotonic() + timeout
        while self.stats.active and time.monotonic() < deadline:
            time.sleep(0.02)


def serve(
    directory: str | Path, port: int = 0, host: str = "127.0.0.1"
) -> tuple[StaticServer, threading.Thread]:
    """Load `directory` into memory and serve it in a daemon thread; returns (server, thread)."""
    server = StaticServer((host, port), load_files(Path(directory)))
    thread = threading.Thread(target=server.serve_forever, name="bench-server", daemon=True)
    thread.start()
    return server, thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    server, thread = serve(args.directory, args.port)
    print(f"Serving {Path(args.directory).resolve()} on http://127.0.0.1:{args.port}/")
    try:
        thread.join()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
