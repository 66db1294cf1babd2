"""Phase plans: what a phase will run, with a hash for deterministic replay.

The plan hash is the SHA-256 of the canonical JSON of the sorted agent names, the gate rubric and the
budgets (requirements §2), computed on copies so the config is never reordered in place.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ideamine.core.canonical import content_hash
from ideamine.core.config import PhaseConfig, ProjectConfig


class TaskSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phase: str
    target: str  # the agent name
    order: int  # position in the phase's agent list; sequential phases run in this order
    tokens: int  # this agent's share of the phase token budget


class PhasePlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phase: str
    parallelism: str | int
    aggregation: str
    tasks: tuple[TaskSpec, ...]
    rubric: dict[str, float]
    budgets: dict[str, int | float]
    timebox_seconds: int
    hash: str
    version: str


def plan_hash(phase: PhaseConfig) -> str:
    return content_hash(
        {
            "agents": sorted(phase.agent_names),
            "rubric": dict(phase.gate.rubric),
            "budgets": phase.budgets.model_dump(mode="json"),
        }
    )


def phase_plan(project: ProjectConfig, phase_id: str) -> PhasePlan:
    phase = project.phase(phase_id)
    names = phase.agent_names
    share = phase.budgets.tokens // max(len(names), 1)
    return PhasePlan(
        phase=phase.id,
        parallelism=phase.parallelism,
        aggregation=phase.aggregation,
        tasks=tuple(TaskSpec(phase=phase.id, target=n, order=i, tokens=share) for i, n in enumerate(names)),
        rubric=dict(phase.gate.rubric),
        budgets=phase.budgets.model_dump(mode="json"),
        timebox_seconds=project.effective_timebox_seconds(phase),
        hash=plan_hash(phase),
        version=project.pipeline.version,
    )
