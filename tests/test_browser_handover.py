"""Hand over and look back in the page (issue 19): a handover link copied in one browser profile
and opened in another gives the same record; a changed character, a cut link and a newer local
copy each behave as the import rules say; after resolution the post-mortem draft (Copy,
Download, its formats) and the timeline picture are there; "Ticket copied at …: N changes
since" counts the changes; axe finds nothing serious on the new parts. The words expected are
runbook_core's (data/outputs.toml), read here, never typed."""

from __future__ import annotations

import base64
import json
import random
import re
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect  # noqa: E402

from runbook_core.handover import max_link  # noqa: E402
from runbook_core.outputs import words  # noqa: E402
from runbook_core.postmortem import render_postmortem  # noqa: E402
from runbook_core.record import record_from_json  # noqa: E402
from runbook_core.timeline_svg import render_svg  # noqa: E402
from tests.browser_support import (  # noqa: E402
    Guard,
    add_follow_up,
    control,
    copy,
    declare,
    export,
    guarded,
    import_file,
    incident_id,
    open_walkthrough,
    settle,
    stored_record,
    submit,
    wait_ready,
    whole_incident,
    widget,
)
from tests.test_browser_a11y import AXE, SCHEMES, STILL, TAGS, VIEWPORTS  # noqa: E402

pytestmark = pytest.mark.browser

HANDOVER = words("handover")
PAGE = words("page")
COPIES = words("copies")
# axe on the parts this issue adds (the rest of the page: tests/test_browser_a11y.py).
RUN_AXE_ON_NEW_PARTS = """async (tags) => {
  const result = await axe.run({ include: [["[data-handover]"], ["[data-look-back]"],
    ['[data-copied-since="ticket"]']] },
    { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
  return result.violations.filter((v) => ["serious", "critical"].includes(v.impact)).map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 6).map((n) => ({ target: n.target.join(" "), why: n.failureSummary })),
  }));
}"""
SHOTS = Path(__file__).resolve().parents[1] / ".cache" / "screenshots" / "handover"


def fill(text: str, **values: object) -> str:
    """A word of outputs.toml with its {names} filled, as the page fills them."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), text)


def copy_handover(page: Page) -> str:
    """Click "Copy handover link"; the clipboard's link (the field on the page holds the same)."""
    widget(page).locator('[data-command="copy-handover"]').click()
    status = widget(page).locator("[data-handover-status]")
    expect(status).to_be_visible()
    link = page.evaluate("navigator.clipboard.readText()")
    expect(widget(page).locator("[data-handover-link]")).to_have_value(link)
    expect(status).to_have_text(
        fill(PAGE["handover_copied"], length=f"{len(link):,}", limit=f"{max_link():,}")
    )
    return link


def add_entry(page: Page, text: str) -> None:
    control(page, "add_timeline", "event").fill(text)
    submit(page, "add_timeline")
    expect(widget(page).locator("[data-timeline] .rb-event").filter(has_text=text)).to_have_count(1)


def open_link(page: Page, link: str) -> None:
    """Open a link as a new visit (not a same-page hash change)."""
    page.goto("about:blank")
    page.goto(link)
    wait_ready(page)
    settle(page)


def notice(page: Page):
    return widget(page).locator("[data-notice]")


def listed(page: Page) -> list[str]:
    return (
        widget(page)
        .locator("[data-incident-list] [data-incident]")
        .evaluate_all("items => items.map((i) => i.dataset.incident)")
    )


@pytest.fixture
def second(browser: Browser, site: str, guard: Guard):
    """Another browser profile: its own storage, its own clipboard."""
    with guarded(browser, guard, site) as other:
        yield other


