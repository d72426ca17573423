"""The handover link: every example survives the round trip byte for byte; a link changed, cut
short or of another version is refused with a message that says which and what to do; a record
too large for a link says so and offers Export; the CLI and the page's bridge do the same."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import stat
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbook_core import NewerSchemaError, Record, apply, record_from_json, widget
from runbook_core.cli import main
from runbook_core.handover import (
    CHECK_CHARS,
    KEY,
    VERSION,
    HandoverError,
    decode,
    encode,
    max_link,
    replacement,
)
from runbook_core.outputs import words
from tests.helpers import EXAMPLES
from tests.strategies import incidents

NAMES = sorted(p.stem for p in EXAMPLES.glob("*.json"))
BASE = "https://example.org/runbook/walkthrough/"
SAID = words("handover")


def _text(name: str) -> str:
    return (EXAMPLES / f"{name}.json").read_text("utf-8")


def _record(name: str) -> Record:
    return record_from_json(_text(name))


def _refused(link: str) -> HandoverError:
    with pytest.raises(HandoverError) as caught:
        decode(link)
    return caught.value


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("base", ["", BASE])
def test_round_trip_gives_the_same_record_bytes(name: str, base: str) -> None:
    """Encode then decode: the exported JSON, byte for byte; the link is the base, then the
    fragment, within the limit."""
    link = encode(_record(name), base)
    assert link.startswith(f"{base}#{KEY}{VERSION}.")
    assert len(link) <= max_link()
    assert decode(link).to_json() == _text(name)


@settings(max_examples=30)
@given(incidents())
def test_any_incident_survives_the_round_trip(record: Record) -> None:
    """Hostile text, any Unicode, any sequence of actions: the same record bytes back (or, past
    the limit, the refusal that offers Export)."""
    try:
        link = encode(record, BASE)
    except HandoverError as exc:
        assert exc.kind == "too_large"
        return
    assert decode(link).to_json() == record.to_json()


@pytest.mark.parametrize("name", NAMES)
def test_the_link_is_the_record_compressed_with_a_checksum_over_it(name: str) -> None:
    """Read by hand: v1.<base64url of zlib(the record's JSON)>.<12 chars of SHA-256>."""
    fragment = encode(_record(name)).removeprefix("#handover=")
    version, payload, check = fragment.split(".")
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert version == "v1" and zlib.decompress(data).decode("utf-8") == _text(name)
    digest = hashlib.sha256(f"v1.{payload}".encode()).digest()[:9]
    assert check == base64.urlsafe_b64encode(digest).decode().rstrip("=")


def test_a_base_with_a_fragment_keeps_only_the_address() -> None:
    link = encode(_record("rollback-succeeded"), BASE + "#old")
    assert link.count("#") == 1 and link.startswith(BASE + "#handover=")


@pytest.mark.parametrize("name", NAMES)
def test_a_link_cut_anywhere_is_refused_as_cut_short(name: str) -> None:
    """Every prefix of the link after "#handover" is refused as incomplete (the checksum is
    last, so a cut always takes some of it); before it, it is not a handover link."""
    link = encode(_record(name), BASE)
    start = link.index(KEY) + len(KEY)
    for cut in range(start, len(link)):
        error = _refused(link[:cut])
        assert error.kind == "truncated", (cut, error.kind)
    assert _refused(link[: start - 2]).kind == "not_a_link"
    message = str(_refused(link[:-1]))
    assert "cut short" in message and "ask for the link again" in message.lower()


@pytest.mark.parametrize("name", NAMES)
def test_a_changed_character_in_the_payload_or_checksum_is_refused_as_damaged(name: str) -> None:
    link = encode(_record(name))
    _, payload, check = link.split(".")
    rng = random.Random(name)
    for _ in range(40):
        i = rng.randrange(len(link) - len(payload) - len(check) - 1, len(link))
        if link[i] == ".":
            continue
        other = "A" if link[i] != "A" else "B"
        error = _refused(link[:i] + other + link[i + 1 :])
        assert error.kind == "damaged", (i, error.kind)
    assert "checksum does not match" in str(error) and "Import" in str(error)


@settings(max_examples=200)
@given(st.data())
def test_any_single_change_after_the_key_is_refused(data: st.DataObject) -> None:
    """Whatever one character is changed into, the link never opens as a record."""
    link = encode(_record("rollback-failed-escalated"))
    start = link.index(KEY) + len(KEY)
    i = data.draw(st.integers(start, len(link) - 1))
    ch = data.draw(st.characters(codec="utf-8").filter(lambda c: c != link[i] and not c.isspace()))
    changed = link[:i] + ch + link[i + 1 :]
    if changed.rstrip(".,;:!?)]>'\"\u201d\u2019") == link:
        return  # only punctuation stuck to the end, which the reader ignores
    with pytest.raises(HandoverError):
        decode(changed)


def test_another_version_is_refused_naming_both() -> None:
    link = encode(_record("rollback-succeeded")).replace("#handover=v1.", "#handover=v2.")
    error = _refused(link)
    assert error.kind == "bad_version"
    assert "v2" in str(error) and "v1" in str(error) and "Import" in str(error)


@pytest.mark.parametrize("text", ["", "hello", BASE, "https://x.org/#other=v1.a.b", 42])
def test_what_is_not_a_link_is_refused_as_such(text) -> None:
    assert _refused(text).kind == "not_a_link"


def test_chat_wrapping_and_trailing_punctuation_do_not_break_a_link() -> None:
    """Chat tools wrap long links and prose ends them with a full stop."""
    link = encode(_record("fix-forward"), BASE)
    wrapped = "\n".join(link[i : i + 70] for i in range(0, len(link), 70))
    assert decode(f"Here: {wrapped}.").to_json() == _text("fix-forward")
    assert decode(f"({link})").to_json() == _text("fix-forward")


def _link_of(content: bytes) -> str:
    payload = base64.urlsafe_b64encode(zlib.compress(content)).decode().rstrip("=")
    digest = hashlib.sha256(f"v1.{payload}".encode()).digest()[:9]
    return f"#handover=v1.{payload}.{base64.urlsafe_b64encode(digest).decode().rstrip('=')}"


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b'{"schema_version": 2}', "record.summary"),
        (b"not json", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[]", "JSON object"),
    ],
)
def test_a_well_formed_link_to_no_record_goes_through_the_loader(content, named) -> None:
    """A correct checksum is not trust: what it carries goes through the record's loader."""
    error = _refused(_link_of(content))
    assert error.kind == "not_a_record" and named in str(error)


