"""What an agent is given and what it gives back: the one contract both engines honour.

An agent turns an :class:`AgentContext` into *sections*: a dict from artifact type (``IdeaSpec``,
``PRD``...) to a JSON-like body, usually partial. The phase merges its agents' sections with its
``aggregation`` strategy and then assembles them into the phase's declared artifacts, which are
validated against their pydantic models (``ideamine.core.artifacts``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ideamine.core.idea import IdeaFacts


class AgentContext(BaseModel):
    """Everything an agent may read. Plain data: it crosses process boundaries as JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str
    phase: str
    agent: str
    idea: str  # untrusted text: a value to read, never a template, path or command
    constraints: str | None = None
    target_users: str | None = None
    facts: IdeaFacts
    # Artifact type -> body, for every artifact earlier phases produced in this run.
    inputs: dict[str, Any] = Field(default_factory=dict)
    # Sections already produced by the agents before this one in a sequential phase, merged.
    previous: dict[str, Any] = Field(default_factory=dict)
    # The mapped item of a data-dependent fan-out (story-loop: one user story), else None.
    item: dict[str, Any] | None = None
    # The generated project's git work tree, once build has written it; else None.
    workspace: str | None = None
    # An auto-fix re-run: the gate's failure reasons (violation types) that asked for it.
    strict: bool = False
    hints: tuple[str, ...] = ()


class AgentOutput(BaseModel):
    """An agent's sections plus what producing them cost."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sections: dict[str, Any]
    tokens_in: int = Field(default=0, ge=0)
    tokens_out: int = Field(default=0, ge=0)
    tokens_estimated: bool = True  # the offline engine estimates; a model reports real counts
    tool_seconds: float = Field(default=0.0, ge=0)
    model: str = "offline"
