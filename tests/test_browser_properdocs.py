"""The site built with ProperDocs (MkDocs' maintained fork; `make build GENERATOR=properdocs`),
then `python -m sitebuild postbuild`, as `make build` does: the same files as the MkDocs build,
and one whole incident on it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")
pytest.importorskip("properdocs", reason="ProperDocs is not installed (make setup)")

from playwright.sync_api import Browser, expect  # noqa: E402

from tests.browser_support import (  # noqa: E402
    Guard,
    empty_server,
    guarded,
    open_walkthrough,
    output,
    whole_incident,
)
from tests.serve_site import build_site  # noqa: E402

pytestmark = pytest.mark.browser

SUMMARY = "Checkout returns HTTP 500 on the ProperDocs build"


@pytest.fixture(scope="module")
def properdocs_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The ProperDocs build, for and served at the root of its own free port: (URL, folder)."""
    out = tmp_path_factory.mktemp("properdocs")
    with empty_server() as server:
        url = f"{server.origin}/"
        failure = build_site(out, url, generator="properdocs")
        if failure:
            pytest.fail(failure, pytrace=False)
        server.mounts["/"] = out
        yield url, out


def files(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())


def test_properdocs_builds_the_same_site(
    properdocs_site: tuple[str, Path], built_site: Path
) -> None:
    """The same files as the MkDocs build, and the same theme assets, engine and Pyodide (the
    pages differ in their generator <meta> and, built for another port, their addresses)."""
    _, site = properdocs_site
    assert files(site) == files(built_site)
    for path in files(site):
        if path.startswith(("assets/", "pyodide/")):
            assert (site / path).read_bytes() == (built_site / path).read_bytes(), path


def test_whole_incident_on_properdocs(
    browser: Browser, guard: Guard, properdocs_site: tuple[str, Path]
) -> None:
    """Declaration to resolution on the ProperDocs build: the ticket is filled."""
    url, _ = properdocs_site
    with guarded(browser, guard, url) as context:
        page = context.new_page()
        open_walkthrough(page)
        ticket = whole_incident(page, SUMMARY)
        assert SUMMARY in ticket and "Rolled back; checkout works again." in ticket
        expect(output(page, "resolution-message")).to_be_visible()
