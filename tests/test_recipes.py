"""The deploy recipes test before they deploy: the Pages workflow and the GitLab pipeline run
lint and every test (.ci/run) first, on a maintained Node LTS, with every GitHub action pinned
by a full commit SHA."""

from __future__ import annotations

import re
import sys
import tomllib

import pytest

if sys.platform == "emscripten":
    pytest.skip("reads the CI files with PyYAML", allow_module_level=True)

from tests.helpers import ROOT  # noqa: E402

yaml = pytest.importorskip("yaml")

MAINTAINED_NODE = {"22", "24"}  # LTS lines with security support (Node 20 ended 2026-04-30)
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def workflow() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text("utf-8"))


def test_pages_workflow_tests_before_it_deploys() -> None:
    """The test job runs .ci/run (lint, then every stage); the build needs it, the deploy
    needs the build; pull requests are tested, never deployed."""
    jobs = workflow()["jobs"]
    runs = [step.get("run", "") for step in jobs["test"]["steps"]]
    assert "bash .ci/run" in runs
    assert jobs["build"]["needs"] == "test" and jobs["deploy"]["needs"] == "build"
    assert "pull_request" in jobs["build"]["if"]
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert ci.index("make lint") < ci.index("make test")


def test_every_action_is_pinned_by_commit() -> None:
    """`uses:` names a full 40-hex commit (a tag can be moved), with its tag in a comment."""
    text = (ROOT / ".github" / "workflows" / "pages.yml").read_text("utf-8")
    uses = re.findall(r"uses: (\S+)(.*)", text)
    assert len(uses) >= 6
    for action, comment in uses:
        assert PINNED.match(action), action
        assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), (action, comment)


def test_recipes_use_a_maintained_node() -> None:
    """Node 22 or 24 wherever a recipe chooses it; package.json still allows 20 and later."""
    jobs = workflow()["jobs"]
    node = next(s for s in jobs["build"]["steps"] if "setup-node" in s.get("uses", ""))
    assert str(node["with"]["node-version"]) in MAINTAINED_NODE
    assert jobs["test"]["container"].split(":")[1].split("-")[0] in MAINTAINED_NODE
    gitlab = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text("utf-8"))
    assert gitlab["default"]["image"].split(":")[1].split("-")[0] in MAINTAINED_NODE
    netlify = tomllib.loads((ROOT / "netlify.toml").read_text("utf-8"))
    assert netlify["build"]["environment"]["NODE_VERSION"] in MAINTAINED_NODE


def test_gitlab_pipeline_tests_before_pages() -> None:
    """The pages job needs the test job, which runs .ci/run."""
    gitlab = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text("utf-8"))
    assert gitlab["test"]["script"] == ["bash .ci/run"]
    assert gitlab["pages"]["needs"] == ["test"]
    assert gitlab["stages"].index("test") < gitlab["stages"].index(gitlab["pages"]["stage"])


def test_dependency_updates_cover_every_ecosystem() -> None:
    """Dependabot proposes updates for the Python groups, the npm packages and the actions."""
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text("utf-8"))
    ecosystems = {update["package-ecosystem"] for update in config["updates"]}
    assert ecosystems == {"pip", "npm", "github-actions"}
