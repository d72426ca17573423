"""The CLI's automation contract (issue 17): `apply --format json`, the actions and fields in
`apply --help` from the state table, and docs/reference/cli.md listing every command and option."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import signal
import sys
from pathlib import Path

import pytest

from runbook_core import apply, cli, load_org, record_from_json
from runbook_core.cli import build_parser, main
from runbook_core.derive import phase, status
from runbook_core.errors import InvalidInput
from runbook_core.record import Record
from runbook_core.table import load_table
from runbook_core.transitions import allowed_now
from tests.helpers import ROOT
from tests.helpers import run_cli as run

TABLE = load_table()
DECLARE = {"type": "declare", "summary": "API down", "by": "Dana"}
PAGE = ROOT / "docs" / "reference" / "cli.md"


def apply_json(capsys, state: Path, *actions: dict) -> tuple[int, dict, str]:
    argv = ["apply", "--format", "json", "--state", str(state)]
    if len(actions) == 1:
        code, out, err = run(capsys, *argv, json.dumps(actions[0]))
    else:
        sys.stdin = _Lines(actions)
        try:
            code, out, err = run(capsys, *argv, "-")
        finally:
            sys.stdin = sys.__stdin__
    return code, json.loads(out), err


class _Lines:
    """A minimal standard input: text, one action per line."""

    closed = False

    def __init__(self, actions) -> None:
        self.text = "".join(json.dumps(a) + "\n" for a in actions)

    def read(self, size: int = -1) -> str:
        return self.text


# ------------------------------------------------------------------- apply --format json


def test_applied_json_says_what_happened(capsys, tmp_path: Path) -> None:
    """Exit 0 and one object: the actions, the phase and status after them, what is allowed now
    and the revisions (SHA-256 of the file before and after), all matching the record."""
    state = tmp_path / "incident.json"
    code, result, err = apply_json(
        capsys, state, DECLARE, {"type": "take_command", "oncall": "Sam", "oncall_available": True}
    )
    assert code == 0 and err == ""
    record = record_from_json(state.read_text("utf-8"))
    assert result["ok"] is True and result["saved"] is True and result["state"] == str(state)
    assert result["applied"] == ["declare", "take_command"]
    assert result["incident_id"] == record.incident_id
    assert result["phase"] == phase(record) == "investigating"
    assert result["phase_label"] == TABLE.phase("investigating").label
    assert result["status"] == status(record) and result["escalation_required"] is False
    allowed = allowed_now(record, record.timeline[-1].at)
    assert result["allowed_now"] == [k for k, v in allowed.items() if v["allowed"]]
    assert "declare" not in result["allowed_now"] and "decide" in result["allowed_now"]
    assert result["revision"] == hashlib.sha256(state.read_bytes()).hexdigest()
    assert result["previous_revision"] is None

    first = result["revision"]
    code, result, _ = apply_json(capsys, state, {"type": "add_timeline", "event": "x"})
    assert code == 0 and result["previous_revision"] == first != result["revision"]


def test_a_refusal_in_json_names_the_field_and_the_guards_message(capsys, tmp_path) -> None:
    """Exit 2; error.kind "refused" with the field and the guard's own message (the same
    InvalidInput the Python API raises), which action it was, and the file unchanged."""
    state = tmp_path / "incident.json"
    record = apply(Record(), DECLARE, "2026-11-28T21:40:00Z")
    state.write_text(record.to_json())
    before = state.read_bytes()
    action = {"type": "resolve", "details": "fine now", "data_lost": "no"}
    with pytest.raises(InvalidInput) as expected:
        apply(record, action, "2026-11-28T21:45:00Z")
    code, result, err = apply_json(capsys, state, {"type": "add_timeline", "event": "x"}, action)
    assert code == 2 and err.count("\n") == 1 and state.read_bytes() == before
    assert result["ok"] is False and result["saved"] is False
    error = result["error"]
    assert error["kind"] == "refused" and error["type"] == "resolve"
    assert error["action_number"] == 2
    assert (error["field"], error["problem"]) == (expected.value.field, expected.value.problem)
    assert error["message"] in err


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ({"type": "explode"}, "type"),
        ({"type": "correct_summary", "summary": "x"}, "type"),  # not declared: the phase
        ({"type": "declare"}, "summary"),
        ({"type": "declare", "summary": "x", "by": "y", "extra": 1}, "extra"),
    ],
    ids=["unknown-type", "phase", "missing-field", "unknown-field"],
)
def test_each_kind_of_refusal_names_its_field(capsys, tmp_path, action, field) -> None:
    """Unknown type, wrong phase, a missing or unknown field: kind "refused", the field."""
    code, result, _ = apply_json(capsys, tmp_path / "i.json", action)
    assert code == 2 and result["error"]["kind"] == "refused"
    assert result["error"]["field"] == field
    assert not (tmp_path / "i.json").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--state", "{tmp}", json.dumps(DECLARE)],
        ["--state", "{tmp}/none/i.json", json.dumps(DECLARE)],
        ["--state", "{tmp}/i.json", "{not json"],
        ["--state", "{tmp}/i.json", "--at", "soon", json.dumps(DECLARE)],
    ],
    ids=["folder", "missing-folder", "not-json", "bad-at"],
)
def test_bad_input_in_json(capsys, tmp_path: Path, argv: list[str]) -> None:
    """Input that never reached the state machine: kind "bad_input", field null, exit 2."""
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, out, err = run(capsys, "apply", "--format", "json", *argv)
    result = json.loads(out)
    assert code == 2 and result["ok"] is False and result["saved"] is False
    assert result["error"]["kind"] == "bad_input" and result["error"]["field"] is None
    assert result["error"]["message"] in err


def test_interrupted_json_says_whether_it_was_saved(capsys, monkeypatch, tmp_path) -> None:
    """Ctrl-C held during the replace: exit 130, kind "interrupted", saved true."""
    real_replace = os.replace

    def replace_then_interrupt(src, dst):
        signal.raise_signal(signal.SIGINT)
        real_replace(src, dst)

    monkeypatch.setattr(cli.os, "replace", replace_then_interrupt)
    code, result, err = apply_json(capsys, tmp_path / "i.json", DECLARE)
    assert code == 130 and result["error"]["kind"] == "interrupted" and result["saved"] is True
    assert record_from_json((tmp_path / "i.json").read_text("utf-8")).summary == "API down"


def test_text_output_is_unchanged_by_default(capsys, tmp_path: Path) -> None:
    """Without --format: the one line `ID: status (N applied)`, as before."""
    code, out, _ = run(capsys, "apply", "--state", str(tmp_path / "i.json"), json.dumps(DECLARE))
    assert code == 0 and re.fullmatch(r"INC-\S+: Investigating \(1 applied\)\n", out)


# ------------------------------------------------------------------------ apply --help


@pytest.mark.parametrize("kind", list(TABLE.actions))
def test_apply_help_lists_each_action_and_its_fields_from_the_table(capsys, kind: str) -> None:
    """`apply --help` names every action in the table with its title, and each field with
    its limit where it has one and its description."""
    code, out, _ = run(capsys, "apply", "--help")
    assert code == 0
    text = " ".join(out.split())  # help wraps lines
    spec = TABLE.actions[kind]
    assert f"{kind}: {spec.title}" in text
    for f in spec.fields:
        assert f"{f.name}: {cli.field_summary(f)}. {' '.join(f.doc.split())}" in text
        if f.max is not None and f.type in ("line", "text", "name", "url"):
            assert f"at most {f.max} characters" in cli.field_summary(f)


def test_apply_help_follows_the_table(monkeypatch) -> None:
    """A renamed action in the table changes the help: it is generated, not typed."""
    actions = dict(TABLE.actions)
    spec = actions.pop("declare")
    renamed = type(spec)(**{**spec.__dict__, "type": "open_incident"})
    table = type(TABLE)(TABLE.phases, TABLE.vocabulary, TABLE.guards, {"open_incident": renamed})
    monkeypatch.setattr(cli, "load_table", lambda: table)
    text = cli.actions_help()
    assert "open_incident: Declare the incident" in text and "declare:" not in text


# ------------------------------------------------------------------------- the docs page


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [o for a in parser._actions for o in a.option_strings]


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


class _Env:
    """What sitebuild/macros.py's define_env uses of mkdocs-macros' env."""

    def __init__(self) -> None:
        self.variables: dict = {}
        self.macros: dict = {}
        self.conf: dict = {"docs_dir": str(ROOT / "docs"), "extra": {}}

    def macro(self, fn):
        self.macros[fn.__name__] = fn
        return fn


def rendered_page() -> str:
    """docs/reference/cli.md as the build renders it: through the site's own macros module."""
    import jinja2  # the docs group: not in Pyodide, where these tests are deselected

    from sitebuild import macros

    env = _Env()
    macros.define_env(env)
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(
        PAGE.read_text("utf-8")
    )
    return template.render(**env.variables, **env.macros)


