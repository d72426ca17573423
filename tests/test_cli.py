"""`runbook`: decide, ticket, messages, apply and walk, on the examples and on bad input.

Tests that start processes, rely on POSIX file semantics (locks, symlinks, permissions) or on a
closed file descriptor are marked cpython_only; the rest also run inside Pyodide.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from runbook_core import __version__, apply, load_org, record_from_json, render_ticket
from runbook_core.cli import UsageError, Walk, build_parser, cmd_apply, main
from runbook_core.config import packaged_org
from runbook_core.record import Record
from runbook_core.transitions import allowed_now
from tests.helpers import EXAMPLES, GOLDEN, SCENARIOS, TESTS

EXAMPLE = str(EXAMPLES / "rollback-succeeded.json")
NAMES = sorted(SCENARIOS)
ORG = load_org()
# What a terminal acts on: C0 controls but newline and tab, DEL, C1 controls (CSI is \x9b).
TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
cpython_only = pytest.mark.cpython_only


def run(capsys, *argv: str, stdin: object = "unset", monkeypatch=None) -> tuple[int, str, str]:
    """main(argv) in this process: (exit code, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse exits by itself on bad choices
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def run_stdin(capsys, monkeypatch, text: str | None, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text) if text is not None else None)
    return run(capsys, *argv)


def ticket_name(name: str, fmt: str) -> Path:
    return GOLDEN / f"{name}.ticket.{'md' if fmt == 'markdown' else fmt + '.txt'}"


# ---------------------------------------------------------------------------------- decide


def _decide(capsys, *answers: str) -> tuple[int, str, str]:
    flags = ("--scope", "--data-loss", "--degradation", "--fix-understood", "--hotfix-faster")
    argv = ["decide"]
    for flag, value in zip(flags, answers, strict=False):
        argv += [flag, value]
    return run(capsys, *argv, "--format", "json")


def test_decide_recommends_roll_back_and_says_when_fix_forward_is_permitted(capsys) -> None:
    """`decide --format json`: always roll back; fix forward permitted with all three conditions,
    and every reason cites a section."""
    code, out, _ = _decide(capsys, "subset", "no", "minor", "yes", "yes")
    data = json.loads(out)
    assert code == 0 and data["action"] == "roll_back" and data["fix_forward_permitted"] is True
    assert all(r["section"] and r["text"] for r in data["reasons"])
    code, out, _ = _decide(capsys, "subset", "no", "minor", "yes")
    assert code == 0 and json.loads(out)["fix_forward_permitted"] is False


def test_decide_text_lists_the_reasons(capsys) -> None:
    """Plain text: roll back, whether fix forward is permitted, one line per cited reason."""
    code, out, _ = run(
        capsys, "decide", "--scope", "unknown", "--data-loss", "no", "--degradation", "critical"
    )
    lines = out.splitlines()
    assert (
        code == 0 and lines[0].startswith("Roll back") and lines[1] == "Fix forward: not permitted"
    )
    assert "5. Failure Modes" in out


# ------------------------------------------------------------------------ ticket, messages


@pytest.mark.parametrize("fmt", ["markdown", "jira", "text"])
@pytest.mark.parametrize("name", NAMES)
def test_ticket_prints_the_golden_ticket(capsys, name: str, fmt: str) -> None:
    """`ticket --state [--format]` prints exactly the golden ticket for each example."""
    code, out, _ = run(capsys, "ticket", "--state", str(EXAMPLES / f"{name}.json"), "--format", fmt)
    assert code == 0 and out == ticket_name(name, fmt).read_text("utf-8")


def test_ticket_writes_a_file(capsys, tmp_path: Path) -> None:
    """`-o FILE` writes the same ticket, and says nothing on stdout."""
    target = tmp_path / "t.md"
    code, out, _ = run(capsys, "ticket", "--state", EXAMPLE, "-o", str(target))
    assert code == 0 and out == ""
    assert target.read_text("utf-8") == render_ticket(record_from_json(Path(EXAMPLE).read_text()))


