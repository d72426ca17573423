"""`runbook`: decide, ticket, messages and walk, on the examples and on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runbook_core import record_from_json, render_ticket
from runbook_core.cli import Walk, main
from tests.helpers import EXAMPLES, GOLDEN, SCENARIOS

EXAMPLE = str(EXAMPLES / "rollback-succeeded.json")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse exits by itself on bad choices
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_decide_json_names_action_and_reasons(capsys) -> None:
    """`decide --format json` has "action" and cited "reasons"."""
    code, out, _ = run(
        capsys,
        "decide",
        "--scope",
        "subset",
        "--data-loss",
        "no",
        "--degradation",
        "minor",
        "--fix-understood",
        "yes",
        "--hotfix-faster",
        "yes",
        "--format",
        "json",
    )
    data = json.loads(out)
    assert code == 0 and data["action"] == "fix_forward"
    assert all(r["section"] and r["text"] for r in data["reasons"])


def test_decide_without_both_conditions_rolls_back(capsys) -> None:
    """Fix forward needs both conditions confirmed on the command line."""
    code, out, _ = run(
        capsys,
        "decide",
        "--scope",
        "subset",
        "--data-loss",
        "no",
        "--degradation",
        "minor",
        "--fix-understood",
        "yes",
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out)["action"] == "roll_back"


def test_decide_text_lists_the_reasons(capsys) -> None:
    """Plain text: the action, then one line per reason with its runbook section."""
    code, out, _ = run(
        capsys, "decide", "--scope", "unknown", "--data-loss", "no", "--degradation", "critical"
    )
    assert code == 0 and out.startswith("Roll back\n") and "5. Failure Modes" in out


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_ticket_prints_the_golden_ticket(capsys, name: str) -> None:
    """`ticket --state` prints exactly the golden ticket for each example."""
    code, out, _ = run(capsys, "ticket", "--state", str(EXAMPLES / f"{name}.json"))
    assert code == 0 and out == (GOLDEN / f"{name}.ticket.md").read_text("utf-8")


def test_ticket_writes_a_file(capsys, tmp_path: Path) -> None:
    """`-o FILE` writes the same ticket."""
    target = tmp_path / "t.md"
    assert run(capsys, "ticket", "--state", EXAMPLE, "-o", str(target))[0] == 0
    assert target.read_text("utf-8") == render_ticket(
        record_from_json(Path(EXAMPLE).read_text("utf-8"))
    )


def test_messages_json(capsys) -> None:
    """`messages --format json` equals the golden messages."""
    code, out, _ = run(capsys, "messages", "--state", EXAMPLE, "--format", "json")
    assert code == 0 and json.loads(out) == json.loads(
        (GOLDEN / "rollback-succeeded.messages.json").read_text("utf-8")
    )


def test_org_file_changes_the_words(capsys, tmp_path: Path) -> None:
    """An adopting team's --org file changes the escalation contact everywhere."""
    org = tmp_path / "org.toml"
    org.write_text('channel = "#inc"\nescalation_contact = "CTO"\n', "utf-8")
    code, out, _ = run(
        capsys,
        "--org",
        str(org),
        "messages",
        "--state",
        str(EXAMPLES / "rollback-failed-escalated.json"),
    )
    assert code == 0 and "@CTO" in out


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
    (["messages", "--state", str(GOLDEN / "fix-forward.ticket.md")], "not valid JSON"),
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
]


@pytest.mark.parametrize(
    ("argv", "named"),
    BAD,
    ids=["bad-choice", "missing", "bad-condition", "no-file", "not-json", "no-org"],
)
def test_bad_input_exits_2_naming_the_field(capsys, argv: list[str], named: str) -> None:
    """Exit 2, a message naming the field (and allowed values), no traceback."""
    code, _, err = run(capsys, *argv)
    assert code == 2 and named in err and "Traceback" not in err


def test_malformed_state_file_names_the_field(capsys, tmp_path: Path) -> None:
    """A record with a bad answer: the message names record.impact.scope and the choices."""
    data = json.loads(Path(EXAMPLE).read_text("utf-8"))
    data["impact"]["scope"] = "most"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), "utf-8")
    code, _, err = run(capsys, "ticket", "--state", str(bad))
    assert code == 2 and "record.impact.scope" in err and "'subset'" in err


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
    """Ctrl-C loses nothing: the next walk resumes where it stopped and finishes the ticket."""
    path = tmp_path / "incident.json"
    out: list[str] = []
    first = Script(["API down", "Dana", "Sam", "y", "all", "^C"])
    with pytest.raises(KeyboardInterrupt):
        Walk(path, _org(), first, out.append, clock()).run()
    saved = record_from_json(path.read_text("utf-8"))
    assert saved.ic == "Sam" and saved.impact.scope == "all"

    second = Script(
        [
            "no",
            "critical",
            "",
            "failed",
            "db migration",
            "succeeded",
            "",
            "Rolled back twice",
            "Stable now",
            "no",
        ]
    )
    assert Walk(path, _org(), second, out.append, clock()).run() == 0
    final = record_from_json(path.read_text("utf-8"))
    assert [m.outcome for m in final.mitigations] == ["failed", "succeeded"]
    assert final.escalations and final.resolution.data_lost == "no"
    assert any("MAJOR INCIDENT" in line for line in out)
    assert out[-1] == render_ticket(final).rstrip("\n")
    assert not any("scope" in p.lower() and "all users" in p.lower() for p in second.asked)


def test_walk_refuses_bad_input_and_asks_again(tmp_path: Path) -> None:
    """A wrong choice is explained and asked again; nothing is lost."""
    out: list[str] = []
    script = Script(["API down", "Dana", "Sam", "perhaps", "n", "", "Sam", "n", "Lee", "^C"])
    with pytest.raises(KeyboardInterrupt):
        Walk(tmp_path / "i.json", _org(), script, out.append, clock()).run()
    assert any("choose one of: y, n" in line for line in out)
    assert any("first_responder" in line for line in out)
    assert record_from_json((tmp_path / "i.json").read_text("utf-8")).ic == "Lee"


def _org():
    from runbook_core import load_org

    return load_org()


@pytest.mark.skipif(sys.platform == "emscripten", reason="no subprocesses in Pyodide")
def test_python_dash_m_and_exit_code(tmp_path: Path) -> None:
    """`python -m runbook_core` works as a program: output, and exit 2 on bad input."""
    ok = subprocess.run(
        [sys.executable, "-m", "runbook_core", "ticket", "--state", EXAMPLE],
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert ok.returncode == 0 and ok.stdout.startswith("# Incident:")
    bad = subprocess.run(
        [sys.executable, "-m", "runbook_core", "decide", "--scope", "x"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
