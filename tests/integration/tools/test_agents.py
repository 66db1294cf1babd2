"""Every tool agent runs its real tool on the sample project and returns schema-valid sections."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ideamine.core.agent_io import AgentContext, AgentOutput
from ideamine.core.reports import REPORT_MODELS, AcceptanceTestResult
from ideamine.errors import AgentError
from ideamine.tools.agents import TOOL_AGENTS, run_tool_agent

from tests.integration.tools.conftest import AGENT_PHASES as PHASE_OF
from tests.integration.tools.conftest import PASSING_TEST

pytestmark = pytest.mark.integration

FAILING_TEST = "def test_ok():\n    assert True\n\n\ndef test_broken():\n    assert 1 == 2\n"


def _validate(sections: dict[str, Any]) -> None:
    for artifact_type, body in sections.items():
        model = (
            AcceptanceTestResult if artifact_type == "AcceptanceTestResults" else REPORT_MODELS[artifact_type]
        )
        model.model_validate(body)


def test_the_agent_list_is_the_documented_one():
    assert frozenset([*PHASE_OF, "StoryTesterAgent"]) == TOOL_AGENTS


@pytest.mark.parametrize("agent", sorted(TOOL_AGENTS))
def test_every_tool_agent_returns_schema_valid_sections(agent: str, agent_outputs: dict[str, AgentOutput]):
    output = agent_outputs[agent]
    assert output.sections
    _validate(output.sections)
    assert (output.tokens_in, output.tokens_out) == (0, 0)
    assert output.tool_seconds > 0
    for body in output.sections.values():
        assert body.get("available", True) is True


def test_merged_sections_validate_and_carry_real_results(phase_artifacts: dict[str, dict[str, Any]]):
    for artifact_type, body in phase_artifacts.items():
        REPORT_MODELS[artifact_type].model_validate(body)
    assert set(phase_artifacts["SecurityPack"]) == {"sast", "dast"}
    assert set(phase_artifacts["PerfReport"]) == {"latency", "load"}
    assert phase_artifacts["PerfReport"]["latency"]["count"] == 300
    assert phase_artifacts["TestReport"]["suites"]["pytest"]["passed"] == 5
    assert phase_artifacts["TestReport"]["suites"]["http"]["api_paths"] == ["/api/notes"]
    assert phase_artifacts["TestReport"]["pass_rate"] == 1.0
    assert phase_artifacts["VulnerabilityScan"]["components_scanned"] == 2
    assert phase_artifacts["DeploymentReport"]["healthy"] is True
    canary = phase_artifacts["CanaryResults"]
    assert canary["compressed"] is True
    assert canary["configured_minutes"] == 15
    assert 0.9 <= canary["window_seconds"] < 3
    assert "instead of the configured 15 min" in canary["note"]
    assert set(phase_artifacts["MonitoringDashboard"]["metrics"]) == {
        "availability",
        "error_rate",
        "latency",
        "throughput",
    }


def test_the_story_tester_writes_beside_the_project_and_counts_results(
    good_repo: Path, agent_outputs: dict[str, AgentOutput], context: Callable[..., AgentContext]
):
    item = agent_outputs["StoryTesterAgent"].sections["AcceptanceTestResults"]
    assert (item["story_id"], item["test_file"], item["passed"], item["failed"]) == (
        "US-001",
        "test_us_001.py",
        1,
        0,
    )
    assert (good_repo.parent / "acceptance" / "US-001" / "test_us_001.py").is_file()
    assert not (good_repo / "acceptance").exists()
    story = {"story_id": "US-002", "test_file": "test_us_002.py", "test_source": FAILING_TEST}
    ctx = context("StoryTesterAgent", "story-loop", good_repo, previous={"ImplementedStories": story})
    result = run_tool_agent(ctx).sections["AcceptanceTestResults"]
    assert (result["passed"], result["failed"], result["errors"]) == (1, 1, 0)


@pytest.mark.parametrize(
    ("story_id", "test_file"),
    [
        ("../escape", "test_x.py"),
        ("US-1", "../test_x.py"),
        ("US-1", "conftest.py"),
        ("US/1", "test_x.py"),
        ("", "test_x.py"),
    ],
)
def test_the_story_tester_refuses_unsafe_names(
    good_repo: Path, context: Callable[..., AgentContext], story_id: str, test_file: str
):
    story = {"story_id": story_id, "test_file": test_file, "test_source": PASSING_TEST}
    ctx = context("StoryTesterAgent", "story-loop", good_repo, previous={"ImplementedStories": story})
    with pytest.raises(AgentError, match="unsafe"):
        run_tool_agent(ctx)


def test_a_tool_agent_needs_a_workspace(context: Callable[..., AgentContext]):
    with pytest.raises(AgentError, match="workspace"):
        run_tool_agent(context("SASTAgent", "security", None))
    with pytest.raises(AgentError, match="not a tool agent"):
        run_tool_agent(context("PRDWriterAgent", "prd", None))


def test_a_missing_advisory_database_gives_an_unavailable_scan(
    good_repo: Path, context: Callable[..., AgentContext], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setenv("IDEAMINE_ADVISORIES_DIR", str(tmp_path / "no-db"))
    scan = run_tool_agent(context("DependencyAgent", "security", good_repo)).sections["VulnerabilityScan"]
    REPORT_MODELS["VulnerabilityScan"].model_validate(scan)
    assert scan["available"] is False
    assert "no advisory database" in scan["reason"]
