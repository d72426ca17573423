"""The declared incident table (data/transitions.toml): phases, vocabulary, guards and actions.

Only loading and validation live here; the guards' code is in transitions.py and the effects in
actions.py. A malformed file is refused with an error naming the file, the key and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from . import datafile
from .limits import load_limits
from .rules import NOT_IN_RUNBOOK, Runbook, _Reader, load_runbook

TABLE_FILE = "data/transitions.toml"
FIELD_TYPES = (
    "line",
    "text",
    "name",
    "names",
    "url",
    "time",
    "bool",
    "choice",
    "answer",
    "index",
    "incident_id",
)
# Lists an `index` field may point into, and what a `choice` may be `of` besides the vocabulary.
INDEXED = ("timeline", "follow_ups")
BUILT_IN_CHOICES = ("actions", "questions")
GUARD_KINDS = ("state", "input")
ACTION_KEYS = set("type title section cites phases why_not guards effect fields".split())
# A field's `max` names a text limit of data/limits.toml; these types have one by default, and
# line and text fields must name theirs.
# (A names field has none of its own: each name has the `name` limit, the list the `names` count.)
DEFAULT_LIMIT = {"name": "name", "url": "url", "incident_id": "incident_id"}


@dataclass(frozen=True)
class Phase:
    id: str
    label: str
    doc: str


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    required: bool
    max: int | None
    of: str
    doc: str


@dataclass(frozen=True)
class GuardSpec:
    id: str
    kind: str
    doc: str
    section: str | None = None  # the section its messages cite; None: they cite none
    cites: str = ""  # words of that section that say it (tests/test_citations.py checks)


@dataclass(frozen=True)
class ActionSpec:
    type: str
    title: str
    section: str | None  # None: not in the runbook
    phases: tuple[str, ...]
    why_not: str
    guards: tuple[str, ...]
    effect: str
    fields: tuple[FieldSpec, ...]
    cites: str = ""  # words of the section that say it (tests/test_citations.py checks)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)


@dataclass(frozen=True)
class Table:
    phases: tuple[Phase, ...]
    vocabulary: dict[str, dict[str, str]]
    guards: dict[str, GuardSpec]
    actions: dict[str, ActionSpec]

    def phase(self, pid: str) -> Phase:
        return next(p for p in self.phases if p.id == pid)

    def values(self, vocabulary: str) -> tuple[str, ...]:
        return tuple(self.vocabulary[vocabulary])

    def label(self, vocabulary: str, value: str) -> str:
        return self.vocabulary[vocabulary].get(value, value)


def _citation(
    r: _Reader, item: dict[str, object], path: str, runbook: Runbook, required: bool
) -> tuple[str | None, str]:
    """(section, cites): a section of the runbook with the words of it that say so, or (None,
    "") for an explicit "not in the runbook"."""
    if "section" not in item and not required:
        return None, ""
    section = r.text(item, "section", path)
    if section == NOT_IN_RUNBOOK:
        if "cites" in item:
            raise r.fail(f"{path}.cites", "no cites: the section is not in the runbook")
        return None, ""
    if section not in runbook.sections:
        raise r.fail(
            f"{path}.section",
            f"one of the runbook sections {sorted(runbook.sections)} or {NOT_IN_RUNBOOK!r}",
        )
    return section, r.text(item, "cites", path)


def parse_table(text: str, source: str = TABLE_FILE) -> Table:
    r = _Reader(source)
    try:
        raw = datafile.loads(text)
    except datafile.TOMLError as exc:
        raise r.fail("(file)", f"valid TOML ({exc})") from None
    r.only(raw, {"phases", "vocabulary", "guards", "actions"}, "")

    phases = []
    for i, item in enumerate(r.array(raw, "phases", "")):
        path = f"phases[{i}]"
        item = r.table(item, path)
        r.only(item, {"id", "label", "doc"}, path)
        phases.append(
            Phase(r.text(item, "id", path), r.text(item, "label", path), r.text(item, "doc", path))
        )
    phase_ids = [p.id for p in phases]
    if len(set(phase_ids)) != len(phase_ids):
        raise r.fail("phases", "distinct ids")

    vocabulary: dict[str, dict[str, str]] = {}
    for name, words in r.table(r.get(raw, "vocabulary", ""), "vocabulary").items():
        path = f"vocabulary.{name}"
        words = r.table(words, path)
        if not words:
            raise r.fail(path, "at least one value = label")
        vocabulary[name] = {value: r.text(words, value, path) for value in words}
    needed = {"outcome", "data_lost", "message_kind", "timeline_kind"}
    if not needed <= set(vocabulary):
        raise r.fail("vocabulary", f"the vocabularies {sorted(needed)}")

    runbook = load_runbook()
    guards = {}
    for gid, item in r.table(r.get(raw, "guards", ""), "guards").items():
        path = f"guards.{gid}"
        item = r.table(item, path)
        r.only(item, {"kind", "doc", "section", "cites"}, path)
        kind = r.text(item, "kind", path)
        if kind not in GUARD_KINDS:
            raise r.fail(f"{path}.kind", f"one of {list(GUARD_KINDS)}")
        section, cites = _citation(r, item, path, runbook, required=False)
        guards[gid] = GuardSpec(gid, kind, r.text(item, "doc", path), section, cites)

    choices = set(vocabulary) | set(BUILT_IN_CHOICES)
    actions: dict[str, ActionSpec] = {}
    for i, item in enumerate(r.array(raw, "actions", "")):
        path = f"actions[{i}]"
        item = r.table(item, path)
        r.only(item, ACTION_KEYS, path)
        kind = r.text(item, "type", path)
        if kind in actions:
            raise r.fail(f"{path}.type", f"a type not used before ({kind!r} is)")
        section, cites = _citation(r, item, path, runbook, required=True)
        allowed = r.array(item, "phases", path)
        for p in allowed:
            if p not in phase_ids:
                raise r.fail(f"{path}.phases", f"phases from {phase_ids}, not {p!r}")
        named = item.get("guards", [])
        if not isinstance(named, list) or any(g not in guards for g in named):
            raise r.fail(f"{path}.guards", f"a list of guards from {sorted(guards)}")
        why_not = item.get("why_not", "")
        if not isinstance(why_not, str):
            raise r.fail(f"{path}.why_not", "a string")
        fields = []
        for j, f in enumerate(item.get("fields", [])):
            fpath = f"{path}.fields[{j}]"
            f = r.table(f, fpath)
            r.only(f, {"name", "type", "required", "max", "of", "doc"}, fpath)
            ftype = r.text(f, "type", fpath)
            if ftype not in FIELD_TYPES:
                raise r.fail(f"{fpath}.type", f"one of {list(FIELD_TYPES)}")
            of = f.get("of", "")
            if ftype == "choice" and of not in choices:
                raise r.fail(f"{fpath}.of", f"one of {sorted(choices)}")
            if ftype == "index" and of not in INDEXED:
                raise r.fail(f"{fpath}.of", f"one of {list(INDEXED)}")
            texts = load_limits().text
            limit_name = f.get("max", DEFAULT_LIMIT.get(ftype))
            if ftype in ("line", "text") and limit_name is None:
                raise r.fail(f"{fpath}.max", f"the name of a text limit, one of {sorted(texts)}")
            if limit_name is not None and limit_name not in texts:
                raise r.fail(f"{fpath}.max", f"the name of a text limit, one of {sorted(texts)}")
            limit = texts[limit_name] if limit_name is not None else None
            required = f.get("required", False)
            if not isinstance(required, bool):
                raise r.fail(f"{fpath}.required", "true or false")
            fields.append(
                FieldSpec(
                    r.text(f, "name", fpath), ftype, required, limit, of, r.text(f, "doc", fpath)
                )
            )
        if len({f.name for f in fields}) != len(fields):
            raise r.fail(f"{path}.fields", "distinct field names")
        actions[kind] = ActionSpec(
            kind,
            r.text(item, "title", path),
            section,
            tuple(allowed),
            why_not,
            tuple(named),
            r.text(item, "effect", path),
            tuple(fields),
            cites,
        )
    return Table(tuple(phases), vocabulary, guards, actions)


@cache
def load_table() -> Table:
    """The packaged incident table (parsed once per process)."""
    return parse_table(files("runbook_core").joinpath(TABLE_FILE).read_text("utf-8"))


# ------------------------------------------------------------------ the page's forms
FORMS_FILE = "data/forms.toml"
# How the page carries a field: a control drawn from the declaration, or none ("none": the page
# script fills it, with a reason; "submit": the form's submit buttons carry it).
CONTROLS = ("input", "textarea", "radios", "checkbox", "hidden", "submit", "none")
# The control a field of the table gets when forms.toml does not name it.
DEFAULT_CONTROL = {"text": "textarea", "choice": "radios", "bool": "checkbox"}
FORM_FIELD_KEYS = set(
    "name control label hint placeholder autocomplete rows row within mirror keep draft "
    "invert required reason part".split()
)
# The view's values an announcement may name (the page script fills them in).
ANNOUNCE_PLACEHOLDERS = {"incident_id", "recommendation", "decision", "next_update_due", "status"}
# The cases an announcement may have: `done`, or a case the view says holds (view.announce.cases),
# which the page prefers to `done`.
ANNOUNCE_CASES = {"done", "permitted", "not_permitted", "escalation_required"}


@dataclass(frozen=True)
class FormField:
    name: str
    control: str
    label: str
    hint: str = ""
    placeholder: str = ""
    autocomplete: str = "off"
    rows: int = 3
    row: str = ""  # fields with the same row, next to each other, sit side by side
    within: str = ""  # "hook" or "hook=value": the hidden block that holds it
    mirror: str = ""
    keep: bool = False  # not cleared after the action
    draft: bool = True
    invert: bool = False
    required: bool = False  # marked "(required)" on the page
    reason: str = ""  # why the page has no control for it
    # The form it sits in when an action is asked for in several places (its fields split by
    # part: each part is its own small form where it belongs); "" for the action's main form.
    part: str = ""


@dataclass(frozen=True)
class FormSpec:
    action: str
    page: bool
    reason: str
    label: str
    announce: dict[str, str]
    fields: tuple[FormField, ...]

    def shown(self) -> tuple[FormField, ...]:
        """The fields the form draws, in order (not the ones submit buttons or the script send)."""
        return tuple(f for f in self.fields if f.control not in ("none", "submit"))


@dataclass(frozen=True)
class Forms:
    default_announce: str
    actions: dict[str, FormSpec]


def _default_field(spec: FieldSpec) -> FormField:
    """A field the table declares and forms.toml does not: the page still asks for it."""
    return FormField(
        spec.name,
        DEFAULT_CONTROL.get(spec.type, "input"),
        spec.doc,
        rows=2,
        required=spec.required,
    )


def parse_forms(text: str, table: Table, source: str = FORMS_FILE) -> Forms:
    r = _Reader(source)
    try:
        raw = datafile.loads(text)
    except datafile.TOMLError as exc:
        raise r.fail("(file)", f"valid TOML ({exc})") from None
    r.only(raw, {"default_announce", "forms"}, "")
    default = r.placeholders(
        r.text(raw, "default_announce", ""), ANNOUNCE_PLACEHOLDERS, "default_announce"
    )
    declared = r.table(r.get(raw, "forms", ""), "forms")
    for kind in declared:
        if kind not in table.actions:
            raise r.fail(
                f"forms.{kind}", f"an action of {TABLE_FILE}, one of {sorted(table.actions)}"
            )
    actions = {}
    for kind, action in table.actions.items():
        path = f"forms.{kind}"
        item = r.table(declared.get(kind, {}), path)
        r.only(item, {"page", "reason", "label", "announce", "fields"}, path)
        page = item.get("page", True)
        if not isinstance(page, bool):
            raise r.fail(f"{path}.page", "true or false")
        reason = r.text(item, "reason", path) if not page else ""
        announce = r.table(item.get("announce", {}), f"{path}.announce")
        for case in announce:
            if case not in ANNOUNCE_CASES:
                raise r.fail(f"{path}.announce.{case}", f"one of {sorted(ANNOUNCE_CASES)}")
            r.placeholders(
                r.text(announce, case, f"{path}.announce"),
                ANNOUNCE_PLACEHOLDERS,
                f"{path}.announce.{case}",
            )
        fields: dict[str, FormField] = {}
        for j, f in enumerate(item.get("fields", [])):
            fpath = f"{path}.fields[{j}]"
            f = r.table(f, fpath)
            r.only(f, FORM_FIELD_KEYS, fpath)
            name = r.text(f, "name", fpath)
            if name not in {s.name for s in action.fields} or name in fields:
                raise r.fail(
                    f"{fpath}.name",
                    f"a field of {kind} named once, one of {[s.name for s in action.fields]}",
                )
            control = r.text(f, "control", fpath)
            if control not in CONTROLS:
                raise r.fail(f"{fpath}.control", f"one of {list(CONTROLS)}")
            if control == "none":
                r.text(f, "reason", fpath)
            drawn = control not in ("none", "submit", "hidden")
            for key in ("label",) if drawn else ():
                r.text(f, key, fpath)
            for key in (
                "hint",
                "placeholder",
                "autocomplete",
                "row",
                "within",
                "mirror",
                "reason",
                "part",
            ):
                if not isinstance(f.get(key, ""), str):
                    raise r.fail(f"{fpath}.{key}", "a string")
            for key in ("keep", "draft", "invert", "required"):
                if key in f and not isinstance(f[key], bool):
                    raise r.fail(f"{fpath}.{key}", "true or false")
            rows = f.get("rows", 3)
            if not isinstance(rows, int) or not 1 <= rows <= 12:
                raise r.fail(f"{fpath}.rows", "a number of lines from 1 to 12")
            fields[name] = FormField(
                name,
                control,
                f.get("label", ""),
                hint=f.get("hint", ""),
                placeholder=f.get("placeholder", ""),
                autocomplete=f.get("autocomplete", "off"),
                rows=rows,
                row=f.get("row", ""),
                within=f.get("within", ""),
                mirror=f.get("mirror", ""),
                keep=f.get("keep", False),
                draft=f.get("draft", True),
                invert=f.get("invert", False),
                required=f.get("required", action.field(name).required),
                reason=f.get("reason", ""),
                part=f.get("part", ""),
            )
        # The table is the source of the fields: one it has and this file does not name is
        # still asked for, after the others.
        for spec in action.fields:
            if spec.name not in fields:
                fields[spec.name] = _default_field(spec)
        actions[kind] = FormSpec(
            kind, page, reason, item.get("label", ""), dict(announce), tuple(fields.values())
        )
    return Forms(default, actions)


@cache
def load_forms() -> Forms:
    """The packaged page forms (data/forms.toml), checked against the table."""
    text = files("runbook_core").joinpath(FORMS_FILE).read_text("utf-8")
    return parse_forms(text, load_table())
