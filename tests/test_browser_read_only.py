"""A record an earlier version wrote over a limit of this one (issue 14, finding 1): the page
opens it read-only, says which field and what to do, refuses changes, and still exports it
whole."""

from __future__ import annotations

import json
import sys

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser_support import (  # noqa: E402
    export,
    form,
    import_file,
    open_walkthrough,
    output,
    settle,
    widget,
)
from tests.test_limits import over_limit_record  # noqa: E402

pytestmark = pytest.mark.browser


def test_a_record_over_a_limit_opens_read_only_and_exports_whole(page: Page, tmp_path) -> None:
    text = over_limit_record()
    open_walkthrough(page)
    import_file(page, tmp_path, "earlier.json", text)
    notice = widget(page).locator("[data-read-only-notice]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Read-only incident")
    expect(notice.locator("[data-read-only-reason]")).to_contain_text("record.timeline[")
    expect(notice.locator("[data-read-only-reason]")).to_contain_text("shorten")
    settle(page)
    assert widget(page).get_attribute("data-read-only") == "true"
    # No change can be made here (forms hidden or disabled, saying why); the ticket is there.
    escalate = form(page, "escalate")
    if escalate.is_visible():
        submit = escalate.locator('button[type="submit"]')
        expect(submit.first).to_have_attribute("aria-disabled", "true")
        expect(escalate.locator("[data-why-not]")).to_contain_text("read-only")
    expect(output(page, "ticket")).to_contain_text("Rollback failed")
    assert json.loads(export(page)) == json.loads(text)
    for width, height in ((375, 812), (1366, 900)):
        page.set_viewport_size({"width": width, "height": height})
        notice.scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / f"read-only-{width}.png"))
