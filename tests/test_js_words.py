"""No new user-visible words in the page's JavaScript (issue 15.2): every text shown to the IC
comes from the markup (overrides/partials/walkthrough.html, rendered from runbook_core's data) or
from the engine's view. This scans the walkthrough's modules for string literals that read as
words shown to someone and fails on any that is not listed below.

STILL_IN_JS lists the words not moved yet, by module: moving one out means deleting its line
here (the test fails while a listed word is no longer in the module, so the list only shrinks).
NOT_WORDS lists literals the heuristic takes for words that are not shown to anyone.

The heuristic (a scan, not a parser): a literal, "...", '...' or `...` (with `${...}` read as
a gap), on a line that is not a comment, an import or a console call (a log for developers) is a
word when it has two words with a space or punctuation between them, or is a single capitalised
word, or is passed straight to a text sink (textContent, setText, announce, note, notice,
showError, confirm, an element's `text:`, a button's label) -- unless it looks like a CSS
selector or attribute (brackets, `#`, `=`, `>`, a leading `.` or `:`, or at most two lower-case
words, or lower-case dashed names only).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ROOT / "docs" / "assets" / "javascripts" / "walkthrough"

LITERAL = re.compile(r"""\"((?:[^\"\\\n]|\\.)*)\"|'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`""")
SINK = re.compile(
    r"(text:|setText\(|textContent\s*=|announce\(|notice\(|note\(|showError\(|confirm\(|button\()"
    r"[^\"'`]*$"
)
SKIP_LINE = re.compile(r"^\s*(//|\*|import )|console\.")


def _reads_as_words(text: str) -> bool:
    plain = re.sub(r"\$\{[^}]*\}", " ", text)
    return bool(
        re.search(r"[A-Za-z]{2,}[ ,.:;!?]+[A-Za-z]", plain)
        or re.fullmatch(r"\s*[A-Z][a-z]+\s*", plain)
    )


def _selector_like(text: str) -> bool:
    if re.search(r"[\[\]#=>]|^\.|^:", text):
        return True
    # Class or attribute names: lower-case tokens, at most two or every one dashed (a phrase of
    # three plain words or more is a sentence).
    tokens = text.split(" ")
    return bool(re.fullmatch(r"[a-z-]+( [a-z-]+)*", text)) and (
        len(tokens) <= 2 or all("-" in t for t in tokens)
    )


def shown_literals(source: str) -> list[str]:
    """The literals of one module's source that read as words shown to the IC."""
    found = []
    for line in source.splitlines():
        if SKIP_LINE.search(line):
            continue
        cut = line.find(" // ")  # a trailing comment, where no literal is left open before it
        if cut >= 0 and all(line[:cut].count(q) % 2 == 0 for q in "\"'`"):
            line = line[:cut]
        for match in LITERAL.finditer(line):
            text = next(g for g in match.groups() if g is not None)
            sink = SINK.search(line[: match.start()])
            worded = _reads_as_words(text) or (sink and re.search(r"[A-Za-z]", text))
            if worded and not _selector_like(text):
                found.append(text)
    return found


def scan() -> set[tuple[str, str]]:
    return {
        (path.name, text)
        for path in sorted(MODULES.glob("*.js"))
        for text in shown_literals(path.read_text("utf-8"))
    }


# Literals the heuristic flags that nobody reads: why each is not a word.
NOT_WORDS: dict[tuple[str, str], str] = {
    ("drafts.js", "input:checked"): "a CSS selector (the checked radio)",
    ("incidents.js", "input:checked"): "a CSS selector (the checked radio)",
    ("draw.js", "button, input, a"): "a CSS selector list (focusable controls)",
    ("focus.js", "form, fieldset"): "a CSS selector list",
    ("widget.js", "button, a"): "a CSS selector list",
    ("forms.js", "Arrow"): "the prefix of KeyboardEvent.key values (ArrowUp, ...)",
    ("forms.js", "Enter"): "a KeyboardEvent.key value",
    ("widget.js", "Enter"): "a KeyboardEvent.key value",
    ("forms.js", "incident.md"): "a fallback file name for the ticket's download",
    ("offline.js", "pyodide.mjs"): "a file name the offline copy checks",
    ("offline.js", "pyodide.asm.mjs"): "a file name the offline copy checks",
    ("offline.js", "pyodide.asm.wasm.gz"): "a file name the offline copy checks",
    ("offline.js", "python_stdlib.zip.gz"): "a file name the offline copy checks",
    ("offline.js", "sw.js"): "the service worker's file name",
    ("dom.js", " ${hidden}"): "the space before a text passed in (the words are the caller's)",
}

