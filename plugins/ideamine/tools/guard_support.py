"""Shared pieces of the tool guards: building reports, finding report artifacts, who to re-run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ideamine.core.guards import GuardReport, Violation

CODE_AGENTS = ("BackendAgent", "FrontendAgent", "DatabaseAgent", "IntegrationAgent", "TestAgent")
"""The build agents that write code: compilation and lint failures go back to them."""


def _clamp(score: float) -> float:
    return round(min(1.0, max(0.0, score)), 4)


def not_run(cfg: Any, reason: str, agents: Sequence[str]) -> GuardReport:
    """A guard that could not judge: status not_run, score 0, and why."""
    return GuardReport(
        guard=cfg.type,
        status="not_run",
        score=0.0,
        hard=cfg.hard,
        reason=reason[:1000],
        details={"agents": list(agents)},
    )


def finish(
    cfg: Any,
    score: float,
    violations: Sequence[Violation],
    details: dict[str, Any],
    agents: Sequence[str],
) -> GuardReport:
    """Passed without violations, failed with them; ``details["agents"]`` set."""
    return GuardReport(
        guard=cfg.type,
        status="failed" if violations else "passed",
        score=_clamp(score),
        hard=cfg.hard,
        violations=list(violations),
        details={**details, "agents": list(agents)},
    )


def report_artifact(
    cfg: Any, artifacts: dict[str, Any], artifact_type: str, agents: Sequence[str]
) -> dict[str, Any] | GuardReport:
    """The report body, or the not_run report when it is missing or its tool was not available."""
    body = artifacts.get(artifact_type)
    if not isinstance(body, dict):
        return not_run(cfg, f"no {artifact_type} artifact to judge", agents)
    if body.get("available") is False:
        return not_run(
            cfg, f"{artifact_type} was not produced: {body.get('reason') or 'tool not available'}", agents
        )
    return body
