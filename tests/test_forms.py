"""The walkthrough's forms come from the table (data/transitions.toml) and their words from
data/forms.toml: every action, field and choice of the table is in the page, or declared as not
in it with a reason, and the page has nothing else. `form_mismatches` reads a rendered
walkthrough; tests/test_site_build.py runs it on the built site, this file on the partial."""

from __future__ import annotations

import collections
import dataclasses
from html.parser import HTMLParser
from importlib.resources import files
from typing import Any

import pytest

from runbook_core import view
from runbook_core.errors import DataFileError
from runbook_core.rules import load_runbook
from runbook_core.table import FORMS_FILE, Table, load_forms, load_table, parse_forms
from tests.helpers import ROOT


class _Forms(HTMLParser):
    """Per action (data-form): the named controls of each of its forms, with their values (radio
    and submit-button choices), attributes, and the labels of the page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        self.form: dict[str, Any] | None = None
        self.labels: dict[str, str] = {}  # for= -> text
        self._label: str | None = None
        self._legend: list[str] | None = None
        self._fieldset: str | None = None
        self.legends: dict[str, str] = {}  # fieldset id -> legend text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and "data-form" in a:
            self.form = {}
            self.forms[a["data-form"]].append(self.form)
        elif tag == "fieldset":
            self._fieldset = a.get("id")
        elif tag == "legend":
            self._legend = []
        elif tag == "label":
            self._label = a.get("for")
            self.labels[self._label or ""] = ""
        if (
            self.form is not None
            and tag in ("input", "textarea", "select", "button")
            and a.get("name")
        ):
            control = self.form.setdefault(a["name"], {"values": set(), "attrs": []})
            if "value" in a:
                control["values"].add(a["value"])
            control["attrs"].append(a)

    def handle_data(self, data: str) -> None:
        if self._legend is not None:
            self._legend.append(data)
        if self._label is not None:
            self.labels[self._label] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "legend" and self._legend is not None:
            self.legends[self._fieldset or ""] = " ".join("".join(self._legend).split())
            self._legend = None
        elif tag == "label":
            self._label = None


def _choices(table: Table, of: str) -> set[str]:
    if of == "actions":
        return set(load_runbook().action_labels)
    return set(table.values(of)) if of in table.vocabulary else set()


def form_mismatches(html: str) -> list[str]:
    """What differs between the walkthrough's forms and the table: one line each."""
    table, forms = load_table(), load_forms()
    page = _Forms()
    page.feed(html)
    problems = []
    for kind in sorted(set(page.forms) - set(table.actions)):
        problems.append(f"the page has a form {kind!r}: not an action of the table")
    for kind, action in table.actions.items():
        spec = forms.actions[kind]
        found = page.forms.get(kind, [])
        if not spec.page:
            if found:
                problems.append(f"{kind}: declared not in the page ({spec.reason}), but it is")
            continue
        if not found:
            problems.append(f"{kind}: an action of the table with no form in the page")
        # An action asked for in several places (forms.toml `part`): each form carries one part.
        parts: dict[str, set[str]] = collections.defaultdict(set)
        for f in spec.fields:
            if f.control != "none":
                parts[f.part].add(f.name)
        carried = set().union(*parts.values()) if parts else set()
        drawn = set()
        for form in found:
            for name in sorted(set(form) - {f.name for f in action.fields}):
                problems.append(f"{kind}: the page sends {name!r}, not a field of the table")
            part = next((p for p, names in parts.items() if set(form) & names), "")
            drawn.add(part)
            for name in sorted(parts.get(part, set()) - set(form)):
                problems.append(f"{kind}.{name}: a field of the table missing from the page")
            for name in sorted(set(form) & (carried - parts.get(part, set()))):
                problems.append(f"{kind}.{name}: in a form of another part ({part!r})")
        for part in sorted(set(parts) - drawn) if found else ():
            for name in sorted(parts[part]):
                problems.append(f"{kind}.{name}: a field of the table missing from the page")
            for name in sorted(set(form) & ({f.name for f in spec.fields} - carried)):
                problems.append(f"{kind}.{name}: declared not in the page, but it is")
        for f in spec.fields:
            fspec = action.field(f.name)
            for form in found:
                control = form.get(f.name)
                if control is None:
                    continue
                if fspec.type == "choice" and f.control in ("radios", "submit"):
                    values, wanted = control["values"], _choices(table, fspec.of)
                    if values != wanted:
                        problems.append(
                            f"{kind}.{f.name}: choices {sorted(values)} != {sorted(wanted)}"
                        )
                if f.control in ("input", "textarea"):
                    (attrs,) = control["attrs"]
                    maxlength = attrs.get("maxlength")
                    if maxlength != (str(fspec.max) if fspec.max else None):
                        problems.append(
                            f"{kind}.{f.name}: maxlength {maxlength} != the limit {fspec.max}"
                        )
                    label = " ".join(page.labels.get(attrs["id"], "").split())
                    if not label.startswith(f.label):
                        problems.append(f"{kind}.{f.name}: label {label!r}, declared {f.label!r}")
                if f.control == "radios":
                    legend = page.legends.get(f"rb-{kind}-{f.name}", "")
                    if legend != f.label:
                        problems.append(f"{kind}.{f.name}: legend {legend!r}, declared {f.label!r}")
    return problems