# Words still in the page's modules, to move to the partial or the view (issue 15.2).
STILL_IN_JS: set[tuple[str, str]] = {
    ("a11y.js", "Loading the page"),
    ("a11y.js", "Search"),
    ("a11y.js", "Table (scrolls sideways)"),
    ("a11y.js", "Table: ${heading} (scrolls sideways)"),
    ("draw.js", " (${localTime(entry.at)} local) "),
    ("draw.js", " (before the declaration)"),
    ("draw.js", " A deviation from the runbook, because: ${decision.deviation_reason}"),
    ("draw.js", " The answers changed since: decide again."),
    ("draw.js", " — ${entry.who}"),
    ("draw.js", " — ${f.owner}"),
    ("draw.js", "${day}${entry.at.slice(11, 16)} UTC"),
    (
        "draw.js",
        "${h.label}: ${h.outcome}, ${hhmm(h.started_at)}–${hhmm(h.ended_at)} UTC${h.notes ? ",
    ),
    ("draw.js", "${m.current.label} in progress since ${hhmm(m.current.started_at)} UTC."),
    (
        "draw.js",
        "${view.incident_id}: declared. The declaration message is below; post it in the channel.",
    ),
    ("draw.js", "; last change ${changed}"),
    ("draw.js", "Archive"),
    ("draw.js", "Cancel"),
    ("draw.js", "Correct time"),
    ("draw.js", "Correct time of: ${entry.event}"),
    ("draw.js", "Decided at ${hhmm(decision.at)} UTC: ${decision.label}.${why}"),
    ("draw.js", "Delete"),
    ("draw.js", "Escalated to ${e.to} at ${hhmm(e.at)} UTC; "),
    ("draw.js", "Escalations"),
    ("draw.js", "HH:MM in UTC, or a full ISO time like 2026-11-28T21:40:00Z."),
    ("draw.js", "Incident Commander: ${view.ic}."),
    ("draw.js", "Logged as posted at ${hhmm(message.last_logged_at)} UTC."),
    ("draw.js", "Major incident: escalated"),
    ("draw.js", "Major incident: escalation required now"),
    ("draw.js", "Next update due ${hhmm(due)} UTC (in ${minutes} min)"),
    ("draw.js", "Not yet: ${state.why_not}."),
    ("draw.js", "Open"),
    ("draw.js", "Open here"),
    ("draw.js", "Remove"),
    ("draw.js", "Save the time"),
    ("draw.js", "Unarchive"),
    ("draw.js", "Update overdue: due ${hhmm(due)} UTC (${minutes} min ago)"),
    ("draw.js", "acknowledged by ${e.acknowledged_by} at ${hhmm(e.acknowledged_at)} UTC."),
    ("draw.js", "not acknowledged yet."),
    ("engine.js", "(see the Deploy page)"),
    ("engine.js", "a call got no answer"),
    ("engine.js", "it crashed: ${event.message}"),
    ("engine.js", "it crashed: ${why}"),
    ("engine.js", "it stopped answering again (${why})"),
    ("engine.js", "it stopped saying it is alive"),
    ("engine.js", "its script did not load"),
    ("engine.js", "the blocked source"),
    ("engine.js", "the engine is not available: ${reason}"),
    ("engine.js", "the engine is not available: ${this.error}"),
    ("engine.js", "the inline script's hash"),
    ("engine.js", "the site was updated; starting its new version"),
    (
        "engine.js",
        "the site's Content-Security-Policy blocks it: ${directive} must allow ${source} ",
    ),
    ("engine.js", "this browser cannot run it (${error.message})"),
    ("focus.js", "Added to the timeline."),
    (
        "focus.js",
        "Answer recorded. The runbook recommends: ${view.recommendation.label}; fix forward ",
    ),
    ("focus.js", "Decision recorded: ${view.decision?.label}."),
    (
        "focus.js",
        "Declared ${view.incident_id}. Copy the declaration message and post it in the channel.",
    ),
    ("focus.js", "Incident resolved. Post the resolution message; the ticket is complete."),
    ("focus.js", "Not "),
    ("focus.js", "Not recorded: ${short}"),
    ("focus.js", "Outcome recorded."),
    ("focus.js", "Recorded. Status: ${view.status}."),
    ("focus.js", "Status update logged. Next one due ${hhmm(view.next_update_due)} UTC."),
    (
        "focus.js",
        "The rollback failed: a major incident. Escalate now with the message shown, then record it.",  # noqa: E501
    ),
    ("focus.js", "Time corrected."),
    ("forms.js", "New incident: the form is empty. The others stay in the list."),
    ("forms.js", "Not changed: ${result.error.message}."),
    ("forms.js", "Opened ${id}."),
    ("forms.js", "Press Enter to record this answer."),
    ("forms.js", "Ticket downloaded."),
    (
        "incidents.js",
        "${gone} was deleted in another tab. Import its exported JSON to bring it back.",
    ),
    ("incidents.js", "${id} deleted from this browser."),
    ("incidents.js", "${id} is not in this browser. Import its exported JSON to continue it here."),
    (
        "incidents.js",
        "${id} is saved in this browser but cannot be read (${error.message}); it is ",
    ),
    (
        "incidents.js",
        "${id} was deleted in another tab while you changed it; your change was not kept.",
    ),
    ("incidents.js", "${this.id} has changes this browser could not save. Leave it and lose "),
    ("incidents.js", "${this.id} was updated in another tab."),
    ("incidents.js", "Another tab changed ${id} at the same time, and your change could not be "),
    ("incidents.js", "Delete ${id} from this browser? Its record is gone for good unless you "),
    ("incidents.js", "Not declared"),
    ("incidents.js", "Not recorded: ${error.message}. What you typed is kept."),
    ("incidents.js", "Saved: ${this.id} is stored in this browser again."),
    ("incidents.js", "Waiting for the engine: this is applied as soon as it is ready."),
    (
        "incidents.js",
        "applied to its newer version: ${rebased.error.message} The newer version is shown.",
    ),
    ("incidents.js", "exported it. Export it first if you still need it."),
    ("incidents.js", "kept as it is. Import an exported copy, or start a new incident."),
    ("incidents.js", "them? (Cancel, then Export JSON, to keep them.)"),
    ("offline.js", "not registered: ${error?.message || error}"),
    ("offline.js", "this browser gives the site no Cache Storage"),
    ("store.js", "${id} is not in this browser"),
    ("store.js", "another tab is saving it"),
    ("store.js", "another tab keeps changing it"),
    ("store.js", "localStorage is not available"),
    ("store.js", "not an incident saved by this site"),
    (
        "transfer.js",
        "${id} in this browser is newer than ${file.name}: it has ${entries(lost.length)} the ",
    ),
    ("transfer.js", "${id} is already here, identical."),
    ("transfer.js", "Copied to the clipboard."),
    ("transfer.js", "Copied ✓"),
    ("transfer.js", "Exported ${this.id}.json"),
    ("transfer.js", "Import cancelled: nothing changed."),
    ("transfer.js", "Imported ${id}."),
    ("transfer.js", "Nothing to export yet: declare the incident first."),
    (
        "transfer.js",
        "Replace ${id} in this browser with ${file.name}? The file has ${entries(gained.length)} ",
    ),
    ("transfer.js", "Selected: press Ctrl+C"),
    ("transfer.js", "The text is selected: press Ctrl+C to copy."),
    ("transfer.js", "it has no incident ID (it was never declared)"),
    (
        "transfer.js",
        "this browser does not, and nothing in this browser's timeline is missing from it.",
    ),
    (
        "widget.js",
        "It is kept in this browser's storage unchanged; import an exported JSON file or start a new incident.",  # noqa: E501
    ),
    ("widget.js", "The engine was restarted; your last action is being sent again."),
    (
        "widget.js",
        "The incident saved in this browser could not be read (${reply.error.message}). ",
    ),
    ("widget.js", "The runbook engine is taking longer than usual to start (a slow "),
    ("widget.js", "The walkthrough could not be drawn: ${error.message}."),
    ("widget.js", "The walkthrough engine could not start: ${this.engine.error}. "),
    ("widget.js", "The walkthrough engine stopped answering (${detail}) and was restarted; "),
    ("widget.js", "What you typed is kept in this browser. Reload the page to try again."),
    ("widget.js", "anything you had just sent is sent again."),
    ("widget.js", "network?). Keep going: what you submit is applied as soon as it is ready."),
}


