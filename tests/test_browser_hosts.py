"""Hosts that compress and hosts that do not: the engine's largest files are published twice
(NAME and NAME.gz, sitebuild/publish.py PACKED); the engine fetches NAME from a host that
compresses it itself and NAME.gz from any other, the offline copy keeps exactly that form from
the HTTP cache, and nothing is downloaded twice on the visit (the server's own log)."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, Response  # noqa: E402

from sitebuild import publish  # noqa: E402
from tests.browser_support import (  # noqa: E402
    OFFLINE_CACHE,
    ROOT,
    WALKTHROUGH,
    declare,
    deployment_name,
    wait_offline_ready,
    wait_ready,
)

sys.path.insert(0, str(ROOT / "bench"))
import server as bench_server  # noqa: E402  (bench/server.py: logs every request it serves)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def host(built_site: Path) -> Iterator[bench_server.StaticServer]:
    """The built site from bench/server.py: a host that compresses (brotli where the browser
    accepts it and the module is installed, else gzip) or, with `compress = False`, one that
    sends every file as it is; its log says what was asked and what was sent."""
    server, thread = bench_server.serve(built_site)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def built_wheel(site: Path, path: str) -> bytes:
    return (site / path.lstrip("/")).read_bytes()


@pytest.mark.parametrize("compress", [False, True], ids=["plain-host", "compressing-host"])
def test_engine_and_offline_copy_take_the_form_the_host_suits(
    browser: Browser, host: bench_server.StaticServer, compress: bool, built_site: Path
) -> None:
    host.compress = compress
    host.wait_idle()
    host.stats.reset()
    origin = f"http://127.0.0.1:{host.server_address[1]}"
    context = browser.new_context(base_url=origin, service_workers="allow")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(WALKTHROUGH)
        wait_ready(page)
        version = wait_offline_ready(page)
        host.wait_idle()
        with host.stats.lock:
            log = [
                (method, path, status, sent) for _, _, method, path, status, sent in host.stats.log
            ]
        pyodide = page.evaluate("new URL(window.__runbookEngine.urls.pyodide).pathname")
        wheel = page.evaluate("new URL(window.__runbookEngine.urls.wheel).pathname")
        assert publish.is_packed(wheel.rsplit("/", 1)[-1]), wheel
        packed = [pyodide + name for name in publish.PACKED] + [wheel]

        # The form each packed file came in: NAME from a compressing host, else NAME.gz.
        fetched = {(m, p) for m, p, _, _ in log}
        for path in packed:
            used, unused = (
                (path, path + publish.PACKED_SUFFIX)
                if compress
                else (path + publish.PACKED_SUFFIX, path)
            )
            assert ("GET", used) in fetched, (path, sorted(fetched))
            assert ("GET", unused) not in fetched, (path, sorted(fetched))
        # The only HEADs: the engine's question, once per packed file.
        heads = sorted(p for m, p, _, _ in log if m == "HEAD")
        assert heads == sorted(packed), heads
        # Nothing downloaded twice on this visit (the offline copy took the engine's files
        # from the HTTP cache); the packed files were sent as the host sends them.
        downloads = Counter(p for m, p, status, _ in log if m == "GET" and status == 200)
        assert [p for p, n in downloads.items() if n > 1] == [], log
        sent = {p: n for m, p, s, n in log if m == "GET" and s == 200}
        suffix = "" if compress else publish.PACKED_SUFFIX
        for name in ("pyodide.asm.wasm", "pyodide.asm.mjs"):
            size = (ROOT / "node_modules/pyodide" / name).stat().st_size
            assert sent[pyodide + name + suffix] < size / 2, (name, sent)
        assert sent[wheel + suffix] < len(built_wheel(built_site, wheel)) / 2, sent

        # The offline copy holds exactly that form of each.
        cache = deployment_name(page, OFFLINE_CACHE) + version
        cached = page.evaluate(
            """async (cache) => (await (await caches.open(cache)).keys())
                 .map((r) => new URL(r.url).pathname)""",
            cache,
        )
        for path in packed:
            assert (path in cached, path + publish.PACKED_SUFFIX in cached) == (
                compress,
                not compress,
            ), (path, cached)

        # Offline: the engine starts from the service worker's copy and works.
        from_worker: dict[str, bool] = {}

        def note(response: Response) -> None:
            name = response.url.rsplit("/", 1)[-1]
            if response.request.method == "GET" and publish.is_packed(name.split(".gz")[0]):
                from_worker[name] = response.from_service_worker

        context.on("response", note)
        context.set_offline(True)
        page.reload()
        wait_ready(page)
        declare(page, "Checkout fails after release 1.2.3")
        assert from_worker and all(from_worker.values()), from_worker
        assert all(name.endswith(".gz") != compress for name in from_worker), from_worker
        assert not errors, errors
    finally:
        context.close()
        host.compress = True