def test_a_link_copied_in_one_profile_opens_the_same_record_in_another(
    context: BrowserContext, second: BrowserContext
) -> None:
    """A's link, opened in B (which holds another incident), is A's exported record, beside
    B's incident; the fragment is gone from B's address; opened again, it is identical and
    nothing is asked."""
    a = context.new_page()
    open_walkthrough(a)
    whole_incident(a, "Checkout returns HTTP 500 after release 2026.11.28-1")
    ident = incident_id(a)
    link = copy_handover(a)
    assert "#handover=v1." in link and link.startswith(a.url.split("#")[0])
    assert len(link) <= max_link()
    exported = export(a)

    b = second.new_page()
    open_walkthrough(b)
    declare(b, "Search is slow")
    other = incident_id(b)
    open_link(b, link)
    expect(widget(b)).to_have_attribute("data-incident-id", ident)
    expect(widget(b).locator("[data-live]")).to_have_text(fill(PAGE["opened"], id=ident))
    assert "handover=" not in b.url and b.url.endswith(f"#{ident}")
    assert export(b) == exported
    assert sorted(listed(b)) == sorted([ident, other])

    # Opened again: identical, nothing asked, nothing changed.
    open_link(b, link)
    expect(widget(b).locator("[data-live]")).to_have_text(fill(PAGE["identical"], id=ident))
    expect(b).to_have_url(re.compile(f"#{ident}$"))
    assert json.loads(export(b)) == json.loads(exported)


