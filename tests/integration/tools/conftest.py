"""Fixtures of the tool tests: the sample generated project, materialized as a git work tree."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ideamine.core.agent_io import AgentContext, AgentOutput
from ideamine.core.fanin import merge
from ideamine.core.idea import analyse_idea
from ideamine.tools.agents import run_tool_agent
from ideamine.tools.project import materialize

# The sample project has its own tests/; they run inside the sandbox, never in this suite.
collect_ignore = ["sample_project"]

SAMPLE = Path(__file__).parent / "sample_project"
_SKIP = {"__pycache__", ".ruff_cache", ".pytest_cache", ".coverage"}
IDEA = "A notes service that lets people write, list and delete short notes."
AGENT_PHASES = {
    "SASTAgent": "security",
    "DASTAgent": "security",
    "DependencyAgent": "security",
    "SecretsAgent": "security",
    "SBOMAgent": "security",
    "E2ETestAgent": "qa",
    "PerformanceAgent": "qa",
    "LoadTestAgent": "qa",
    "AccessibilityAgent": "qa",
    "DeployAgent": "beta",
    "MonitorAgent": "beta",
}
PASSING_TEST = (
    "from app.store import Store\n\n\n"
    "def test_create():\n    assert Store().create({'title': 'x'})['id'] == 1\n"
)


def sample_files() -> dict[str, str]:
    """The sample project's files, relative path -> text."""
    files = {}
    for path in sorted(SAMPLE.rglob("*")):
        rel = path.relative_to(SAMPLE)
        if path.is_file() and not _SKIP.intersection(rel.parts) and path.suffix != ".pyc":
            files[rel.as_posix()] = path.read_text(encoding="utf-8")
    return files


@pytest.fixture(scope="session")
def make_repo(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Materialize the sample project, with files changed or added, into a fresh workspace."""

    def make(name: str = "repo", changes: dict[str, str | None] | None = None) -> Path:
        files = sample_files()
        for rel, text in (changes or {}).items():
            if text is None:
                files.pop(rel, None)
            else:
                files[rel] = text
        repo = tmp_path_factory.mktemp(name) / "repo"
        materialize(repo, files)
        return repo

    return make


@pytest.fixture(scope="session")
def good_repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo("good")


@pytest.fixture(scope="session")
def sample() -> dict[str, str]:
    return sample_files()


@pytest.fixture(scope="session")
def context() -> Callable[..., AgentContext]:
    """An AgentContext for ``agent`` in ``phase`` on ``repo``."""

    def make(agent: str, phase: str, repo: Path | None, **extra: object) -> AgentContext:
        return AgentContext(
            run_id="run-tools-test",
            phase=phase,
            agent=agent,
            idea=IDEA,
            facts=analyse_idea(IDEA),
            workspace=None if repo is None else str(repo),
            **extra,  # type: ignore[arg-type]
        )

    return make


@pytest.fixture(scope="session")
def agent_outputs(good_repo: Path, context: Callable[..., AgentContext]) -> dict[str, AgentOutput]:
    """Each tool agent run once on the good project (the canary shortened to 1 s)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("IDEAMINE_CANARY_SECONDS", "1")
    try:
        outputs = {
            name: run_tool_agent(context(name, phase, good_repo)) for name, phase in AGENT_PHASES.items()
        }
    finally:
        mp.undo()
    story = {"story_id": "US-001", "test_file": "test_us_001.py", "test_source": PASSING_TEST}
    ctx = context(
        "StoryTesterAgent",
        "story-loop",
        good_repo,
        item={"id": "US-001", "title": "Create a note"},
        previous={"ImplementedStories": story},
    )
    outputs["StoryTesterAgent"] = run_tool_agent(ctx)
    return outputs


@pytest.fixture(scope="session")
def phase_artifacts(agent_outputs: dict[str, AgentOutput]) -> dict[str, dict[str, Any]]:
    """The agents' sections merged the way a phase merges them, plus the story-loop concat shape."""
    merged = merge(
        [out.sections for name, out in sorted(agent_outputs.items()) if name != "StoryTesterAgent"]
    )
    merged["AcceptanceTestResults"] = {
        "items": [agent_outputs["StoryTesterAgent"].sections["AcceptanceTestResults"]]
    }
    return merged