def test_messages_json_is_the_golden_messages(capsys) -> None:
    """`messages --format json` equals the golden messages."""
    code, out, _ = run(capsys, "messages", "--state", EXAMPLE, "--format", "json")
    golden = json.loads((GOLDEN / "rollback-succeeded.messages.json").read_text("utf-8"))
    assert code == 0 and json.loads(out) == golden


def test_messages_at_a_moment(capsys) -> None:
    """`--at` computes the previews for that moment."""
    state = str(EXAMPLES / "rollback-failed-escalated.json")
    record = record_from_json(Path(state).read_text("utf-8"))
    code, out, _ = run(capsys, "messages", "--state", state, "--at", "2026-11-28T14:16:00Z")
    assert code == 0 and record.incident_id in out and "## declaration-message" in out


def test_version(capsys) -> None:
    """`--version` prints the package version."""
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"runbook {__version__}"


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_partial_org_file_works_before_and_after_the_subcommand(
    capsys, tmp_path: Path, where: str
) -> None:
    """--org anywhere; a team's file with one key keeps the packaged values of the others."""
    org = tmp_path / "org.toml"
    org.write_text('escalation_mention = "@head-of-eng"\n', "utf-8")
    state = str(_failed_rollback_state(tmp_path))
    argv = ["messages", "--state", state, "--at", "2026-11-28T14:15:10Z"]
    argv = ["--org", str(org), *argv] if where == "before" else [*argv, "--org", str(org)]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    packaged = packaged_org()
    assert f"@head-of-eng ({packaged.escalation_contact})" in out  # the mention, the packaged name
    code, out, _ = run(capsys, "--org", str(org), "ticket", "--state", state)
    assert f"| Channel | {packaged.channel.replace('#', chr(92) + '#')} |" in out


def _hostile_record(tmp_path: Path) -> Path:
    hostile = "Boom \x1b[31mred\x1b[0m \x07bell \x00nul \x9b2J csi \x85nel \x7fdel"
    record = apply(
        Record(), {"type": "declare", "summary": hostile, "by": hostile}, "2026-11-28T21:40:00Z"
    )
    for minute, action in enumerate(
        (
            {"type": "take_command", "oncall": hostile},
            {"type": "status_update", "text": hostile},
            {"type": "add_follow_up", "text": hostile, "owner": hostile},
            {"type": "add_timeline", "event": hostile, "who": hostile},
        ),
        start=41,
    ):
        record = apply(record, action, f"2026-11-28T21:{minute}:00Z")
    assert "\x1b" in record.summary and "\x07" in record.ic
    path = tmp_path / "hostile.json"
    path.write_text(record.to_json(), "utf-8")
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["messages"],
        ["messages", "--format", "json"],
        ["messages", "--format", "slack"],
        ["ticket"],
        ["ticket", "--format", "jira"],
        ["ticket", "--format", "text"],
    ],
    ids=["messages", "messages-json", "messages-slack", "ticket", "ticket-jira", "ticket-text"],
)
def test_text_output_carries_no_terminal_control_characters(capsys, tmp_path: Path, argv) -> None:
    """ESC, NUL, BEL, DEL and C1 controls from a record never reach the terminal."""
    state = _hostile_record(tmp_path)
    code, out, err = run(capsys, *argv, "--state", str(state), "--at", "2026-11-28T21:50:00Z")
    if argv[0] == "ticket":  # ticket has no --at
        code, out, err = run(capsys, *argv, "--state", str(state))
    assert code == 0, err
    assert "Boom" in out and not TERMINAL_CONTROL.search(out)


# -------------------------------------------------------------------------------- apply


def _scenario_lines(name: str) -> str:
    return "".join(
        json.dumps({"at": s["at"], "action": s["action"]}) + "\n" for s in SCENARIOS[name]
    )


