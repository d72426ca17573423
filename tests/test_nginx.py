"""The nginx recipe on a real nginx, beside a stand-in for Debian's default site: `nginx -t`
accepts the committed deploy/nginx.conf, and two generated sites in one http block each answer
for their own host with their own headers (tests/nginx_support.py; skipped without nginx)."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

if sys.platform == "emscripten":
    pytest.skip("nginx runs beside CPython", allow_module_level=True)

from sitebuild import headers, publish  # noqa: E402
from tests import nginx_support  # noqa: E402
from tests.helpers import ROOT  # noqa: E402

pytestmark = [pytest.mark.cpython_only, nginx_support.needs_nginx]

# Two teams' sites on one nginx, each with its own policy.
SITES = {"example.org": "default-src 'self'", "docs.example.net": "default-src 'none'"}
WASM = b"\0asm" + bytes(4096)  # compressible, as the real one is


def test_committed_recipe_passes_nginx_t(tmp_path: Path) -> None:
    """deploy/nginx.conf, included in an http block beside Debian's default site, passes
    `nginx -t` with no warning (a conflicting server name is only a warning)."""
    conf = nginx_support.main_conf(tmp_path, [ROOT / "deploy" / "nginx.conf"], "80")
    result = nginx_support.check(conf)
    assert result.returncode == 0, result.stderr
    assert "[warn]" not in result.stderr and "[emerg]" not in result.stderr, result.stderr


def get(
    port: int, host: str, path: str, method: str = "GET", accept: str = ""
) -> tuple[int, dict[str, str], bytes]:
    sent = {"Host": host, **({"Accept-Encoding": accept} if accept else {})}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=sent, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_two_sites_in_one_http_block_keep_their_own_headers(tmp_path: Path) -> None:
    """Each site answers for its host name under its path with its own policy (variables named
    after the site: shared ones would give both the last site's), the types and caching of
    sitebuild/headers.py and its own 404 page; any other name still reaches the default site."""
    site = tmp_path / "site"
    (site / "pyodide" / "v1-0a1b2c3d").mkdir(parents=True)
    (site / "index.html").write_text("<p>home</p>", "utf-8")
    (site / "404.html").write_text("<p>runbook 404</p>", "utf-8")
    (site / "pyodide" / "v1-0a1b2c3d" / "pyodide.asm.wasm").write_bytes(WASM)
    (site / "pyodide" / "v1-0a1b2c3d" / "pyodide.asm.wasm.gz").write_bytes(publish.packed(WASM))
    (site / "pyodide" / "v1-0a1b2c3d" / "pyodide.mjs").write_text("export {};", "utf-8")
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "runbook").symlink_to(site)
    port = nginx_support.free_port()
    confs = []
    for host, policy in SITES.items():
        conf = tmp_path / f"{host}.conf"
        conf.write_text(
            headers.render_nginx(
                policy, "/runbook/", str(tmp_path / "www"), host, f"127.0.0.1:{port}"
            ),
            "utf-8",
        )
        confs.append(conf)
    main = nginx_support.main_conf(tmp_path, confs, f"127.0.0.1:{port}")
    result = nginx_support.check(main)
    assert result.returncode == 0 and "[warn]" not in result.stderr, result.stderr

    with nginx_support.running(main, port):
        for host, policy in SITES.items():
            status, sent, body = get(port, host, "/runbook/")
            assert (status, body) == (200, b"<p>home</p>"), host
            assert sent["Content-Security-Policy"] == policy, host
            assert sent["Cache-Control"] == headers.CACHE_REVALIDATE
            assert sent["X-Content-Type-Options"] == "nosniff"
            status, sent, _ = get(port, host, "/runbook/pyodide/v1-0a1b2c3d/pyodide.asm.wasm")
            assert status == 200 and sent["Content-Type"] == "application/wasm"
            assert sent["Cache-Control"] == headers.CACHE_IMMUTABLE
            assert sent["Content-Security-Policy"] == policy
            # The engine's two forms (sitebuild/publish.py PACKED): NAME compressed from the
            # published NAME.gz (its HEAD says so: the engine then fetches NAME), and NAME.gz as
            # opaque bytes, with no Content-Encoding (the engine unpacks it).
            wasm = "/runbook/pyodide/v1-0a1b2c3d/pyodide.asm.wasm"
            for method in ("HEAD", "GET"):
                status, sent, body = get(port, host, wasm, method, "gzip, deflate, br")
                assert sent.get("Content-Encoding") == "gzip", (method, sent)
                assert sent["Content-Type"] == "application/wasm"
                assert body == (publish.packed(WASM) if method == "GET" else b"")
            status, sent, body = get(port, host, wasm + ".gz", "GET", "gzip, deflate, br")
            assert status == 200 and "Content-Encoding" not in sent, sent
            assert body == publish.packed(WASM)
            assert sent["Cache-Control"] == headers.CACHE_IMMUTABLE
            status, sent, _ = get(port, host, "/runbook/pyodide/v1-0a1b2c3d/pyodide.mjs")
            assert sent["Content-Type"] == "text/javascript"
            status, sent, body = get(port, host, "/runbook/no/such/page/")
            assert (status, body) == (404, b"<p>runbook 404</p>")
            assert sent["Content-Security-Policy"] == policy
        status, sent, body = get(port, "unknown.example", "/runbook/")
        assert status == 404 and "Content-Security-Policy" not in sent


def test_variables_are_named_after_the_site() -> None:
    """Two sites never share a variable: host and path are both in its name."""
    names = {
        headers.nginx_variable(host, path, "csp")
        for host in ("example.org", "docs.example.org")
        for path in ("/", "/runbook/", "/runbook2/")
    }
    assert len(names) == 6
    assert headers.nginx_variable("example.org", "/runbook/", "csp") == (
        "runbook_csp_example_org_runbook"
    )
