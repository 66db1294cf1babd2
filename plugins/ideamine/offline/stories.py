"""StoryCutterAgent: user stories from the idea's features, topped up with CRUD stories per entity.

The first draft has one story per feature plus create/list stories for the three main entities. A
strict re-run asked for more stories (``stories_below_min``) adds every CRUD operation of every
entity. Stories that would break a negative constraint ("no X", "must not X") are left out.
"""

from __future__ import annotations

from typing import Any

from ideamine.core.agent_io import AgentContext
from ideamine.core.doc_guards import conflicts
from ideamine.offline.common import AgentFn, constraints, entities, features, hinted, numbered, personas
from ideamine.offline.domain import OPERATIONS, acceptance_criteria, operation_of
from ideamine.offline.naming import Entity, article, entity_for, sentence

MIN_DRAFT_STORIES = 5
_BENEFIT = {
    "create": "the {label} is recorded once and everyone sees the same details",
    "list": "I can see every {label} at a glance",
    "get": "I can check the details of one {label}",
    "update": "the {label} stays correct when things change",
    "delete": "records that no longer apply do not clutter the list",
}
_CRUD_WANT = {
    "create": "to add {a} {label}",
    "list": "to see all {label} records",
    "get": "to open one {label}",
    "update": "to change {a} {label}",
    "delete": "to remove {a} {label}",
}


def _story(
    persona: str, feature: str, want: str, entity: Entity, operation: str, priority: str
) -> dict[str, Any]:
    return {
        "title": sentence(want.removeprefix("to ")).rstrip("."),
        "persona": persona,
        "want": want,
        "so_that": _BENEFIT[operation].format(label=entity.label),
        "acceptance_criteria": acceptance_criteria(entity, operation),
        "entity": entity.name,
        "operation": operation,
        "priority": priority,
        "feature": feature,
    }


def story_cutter_agent(ctx: AgentContext) -> dict[str, Any]:
    ents, people, rules = entities(ctx), personas(ctx), constraints(ctx)
    drafts: list[dict[str, Any]] = []
    for i, feature in enumerate(features(ctx)):
        entity = entity_for(feature, ents)
        drafts.append(
            _story(people[i % len(people)], feature, f"to {feature}", entity, operation_of(feature), "must")
        )
    wanted = [(e, op) for e in ents[:3] for op in ("create", "list")]
    every = [(e, op) for e in ents for op in OPERATIONS]
    # A small idea still gets a PRD-sized draft: more operations of its entities, in order.
    drafted = {(d["entity"], d["operation"]) for d in drafts}
    wanted = [(e, op) for e, op in wanted if (e.name, op) not in drafted]
    for e, op in every:
        if len(drafts) + len(wanted) >= MIN_DRAFT_STORIES:
            break
        if (e.name, op) not in drafted and (e, op) not in wanted:
            wanted.append((e, op))
    if hinted(ctx, "stories_below_min", "stories_completed_below_min"):
        # Appended after the first draft's stories, so the ids already traced stay the same.
        wanted += [(e, op) for e, op in every if (e, op) not in wanted]
    for entity, op in wanted:
        if any(d["entity"] == entity.name and d["operation"] == op for d in drafts):
            continue  # a strict re-run's full list includes what the features already cover
        priority = "should" if op in ("create", "list", "get") else "could"
        want = _CRUD_WANT[op].format(label=entity.label, a=article(entity.label))
        drafts.append(
            _story(people[len(drafts) % len(people)], f"{op} {entity.label}", want, entity, op, priority)
        )
    kept = [d for d in drafts if not conflicts(f"{d['title']}: {d['want']}", rules)]
    return {
        "UserStories": {"user_stories": [{"id": numbered("US", i), **d} for i, d in enumerate(kept, start=1)]}
    }


AGENTS: dict[str, tuple[AgentFn, tuple[str, ...]]] = {
    "StoryCutterAgent": (story_cutter_agent, ("IdeaSpec", "IdeationResult", "RevisedAssumptions")),
}
