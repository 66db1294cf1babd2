"""Story loop agents: the implementer's acceptance test per story, the validator's verdict."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from ideamine.core.artifacts import UserStory, assemble, validate_artifact
from ideamine.core.config import StoryCompletionGuard
from ideamine.core.doc_guards import GUARDS
from ideamine.core.fanin import concat
from ideamine.errors import AgentError
from ideamine.offline import run_agent

from tests.unit.offline.pipeline import IDEAS, Run, run_pipeline

_RUN: list[Run] = []


def built() -> Run:
    if not _RUN:
        _RUN.append(run_pipeline(IDEAS["clinic"], stop_after="build"))
    return _RUN[0]


def story(operation: str, **changes: Any) -> dict[str, Any]:
    run = built()
    entity = run.artifacts["UserStories"]["user_stories"][0]["entity"]
    base = {
        "id": "US-042",
        "title": f"Story about {operation}",
        "persona": "Practice",
        "want": f"to {operation} things",
        "so_that": "it works",
        "acceptance_criteria": ["First criterion with 'quotes' and \\ backslash", "Second"],
        "entity": entity,
        "operation": operation,
        "priority": "must",
        "feature": "anything",
    }
    return {**base, **changes}


@pytest.mark.parametrize("operation", ["create", "list", "get", "update", "delete"])
def test_implementer_writes_a_compiling_test_for_the_story(operation: str) -> None:
    run = built()
    item = story(operation)
    body = run_agent(run.context("story-loop", "StoryImplementerAgent", item=item)).sections[
        "ImplementedStories"
    ]
    assert validate_artifact("ImplementedStories", {"items": [body]})["items"] == [body]
    assert body["story_id"] == "US-042"
    assert body["test_file"] == "test_us_042.py"
    assert body["entity"] == item["entity"]
    tree = ast.parse(body["test_source"])
    names = {n.id: n for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert "application" in names  # it calls the WSGI callable
    consts = {
        n.targets[0].id: ast.literal_eval(n.value)
        for n in tree.body
        if isinstance(n, ast.Assign)
        and isinstance(n.targets[0], ast.Name)
        and n.targets[0].id != "COLLECTION"
    }
    assert consts["STORY_ID"] == "US-042"
    assert consts["CRITERIA"][:2] == item["acceptance_criteria"]  # quoted exactly, padded to the template
    assert len(consts["CRITERIA"]) >= 2
    tests = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    assert len(tests) >= 2
    method = {"create": "POST", "list": "GET", "get": "GET", "update": "PUT", "delete": "DELETE"}[operation]
    assert body["endpoints"][0].startswith(method + " /api/")


def test_implementer_uses_the_built_resource_path() -> None:
    run = built()
    first = run.artifacts["UserStories"]["user_stories"][0]
    body = run_agent(run.context("story-loop", "StoryImplementerAgent", item=first)).sections[
        "ImplementedStories"
    ]
    paths = {r["entity"]: r["path"] for r in run.artifacts["SourceCode"]["resources"]}
    assert f"RESOURCE = {paths[first['entity']].removeprefix('/api/')!r}" in body["test_source"]


def test_a_non_story_item_is_an_agent_error() -> None:
    run = built()
    bad = story("create", entity="'; DROP TABLE")
    with pytest.raises(AgentError, match="not a user story"):
        run_agent(run.context("story-loop", "StoryImplementerAgent", item=bad))


def _validate(results: dict[str, Any] | None, item: dict[str, Any]) -> dict[str, Any]:
    run = built()
    previous: dict[str, Any] = {"ImplementedStories": {"test_file": "test_us_042.py"}}
    if results is not None:
        previous["AcceptanceTestResults"] = results
    ctx = run.context("story-loop", "StoryValidatorAgent", item=item, previous=previous)
    return run_agent(ctx).sections["StoryProgress"]


def _results(**changes: Any) -> dict[str, Any]:
    base = {"story_id": "US-042", "test_file": "test_us_042.py", "passed": 3, "failed": 0, "errors": 0}
    return {**base, "duration_s": 0.2, **changes}


def test_validator_marks_a_story_done_only_on_clean_results() -> None:
    item = story("create")
    assert _validate(_results(), item)["status"] == "done"
    assert _validate(_results(failed=1), item)["status"] == "failed"
    assert _validate(_results(errors=2), item)["reason"].startswith("0 failed and 2 errors")
    assert _validate(_results(passed=0), item)["reason"] == "no acceptance test ran"
    assert _validate(_results(story_id="US-001"), item)["status"] == "failed"
    assert _validate(_results(test_file="test_us_001.py"), item)["status"] == "failed"
    assert _validate(None, item)["reason"] == "no acceptance test results for this story"


def test_story_loop_assembles_per_story_items_and_completion_counts_them() -> None:
    run = built()
    per_story = []
    for entry in run.artifacts["UserStories"]["user_stories"]:
        UserStory.model_validate(entry)
        implemented = run_agent(run.context("story-loop", "StoryImplementerAgent", item=entry)).sections
        results = {"story_id": entry["id"], "test_file": implemented["ImplementedStories"]["test_file"]}
        results |= {"passed": 2, "failed": 0, "errors": 0, "duration_s": 0.1}
        previous = {**implemented, "AcceptanceTestResults": results}
        validated = run_agent(run.context("story-loop", "StoryValidatorAgent", item=entry, previous=previous))
        per_story.append({**previous, **validated.sections})
    artifacts = assemble(
        "concat", concat(per_story), ["ImplementedStories", "AcceptanceTestResults", "StoryProgress"]
    )
    progress = validate_artifact("StoryProgress", artifacts["StoryProgress"])
    assert [p["story_id"] for p in progress["items"]] == [
        s["id"] for s in run.artifacts["UserStories"]["user_stories"]
    ]
    report = GUARDS["story_completion"](
        StoryCompletionGuard(type="story_completion", min_stories=5), {**run.artifacts, **artifacts}, None
    )
    assert report.status == "passed"
    assert report.score == 1.0
