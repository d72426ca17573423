"""The site deployed under a path, as the recipes serve it: the headers of its `_headers` file
(the Content-Security-Policy enforced, as header and as <meta>), a whole incident, search, the
palette and the 404 page; two deployments on one origin keep their own data; a policy that
blocks the engine is named in the widget."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, BrowserContext, Page, Response, Route, expect  # noqa: E402

from runbook_core import load_org  # noqa: E402
from runbook_core.ticket import load_template  # noqa: E402
from sitebuild.headers import HeadersFile  # noqa: E402
from tests.browser_support import (  # noqa: E402
    OFFLINE_CACHE,
    WALKTHROUGH,
    Guard,
    SiteServer,
    answer,
    bar,
    decide,
    declare,
    deployment_name,
    empty_server,
    guarded,
    in_site,
    mitigate,
    mount_site,
    open_walkthrough,
    stored_record,
    take_command,
    wait_offline_ready,
    wait_ready,
    whole_incident,
    widget,
)
from tests.helpers import ROOT  # noqa: E402

pytestmark = pytest.mark.browser

SUB_PATH, OTHER_PATH = "/runbook/", "/runbook2/"
# A team with its own words and its own ticket template (an added section).
SECOND_ORG = ROOT / "tests" / "data" / "acme" / "org.toml"


@pytest.fixture(scope="module")
def pages_server() -> Iterator[SiteServer]:
    """An origin of project sites, as GitHub Pages gives an organisation (org.github.io/NAME/),
    on a free port: the sites are mounted by path. Not the root site's origin, whose own
    runbook/ folder the /runbook/ deployment would hide."""
    with empty_server() as server:
        yield server


@pytest.fixture(scope="module")
def runbook_site(pages_server: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The site built for, and served at, /runbook/: its URL."""
    return mount_site(pages_server, SUB_PATH, tmp_path_factory.mktemp("runbook"))