@pytest.mark.parametrize("name", NAMES)
def test_apply_from_stdin_drives_each_example_to_the_same_record_and_ticket(
    capsys, monkeypatch, tmp_path: Path, name: str
) -> None:
    """`runbook apply --state FILE -` from an empty state file, one {"at", "action"} per line:
    the example record byte for byte, and the golden ticket."""
    state = tmp_path / "incident.json"
    code, out, err = run_stdin(
        capsys, monkeypatch, _scenario_lines(name), "apply", "--state", str(state), "-"
    )
    assert code == 0, err
    assert f"({len(SCENARIOS[name])} applied)" in out
    assert state.read_text("utf-8") == (EXAMPLES / f"{name}.json").read_text("utf-8")
    code, out, _ = run(capsys, "ticket", "--state", str(state))
    assert out == ticket_name(name, "markdown").read_text("utf-8")


def test_apply_one_action_per_run_with_at(capsys, tmp_path: Path) -> None:
    """One action per invocation, its time given with --at: the same record as the example."""
    name = "rollback-failed-escalated"
    state = tmp_path / "incident.json"
    for step in SCENARIOS[name]:
        code, _, err = run(
            capsys, "apply", "--state", str(state), "--at", step["at"], json.dumps(step["action"])
        )
        assert code == 0, (step, err)
    assert state.read_text("utf-8") == (EXAMPLES / f"{name}.json").read_text("utf-8")
    for fmt in ("markdown", "jira", "text"):
        code, out, _ = run(capsys, "ticket", "--state", str(state), "--format", fmt)
        assert out == ticket_name(name, fmt).read_text("utf-8")


def _failed_rollback_state(tmp_path: Path) -> Path:
    steps = [s for s in SCENARIOS["rollback-failed-escalated"] if s["action"]["type"] != "escalate"]
    record = Record()
    for step in steps[: [s["action"]["type"] for s in steps].index("mitigation_outcome") + 1]:
        record = apply(record, step["action"], step["at"])
    path = tmp_path / "incident.json"
    path.write_text(record.to_json(), "utf-8")
    return path


def test_a_refused_action_exits_2_with_the_guards_message_and_leaves_the_file(
    capsys, tmp_path: Path
) -> None:
    """Resolving a failed rollback that was not escalated: exit 2, the guard's words, and the
    state file byte for byte as it was; a batch is all or nothing."""
    state = _failed_rollback_state(tmp_path)
    before = state.read_bytes()
    at = "2026-11-28T14:20:00Z"
    why = allowed_now(record_from_json(before.decode()), at)["resolve"]["why_not"]
    resolve = {"type": "resolve", "details": "ok", "data_lost": "no"}
    code, _, err = run(capsys, "apply", "--state", str(state), "--at", at, json.dumps(resolve))
    assert code == 2 and why in err and "Traceback" not in err
    assert state.read_bytes() == before


def test_a_batch_is_all_or_nothing(capsys, monkeypatch, tmp_path: Path) -> None:
    """A refused line in `apply -` leaves the file untouched and names the line."""
    state = _failed_rollback_state(tmp_path)
    before = state.read_bytes()
    lines = (
        json.dumps({"type": "add_timeline", "event": "Paged DBA"})
        + "\n"
        + json.dumps({"type": "resolve", "details": "ok", "data_lost": "no"})
        + "\n"
    )
    code, _, err = run_stdin(
        capsys,
        monkeypatch,
        lines,
        "apply",
        "--state",
        str(state),
        "--at",
        "2026-11-28T14:20:00Z",
        "-",
    )
    assert code == 2 and "action 2" in err and state.read_bytes() == before


@pytest.mark.parametrize(
    ("action", "named"),
    [
        ("{", "ACTION_JSON"),
        ("[1]", "action"),
        ('{"type": "explode"}', "explode"),
        ('{"type": "declare"}', "summary"),
        ('{"type": "declare", "summary": %s}' % ("1" * 5000), "summary"),
    ],
    ids=["not-json", "not-an-object", "unknown-type", "missing-field", "huge-number"],
)
def test_apply_bad_action_exits_2_naming_it(
    capsys, tmp_path: Path, action: str, named: str
) -> None:
    """Exit 2 naming what is wrong; no state file is created by a refused first action."""
    state = tmp_path / "incident.json"
    code, _, err = run(capsys, "apply", "--state", str(state), action)
    assert code == 2 and named in err and "Traceback" not in err
    assert not state.exists()


