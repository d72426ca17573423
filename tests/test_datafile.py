"""The data files' TOML, parsed (runbook_core.datafile): the browser's wheel carries each
packaged file already parsed (sitebuild/wheel.py), and what it carries is exactly what tomllib
gives; any other text is parsed as before, and bad TOML is reported as before."""

from __future__ import annotations

import json
import tomllib
from importlib.resources import files

import pytest

from runbook_core import DataFileError, datafile, limits, rules, table
from runbook_core.config import parse_org

DATA = files("runbook_core").joinpath("data")


def packaged_texts() -> dict[str, str]:
    return {
        entry.name: entry.read_text("utf-8")
        for entry in DATA.iterdir()
        if entry.name.endswith(".toml")
    }


def index_of(texts: list[str]) -> dict[str, str]:
    """PARSED_FILE's lines as datafile reads them."""
    lines = datafile.parsed_lines(texts).splitlines()
    assert len(lines) == len(texts)
    return dict(line.split("\t", 1) for line in lines)


def test_every_packaged_file_is_parsed_as_tomllib_parses_it() -> None:
    texts = packaged_texts()
    assert {"runbook.toml", "transitions.toml", "forms.toml", "org.toml"} <= set(texts)
    index = index_of(list(texts.values()))
    for name, text in texts.items():
        assert json.loads(index[datafile.text_key(text)]) == tomllib.loads(text), name
        assert datafile.loads(text) == tomllib.loads(text), name  # the source wheel: parsed


def test_the_kept_form_serves_exactly_its_text_and_a_new_object_each_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = packaged_texts()["org.toml"]
    index = index_of([text])
    monkeypatch.setattr(datafile, "_parsed", lambda: index)
    monkeypatch.setattr(tomllib, "loads", lambda _: pytest.fail("parsed again"))
    first = datafile.loads(text)
    first.clear()  # parse_org changes what it is given
    assert datafile.loads(text) == json.loads(next(iter(index.values())))
    monkeypatch.undo()
    monkeypatch.setattr(datafile, "_parsed", lambda: index)
    other = text + "\n# a team's own line\n"  # any other text: tomllib
    assert datafile.loads(other) == tomllib.loads(other)


def test_the_loaders_read_the_same_from_either_form(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = packaged_texts()
    parsed = (
        rules.parse_runbook(texts["runbook.toml"]),
        table.parse_table(texts["transitions.toml"]),
        limits.parse_limits(texts["limits.toml"]),
        parse_org(texts["org.toml"], "org.toml"),
    )
    index = index_of(list(texts.values()))
    monkeypatch.setattr(datafile, "_parsed", lambda: index)
    monkeypatch.setattr(tomllib, "loads", lambda _: pytest.fail("parsed again"))
    assert parsed == (
        rules.parse_runbook(texts["runbook.toml"]),
        table.parse_table(texts["transitions.toml"]),
        limits.parse_limits(texts["limits.toml"]),
        parse_org(texts["org.toml"], "org.toml"),
    )


@pytest.mark.parametrize("text", ["channel = ", 'a = "x"\na = "y"\n', "[t\n"])
def test_bad_toml_names_the_file_and_tomllibs_reason(text: str) -> None:
    with pytest.raises(tomllib.TOMLDecodeError) as reason:
        tomllib.loads(text)
    with pytest.raises(DataFileError) as got:
        parse_org(text, "team/org.toml")
    assert "team/org.toml" in str(got.value)
    assert f"valid TOML ({reason.value})" in str(got.value)
