"""The output schema and the validation of a model's answer against the artifact models."""

from __future__ import annotations

from typing import Any

import pytest
from ideamine.core.artifacts import ARTIFACT_MODELS
from ideamine.core.canonical import canonical_json
from ideamine.errors import AgentError
from ideamine.llm.output import item_model, output_schema, section_model, validate_sections
from pydantic_ai import StructuredDict

from tests.unit.offline.pipeline import IDEAS, run_pipeline


def test_schema_requires_each_type_but_no_field_inside_it() -> None:
    schema = output_schema(["PRD", "IdeaSpec"])
    assert schema["type"] == "object"
    assert schema["required"] == ["IdeaSpec", "PRD"]
    assert schema["additionalProperties"] is False
    assert sorted(schema["properties"]) == ["IdeaSpec", "PRD"]
    idea = schema["properties"]["IdeaSpec"]
    assert "required" not in idea
    assert "title" in idea["properties"]
    assert "Full artifact requires: title, description" in idea["description"]
    # Nested objects stay complete: a glossary entry needs its term and meaning.
    assert schema["$defs"]["GlossaryEntry"]["required"] == ["term", "meaning"]


def test_schema_is_the_same_text_whatever_the_order_of_types() -> None:
    first = canonical_json(output_schema(["SourceCode", "TestSuite"]))
    assert first == canonical_json(output_schema(["TestSuite", "SourceCode"]))


def test_schema_keeps_only_the_definitions_it_uses() -> None:
    schema = output_schema(["ConstraintsList"])
    assert set(schema["$defs"]) == {"Constraint"}
    assert set(output_schema(["VisualAssets"])["$defs"]) == {"VisualAsset"}


@pytest.mark.parametrize("type_", sorted(ARTIFACT_MODELS))
def test_every_artifact_type_gives_a_schema_pydantic_ai_accepts(type_: str) -> None:
    schema = output_schema([type_])
    StructuredDict(schema)  # refuses recursive definitions, which a tool schema cannot inline


def test_a_mapped_item_answers_one_story_body() -> None:
    assert item_model(ARTIFACT_MODELS["ImplementedStories"]).__name__ == "ImplementedStory"
    assert item_model(ARTIFACT_MODELS["IdeaSpec"]) is None
    schema = output_schema(["ImplementedStories"], per_item=True)
    body = schema["properties"]["ImplementedStories"]
    assert "story_id" in body["properties"]
    assert "items" not in body["properties"]
    assert section_model("IdeaSpec", per_item=True) is ARTIFACT_MODELS["IdeaSpec"]


@pytest.mark.parametrize("types", [[], ["NoSuchType"], ["IdeaSpec", "IdeaSpec"]])
def test_bad_output_types_are_agent_errors(types: list[str]) -> None:
    with pytest.raises(AgentError):
        output_schema(types)


def test_a_partial_section_is_valid() -> None:
    sections, errors = validate_sections(
        {"IdeaSpec": {"title": "Recipes", "entities": ["Recipe"]}}, ["IdeaSpec"]
    )
    assert errors == []
    assert sections == {"IdeaSpec": {"entities": ["Recipe"], "title": "Recipes"}}


def test_errors_name_the_field_and_the_rule() -> None:
    answer: dict[str, Any] = {
        "IdeaSpec": {"title": "", "entities": ["not a name!"], "glossary": [{"term": "x"}]},
        "Commentary": "extra keys are dropped",
    }
    sections, errors = validate_sections(answer, ["IdeaSpec"])
    assert "Commentary" not in sections
    assert "IdeaSpec.title: String should have at least 1 character" in errors
    assert any(e.startswith("IdeaSpec.entities.0: String should match pattern") for e in errors)
    assert "IdeaSpec.glossary.0.meaning: Field required" in errors  # nested objects must be whole


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({}, "IdeaSpec: missing"),
        ({"IdeaSpec": ["a list"]}, "IdeaSpec: must be a JSON object"),
        (["not", "an", "object"], "the answer must be a JSON object"),
        ({"IdeaSpec": {"unknown_field": 1}}, "IdeaSpec.unknown_field: Extra inputs are not permitted"),
    ],
)
def test_wrong_shapes(answer: Any, expected: str) -> None:
    _, errors = validate_sections(answer, ["IdeaSpec"])
    assert any(e.startswith(expected) for e in errors), errors


def test_item_sections_are_checked_as_items() -> None:
    story = {"story_id": "US-001", "title": "Add a recipe", "test_file": "test_us_001.py"}
    assert validate_sections({"ImplementedStories": story}, ["ImplementedStories"], per_item=True)[1] == []
    # Outside a mapped fan-out the section is the whole {"items": [...]} artifact.
    _, errors = validate_sections({"ImplementedStories": story}, ["ImplementedStories"])
    assert "ImplementedStories.story_id: Extra inputs are not permitted" in errors


def test_everything_the_offline_engine_writes_passes() -> None:
    """The schema accepts what the deterministic engine writes for a whole run, agent by agent."""
    run = run_pipeline(IDEAS["tools"])
    checked = 0
    for agents in run.sections.values():
        for agent, sections in agents.items():
            _, errors = validate_sections(sections, sorted(sections))
            assert errors == [], (agent, errors)
            checked += 1
    assert checked >= 35
