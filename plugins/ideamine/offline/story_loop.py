"""Story loop: StoryImplementerAgent writes one story's acceptance test; StoryValidatorAgent judges
the story from the real test results StoryTesterAgent recorded (``AcceptanceTestResults``).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ideamine.core.agent_io import AgentContext
from ideamine.core.artifacts import UserStory
from ideamine.errors import AgentError
from ideamine.offline.common import AgentFn, doc
from ideamine.offline.domain import acceptance_criteria, endpoints
from ideamine.offline.naming import make_entity
from ideamine.offline.story_tests import story_test_source


def _story(ctx: AgentContext) -> UserStory:
    try:
        return UserStory.model_validate(ctx.item)
    except ValidationError as exc:
        raise AgentError(f"{ctx.phase}/{ctx.agent}: the mapped item is not a user story: {exc}") from None


def story_test_file(story_id: str) -> str:
    return f"test_{story_id.lower().replace('-', '_')}.py"


def story_implementer_agent(ctx: AgentContext) -> dict[str, Any]:
    story = _story(ctx)
    entity = make_entity(story.entity)
    if entity is None:  # pragma: no cover - UserStory.entity is already a safe name
        raise AgentError(f"{ctx.agent}: story {story.id} names no usable entity")
    # The path the build phase gave this entity, if it is there; else the one its name implies.
    path = entity.path
    for resource in doc(ctx, "SourceCode").get("resources", []):
        if isinstance(resource, dict) and resource.get("entity") == entity.name:
            candidate = str(resource.get("path", "")).removeprefix("/api/")
            path = candidate if candidate.replace("-", "").isalnum() and candidate.islower() else path
    standard = acceptance_criteria(entity, story.operation)
    criteria = list(story.acceptance_criteria) + standard[len(story.acceptance_criteria) :]
    return {
        "ImplementedStories": {
            "story_id": story.id,
            "title": story.title,
            "entity": entity.name,
            "endpoints": [
                e.replace(f"/api/{entity.path}", f"/api/{path}") for e in endpoints(entity, story.operation)
            ],
            "test_file": story_test_file(story.id),
            "test_source": story_test_source(story.id, story.operation, path, criteria),
        }
    }


def story_validator_agent(ctx: AgentContext) -> dict[str, Any]:
    story = _story(ctx)
    results = ctx.previous.get("AcceptanceTestResults")
    implemented = ctx.previous.get("ImplementedStories")
    counts = {"passed": 0, "failed": 0, "errors": 0}
    if not isinstance(results, dict) or results.get("story_id") != story.id:
        reason = "no acceptance test results for this story"
    else:
        counts = {k: int(results.get(k) or 0) for k in counts}
        if isinstance(implemented, dict) and results.get("test_file") != implemented.get("test_file"):
            reason = f"results are for {results.get('test_file')!r}, not the story's test file"
        elif counts["failed"] or counts["errors"]:
            reason = f"{counts['failed']} failed and {counts['errors']} errors in {results.get('test_file')}"
        elif not counts["passed"]:
            reason = "no acceptance test ran"
        else:
            reason = f"all {counts['passed']} acceptance tests passed"
    done = reason.startswith("all ")
    return {
        "StoryProgress": {
            "story_id": story.id,
            "status": "done" if done else "failed",
            **counts,
            "reason": reason,
        }
    }


AGENTS: dict[str, tuple[AgentFn, tuple[str, ...]]] = {
    "StoryImplementerAgent": (story_implementer_agent, ("SourceCode", "OpenAPI")),
    "StoryValidatorAgent": (story_validator_agent, ()),
}