@pytest.fixture(scope="module")
def runbook2_site(pages_server: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A second deployment on the same origin, at /runbook2/ (another build: its own version),
    by another team: built with its own org file (RUNBOOK_ORG)."""
    return mount_site(pages_server, OTHER_PATH, tmp_path_factory.mktemp("runbook2"), SECOND_ORG)


@pytest.fixture
def sub_context(browser: Browser, guard: Guard, runbook_site: str) -> Iterator[BrowserContext]:
    with guarded(browser, guard, runbook_site, color_scheme="light") as context:
        yield context


def shipped_headers(site_server: SiteServer, path: str) -> HeadersFile:
    return HeadersFile.read(site_server.mounts[path])


def test_whole_incident_under_a_path_with_the_recipe_headers(
    sub_context: BrowserContext, guard: Guard, pages_server: SiteServer
) -> None:
    """At /runbook/, served with the headers of the shipped `_headers` (the CSP enforced by
    header and by <meta>), the walkthrough runs a whole incident and copies its ticket, with no
    policy violation."""
    responses: dict[str, Response] = {}
    sub_context.on("response", lambda r: responses.setdefault(r.url.split("?")[0], r))
    page = sub_context.new_page()
    open_walkthrough(page)
    assert page.url.endswith(f"{SUB_PATH}walkthrough/")

    shipped = shipped_headers(pages_server, SUB_PATH)
    policy = shipped.for_path(WALKTHROUGH)["Content-Security-Policy"]
    assert "script-src 'self' 'wasm-unsafe-eval' 'sha256-" in policy
    document = responses[page.url]
    assert document.header_value("content-security-policy") == policy
    meta = page.locator('meta[http-equiv="Content-Security-Policy"]')
    assert meta.get_attribute("content") == policy.replace("; frame-ancestors 'none'", "")
    engine = page.evaluate("window.__runbookEngine.urls")
    wasm = responses[engine["pyodide"] + "pyodide.asm.wasm.gz"]  # packed: the worker unpacks it
    assert wasm.header_value("content-encoding") is None  # sent as it is, never compressed again
    assert wasm.header_value("cache-control") == "public, max-age=31536000, immutable"
    # This policy allows no blob: script: Pyodide's JavaScript is imported as it is, never
    # unpacked from its .gz (engine-worker.mjs packedModule), and nothing is refused.
    assert engine["pyodide"] + "pyodide.asm.mjs" in responses
    assert engine["pyodide"] + "pyodide.asm.mjs.gz" not in responses
    worker = responses[engine["worker"]]
    assert worker.header_value("content-type") == "text/javascript"
    assert worker.header_value("content-security-policy") == policy  # the worker's own policy

    ticket = whole_incident(page, "Checkout fails under /runbook/")
    assert "Checkout fails under /runbook/" in ticket
    assert guard.csp_violations == []


def test_search_and_palette_work_under_the_policy(
    sub_context: BrowserContext, runbook_site: str
) -> None:
    """Material's search (its worker) and palette toggle (its inline scripts, allowed by hash)
    work under the enforced policy; the chosen scheme survives a reload."""
    page = sub_context.new_page()
    page.goto(in_site("/"))
    query = page.locator(".md-search__input")
    query.click()
    query.press_sequentially("rollback", delay=30)  # Material searches as keys are typed
    first_result = page.locator(".md-search-result__item a").first
    expect(first_result).to_have_attribute("href", re.compile("^" + re.escape(runbook_site)))
    page.keyboard.press("Escape")

    body = page.locator("body")
    expect(body).to_have_attribute("data-md-color-scheme", "default")
    page.locator('label[title="Switch to dark mode"]').click()
    expect(body).to_have_attribute("data-md-color-scheme", "slate")
    page.reload()
    expect(body).to_have_attribute("data-md-color-scheme", "slate")


def test_404_page_works_for_any_missing_path(sub_context: BrowserContext, guard: Guard) -> None:
    """A missing path under /runbook/ gets the site's 404 page, styled, its links into the
    site working."""
    guard.allowed_console.append(r"status of 404 \(Not Found\)$")  # the page's own status
    page = sub_context.new_page()
    response = page.goto(in_site("/no/such/page/"))
    assert response is not None and response.status == 404
    expect(page.locator("article h1")).to_have_text("404 - Not found")
    background = page.evaluate("getComputedStyle(document.querySelector('.md-header')).position")
    assert background == "sticky"  # Material's stylesheet loaded from /runbook/assets/
    page.locator(".md-sidebar--primary a.md-nav__link", has_text="Walkthrough").first.click()
    wait_ready(page)
    assert page.url.endswith(f"{SUB_PATH}walkthrough/")


def test_two_deployments_on_one_origin_keep_their_own_data(
    browser: Browser, guard: Guard, runbook_site: str, runbook2_site: str
) -> None:
    """/runbook/ and /runbook2/ on one origin: an incident declared on one is not on the other,
    and the second's service worker leaves the first's offline cache (and snapshot) alone."""
    with guarded(browser, guard, runbook_site, service_workers="allow") as context:
        first = context.new_page()
        open_walkthrough(first)
        declare(first, "Checkout fails on the first deployment")
        first_cache = deployment_name(first, OFFLINE_CACHE) + wait_offline_ready(first)

        second = context.new_page()
        second.goto(runbook2_site + WALKTHROUGH.lstrip("/"))
        wait_ready(second)
        expect(widget(second)).to_have_attribute("data-declared", "false")
        assert stored_record(second) is None
        second_cache = deployment_name(second, OFFLINE_CACHE) + wait_offline_ready(second)
        assert first_cache.startswith(SUB_PATH) and second_cache.startswith(OTHER_PATH)
        assert first_cache.removeprefix(SUB_PATH) != second_cache.removeprefix(OTHER_PATH)

        snapshots = [deployment_name(p, "runbook-engine-snapshot") for p in (first, second)]
        second.wait_for_function(
            "(names) => Promise.all(names.map((n) => caches.has(n))).then((h) => h.every(Boolean))",
            arg=snapshots,
        )
        names = second.evaluate("caches.keys()")
        assert first_cache in names and second_cache in names, names

        first.reload()
        wait_ready(first)
        assert stored_record(first)["summary"] == "Checkout fails on the first deployment"
        assert first.evaluate("window.__runbookOffline.state") == "ready"


@pytest.mark.parametrize(
    ("response", "policy_change", "named"),
    [
        (
            # the worker's own policy, from its response's headers (created from the page's
            # <head> with the engine's addresses in its query)
            "**/engine-worker.mjs*",
            (" 'wasm-unsafe-eval'", ""),
            "script-src must allow 'wasm-unsafe-eval'",
        ),
        (
            "**/walkthrough/",  # the page's: no worker may start
            ("worker-src 'self'", "worker-src 'none'"),
            "worker-src must allow 'self' (/assets/javascripts/engine-worker.mjs)",
        ),
    ],
    ids=["wasm refused in the worker", "worker refused by the page"],
)
def test_a_policy_that_blocks_the_engine_is_named(
    page: Page, guard: Guard, response: str, policy_change: tuple[str, str], named: str
) -> None:
    """Served with a policy that blocks the engine, the widget says at once which directive
    must allow what, instead of waiting for a start that will not come."""

    def stricter(route: Route) -> None:
        fetched = route.fetch()
        headers = dict(fetched.headers)
        policy = headers["content-security-policy"]
        assert policy_change[0] in policy
        headers["content-security-policy"] = policy.replace(*policy_change)
        route.fulfill(response=fetched, headers=headers)

    page.route(response, stricter)
    guard.allowed_console += ["WebAssembly", "Content Security Policy"]
    guard.allowed_csp.append("^worker-src ")  # the page's own violations, provoked here
    page.goto(in_site(WALKTHROUGH))
    expect(widget(page)).to_have_attribute("data-state", "error", timeout=10_000)
    expect(page.locator("[data-engine-message]")).to_contain_text(
        f"the site's Content-Security-Policy blocks it: {named}"
    )


def test_a_team_s_org_file_reaches_its_pages_and_its_engine(
    browser: Browser, guard: Guard, runbook2_site: str
) -> None:
    """Built with RUNBOOK_ORG, the deployment's pages and its in-browser engine use the team's
    words (channel, escalation contact and mention, update interval, organisation) and its own
    ticket template (published as a static file: as a .md file it was a page, and a 404)."""
    org = load_org(SECOND_ORG)
    with guarded(browser, guard, runbook2_site) as context:
        page = context.new_page()
        page.goto(runbook2_site)
        expect(page.locator("h1")).to_contain_text(org.organisation)
        page.goto(runbook2_site + WALKTHROUGH.lstrip("/"))
        wait_ready(page)
        declare(page, "Checkout errors")
        take_command(page, "Sam Okafor")
        answer(page, scope="all", data_loss="yes", degradation="critical")
        expect(bar(page, "severity")).to_have_text(org.severity_labels["sev1"])
        status = page.locator('[data-output="status_update-message"]')
        expect(status).to_contain_text("Next update by")
        expect(page.locator("[data-due]").first).to_contain_text(
            f"in {org.status_update_interval_minutes} min"
        )
        decide(page, "roll_back")
        mitigate(page, "failed", "lock timeout")
        expect(page.locator('[data-output="escalation-message"]')).to_contain_text(org.mention())
        ticket = page.locator('[data-output="ticket"]').text_content()
        assert f"| Organisation | {org.organisation} |" in ticket
        assert org.channel.lstrip("#") in ticket
        # The team's template: the ticket has its sections, the template page shows it.
        headings = re.findall(r"^(#+ [^{\n]+)", load_template(org.template), re.M)
        assert "## Customer communication" in headings
        for heading in headings:
            assert heading in ticket, heading
        page.goto(runbook2_site + "runbook/INCIDENT_TEMPLATE/")
        expect(page.locator("h2", has_text="Customer communication")).to_be_visible()