def test_a_record_from_a_newer_version_says_to_update() -> None:
    data = json.loads(_text("rollback-succeeded"))
    data["schema_version"] = 99
    with pytest.raises(NewerSchemaError, match="update"):
        decode(_link_of(json.dumps(data).encode()))


def test_a_decompression_bomb_is_refused() -> None:
    error = _refused(_link_of(b" " * (17 * 1024 * 1024)))
    assert error.kind == "not_a_record" and "16 MB" in str(error)


def _large(chars: int) -> Record:
    """An incident whose notes are `chars` characters of incompressible text."""
    rng = random.Random(chars)
    record = _record("rollback-succeeded")
    notes = []
    while chars > 0:
        notes.append(
            "".join(
                rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 ")
                for _ in range(min(chars, 20_000))
            )
        )
        chars -= 20_000
    entries = tuple(
        record.timeline[0].__class__(at=record.timeline[-1].at, event=n, who="x") for n in notes
    )
    return record.evolve(timeline=record.timeline + entries)


def test_a_record_too_large_for_a_link_says_so_and_offers_export() -> None:
    with pytest.raises(HandoverError) as caught:
        encode(_large(20_000))
    assert caught.value.kind == "too_large"
    message = str(caught.value)
    assert f"{max_link():,}" in message and "Export" in message


def test_the_limit_is_a_boundary_not_a_guess() -> None:
    """Just under the limit is a link; the link is never longer than the limit."""
    small = encode(_large(3_000))
    assert len(small) < max_link() and decode(small) == _large(3_000)


def test_an_undeclared_record_has_nothing_to_hand_over() -> None:
    with pytest.raises(HandoverError) as caught:
        encode(Record())
    assert caught.value.kind == "not_declared"


# ------------------------------------------------------------------ the import rules


def test_replacement_says_what_replacing_would_lose() -> None:
    """Identical; newer local work (entries only here); another incident; nothing here."""
    incoming = _record("rollback-failed-escalated")
    assert replacement(incoming, incoming).identical
    newer = apply(
        incoming,
        {"type": "add_timeline", "event": "Late note", "who": "Sam"},
        "2026-11-28T16:00:00Z",
    )
    change = replacement(newer, incoming)
    assert not change.identical and [e.event for e in change.lost] == ["Late note"]
    assert replacement(incoming, newer).gained == 1 and not replacement(incoming, newer).lost
    assert replacement(_record("fix-forward"), incoming).other_incident
    assert replacement(None, incoming).gained == len(incoming.timeline)


# ------------------------------------------------------------------------------ the CLI


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", NAMES)
def test_cli_round_trip(tmp_path, capsys, name: str) -> None:
    """`runbook handover --state` prints the link; `--from-link` writes the same file back."""
    code, link, _ = _run(
        capsys, "handover", "--state", str(EXAMPLES / f"{name}.json"), "--base", BASE
    )
    assert code == 0 and link.startswith(BASE + "#handover=v1.")
    target = tmp_path / "incident.json"
    code, out, _ = _run(capsys, "handover", "--state", str(target), "--from-link", link.strip())
    assert code == 0 and target.read_text("utf-8") == _text(name)
    assert _record(name).incident_id in out
    code, out, _ = _run(capsys, "handover", "--state", str(target), "--from-link", link.strip())
    assert code == 0 and "identical" in out


