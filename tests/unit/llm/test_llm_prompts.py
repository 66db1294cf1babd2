"""Prompt templates: one per document agent, sandboxed, strict, with run data only ever as variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ideamine.core.agent_io import AgentContext
from ideamine.core.canonical import canonical_json
from ideamine.core.idea import analyse_idea
from ideamine.errors import AgentError
from ideamine.llm.backend import default_reads
from ideamine.llm.output import output_schema
from ideamine.llm.prompts import budgeted_inputs, prompts_dir, render_prompt, truncate
from ideamine.offline.engine import DOCUMENT_AGENTS

from tests.unit.offline.pipeline import HOSTILE_IDEA, IDEAS, Run, run_pipeline

PHASE_OF = {
    agent: phase
    for phase, agents in {
        "intake": ["IntakeAgent", "ConstraintsAgent", "RequirementsAgent"],
        "story-loop": ["StoryImplementerAgent", "StoryValidatorAgent"],
    }.items()
    for agent in agents
}


@pytest.fixture(scope="module")
def run() -> Run:
    return run_pipeline(IDEAS["recipes"])


def context(idea: str, agent: str = "IntakeAgent", **extra: Any) -> AgentContext:
    return AgentContext(
        run_id="run-test",
        phase=PHASE_OF.get(agent, "test"),
        agent=agent,
        idea=idea,
        facts=analyse_idea(idea),
        **extra,
    )


def render(ctx: AgentContext, types: list[str] | None = None, **kwargs: Any) -> tuple[str, str]:
    types = types or ["IdeaSpec"]
    schema = canonical_json(output_schema(types, per_item=ctx.item is not None))
    return render_prompt(ctx.agent, ctx, output_types=types, schema=schema, **kwargs)


def test_every_document_agent_has_a_template() -> None:
    on_disk = {p.stem for p in prompts_dir().glob("*.j2") if not p.stem.startswith("_")}
    assert on_disk == set(DOCUMENT_AGENTS)


@pytest.mark.parametrize("agent", sorted(DOCUMENT_AGENTS))
def test_every_template_renders_with_a_real_run(agent: str, run: Run) -> None:
    story = run.artifacts["UserStories"]["user_stories"][0]
    item = story if agent.startswith("Story") else None
    ctx = run.context(PHASE_OF.get(agent, "test"), agent, item=item, previous={"IdeaSpec": {"title": "x"}})
    system, user = render(ctx, ["IdeaSpec"], reads=default_reads(agent))
    schema = canonical_json(output_schema(["IdeaSpec"], per_item=item is not None))
    assert system.startswith("You are ")
    assert agent in system
    assert schema in system
    assert "{{" not in system
    assert "{%" not in system
    assert run.idea in user
    assert '"title":"x"' in user  # previous sections are shown
    if item is not None:
        assert story["id"] in user


def test_hostile_text_is_printed_not_evaluated() -> None:
    ctx = context(
        HOSTILE_IDEA, constraints="{{ config }} {% include '/etc/passwd' %}", target_users="{{ 6*7 }}"
    )
    system, user = render(ctx)
    assert HOSTILE_IDEA in user
    assert "{{ config }} {% include '/etc/passwd' %}" in user
    assert "{{ 6*7 }}" in user
    assert "49" not in user
    assert "42" not in user
    assert HOSTILE_IDEA not in system  # run data goes only into the user message


def test_rendering_is_deterministic_and_ignores_input_order(run: Run) -> None:
    ctx = run.context("prd", "PRDWriterAgent")
    reversed_inputs = dict(reversed(list(ctx.inputs.items())))
    again = ctx.model_copy(update={"inputs": reversed_inputs})
    assert render(ctx, ["PRD"]) == render(again, ["PRD"])


def test_reads_pick_the_inputs_and_the_budget_bounds_them(run: Run) -> None:
    ctx = run.context("prd", "PRDWriterAgent")
    _, user = render(ctx, ["PRD"], reads=["IdeaSpec"])
    assert "<<<ARTIFACT IdeaSpec" in user
    assert "<<<ARTIFACT SourceCode" not in user
    _, small = render(ctx, ["PRD"], reads=None, budget_chars=2_000)
    _, large = render(ctx, ["PRD"], reads=None, budget_chars=200_000)
    assert "[truncated:" in small
    assert len(small) < len(large)


def test_budgeted_inputs_share_the_budget_fairly() -> None:
    inputs = {"Big": {"text": "x" * 5_000}, "Small": {"a": 1}, "Other": {"text": "y" * 5_000}}
    texts = budgeted_inputs(inputs, None, 3_000)
    assert list(texts) == ["Big", "Other", "Small"]
    assert texts["Small"] == '{"a":1}'  # small ones whole
    assert texts["Big"].startswith('{"text":"xxx')
    assert "[truncated:" in texts["Big"]
    assert sum(len(t.split("\n... [truncated")[0]) for t in texts.values()) <= 3_000
    assert budgeted_inputs(inputs, ["Small"], 5) == {
        "Small": '{"a":1}'[:5] + "\n... [truncated: 2 more characters]"
    }
    assert truncate("abc", 5) == "abc"


def write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ idea.__class__.__mro__ }}", "prompt template failed"),  # sandbox: no dunder access
        ("{{ no_such_variable }}", "prompt template failed"),  # StrictUndefined
        ("{% include '../secret.txt' %}", "prompt template failed"),  # loader stays in its folder
        ("{% for %}", "does not parse"),
    ],
)
def test_the_sandbox_refuses_what_a_template_must_not_do(tmp_path: Path, template: str, message: str) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    write(tmp_path, "secret.txt", "TOP SECRET")
    write(prompts, "IntakeAgent.j2", template)
    with pytest.raises(AgentError, match=message):
        render(context("an idea"), directory=prompts)


@pytest.mark.parametrize("agent", ["../IntakeAgent", "Intake/Agent", "", "NoSuchAgent"])
def test_agent_names_cannot_reach_outside_the_prompts(agent: str) -> None:
    ctx = context("an idea")
    with pytest.raises(AgentError):
        render_prompt(agent, ctx, output_types=["IdeaSpec"], schema="{}")


def test_hints_appear_only_on_a_strict_rerun() -> None:
    plain = render(context("a recipe app", hints=("clarity_below_min",)))[1]
    strict = render(context("a recipe app", strict=True, hints=("clarity_below_min",)))[1]
    assert "clarity_below_min" not in plain
    assert "corrective re-run" in strict
    assert "clarity_below_min" in strict
