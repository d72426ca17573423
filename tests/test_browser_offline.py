"""Offline: after one visit the whole site works with the network cut (the service worker
sw.js, sitebuild/sw.js + sitebuild/offline.py), and a new deploy replaces it cleanly."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import shutil
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, BrowserContext, Page, Response, expect  # noqa: E402

from sitebuild import finish, publish  # noqa: E402
from tests.browser_support import (  # noqa: E402
    OFFLINE_CACHE,
    TIMEOUT,
    WALKTHROUGH,
    Guard,
    SiteServer,
    answer,
    assert_browser_and_cli_agree,
    decide,
    declare,
    deployment_name,
    mitigate,
    new_context,
    resolve,
    serving,
    take_command,
    wait_offline_ready,
    wait_ready,
    widget,
)

pytestmark = pytest.mark.browser

UPDATED_ORG = "Updated team"


@pytest.fixture
def sw_context(browser: Browser, site: str, guard: Guard) -> Iterator[BrowserContext]:
    """A guarded context with service workers allowed."""
    context = new_context(browser, guard, site, service_workers="allow")
    try:
        yield context
    finally:
        context.close()
    guard.check()


def cache_names(page: Page) -> list[str]:
    """The offline caches (the engine's memory snapshot has its own, see engine-worker.mjs)."""
    prefix = deployment_name(page, OFFLINE_CACHE)
    return [name for name in page.evaluate("caches.keys()") if name.startswith(prefix)]


def nav_pages(page: Page) -> list[str]:
    """Every page of the site's navigation, as absolute paths."""
    hrefs = page.evaluate("""() => [...document.querySelectorAll(
        ".md-sidebar--primary a.md-nav__link[href]")].map((a) => new URL(a.href).pathname)""")
    return sorted(set(hrefs))


def instant_to(page: Page, path: str) -> None:
    """Follow the primary navigation's link to `path` (Material's instant navigation)."""
    link = page.locator(f'.md-sidebar--primary a.md-nav__link[href$="{path.lstrip("/")}"]')
    if path == "/":
        link = page.locator(".md-sidebar--primary a.md-nav__link").first
    link.first.dispatch_event("click")  # nested sections may be collapsed: no visibility check
    expect(page).to_have_url(re.compile(re.escape(path) + r"(#[\w-]*)?$"))
    expect(page.locator("article h1").first).to_be_visible()


def test_whole_site_works_offline_after_one_visit(
    sw_context: BrowserContext, guard: Guard, tmp_path: Path
) -> None:
    """One visit (home, walkthrough), then the network cut: a reload, every page by instant
    navigation and by direct load, a walkthrough from declaration to resolution, copy and
    export all work, the engine's files coming from the service worker."""
    page = sw_context.new_page()
    page.goto("/")
    page.goto(WALKTHROUGH)
    wait_ready(page)
    version = wait_offline_ready(page)
    assert cache_names(page) == [deployment_name(page, OFFLINE_CACHE) + version]
    expect(widget(page).locator("[data-offline-note]")).to_be_visible()

    from_worker: dict[str, bool] = {}

    def note(response: Response) -> None:
        if response.request.method == "GET" and re.search(r"\.(gz|whl|asm\.mjs)$", response.url):
            from_worker[response.url.rsplit("/", 1)[-1]] = response.from_service_worker

    sw_context.on("response", note)
    sw_context.set_offline(True)
    page.reload()
    wait_ready(page)
    assert page.evaluate("navigator.onLine") is False
    assert page.evaluate("window.__runbookEngine.info.version")
    # Packed, as the engine took them from this host (no compression); Pyodide's JavaScript
    # as it is, since this host's policy allows no blob: script (engine-worker.mjs packedModule).
    assert sorted(from_worker) == [
        "pyodide.asm.mjs",
        "pyodide.asm.wasm.gz",
        "python_stdlib.zip.gz",
        page.evaluate("window.__runbookEngine.urls.wheel").rsplit("/", 1)[-1] + ".gz",
    ]
    assert all(from_worker.values()), from_worker
    # The engine checks its files with HEAD first: answered from the cache, with the headers.
    head = page.evaluate("""() => fetch(window.__runbookEngine.urls.pyodide +
        "pyodide.asm.wasm.gz", { method: "HEAD" }).then((r) => [r.status,
        r.headers.get("content-type")])""")
    assert head == [200, "application/gzip"]  # as the host sent it; the engine unpacks it
    ranged = page.evaluate("""() => fetch(window.__runbookEngine.urls.wheel + ".gz",
        { headers: { Range: "bytes=0-3" } }).then(async (r) =>
        [r.status, r.headers.get("content-range")?.split("/")[0], (await r.text()).length])""")
    assert ranged == [206, "bytes 0-3", 4]

    pages = nav_pages(page)
    assert len(pages) >= 7 and WALKTHROUGH in pages, pages
    page.evaluate("window.__sameDocument = true")
    for path in pages:
        instant_to(page, path)
    instant_to(page, WALKTHROUGH)
    wait_ready(page)
    assert page.evaluate("window.__sameDocument") is True, "a page was reloaded"
    for path in pages:
        page.goto(path)
        expect(page.locator("article h1").first).to_be_visible()
    search = page.evaluate("fetch('/search/search_index.json').then((r) => r.json())")
    assert len(search["docs"]) > 10

    page.goto(WALKTHROUGH)
    wait_ready(page)
    declare(page, "Checkout fails while offline")
    take_command(page, "Sam Okafor")
    answer(page, scope="subset", data_loss="no", degradation="critical")
    decide(page, "roll_back")
    mitigate(page, "succeeded", "Rolled back to the previous release.")
    resolve(page, "Rolled back; checkout works again.", "no")
    ticket = assert_browser_and_cli_agree(page, tmp_path)  # copy (clipboard) and export
    assert "Checkout fails while offline" in ticket
    assert page.evaluate("navigator.onLine") is False


# ------------------------------------------------------------------------------------ update


def redeploy_with_new_wheel(site: Path, out: Path) -> str:
    """A copy of the built site whose wheel differs (org.toml's organisation), as a deploy
    would publish it: a new hash folder, the page pointing at it, a new sw.js. The new wheel's
    URL path."""
    shutil.copytree(site, out)
    (old,) = out.glob("assets/wheels/*/*.whl")
    member = "runbook_core/data/org.toml"
    buffer = io.BytesIO()
    with zipfile.ZipFile(old) as source, zipfile.ZipFile(buffer, "w") as target:
        toml = source.read(member).decode("utf-8")
        assert 'organisation = "Our team"' in toml
        toml = toml.replace('organisation = "Our team"', f'organisation = "{UPDATED_ORG}"')
        data = toml.encode("utf-8")
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        for info in source.infolist():
            content = source.read(info)
            if info.filename == member:
                content = data
            elif info.filename.endswith(".dist-info/RECORD"):
                content = re.sub(
                    rf"^{re.escape(member)},.*$",
                    f"{member},sha256={digest},{len(data)}",
                    content.decode("utf-8"),
                    flags=re.M,
                ).encode("utf-8")
            target.writestr(info, content)
    wheel = buffer.getvalue()
    old_folder = old.parent.relative_to(out).as_posix()
    new_folder = f"assets/wheels/{hashlib.sha256(wheel).hexdigest()[:16]}"
    (out / new_folder).mkdir()
    (out / new_folder / old.name).write_bytes(wheel)
    packed = out / new_folder / (old.name + publish.PACKED_SUFFIX)  # its packed form too
    packed.write_bytes(publish.packed(wheel))
    shutil.rmtree(old.parent)
    for html in out.rglob("*.html"):
        text = html.read_text("utf-8")
        if old_folder in text:
            html.write_text(text.replace(old_folder, new_folder), "utf-8")
    # Built with a team's org file (RUNBOOK_ORG), its words override the wheel's: change it too.
    for org in out.glob("assets/org/*/org.toml"):
        text = re.sub(
            r"^organisation = .*$", f'organisation = "{UPDATED_ORG}"', org.read_text(), flags=re.M
        )
        org.write_text(text, "utf-8")
    finish(out)  # the build's last steps: the policy and _headers, then sw.js
    return f"/{new_folder}/{old.name}"


def test_new_deploy_replaces_the_cache_and_never_mixes_versions(
    sw_context: BrowserContext, site_server: SiteServer, built_site: Path, tmp_path: Path
) -> None:
    """After a deploy with a new wheel, a reload shows the new page with the new wheel (never
    the old wheel), the new version caches itself and the old cache is deleted; offline, the
    new version is what is served."""
    new_wheel = redeploy_with_new_wheel(built_site, tmp_path / "site-v2")
    page = sw_context.new_page()
    page.goto(WALKTHROUGH)
    wait_ready(page)
    old_version = wait_offline_ready(page)
    old_wheel = page.evaluate("new URL(window.__runbookEngine.urls.wheel).pathname")
    assert old_wheel != new_wheel

    with serving(site_server, tmp_path / "site-v2"):
        page.reload()
        wait_ready(page)
        assert page.evaluate("new URL(window.__runbookEngine.urls.wheel).pathname") == new_wheel
        assert page.evaluate("window.__runbookEngine.info.org.organisation") == UPDATED_ORG
        page.wait_for_function(
            "(old) => window.__runbookOffline.version && window.__runbookOffline.version !== old",
            arg=old_version,
            timeout=60_000,
        )
        new_version = wait_offline_ready(page)
        prefix = deployment_name(page, OFFLINE_CACHE)
        page.wait_for_function(
            "([prefix, name]) => caches.keys().then((k) => k.filter((n) => n.startsWith(prefix))"
            ".join() === name)",
            arg=[prefix, prefix + new_version],
            timeout=TIMEOUT,
        )
        cached = page.evaluate(
            """(wheels) => Promise.all(wheels.map(async (w) =>  // either form (is_packed)
                 Boolean((await caches.match(w)) || (await caches.match(w + ".gz")))))""",
            [old_wheel, new_wheel],
        )
        assert cached == [False, True]

        sw_context.set_offline(True)
        page.reload()
        wait_ready(page)
        assert page.evaluate("new URL(window.__runbookEngine.urls.wheel).pathname") == new_wheel
        assert page.evaluate("window.__runbookEngine.info.org.organisation") == UPDATED_ORG
        sw_context.set_offline(False)
