"""The walkthrough served by a real nginx with the recipe `python -m sitebuild nginx` writes,
beside a stand-in for Debian's default site: the site built for /oncall/runbook/ on nginx's
origin, the headers from the recipe alone (tests/nginx_support.py; skipped without nginx)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, expect  # noqa: E402

from sitebuild import csp, headers  # noqa: E402
from tests import nginx_support  # noqa: E402
from tests.browser_support import (  # noqa: E402
    Guard,
    declare,
    guarded,
    output,
    wait_ready,
)
from tests.serve_site import build_site  # noqa: E402

pytestmark = [pytest.mark.browser, nginx_support.needs_nginx]

PATH = "/oncall/runbook/"


@pytest.fixture(scope="module")
def nginx_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site built for nginx's origin at PATH and served by nginx with the generated recipe:
    its URL."""
    tmp = tmp_path_factory.mktemp("nginx")
    port = nginx_support.free_port()
    url = f"http://127.0.0.1:{port}{PATH}"
    site = tmp / "site"
    failure = build_site(site, url)
    if failure:
        pytest.fail(failure, pytrace=False)
    www = tmp / "www"
    (www / PATH.strip("/")).parent.mkdir(parents=True)
    (www / PATH.strip("/")).symlink_to(site)
    recipe = tmp / "runbook.conf"
    recipe.write_text(
        headers.render_nginx(
            csp.policy_for(site).header(), PATH, str(www), "127.0.0.1", f"127.0.0.1:{port}"
        ),
        "utf-8",
    )
    conf = nginx_support.main_conf(tmp, [recipe], f"127.0.0.1:{port}")
    with nginx_support.running(conf, port):
        yield url


def test_declaration_through_nginx(browser: Browser, guard: Guard, nginx_site: str) -> None:
    """On nginx, under the recipe's policy header, the engine starts and a declaration fills
    the ticket."""
    with guarded(browser, guard, nginx_site) as context:
        page = context.new_page()
        response = page.goto("./walkthrough/")
        assert response is not None and response.ok
        assert "'wasm-unsafe-eval'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == headers.CACHE_REVALIDATE
        wait_ready(page)
        declare(page, "Checkout returns HTTP 500 behind nginx")
        expect(output(page, "ticket")).to_contain_text("Checkout returns HTTP 500 behind nginx")
        # Issue 3's name for the declaration message (docs/reference/automation.md): an alias.
        declared = output(page, "declaration-message").text_content()
        expect(output(page, "declare-message")).to_have_text(declared)
