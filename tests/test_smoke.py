"""Smoke test for the tooling: the package imports and reads its packaged data file."""

from importlib.resources import files

import runbook_core.config


def test_org_channel_comes_from_packaged_data() -> None:
    """org.toml ships inside the package and load_org() reads the channel "#releases" from it."""
    assert files("runbook_core").joinpath("data/org.toml").is_file()
    org = runbook_core.config.load_org()
    assert (getattr(org, "channel", None) or org["channel"]) == "#releases"