def test_cli_keeps_newer_local_work_unless_forced(tmp_path, capsys) -> None:
    record = _record("rollback-failed-escalated")
    link = encode(record)
    newer = apply(
        record, {"type": "add_timeline", "event": "Late note", "who": "Sam"}, "2026-11-28T16:00:00Z"
    )
    target = tmp_path / "incident.json"
    target.write_text(newer.to_json(), "utf-8")
    os.chmod(target, 0o600)
    code, _, err = _run(capsys, "handover", "--state", str(target), "--from-link", link)
    assert code == 2 and "newer than the link" in err and '"Late note" at 16:00' in err
    assert "--force" in err and target.read_text("utf-8") == newer.to_json()
    code, _, _ = _run(capsys, "handover", "--state", str(target), "--from-link", link, "--force")
    assert code == 0 and target.read_text("utf-8") == record.to_json()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # the file's mode is kept


def test_cli_keeps_another_incident_and_an_unreadable_file(tmp_path, capsys) -> None:
    link = encode(_record("rollback-failed-escalated"))
    other = tmp_path / "other.json"
    other.write_text(_text("fix-forward"), "utf-8")
    code, _, err = _run(capsys, "handover", "--state", str(other), "--from-link", link)
    assert code == 2 and _record("fix-forward").incident_id in err and "--force" in err
    junk = tmp_path / "junk.json"
    junk.write_text("{", "utf-8")
    code, _, err = _run(capsys, "handover", "--state", str(junk), "--from-link", link)
    assert code == 2 and "not an incident record" in err and junk.read_text("utf-8") == "{"


def test_cli_refuses_a_bad_link_and_bad_options(tmp_path, capsys) -> None:
    link = encode(_record("rollback-succeeded"))
    target = tmp_path / "x.json"
    code, _, err = _run(capsys, "handover", "--state", str(target), "--from-link", link[:-4])
    assert code == 2 and "cut short" in err and not target.exists()
    state = str(EXAMPLES / "rollback-succeeded.json")
    assert _run(capsys, "handover", "--state", state, "--force")[0] == 2
    assert _run(capsys, "handover", "--state", state, "--base", "not a url")[0] == 2


# ---------------------------------------------------------------------- the page's bridge


def test_bridge_handover_link_and_open_handover() -> None:
    text = _text("rollback-failed-escalated")
    made = json.loads(widget.handover_link(text, BASE))
    assert made["ok"] and made["length"] == len(made["link"]) and made["limit"] == max_link()
    opened = json.loads(widget.open_handover(made["link"], "2026-11-28T16:00:00Z"))
    assert (
        opened["ok"] and json.dumps(opened["record"], ensure_ascii=False, indent=2) + "\n" == text
    )
    assert opened["view"] is not None and opened["replace"]["gained"] > 0
    local = apply(
        record_from_json(text),
        {"type": "add_timeline", "event": "Late", "who": "S"},
        "2026-11-28T16:00:00Z",
    ).to_json()
    opened = json.loads(widget.open_handover(made["link"], "2026-11-28T16:00:00Z", None, local))
    assert opened["replace"]["lost"] == [{"at": "2026-11-28T16:00:00Z", "event": "Late"}]
    cut = json.loads(widget.open_handover(made["link"][:-1], "2026-11-28T16:00:00Z"))
    assert not cut["ok"] and cut["error"]["kind"] == "truncated" and cut["record"] is None
    assert cut["error"]["message"] == SAID["truncated"]


def test_bridge_too_large_offers_export() -> None:
    reply = json.loads(widget.handover_link(_large(20_000).to_json(), BASE))
    assert not reply["ok"] and reply["error"]["kind"] == "too_large" and reply["link"] is None
    assert "Export" in reply["error"]["message"]


def test_the_chosen_limit_stays_below_what_chat_tools_keep() -> None:
    """Slack cuts a message at 40,000 characters, Teams at about 28 KB: the limit leaves room."""
    assert 2 * max_link() <= 40_000 and max_link() <= 28_000 // 1.5
    assert CHECK_CHARS == 12


# ------------------------------------------------------- the words file (data/outputs.toml)


def _outputs_text() -> str:
    from importlib.resources import files

    return files("runbook_core").joinpath("data/outputs.toml").read_text("utf-8")


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("max_link = 16000", "max_link = 100"), "handover.max_link"),
        (("max_link = 16000", 'max_link = "16000"'), "handover.max_link"),
        (('not_recorded = "not recorded"', 'not_recorded = "{when}"'), "postmortem.not_recorded"),
        (('empty_row = "none"', 'empty_row = ""'), "timeline.empty_row"),
        (('empty_row = "none"', 'empty_row = "none"\nextra = "x"'), "timeline.extra"),
        (('empty_row = "none"\n', ""), "timeline.empty_row"),
    ],
)
def test_a_malformed_words_file_names_the_key(change: tuple[str, str], key: str) -> None:
    from runbook_core import DataFileError
    from runbook_core.outputs import parse_outputs

    text = _outputs_text()
    assert change[0] in text
    with pytest.raises(DataFileError) as caught:
        parse_outputs(text.replace(change[0], change[1], 1), "outputs.toml")
    assert caught.value.key == key