@pytest.fixture(scope="module")
def page() -> str:
    if sys.platform == "emscripten":
        pytest.skip("renders the docs page with the site's macros (CPython, docs group)")
    return rendered_page()


@pytest.mark.parametrize("command", list(_commands()))
def test_the_page_documents_every_command_and_option(page: str, command: str) -> None:
    """Each command has its section, and each of its options appears in it (a missing option,
    or a page that stops rendering the reference, fails here)."""
    parser = _commands()[command]
    start = page.index(f"### `runbook {command}`")
    end = page.find("\n### ", start + 1)
    section = page[start : end if end != -1 else None]
    for option in _options(parser):
        if option in ("-h", "--help", "--org"):
            continue  # documented once for every command
        row = rf"^\| `([^`]*, )?{re.escape(option)}(, [^`]*)?` \|"  # its own table row
        assert re.search(row, section, re.M), (command, option)
    for action in parser._actions:
        for choice in action.choices or ():
            assert f"`{choice}`" in section, (command, action.dest, choice)


def test_the_page_documents_the_options_of_every_command(page: str) -> None:
    """--org, --version and --help once, for every command; messages --format slack named."""
    for option in _options(build_parser()):
        assert option in page, option
    messages = page[page.index("### `runbook messages`") :]
    assert "`slack`" in messages.split("\n### ")[0]