def test_no_new_words_in_the_page_modules() -> None:
    """A text shown to the IC belongs in the partial or the view: a new literal fails here."""
    new = scan() - STILL_IN_JS - set(NOT_WORDS)
    assert not new, (
        "words shown to the IC in the page's JavaScript: put them in "
        "overrides/partials/walkthrough.html (or the engine's view) and read them from there: "
        + "; ".join(f"{name}: {text!r}" for name, text in sorted(new))
    )


def test_the_lists_only_name_literals_still_there() -> None:
    """A word moved out of JavaScript is taken off STILL_IN_JS (the list only shrinks)."""
    found = scan()
    gone = (STILL_IN_JS | set(NOT_WORDS)) - found
    assert not gone, "no longer in the modules, delete from the lists: " + "; ".join(
        f"{name}: {text!r}" for name, text in sorted(gone)
    )


def test_the_scan_finds_words_and_passes_selectors() -> None:
    """The heuristic itself, on a sample: words (in text sinks or as sentences) are found;
    selectors, attribute names, keys in lower case and comments are not."""
    sample = """
    // A comment with words in it.
    setText(node, "Saved");
    el("span", { text: `Due at ${when} UTC` });
    this.announce("Copied to the clipboard.");
    const x = q('form[data-form="decide"] input[name="action"]');
    node.classList.toggle("rb-soon", true);
    console.warn("a log message for developers");
    const y = "data-focus-first";
    const n = 3; // another tab's write reaches this tab's storage well within this
    throw new Error("not an incident saved by this site");
    """
    assert shown_literals(sample) == [
        "Saved",
        "Due at ${when} UTC",
        "Copied to the clipboard.",
        "not an incident saved by this site",
    ]