def test_apply_with_no_stdin_or_a_closed_one_exits_2(capsys, monkeypatch, tmp_path: Path) -> None:
    """`apply -` with no standard input (None, or closed) or an empty one: exit 2, said plainly."""
    state = tmp_path / "incident.json"
    for stdin in (None, ""):
        code, _, err = run_stdin(capsys, monkeypatch, stdin, "apply", "--state", str(state), "-")
        assert code == 2 and "standard input" in err and "--org" not in err
    closed = io.StringIO("{}")
    closed.close()
    args = build_parser().parse_args(["apply", "--state", str(state), "-"])
    with pytest.raises(UsageError, match="standard input is closed"):
        cmd_apply(args, ORG, print, stdin=closed)
    assert not state.exists()


# ------------------------------------------------------------------ files and their errors


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["ticket", "--state", "{missing}/nowhere/x.json"], "nowhere"),
        (["ticket", "--state", "{tmp}"], "is a folder"),
        (["ticket", "--state", "{state}", "-o", "{tmp}"], "is a folder"),
        (["ticket", "--state", "{state}", "-o", "{missing}/nowhere/t.md"], "does not exist"),
        (
            ["apply", "--state", "{missing}/nowhere/x.json", '{"type": "declare", "summary": "x"}'],
            "does not exist",
        ),
        (["apply", "--state", "{tmp}", '{"type": "declare", "summary": "x"}'], "is a folder"),
        (["messages", "--state", "{golden}"], "not valid JSON"),
    ],
    ids=[
        "state-missing-folder",
        "state-is-a-folder",
        "output-is-a-folder",
        "output-missing-folder",
        "apply-missing-folder",
        "apply-to-a-folder",
        "state-not-json",
    ],
)
def test_file_errors_exit_2_naming_the_path_never_blaming_org(
    capsys, tmp_path: Path, argv: list[str], named: str
) -> None:
    """A missing folder, a folder where a file is expected, a file that is not JSON: exit 2,
    the path and the problem, no traceback, and never a word about --org."""
    values = {
        "missing": str(tmp_path),
        "tmp": str(tmp_path),
        "state": EXAMPLE,
        "golden": str(GOLDEN / "fix-forward.ticket.md"),
    }
    for key, value in values.items():
        argv = [a.replace("{" + key + "}", value) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2 and named in err and "Traceback" not in err
    assert str(tmp_path) in err or "--state" in err
    assert "--org" not in err and "org.toml" not in err


@cpython_only
def test_a_read_only_state_file_is_not_replaced(capsys, tmp_path: Path) -> None:
    """A state file without write permission: exit 2 naming it, content and mode unchanged
    (even for root, who could replace it)."""
    state = tmp_path / "incident.json"
    state.write_text(
        apply(Record(), {"type": "declare", "summary": "x"}, "2026-11-28T21:40:00Z").to_json()
    )
    state.chmod(0o444)
    before = state.read_bytes()
    try:
        code, _, err = run(
            capsys, "apply", "--state", str(state), '{"type": "correct_summary", "summary": "y"}'
        )
        assert code == 2 and str(state) in err and "read-only" in err and "Traceback" not in err
        assert state.read_bytes() == before and stat.S_IMODE(state.stat().st_mode) == 0o444
        code, _, err = run(capsys, "ticket", "--state", EXAMPLE, "-o", str(state))
        assert code == 2 and "read-only" in err and state.read_bytes() == before
    finally:
        state.chmod(0o644)


@cpython_only
def test_a_symlinked_state_file_is_written_through(capsys, tmp_path: Path) -> None:
    """The link stays a link; its target gets the new record."""
    target = tmp_path / "real" / "incident.json"
    target.parent.mkdir()
    link = tmp_path / "incident.json"
    link.symlink_to(target)
    code, _, err = run(
        capsys,
        "apply",
        "--state",
        str(link),
        "--at",
        "2026-11-28T21:40:00Z",
        '{"type": "declare", "summary": "x"}',
    )
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert record_from_json(target.read_text("utf-8")).summary == "x"
    code, _, err = run(
        capsys, "apply", "--state", str(link), '{"type": "correct_summary", "summary": "y"}'
    )
    assert code == 0 and link.is_symlink() and record_from_json(target.read_text()).summary == "y"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incident.json", "real"]  # no temp left


# The CLI as a separate process, as a shell or a script runs it.
CLI = [sys.executable, "-m", "runbook_core"]


def _cli(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        **kwargs,
    )


@cpython_only
def test_concurrent_applies_on_one_file_lose_nothing(tmp_path: Path) -> None:
    """Eight processes each add a note to one state file at once: all eight notes are there and
    the file is valid JSON (the folder lock and the unique temporary files)."""
    state = tmp_path / "incident.json"
    state.write_text(
        apply(Record(), {"type": "declare", "summary": "x"}, "2026-11-28T21:40:00Z").to_json()
    )
    processes = [
        subprocess.Popen(
            [
                *CLI,
                "apply",
                "--state",
                str(state),
                json.dumps({"type": "add_timeline", "event": f"note {n}"}),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(8)
    ]
    results = [(p.wait(timeout=120), p.communicate()) for p in processes]
    assert all(code == 0 for code, _ in results), results
    record = record_from_json(state.read_text("utf-8"))
    notes = sorted(e.event for e in record.timeline if e.kind == "note")
    assert notes == sorted(f"note {n}" for n in range(8))
    assert [p.name for p in tmp_path.iterdir()] == ["incident.json"]  # no temporary file left


@cpython_only
def test_a_closed_stdin_descriptor_exits_2(tmp_path: Path) -> None:
    """`runbook apply --state F - <&-` (standard input closed, not merely empty): exit 2."""
    state = tmp_path / "incident.json"
    result = subprocess.run(
        [
            "sh",
            "-c",
            'exec "$0" "$@" <&-',
            *CLI,
            "apply",
            "--state",
            str(state),
            "-",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "standard input" in result.stderr
    assert "Traceback" not in result.stderr and "--org" not in result.stderr
    assert not state.exists()


@cpython_only
def test_python_dash_m_and_exit_codes() -> None:
    """`python -m runbook_core` works as a program: output, and exit 2 on bad input."""
    ok = _cli("ticket", "--state", EXAMPLE)
    assert ok.returncode == 0 and ok.stdout.startswith("# Incident:")
    bad = _cli("decide", "--scope", "x")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "--scope" in bad.stderr


BAD = [
    (["decide", "--scope", "most", "--data-loss", "no", "--degradation", "minor"], "--scope"),
    (["decide", "--scope", "all", "--data-loss", "no"], "--degradation"),
    (
        [
            "decide",
            "--scope",
            "all",
            "--data-loss",
            "no",
            "--degradation",
            "minor",
            "--fix-understood",
            "maybe",
        ],
        "--fix-understood",
    ),
    (["ticket", "--state", "/nonexistent.json"], "no such file"),
    (["ticket", "--state", EXAMPLE, "--format", "pdf"], "--format"),
    (
        [
            "--org",
            "/nonexistent.toml",
            "decide",
            "--scope",
            "all",
            "--data-loss",
            "no",
            "--degradation",
            "minor",
        ],
        "--org",
    ),
    (["apply", "--state", "x.json"], "ACTION_JSON"),
    (["messages", "--state", EXAMPLE, "--at", "soon"], "--at"),
]


@pytest.mark.parametrize(
    ("argv", "named"),
    BAD,
    ids=[
        "bad-choice",
        "missing",
        "bad-condition",
        "no-file",
        "bad-format",
        "no-org",
        "no-action",
        "bad-at",
    ],
)
def test_bad_input_exits_2_naming_the_field(capsys, argv: list[str], named: str) -> None:
    """Exit 2, a message naming the field (and allowed values), no traceback."""
    code, _, err = run(capsys, *argv)
    assert code == 2 and named in err and "Traceback" not in err


def test_a_bad_org_file_is_blamed_on_org(capsys, tmp_path: Path) -> None:
    """An org file with a bad key: the error names --org, the file and the key."""
    org = tmp_path / "org.toml"
    org.write_text("status_update_interval_minutes = 0\n", "utf-8")
    code, _, err = run(capsys, "--org", str(org), "ticket", "--state", EXAMPLE)
    assert code == 2 and "--org" in err and "status_update_interval_minutes" in err


def test_malformed_state_file_names_the_field(capsys, tmp_path: Path) -> None:
    """A record with a bad answer: the message names record.impact.scope and the choices."""
    data = json.loads(Path(EXAMPLE).read_text("utf-8"))
    data["impact"]["scope"] = "most"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), "utf-8")
    code, _, err = run(capsys, "ticket", "--state", str(bad))
    assert code == 2 and "record.impact.scope" in err and "'subset'" in err


def test_a_version_1_state_file_is_read(capsys) -> None:
    """A record saved before the state machine prints its ticket."""
    code, out, err = run(
        capsys, "ticket", "--state", str(TESTS / "data" / "v1-rollback-failed-escalated.json")
    )
    assert code == 0 and out.startswith("# Incident: Checkout returns HTTP 500"), err


# ---------------------------------------------------------------------------------- walk


class Script:
    """Answers the walk's prompts in order; raises KeyboardInterrupt when told to."""

    def __init__(self, answers: list[str]) -> None:
        self.answers, self.asked = list(answers), []

    def __call__(self, prompt: str) -> str:
        self.asked.append(prompt)
        answer = self.answers.pop(0)
        if answer == "^C":
            raise KeyboardInterrupt
        return answer


def clock():
    minutes = iter(range(60))
    return lambda: f"2026-11-28T21:{next(minutes):02d}:00Z"


def test_walk_saves_after_every_answer_and_resumes_after_ctrl_c(tmp_path: Path) -> None:
    """Ctrl-C loses nothing: the next walk resumes where it stopped and finishes the ticket; the
    failed rollback asks for the escalation to be posted, and it is recorded once posted."""
    path = tmp_path / "incident.json"
    out: list[str] = []
    first = Script(["API down", "Dana", "y", "Sam", "y", "all", "^C"])
    with pytest.raises(KeyboardInterrupt):
        Walk(path, ORG, first, out.append, clock()).run()
    saved = record_from_json(path.read_text("utf-8"))
    assert saved.ic == "Sam" and saved.impact.scope == "all"
    assert [c.kind for c in saved.communications] == ["declaration"]

    second = Script(
        [
            "no",  # data loss
            "critical",
            "",  # decision: Enter = roll back
            "failed",
            "db migration",
            "y",  # posted the escalation
            "succeeded",
            "",
            "Rolled back twice",
            "Stable now",
            "no",
            "y",  # posted the resolution
        ]
    )
    assert Walk(path, ORG, second, out.append, clock()).run() == 0
    final = record_from_json(path.read_text("utf-8"))
    assert [m.outcome for m in final.mitigations] == ["failed", "succeeded"]
    assert final.escalations[0].for_mitigation == 0 and final.resolution.data_lost == "no"
    assert sorted(c.kind for c in final.communications) == [
        "declaration",
        "escalation",
        "resolution",
        "status_update",
    ]
    assert any("MAJOR INCIDENT" in line for line in out)
    assert out[-1] == render_ticket(final, ORG).rstrip("\n")
    assert not any("all users" in p.lower() for p in second.asked)  # answered before: not asked


def test_walk_refuses_bad_input_and_asks_again(tmp_path: Path) -> None:
    """A wrong choice is explained and asked again; nothing is lost."""
    out: list[str] = []
    script = Script(["API down", "Dana", "n", "Sam", "perhaps", "n", "", "Sam", "n", "Lee", "^C"])
    with pytest.raises(KeyboardInterrupt):
        Walk(tmp_path / "i.json", ORG, script, out.append, clock()).run()
    assert any("choose one of: y, n" in line for line in out)
    assert any("first_responder" in line for line in out)
    assert record_from_json((tmp_path / "i.json").read_text("utf-8")).ic == "Lee"