def test_the_page_documents_the_json_contract_keys(page: str, capsys, tmp_path) -> None:
    """Every key `apply --format json` prints (applied and refused) has a row on the page."""
    code, result, _ = apply_json(capsys, tmp_path / "i.json", DECLARE)
    code, refused, _ = apply_json(capsys, tmp_path / "i.json", DECLARE)
    assert code == 2
    for key in [*result, *refused, *refused["error"]]:
        assert f"`{key}`" in page, key


def test_the_pages_limits_come_from_the_code(page: str) -> None:
    """The tolerance for --at and the input bound are rendered from their declarations."""
    minutes = int(cli.FUTURE_TOLERANCE.total_seconds() // 60)
    assert f"no more than {minutes} minutes after the real clock" in page
    assert f"{cli.MAX_INPUT_BYTES:,} bytes" in page


def test_the_org_words_on_the_page_are_the_active_orgs(page: str) -> None:
    """The page renders with the active organisation's words."""
    assert load_org().channel in page


def test_apply_help_says_where_the_runbook_is_silent(capsys) -> None:
    """An action the runbook does not cover reads "not in the runbook" in `apply --help`, never
    "runbook None"."""
    from runbook_core.rules import NOT_IN_RUNBOOK

    with pytest.raises(SystemExit):
        main(["apply", "--help"])
    out = capsys.readouterr().out
    assert "runbook None" not in out
    silent = [a for a in load_table().actions.values() if not a.section]
    assert silent and all(f"{a.title} ({NOT_IN_RUNBOOK};" in " ".join(out.split()) for a in silent)
