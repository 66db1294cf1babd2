"""A phase as its tasks see it: the phase config, its upstream phases and its plan, rendered at parse time.

Tasks receive this as JSON from the DAG, so a run uses the configuration the DAG was rendered from and
no task reads YAML.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from ideamine.core.config import LlmConfig, PhaseConfig, ProjectConfig
from ideamine.core.plan import phase_plan

# Phases whose fan-out is over runtime data rather than over the agent list.
STORY_PHASE_MODE = "iterative"


class PhaseSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phase: PhaseConfig
    upstream: tuple[str, ...]  # every phase this one transitively depends on, in pipeline order
    plan_hash: str
    version: str
    timebox_seconds: int
    pricing: dict[str, dict[str, float]]
    llm: dict[str, LlmConfig]  # agent -> its effective model settings (pipeline, phase, agent overlaid)
    run_budget_usd: float | None = None  # pipeline.yaml's cap; a run's conf may set a lower one

    @property
    def id(self) -> str:
        return self.phase.id

    @property
    def agents(self) -> list[str]:
        return self.phase.agent_names

    @property
    def maps_over_items(self) -> bool:
        return self.phase.parallelism == STORY_PHASE_MODE

    @property
    def required_fields(self) -> list[str]:
        fields: list[str] = []
        for guard in self.phase.guards:
            fields += list(getattr(guard, "required_fields", []) or [])
        return fields


def upstream_of(project: ProjectConfig, phase_id: str) -> tuple[str, ...]:
    seen: set[str] = set()
    stack = list(project.phase(phase_id).dependencies)
    while stack:
        dep = stack.pop()
        if dep not in seen:
            seen.add(dep)
            stack += project.phase(dep).dependencies
    return tuple(p for p in project.phase_ids if p in seen)


def phase_spec(project: ProjectConfig, phase_id: str) -> PhaseSpec:
    plan = phase_plan(project, phase_id)
    return PhaseSpec(
        phase=project.phase(phase_id),
        upstream=upstream_of(project, phase_id),
        plan_hash=plan.hash,
        version=plan.version,
        timebox_seconds=plan.timebox_seconds,
        pricing={name: price.model_dump() for name, price in project.pipeline.pricing.items()},
        llm={agent: project.effective_llm(phase_id, agent) for agent in project.phase(phase_id).agent_names},
        run_budget_usd=project.pipeline.run.budget_usd,
    )


def load_spec(data: dict[str, Any]) -> PhaseSpec:
    return PhaseSpec.model_validate(data)
