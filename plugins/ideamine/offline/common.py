"""What every offline agent reads the same way: earlier artifacts, the sections of earlier agents,
the idea's entities and personas, and the auto-fix hints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ideamine.core.agent_io import AgentContext
from ideamine.offline.naming import Entity, entities_of

AgentFn = Callable[[AgentContext], dict[str, Any]]

RELEASE_VERSION = "1.0.0"
# The thresholds the generated project is built to meet; they mirror config/phases/*.yaml.
P95_LATENCY_MS = 1000
MIN_THROUGHPUT_RPS = 100
MIN_COVERAGE_PERCENT = 70


def doc(ctx: AgentContext, type_: str) -> dict[str, Any]:
    """An artifact body: this phase's sections so far (``previous``) over earlier phases' (``inputs``)."""
    body: dict[str, Any] = {}
    for source in (ctx.inputs.get(type_), ctx.previous.get(type_)):
        if isinstance(source, dict):
            body.update(source)
    return body


def items(ctx: AgentContext, type_: str, key: str) -> list[dict[str, Any]]:
    """The list ``key`` of artifact ``type_``, keeping only dict entries."""
    value = doc(ctx, type_).get(key)
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def texts(value: Any) -> list[str]:
    """A list of non-empty strings from ``value`` (anything else is dropped)."""
    if not isinstance(value, list):
        return []
    return [str(v) for v in value if isinstance(v, str) and v.strip()]


def entities(ctx: AgentContext) -> list[Entity]:
    return entities_of(ctx.facts)


def personas(ctx: AgentContext) -> list[str]:
    return list(ctx.facts.personas) or ["Primary user"]


def features(ctx: AgentContext) -> list[str]:
    return list(ctx.facts.features) or [f"manage {e.label} records" for e in entities(ctx)[:3]]


def constraints(ctx: AgentContext) -> list[str]:
    """The run's constraints: IdeaSpec's when intake has run, else the ones given with the idea."""
    return texts(doc(ctx, "IdeaSpec").get("constraints")) or list(ctx.facts.constraints)


def stories(ctx: AgentContext) -> list[dict[str, Any]]:
    return items(ctx, "UserStories", "user_stories")


def hinted(ctx: AgentContext, *names: str) -> bool:
    """True on a strict re-run asked for by one of the violation types ``names``."""
    return ctx.strict and any(hint in names for hint in ctx.hints)


def numbered(prefix: str, index: int, width: int = 3) -> str:
    return f"{prefix}-{index:0{width}d}"
