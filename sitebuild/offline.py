"""The offline service worker: `sw.js` at the site root, with this build's precache manifest.

After each build (last: it hashes the final files), `write_service_worker` writes the template
sitebuild/sw.js to the site root, so its scope is the whole site, with, in place of its manifest
placeholder, every built file — its URL relative to the site root (a page as its folder,
`walkthrough/`) and its SHA-256 as a Subresource Integrity string —, a version (the hash of
them all), the immutable paths of headers.py and the engine's files published in two forms
(publish.py is_packed: NAME and NAME.gz), of which the worker caches only the one the page used.
A deploy that changes any file is a new `sw.js`, so browsers install it and cache exactly that
build. Every visit fetches `sw.js`: it is minified (minify.py; 4.4 KB brotli as written, 2.2 KB
minified, the manifest aside), its manifest kept JSON, with `sw.js.map` beside it whose source is
the template with the manifest; the dev server (minify=False) serves it as written.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sitebuild import BuildError, headers, minify, publish

SERVICE_WORKER = "sw.js"
TEMPLATE = Path(__file__).with_name(SERVICE_WORKER)
PLACEHOLDER = "/* precache manifest, written by sitebuild/offline.py */ null"
# Only developer tools (source maps) and crawlers (the gzipped sitemap) fetch these; the host
# reads `_headers` and does not serve it. (The engine's packed .gz files are cached: it uses them.)
NOT_CACHED = ("*.map", "sitemap.xml.gz", headers.HEADERS_FILE)
# Material's search worker loads its lunr language support only for languages other than English.
LUNR_LANGUAGES = "assets/javascripts/lunr/*"


def _url(path: str) -> str:
    """The URL a browser asks for, relative to the site root: a page is its folder."""
    if path == "index.html" or path.endswith("/index.html"):
        path = path[: -len("index.html")]
    return quote(path, safe="/")


def _not_cached(site_dir: Path) -> tuple[str, ...]:
    try:
        index = json.loads((site_dir / "search" / "search_index.json").read_text("utf-8"))
        english_only = index["config"]["lang"] == ["en"]
    except (OSError, ValueError, KeyError, TypeError):
        english_only = False
    return (*NOT_CACHED, LUNR_LANGUAGES) if english_only else NOT_CACHED


def manifest(site_dir: Path) -> dict[str, Any]:
    """{"version": hash of all entries, "files": [[url, integrity], ...] (sorted by path),
    "immutable": [regex, ...], "either": [[url of NAME, url of NAME.gz], ...]}."""
    skip = _not_cached(site_dir)
    files = []
    for file in sorted(site_dir.rglob("*")):
        path = file.relative_to(site_dir).as_posix()
        if not file.is_file() or path == SERVICE_WORKER:
            continue
        if any(fnmatch.fnmatch(path, pattern) for pattern in skip):
            continue
        data = file.read_bytes()
        digest = base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")
        files.append([_url(path), f"sha256-{digest}"])
    version = hashlib.sha256(json.dumps(files).encode("utf-8")).hexdigest()[:16]
    urls = {url for url, _ in files}
    either = [
        [url, url + publish.PACKED_SUFFIX]
        for url in sorted(urls)
        if publish.is_packed(url.rsplit("/", 1)[-1]) and url + publish.PACKED_SUFFIX in urls
    ]
    return {
        "version": version,
        "files": files,
        "immutable": list(headers.IMMUTABLE_PATHS),
        "either": either,
    }


MANIFEST_AT = re.compile(r"\bconst MANIFEST ?= ?")


def read_manifest(code: str) -> dict[str, Any]:
    """The manifest a written sw.js carries (minified or not), as `manifest` returned it."""
    found = MANIFEST_AT.search(code)
    if not found:
        raise BuildError("this sw.js declares no MANIFEST: write it (python -m sitebuild offline)")
    value, _ = json.JSONDecoder().raw_decode(code, found.end())
    if not isinstance(value, dict):
        raise BuildError("this sw.js has no manifest written in: python -m sitebuild offline")
    return value


def write_service_worker(site_dir: str | Path, *, minified: bool = True) -> str:
    """Writes the manifest into site_dir/sw.js, minified with sw.js.map beside it unless
    minified=False; returns the version."""
    site_dir = Path(site_dir)
    source = TEMPLATE.read_text("utf-8")
    if source.count(PLACEHOLDER) != 1:
        raise BuildError(f"{TEMPLATE} must contain {PLACEHOLDER!r} exactly once")
    built = manifest(site_dir)
    code = source.replace(PLACEHOLDER, json.dumps(built, separators=(",", ":")))
    target = site_dir / SERVICE_WORKER
    source_map = target.with_name(target.name + minify.MAP_SUFFIX)
    source_map.unlink(missing_ok=True)  # an earlier build's
    if minified:
        # A classic script: its top-level names stay (module=False).
        (done,) = minify.minify_code([(SERVICE_WORKER, code)], module=False, json_literals=True)
        code = done.code
        source_map.write_text(done.map, "utf-8")
    target.write_text(code, "utf-8")
    return str(built["version"])
