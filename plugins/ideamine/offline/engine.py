"""The offline engine: a deterministic, network-free stand-in for the model-backed agents.

It is a dry-run engine, and says so (``model="offline"``): every section is derived from the
idea's facts (entities, personas, features, constraints) and from earlier artifacts by plain rules,
so the same context always gives byte-identical sections and different ideas give different ones.
Token counts are estimates (a quarter of the JSON characters read and written).
"""

from __future__ import annotations

import json
from typing import Any

from ideamine.core.agent_io import AgentContext, AgentOutput
from ideamine.core.canonical import canonical_json
from ideamine.errors import AgentError
from ideamine.offline import (
    architecture,
    beta,
    bizdev,
    build,
    critique,
    ideation,
    intake,
    polish,
    prd,
    release,
    stories,
    story_loop,
)
from ideamine.offline.common import AgentFn

AGENTS: dict[str, tuple[AgentFn, tuple[str, ...]]] = {
    **intake.AGENTS,
    **ideation.AGENTS,
    **critique.AGENTS,
    **stories.AGENTS,
    **prd.AGENTS,
    **bizdev.AGENTS,
    **architecture.AGENTS,
    **build.AGENTS,
    **story_loop.AGENTS,
    **polish.AGENTS,
    **release.AGENTS,
    **beta.AGENTS,
}
DOCUMENT_AGENTS: frozenset[str] = frozenset(AGENTS)
"""Every agent this engine answers for; the tool agents (scanners, test runners, deploy) are not."""


def _tokens(text: str) -> int:
    return len(text) // 4


def run_agent(ctx: AgentContext) -> AgentOutput:
    """Run one agent offline. Raises :class:`AgentError` for an agent this engine does not know."""
    try:
        agent, reads = AGENTS[ctx.agent]
    except KeyError:
        raise AgentError(f"{ctx.phase}/{ctx.agent}: not an agent of the offline engine") from None
    try:
        # Through canonical JSON and back: plain JSON types only, keys sorted at every depth.
        written = canonical_json(agent(ctx))
    except (TypeError, ValueError) as exc:  # a bug in a rule, never expected
        raise AgentError(f"{ctx.phase}/{ctx.agent}: sections are not JSON: {exc}") from exc
    sections: dict[str, Any] = json.loads(written)
    used = {
        "idea": ctx.idea,
        "constraints": ctx.constraints,
        "target_users": ctx.target_users,
        "inputs": {name: ctx.inputs[name] for name in reads if name in ctx.inputs},
        "previous": ctx.previous,
        "item": ctx.item,
    }
    return AgentOutput(
        sections=sections,
        tokens_in=_tokens(canonical_json(used)),
        tokens_out=_tokens(written),
        tokens_estimated=True,
        model="offline",
    )