def test_damaged_cut_and_newer_local_links(
    context: BrowserContext, second: BrowserContext, guard: Guard
) -> None:
    """A changed character and a cut link are refused with runbook_core's words and change
    nothing; a link older than this browser's copy asks (naming what would be lost): declined,
    nothing changes; accepted, the link's record replaces it."""
    a = context.new_page()
    open_walkthrough(a)
    declare(a, "Checkout returns HTTP 500")
    ident = incident_id(a)
    link = copy_handover(a)
    b = second.new_page()
    open_link(b, link)
    expect(widget(b)).to_have_attribute("data-incident-id", ident)
    before = stored_record(b, ident)

    at = link.index("#handover=v1.") + len("#handover=v1.") + 10
    changed = link[:at] + ("A" if link[at] != "A" else "B") + link[at + 1 :]
    for bad, kind in ((changed, "damaged"), (link[:-30], "truncated")):
        open_link(b, bad)
        expect(notice(b)).to_have_text(fill(PAGE["link_refused"], why=HANDOVER[kind]))
        assert "handover=" not in b.url
        assert stored_record(b, ident) == before

    # B goes on: its copy is newer than the link.
    open_link(b, b.url.split("#")[0] + f"#{ident}")
    add_entry(b, "Payments confirmed no failed charges")
    newer = stored_record(b, ident)
    asked: list[str] = []
    replies = iter([False, True])

    def on_dialog(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept() if next(replies) else dialog.dismiss()

    guard.on_dialog = on_dialog
    open_link(b, link)
    expect(widget(b).locator("[data-live]")).to_have_text(PAGE["cancelled"])
    assert asked and asked[0].startswith(f"{ident} in this browser is newer than the handover")
    assert "Payments confirmed no failed charges" in asked[0]
    assert stored_record(b, ident) == newer
    open_link(b, link)
    expect(widget(b).locator("[data-live]")).to_have_text(fill(PAGE["opened"], id=ident))
    assert stored_record(b, ident) == before
    assert len(asked) == 2


def test_a_link_pasted_into_an_open_walkthrough_tab_opens(
    context: BrowserContext, second: BrowserContext
) -> None:
    """A handover link pasted into the address bar of a walkthrough tab already open (a
    same-document hash change, no new visit) opens the incident through the import rules,
    beside the tab's own, and the fragment is dropped from the address; a damaged one pasted
    the same way is refused and changes nothing."""
    a = context.new_page()
    open_walkthrough(a)
    declare(a, "Checkout returns HTTP 500 after release 2026.11.28-1")
    ident = incident_id(a)
    link = copy_handover(a)
    exported = export(a)

    b = second.new_page()
    open_walkthrough(b)
    declare(b, "Search is slow")
    other = incident_id(b)
    before = stored_record(b, other)
    fragment = link[link.index("#") :]
    at = len("#handover=v1.") + 10
    damaged = fragment[:at] + ("A" if fragment[at] != "A" else "B") + fragment[at + 1 :]
    # The widget opens the link itself: Material's instant navigation must not answer its
    # popstate by fetching this page again and swapping the document (it did on the first one
    # after a page load, and dropped the link half opened, issue 19): same widget, no fetch.
    page_address = b.url.split("#")[0]
    fetched: list[str] = []
    b.on(
        "request", lambda r: fetched.append(r.url) if r.url.split("#")[0] == page_address else None
    )
    widget(b).evaluate("root => { root.mountedBeforePaste = true; }")
    b.evaluate("(hash) => { window.location.hash = hash; }", damaged)
    expect(notice(b)).to_have_text(fill(PAGE["link_refused"], why=HANDOVER["damaged"]))
    expect(b).to_have_url(re.compile(f"#{other}$"))
    assert stored_record(b, other) == before

    b.evaluate("(hash) => { window.location.hash = hash; }", fragment)
    expect(widget(b)).to_have_attribute("data-incident-id", ident)
    expect(widget(b).locator("[data-live]")).to_have_text(fill(PAGE["opened"], id=ident))
    expect(b).to_have_url(re.compile(f"#{ident}$"))
    assert "handover=" not in b.url
    assert export(b) == exported
    assert sorted(listed(b)) == sorted([ident, other])
    assert stored_record(b, other) == before
    assert widget(b).evaluate("root => root.mountedBeforePaste === true"), "the page was swapped"
    assert fetched == [], f"the page was fetched again: {fetched}"


def test_a_record_too_large_for_a_link_offers_export(page: Page, tmp_path: Path) -> None:
    """Past the limit, no link: runbook_core's reason, and Export offered beside it."""
    open_walkthrough(page)
    record = json.loads((Path("docs/examples/rollback-failed-escalated.json")).read_text("utf-8"))
    # 20,000 characters that do not compress: the link would be longer than the limit.
    noise = base64.b64encode(random.Random(19).randbytes(15000)).decode()
    record["mitigations"][0]["notes"] = noise[:20000]
    import_file(page, tmp_path, "large.json", json.dumps(record))
    expect(widget(page)).to_have_attribute("data-incident-id", record["incident_id"])
    settle(page)
    widget(page).locator('[data-command="copy-handover"]').click()
    status = widget(page).locator("[data-handover-status]")
    expect(status).to_contain_text(fill(PAGE["handover_refused"], why="")[:20])
    expect(status).to_contain_text(f"the limit is {max_link():,}")
    offer = widget(page).locator('[data-command="export-instead"]')
    expect(offer).to_be_visible()
    with page.expect_download() as download:
        offer.click()
    assert json.loads(Path(download.value.path()).read_text("utf-8")) == record


def test_post_mortem_and_picture_after_resolution(page: Page) -> None:
    """Hidden before resolution; after it, the draft is runbook_core's for the exported record
    (Copy, Download, each format) and the picture carries its title and description."""
    open_walkthrough(page)
    look_back = widget(page).locator("[data-look-back]")
    declare(page, "Checkout returns HTTP 500")
    expect(look_back).to_be_hidden()
    whole_incident_after_declare(page)
    expect(look_back).to_be_visible()
    record = record_from_json(export(page))
    draft = widget(page).locator('[data-output="postmortem"]')
    expect(draft).to_have_text(render_postmortem(record, format="markdown"))
    assert copy(page, "postmortem") == render_postmortem(record, format="markdown")
    with page.expect_download() as download:
        widget(page).locator('[data-command="download-postmortem"]').click()
    assert download.value.suggested_filename == f"{record.incident_id}-postmortem.md"
    assert Path(download.value.path()).read_text("utf-8") == render_postmortem(record)
    widget(page).locator("[data-postmortem-format]").select_option("jira")
    expect(draft).to_have_text(render_postmortem(record, format="jira"))
    with page.expect_download() as download:
        widget(page).locator('[data-command="download-postmortem"]').click()
    assert download.value.suggested_filename == f"{record.incident_id}-postmortem.txt"

    svg = ET.fromstring(render_svg(record))
    ns = "{http://www.w3.org/2000/svg}"
    image = widget(page).locator("[data-timeline-image]")
    expect(image).to_have_attribute("alt", svg.findtext(f"{ns}desc") or "")
    expect(widget(page).locator("[data-timeline-caption]")).to_have_text(
        svg.findtext(f"{ns}title") or ""
    )
    loaded = "img => img.complete && img.naturalWidth > 0"
    page.wait_for_function(loaded, arg=image.element_handle())
    with page.expect_download() as download:
        widget(page).locator('[data-command="download-svg"]').click()
    assert download.value.suggested_filename == f"{record.incident_id}-timeline.svg"
    saved = ET.fromstring(Path(download.value.path()).read_text("utf-8"))
    assert saved.findtext(f"{ns}title") == svg.findtext(f"{ns}title")


def whole_incident_after_declare(page: Page) -> None:
    from tests.browser_support import answer as answer_questions
    from tests.browser_support import decide, mitigate, post_status, resolve, take_command

    take_command(page, "Sam Okafor")
    answer_questions(page, scope="subset", data_loss="no", degradation="critical")
    decide(page, "roll_back")
    mitigate(page, "succeeded", "Rolled back to the previous release.")
    post_status(page, "Rolled back; watching error rates.")
    resolve(page, "Rolled back; checkout works again.", "no")


@pytest.mark.parametrize("actions", [0, 1, 3])
def test_changes_since_the_ticket_was_copied(page: Page, actions: int) -> None:
    """Copied: "no change since"; after N actions (timeline entries added, an earlier entry's
    time corrected), N changes; a reload keeps it; copied again, none."""
    open_walkthrough(page)
    declare(page, "Checkout returns HTTP 500")
    since = widget(page).locator('[data-copied-since="ticket"]')
    expect(since).to_be_hidden()
    copy(page, "ticket")

    def said(changes: str) -> re.Pattern[str]:
        text = re.escape(fill(COPIES["ticket"], time="HH:MM", changes=changes))
        return re.compile("^" + text.replace("HH:MM", r"\d\d:\d\d") + "$")

    expect(since).to_have_text(said(COPIES["no_change"]))
    for n in range(actions):
        if n == 2:  # a correction changes an entry, adds none
            # The earliest entry (the declaration's), there before the copy.
            widget(page).locator('[data-timeline] [data-command="edit-time"]').first.click()
            at = control(page, "edit_timeline", "at")
            moment = datetime.fromisoformat(at.input_value().replace("Z", "+00:00"))
            at.fill((moment - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
            submit(page, "edit_timeline")
            settle(page)
        else:
            add_entry(page, f"Entry {n}")
    words_for = {0: COPIES["no_change"], 1: COPIES["one_change"]}
    changes = words_for.get(actions, fill(COPIES["changes"], count=actions))
    expect(since).to_have_text(said(changes))
    page.reload()
    wait_ready(page)
    expect(since).to_have_text(said(changes))
    copy(page, "ticket")
    expect(since).to_have_text(said(COPIES["no_change"]))


def test_the_new_parts_are_accessible_and_looked_at(
    browser: Browser, site: str, guard: Guard, tmp_path: Path
) -> None:
    """axe: no serious or critical violation on the handover group, the copy line, the draft
    and the picture, in a light and a dark profile, desktop and phone; screenshots of them for a
    person (.cache/screenshots/handover/)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with guarded(browser, guard, site) as context:
        page = context.new_page()
        open_walkthrough(page)
        whole_incident(page, "Checkout returns HTTP 500 after release 2026.11.28-1")
        add_follow_up(page, "Book the post-mortem meeting", "Sam Okafor")
        record = export(page)
    problems = {}
    for scheme in ("light", "dark"):
        # The page's policy would refuse axe, injected as a script (test_browser_a11y.py).
        with guarded(browser, guard, site, color_scheme=scheme, bypass_csp=True) as context:
            page = context.new_page()
            open_walkthrough(page)
            import_file(page, tmp_path, "incident.json", record)
            expect(widget(page).locator("[data-look-back]")).to_be_visible()
            expect(page.locator("body")).to_have_attribute("data-md-color-scheme", SCHEMES[scheme])
            copy_handover(page)
            copy(page, "ticket")
            copy(page, "postmortem")
            page.mouse.move(0, 0)  # no hover or focus left on a button the test pressed
            page.evaluate("document.activeElement?.blur()")
            page.add_script_tag(path=str(AXE))
            page.add_style_tag(content=STILL)
            for viewport, size in VIEWPORTS.items():
                page.set_viewport_size(size)
                found = page.evaluate(RUN_AXE_ON_NEW_PARTS, TAGS)
                if found:
                    problems[f"{scheme}/{viewport}"] = found
                for name in ("handover", "look-back"):
                    part = widget(page).locator(f"[data-{name}]")
                    part.scroll_into_view_if_needed()
                    part.screenshot(path=str(SHOTS / f"{name}-{viewport}-{scheme}.png"))
    assert not problems, json.dumps(problems, indent=1)[:6000]
