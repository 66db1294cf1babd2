"""Runs every offline document agent of every phase in pipeline order, as the DAG would.

Sequential phases feed each agent the merged sections of the agents before it; every phase sees all
earlier artifacts as inputs. Tool agents are skipped; story-loop runs StoryImplementerAgent per
story (its tester and validator need real test runs, which the integration tests do).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ideamine.config_files import load_project
from ideamine.core.agent_io import AgentContext
from ideamine.core.artifacts import DOCUMENT_MODELS, assemble, validate_artifact
from ideamine.core.config import PhaseConfig, ProjectConfig
from ideamine.core.doc_guards import GUARDS
from ideamine.core.fanin import fan_in, merge
from ideamine.core.guards import GuardReport
from ideamine.core.idea import IdeaFacts, analyse_idea
from ideamine.offline import DOCUMENT_AGENTS, run_agent

CONFIG_DIR = Path(__file__).resolve().parents[3] / "config"

IDEAS = {
    "recipes": "A recipe-sharing app for home cooks that lets them post recipes, rate dishes, "
    "and save favourite recipes to collections.",
    "tools": "A tool-lending library for neighbours: members can list tools, reserve a drill for the "
    "weekend, and track who borrowed which tool.",
    "clinic": "A clinic appointment scheduler for small practices that lets receptionists book "
    "appointments, send reminders to patients and manage doctor availability.",
}
HOSTILE_IDEA = (
    "An app for {{ 7*7 }} fans {% for x in y %} that lets users post notes with '; DROP TABLE users; -- "
    'and $(rm -rf /) && echo, read ../../etc/passwd, "quoted" text and back\\slashes\\n too.'
)


def project() -> ProjectConfig:
    return load_project(CONFIG_DIR)


@dataclass
class Run:
    idea: str
    facts: IdeaFacts
    constraints: str | None = None
    artifacts: dict[str, Any] = field(default_factory=dict)  # every artifact so far, by type
    phases: dict[str, dict[str, Any]] = field(default_factory=dict)  # phase -> its artifacts
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)  # phase -> agent -> sections
    reports: dict[str, list[GuardReport]] = field(default_factory=dict)

    def context(self, phase: str, agent: str, **extra: Any) -> AgentContext:
        return AgentContext(
            run_id="run-test",
            phase=phase,
            agent=agent,
            idea=self.idea,
            constraints=self.constraints,
            facts=self.facts,
            inputs=dict(self.artifacts),
            **extra,
        )


def run_phase(
    run: Run, phase: PhaseConfig, on_story: Callable[[Run, dict[str, Any]], None] | None = None
) -> None:
    """Run the phase's document agents, assemble and validate its artifacts, run its doc guards."""
    declared = [a.type for a in phase.artifacts]
    agents = [name for name in phase.agent_names if name in DOCUMENT_AGENTS]
    outputs: list[dict[str, Any]] = []
    run.sections[phase.id] = {}
    if phase.id == "story-loop":
        for story in run.artifacts["UserStories"]["user_stories"]:
            out = run_agent(run.context(phase.id, "StoryImplementerAgent", item=story))
            outputs.append(out.sections)
            if on_story is not None:
                on_story(run, outputs[-1])
        combined = fan_in("concat", outputs)
    else:
        for name in agents:
            previous = merge(outputs) if phase.parallelism == "sequential" else {}
            out = run_agent(run.context(phase.id, name, previous=previous))
            assert out.model == "offline"
            assert out.tokens_estimated
            assert out.tokens_out > 0
            run.sections[phase.id][name] = out.sections
            outputs.append(out.sections)
        combined = merge(outputs)
    assembled = assemble(phase.aggregation, combined, declared)
    artifacts = {t: validate_artifact(t, body) for t, body in assembled.items() if t in DOCUMENT_MODELS}
    run.phases[phase.id] = artifacts
    run.artifacts.update(artifacts)
    run.reports[phase.id] = [
        GUARDS[g.type](g, dict(run.artifacts), None) for g in phase.guards if g.type in GUARDS
    ]


def run_pipeline(
    idea: str,
    *,
    constraints: str | None = None,
    target_users: str | None = None,
    stop_after: str | None = None,
    on_story: Callable[[Run, dict[str, Any]], None] | None = None,
) -> Run:
    facts = analyse_idea(idea, constraints=constraints, target_users=target_users)
    run = Run(idea=idea, facts=facts, constraints=constraints)
    for phase in project().phases:
        run_phase(run, phase, on_story)
        if phase.id == stop_after:
            break
    return run
