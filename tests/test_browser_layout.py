"""Nothing moves under a click: the ticket's box has its final size before it is first laid out.

The ticket and the timeline of a long incident are laid out only near the screen (issue 18,
`content-visibility`). When every ticket had a placeholder height, a short ticket opened in a
fresh page grew by ~136 px the moment it came into view: a jump to it (a step link, a click that
scrolls to the Export button) moved the buttons below it between the press and the release of the
click, and the click was lost (a CI failure: "Export JSON" gave no download). Measured here as a
position, before and after the jump, never as a race.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser_support import (  # noqa: E402
    WALKTHROUGH,
    import_file,
    in_site,
    incident_id,
    open_walkthrough,
    settle,
    wait_ready,
    whole_incident,
    widget,
)
from tests.long_records import long_record  # noqa: E402

pytestmark = pytest.mark.browser

# What draw.js calls long (one source: read from it, as the page's script has it).
DRAW_JS = Path(__file__).resolve().parents[1] / "docs/assets/javascripts/walkthrough/draw.js"
LONG_LINES, LONG_ENTRIES = (
    int(re.search(rf"^const {name} = (\d+);$", DRAW_JS.read_text("utf-8"), re.M)[1])
    for name in ("LONG_LINES", "LONG_ENTRIES")
)
LONG = LONG_ENTRIES + 60  # a long incident's timeline entries
SUMMARY = "Checkout errors after release 4.5.6"

# The Export button's place in the document, and the ticket box's height, as laid out now.
PLACE = """() => {
  const button = document.querySelector('[data-runbook-widget] [data-command="export"]');
  const ticket = document.querySelector('[data-runbook-widget] [data-output="ticket"]');
  return { y: button.getBoundingClientRect().top + window.scrollY,
           height: ticket.getBoundingClientRect().height,
           maxHeight: parseFloat(getComputedStyle(ticket).maxHeight),
           ticketLong: ticket.hasAttribute("data-long"),
           newlines: ticket.textContent.split("\\n").length - 1,
           entries: document.querySelectorAll("[data-timeline] > li").length,
           timelineLong: document.querySelector("[data-timeline]").hasAttribute("data-long"),
           scrollY: window.scrollY };
}"""
# A jump straight to the button (no smooth scroll), then a few frames and a task, for the
# browser to find what came into view and lay it out.
JUMP = """async () => {
  document.querySelector('[data-runbook-widget] [data-command="export"]')
    .scrollIntoView({ block: "center", behavior: "instant" });
  for (let i = 0; i < 4; i += 1) await new Promise((done) => requestAnimationFrame(done));
  await new Promise((done) => setTimeout(done, 200));
  for (let i = 0; i < 2; i += 1) await new Promise((done) => requestAnimationFrame(done));
}"""


def open_fresh(page: Page, ident: str) -> None:
    """The incident (or none: "") in a new page, at the top: nothing below the first screen laid
    out yet."""
    page.goto("about:blank")
    page.goto(in_site(WALKTHROUGH) + (f"#{ident}" if ident else ""))
    wait_ready(page)
    settle(page)
    expect(widget(page)).to_have_attribute("data-incident-id", ident)


@pytest.mark.parametrize("incident", ["none", "whole", "long"])
def test_the_buttons_below_the_ticket_stay_put_when_it_first_comes_into_view(
    page: Page, tmp_path: Path, incident: str
) -> None:
    """No incident yet, a whole incident (a dozen entries) and a long one (160 entries); our
    tickets have about 100 lines, a team's template may have fewer. Opened in a fresh page at
    the top, then jumped to: the Export button is where it was before the ticket was first laid
    out, and the ticket's box has the same height. A ticket of more than LONG_LINES lines is
    marked long (laid out only near the screen) and fills its box to the max-height; a timeline
    of more than LONG_ENTRIES entries is marked long."""
    open_walkthrough(page)
    if incident == "whole":
        whole_incident(page, "Checkout returns HTTP 500 after release 2026.11.28-1")
    elif incident == "long":
        import_file(page, tmp_path, "long.json", long_record(LONG, SUMMARY, who="Sam"))
        expect(widget(page).locator("[data-timeline] > li")).to_have_count(LONG)
    ident = incident_id(page)
    open_fresh(page, ident)
    before = page.evaluate(PLACE)
    assert before["scrollY"] == 0, before
    page.evaluate(JUMP)
    after = page.evaluate(PLACE)
    assert after["scrollY"] > 0, after
    assert abs(after["y"] - before["y"]) < 1, (before, after)
    assert abs(after["height"] - before["height"]) < 1, (before, after)
    assert before["ticketLong"] is (before["newlines"] >= LONG_LINES), before
    assert before["timelineLong"] is (before["entries"] > LONG_ENTRIES), before
    assert before["timelineLong"] is (incident == "long"), before
    if before["ticketLong"]:
        assert abs(after["height"] - after["maxHeight"]) < 1, after
    if incident != "none":
        # And the click lands: the button the press was on is the one released on.
        with page.expect_download() as download:
            widget(page).locator('[data-command="export"]').click()
        assert json.loads(Path(download.value.path()).read_text("utf-8"))["incident_id"] == ident
