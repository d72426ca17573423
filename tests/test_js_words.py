"""No new user-visible words in the page's JavaScript (issue 15.2): every text shown to the IC
comes from the markup (overrides/partials/walkthrough.html, rendered from runbook_core's data) or
from the engine's view. This scans the walkthrough's modules for string literals that read as
words shown to someone and fails on any that is not listed below.

STILL_IN_JS lists the few words left in JavaScript, each with why (moving one out means
deleting its line here: the test fails while a listed word is no longer in its module, so the
list only shrinks).
NOT_WORDS lists literals the heuristic takes for words that are not shown to anyone.

The heuristic (a scan, not a parser, though it knows comments, regular expressions and
template literals with code inside): a literal, "...", '...' or `...` (with `${...}` read as a
gap), on a line that is not an import or a console call (a log for developers) is a word when
it has two words with a space or punctuation between them, or is a single capitalised word, or
is passed straight to a text sink (textContent, setText, announce, note, notice,
showError, confirm, an element's `text:`, a button's label) -- unless it looks like a CSS
selector or attribute (brackets, `#`, `=`, `>`, a leading `.` or `:`, or at most two lower-case
words, or lower-case dashed names only).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ROOT / "docs" / "assets" / "javascripts" / "walkthrough"

SINK = re.compile(
    r"(text:|setText\(|textContent\s*=|announce\(|notice\(|note\(|showError\(|confirm\(|button\()"
    r"[^\"'`]*$"
)
SKIP_LINE = re.compile(r"^\s*import |console\.")
# A "/" after one of these (or at the start) opens a regular expression, not a division.
REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^") | {""}


def literals(source: str) -> list[tuple[int, str]]:
    """Every string literal of a module's source with where it starts: "...", '...' and
    `...` (each ${...} read as the gap "${}", the code inside it scanned too); comments and
    regular expressions are skipped."""
    found: list[tuple[int, str]] = []

    def code(i: int, in_template: bool) -> int:
        depth = 0
        last = ""  # the last character of code that is not a space
        while i < len(source):
            c, pair = source[i], source[i : i + 2]
            if pair == "//":
                i = source.find("\n", i)
                i = len(source) if i < 0 else i
                continue
            if pair == "/*":
                i = source.index("*/", i) + 2
                continue
            if c == "/" and last in REGEX_AFTER:
                i += 1
                in_class = False
                while source[i] != "/" or in_class:
                    in_class = (in_class or source[i] == "[") and source[i] != "]"
                    i += 2 if source[i] == "\\" else 1
                last = "/"
                i += 1
                continue
            if c in "\"'":
                j = i + 1
                while source[j] != c:
                    j += 2 if source[j] == "\\" else 1
                found.append((i, source[i + 1 : j]))
                i, last = j + 1, c
                continue
            if c == "`":
                i, last = template(i), c
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                if in_template and depth == 0:
                    return i + 1
                depth -= 1
            if not c.isspace():
                last = c
            i += 1
        return i

    def template(i: int) -> int:
        start, text, i = i, [], i + 1
        while source[i] != "`":
            if source[i] == "\\":
                text.append(source[i : i + 2])
                i += 2
            elif source.startswith("${", i):
                text.append("${}")
                i = code(i + 2, True)
            else:
                text.append(source[i])
                i += 1
        found.append((start, "".join(text)))
        return i + 1

    code(0, False)
    return sorted(found)


def _reads_as_words(plain: str) -> bool:
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
    for start, text in literals(source):
        line_start = source.rfind("\n", 0, start) + 1
        line_end = source.find("\n", start)
        if SKIP_LINE.search(source[line_start : line_end if line_end >= 0 else None]):
            continue
        plain = text.replace("${}", " ")  # the words around the code, not the code's names
        sink = SINK.search(source[line_start:start])
        worded = _reads_as_words(plain) or (sink and re.search(r"[A-Za-z]", plain))
        if worded and not _selector_like(text):
            found.append(text)
    return found


def modules() -> dict[str, str]:
    return {path.name: path.read_text("utf-8") for path in sorted(MODULES.glob("*.js"))}


def scan(sources: dict[str, str] | None = None) -> set[tuple[str, str]]:
    return {
        (name, text)
        for name, source in (modules() if sources is None else sources).items()
        for text in shown_literals(source)
    }


# Literals the heuristic flags that nobody reads: why each is not a word.
NOT_WORDS: dict[tuple[str, str], str] = {
    ("drafts.js", "input:checked"): "a CSS selector (the checked radio)",
    ("incidents.js", "input:checked"): "a CSS selector (the checked radio)",
    ("lists.js", "button, input, a"): "a CSS selector list (focusable controls)",
    ("focus.js", "form, fieldset"): "a CSS selector list",
    ("widget.js", "button, a"): "a CSS selector list",
    ("forms.js", "Arrow"): "the prefix of KeyboardEvent.key values (ArrowUp, ...)",
    ("forms.js", "Enter"): "a KeyboardEvent.key value",
    ("widget.js", "Enter"): "a KeyboardEvent.key value",
    ("forms.js", "incident.md"): "a fallback file name for the ticket's download",
    ("offline.js", "pyodide.mjs"): "a file name the offline copy checks",
    ("offline.js", "pyodide.asm.mjs"): "a file name the offline copy checks",
    ("offline.js", "pyodide.asm.mjs.gz"): "a file name the offline copy checks",
    ("offline.js", "pyodide.asm.wasm"): "a file name the offline copy checks",
    ("offline.js", "python_stdlib.zip"): "a file name the offline copy checks",
    ("offline.js", "pyodide.asm.wasm.gz"): "a file name the offline copy checks",
    ("offline.js", "python_stdlib.zip.gz"): "a file name the offline copy checks",
    ("offline.js", "sw.js"): "the service worker's file name",
    ("lookback.js", "link_refused"): "a kind of the markup's words ([data-handover-words])",
    ("lookback.js", "not_stored"): "a kind of the markup's words ([data-handover-words])",
    ("lookback.js", "picture_downloaded"): "a kind of the markup's words ([data-handover-words])",
    (
        "lookback.js",
        "postmortem_downloaded",
    ): "a kind of the markup's words ([data-handover-words])",
}

# Words still in the page's modules, each group with why it is there. Everything else the page
# says is in the partial ([data-words], [data-announcements], [data-save-problems], ...) or
# in the engine's view.
STILL_IN_JS: dict[tuple[str, str], str] = {
    # Reasons the browser gave, like an exception's message: shown only inside a text of the
    # partial ({reason} of [data-save-problems], {why} of the import's and the notices' words).
    **dict.fromkeys(
        (
            ("store.js", "${} is not in this browser"),
            ("store.js", "another tab is saving it"),
            ("store.js", "another tab keeps changing it"),
            ("store.js", "localStorage is not available"),
            ("store.js", "not an incident saved by this site"),
            ("offline.js", "not registered: ${}"),
            ("offline.js", "this browser gives the site no Cache Storage"),
        ),
        "a storage or offline failure's reason, inside the partial's words",
    ),
    # Accessible names for Material's own components on every page (its search dialog, its
    # progress bar, wide tables): outside the walkthrough's markup, which cannot carry them.
    **dict.fromkeys(
        (
            ("a11y.js", "Loading the page"),
            ("a11y.js", "Search"),
            ("a11y.js", "Table (scrolls sideways)"),
            ("a11y.js", "Table: ${} (scrolls sideways)"),
        ),
        "accessible names of Material's components, outside the walkthrough",
    ),
}


def test_no_new_words_in_the_page_modules() -> None:
    """A text shown to the IC belongs in the partial or the view: a new literal fails here."""
    new = scan() - set(STILL_IN_JS) - set(NOT_WORDS)
    assert not new, (
        "words shown to the IC in the page's JavaScript: put them in "
        "overrides/partials/walkthrough.html (or the engine's view) and read them from there: "
        + "; ".join(f"{name}: {text!r}" for name, text in sorted(new))
    )


def test_the_lists_only_name_literals_still_there() -> None:
    """A word moved out of JavaScript is taken off STILL_IN_JS (the list only shrinks)."""
    found = scan()
    gone = (set(STILL_IN_JS) | set(NOT_WORDS)) - found
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
        "Due at ${} UTC",
        "Copied to the clipboard.",
        "not an incident saved by this site",
    ]


def test_a_new_word_in_a_module_fails_the_scan() -> None:
    """The scan run on today's modules with one shown text added (a sentence, a single
    capitalised word, a template with code in it, a word passed to a text sink) reports exactly
    those as new."""
    sources = modules()
    sources["draw.js"] += '\nsetText(node, "Incident closed by the IC");\n'
    sources["focus.js"] += "\nthis.announce(`Handed over to ${view.ic} just now`);\n"
    sources["forms.js"] += '\nbutton("Retry", id, {});\nel("span", { text: "ok, done" });\n'
    new = scan(sources) - set(STILL_IN_JS) - set(NOT_WORDS)
    assert new == {
        ("draw.js", "Incident closed by the IC"),
        ("focus.js", "Handed over to ${} just now"),
        ("forms.js", "Retry"),
        ("forms.js", "ok, done"),
    }


def _words_in_partial() -> set[str]:
    partial = (ROOT / "overrides" / "partials" / "walkthrough.html").read_text("utf-8")
    block = partial[partial.index("<div data-words hidden>") :]
    block = block[: block.index("</div>")]
    return set(re.findall(r'data-word="([a-z-]+)"', block))


def test_every_word_the_modules_ask_for_is_in_the_partial_and_used() -> None:
    """Each key the modules read with say()/wordOf() is a data-word of the partial's
    [data-words] block (a missing one would show its key), and each data-word is read."""
    asked = set()
    for source in modules().values():
        for first in re.findall(r"(?:say|wordOf)\((?:w, |this\.root, )?([^,){]*)", source):
            asked |= set(re.findall(r'"([a-z-]+)"', first))
    words = _words_in_partial()
    assert asked and asked <= words, sorted(asked - words)
    assert words <= asked, f"data-words no module reads: {sorted(words - asked)}"


def test_every_page_module_is_one_job_of_about_400_lines_at_most() -> None:
    """Issue 15.5: the page script is split by job, no module over about 400 lines."""
    long = {name: n for name, source in modules().items() if (n := source.count("\n")) > 400}
    assert len(modules()) >= 10 and not long, long