def render_partial() -> str:
    """The partial as the site build renders it, with placeholder URLs (Jinja: the docs group,
    not in Pyodide, where the tests that render are skipped)."""
    jinja2 = pytest.importorskip("jinja2")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROOT / "overrides"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    urls = collections.defaultdict(lambda: "x")
    return env.get_template("partials/walkthrough.html").render(
        m=view.page_model(), pages=urls, urls=urls, lock_info="{}", links="{}"
    )


def test_the_partial_s_forms_are_the_table_s() -> None:
    assert form_mismatches(render_partial()) == []


def test_the_check_catches_a_field_or_a_choice_the_page_lacks_or_adds() -> None:
    html = render_partial()
    lacks = html.replace('name="deviation_reason"', 'name="deviation"', 1)
    assert "decide: the page sends 'deviation'" in " ".join(form_mismatches(lacks))
    assert "decide.deviation_reason: a field of the table missing" in " ".join(
        form_mismatches(lacks)
    )
    at = html.index('data-form="resolve"')
    choice = html[:at] + html[at:].replace('value="unknown"', 'value="maybe"', 1)
    assert any("resolve.data_lost: choices" in p for p in form_mismatches(choice))
    extra = html.replace('data-form="reopen"', 'data-form="reopen_now"', 1)
    found = " ".join(form_mismatches(extra))
    assert "a form 'reopen_now'" in found and "reopen: an action of the table with no form" in found


def _table_with(field: str) -> Table:
    """The packaged table with one more field on an action (a test double of an edited file)."""
    table = load_table()
    from runbook_core.table import FieldSpec

    reopen = table.actions["reopen"]
    extra = FieldSpec(field, "line", False, 200, "", "A throw-away field.")
    actions = {
        **table.actions,
        "reopen": dataclasses.replace(reopen, fields=(*reopen.fields, extra)),
    }
    return dataclasses.replace(table, actions=actions)


def _forms_text() -> str:
    return files("runbook_core").joinpath(FORMS_FILE).read_text("utf-8")


def test_a_field_forms_toml_does_not_name_is_still_asked_for() -> None:
    forms = parse_forms(_forms_text(), _table_with("ticket_ref"))
    (added,) = [f for f in forms.actions["reopen"].fields if f.name == "ticket_ref"]
    assert (added.control, added.label) == ("input", "A throw-away field.")
    assert forms.actions["reopen"].shown()[-1] == added


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (
            (
                'name = "reason", control = "textarea", rows = 2, label = "Why reopen',
                'name = "why", control = "textarea", rows = 2, label = "Why reopen',
            ),
            "forms.reopen.fields[0].name",
        ),
        (
            (
                'control = "textarea", rows = 2, label = "Why reopen it?"',
                'control = "slider", label = "x"',
            ),
            "forms.reopen.fields[0].control",
        ),
        (("[forms.reopen]", "[forms.reopen_now]"), "forms.reopen_now"),
        (
            (
                'name = "incident_id", control = "none", reason',
                'name = "incident_id", control = "none", why',
            ),
            "forms.declare.fields[2].why",
        ),
        (
            ('announce = { done = "Outcome recorded."', 'announce = { done = "Outcome {outcome}."'),
            "forms.mitigation_outcome.announce.done",
        ),
    ],
)
def test_a_mistake_in_forms_toml_is_refused_naming_the_key(edit: tuple[str, str], key: str) -> None:
    text = _forms_text()
    assert edit[0] in text
    with pytest.raises(DataFileError) as caught:
        parse_forms(text.replace(edit[0], edit[1], 1), load_table())
    assert key in str(caught.value)


def test_every_action_not_in_the_page_says_why() -> None:
    for kind, spec in load_forms().actions.items():
        assert spec.page or spec.reason, kind
        for f in spec.fields:
            assert f.control != "none" or f.reason, (kind, f.name)
