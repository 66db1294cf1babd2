"""The LLM backend over real HTTP: pydantic-ai's OpenAI client against a scripted loopback server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ideamine.llm
import pydantic_ai.models
import pytest
from ideamine.config_files import load_project
from ideamine.core.agent_io import AgentContext
from ideamine.core.canonical import canonical_json
from ideamine.core.idea import analyse_idea
from ideamine.errors import AgentError, BudgetError
from ideamine.llm import LlmResult, LlmSettings, MemoryCache, ModelChoice, ModelSpec, RetryPolicy, resolve
from ideamine.llm.backend import run_llm_agent
from ideamine.llm.cache import ResponseCache
from ideamine.llm.output import output_schema

from tests.support.openai_server import OpenAIServer, RecordedRequest, Reply

IDEA = "A recipe-sharing app for home cooks that lets them post recipes and save favourites to collections."
HOSTILE = "A notes app for {{ 7*7 }} fans {% for x in y %}{{ x }}{% endfor %} and {{ config.items() }}."
FAST = LlmSettings(
    timeout_s=5.0,
    retry=RetryPolicy(max_retries=1, backoff_base_s=0.01, backoff_max_s=0.05, max_retry_after_s=5.0),
)
PRICES: dict[str, Any] = {"gpt-4o": {"input_per_mtok": 2.5, "output_per_mtok": 10.0}}
CONFIG_DIR = Path(__file__).resolve().parents[3] / "config"


def answer(idea: str = IDEA) -> dict[str, Any]:
    return {
        "IdeaSpec": {
            "title": "Recipe Box",
            "description": idea,
            "problem": "Home cooks have no single place to keep and share the recipes they trust.",
            "target_users": ["Home cook"],
        }
    }


class Budget:
    """A ``reserve`` callback that records what it was asked and answers from a script."""

    def __init__(self, *answers: bool, default: bool = True) -> None:
        self.answers = list(answers)
        self.default = default
        self.asked: list[int] = []

    def __call__(self, tokens: int) -> bool:
        self.asked.append(tokens)
        return self.answers.pop(0) if self.answers else self.default


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # Requests are allowed for these tests only, and only to this machine.
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)
    monkeypatch.setattr(ideamine.llm, "ALLOW_REMOTE_HOSTS", False)


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


def choice_for(server: OpenAIServer, *fallbacks: str, key: str = "sk-test") -> ModelChoice:
    specs = tuple(ModelSpec("openai", name, server.base_url, key) for name in fallbacks)
    return ModelChoice("ideamine_llm", ModelSpec("openai", "gpt-4o", server.base_url, key), specs)


def context(idea: str = IDEA, **extra: Any) -> AgentContext:
    return AgentContext(
        run_id="run-llm", phase="intake", agent="IntakeAgent", idea=idea, facts=analyse_idea(idea), **extra
    )


def run(
    server: OpenAIServer,
    ctx: AgentContext | None = None,
    *,
    choice: ModelChoice | None = None,
    cache: ResponseCache | None = None,
    reserve: Budget | None = None,
    settings: LlmSettings = FAST,
    types: tuple[str, ...] = ("IdeaSpec",),
) -> LlmResult:
    return run_llm_agent(
        ctx or context(),
        choice or choice_for(server),
        output_types=types,
        cache=cache,
        reserve=reserve or Budget(),
        price=PRICES,
        settings=settings,
    )


def tool_feedback(request: RecordedRequest) -> str:
    """The text of the tool-result messages a request sends back (pydantic-ai's retry prompt)."""
    return "\n".join(str(m.get("content")) for m in request.messages if m.get("role") == "tool")


# --- answers ----------------------------------------------------------------------------------------


def test_a_schema_valid_answer(server: OpenAIServer) -> None:
    server.script(Reply.json(answer(), prompt_tokens=1200, completion_tokens=300))
    budget = Budget()
    result = run(server, reserve=budget)

    assert result.cached is False
    assert result.requests == 1
    assert result.output.sections == json.loads(canonical_json(answer()))
    assert (result.output.tokens_in, result.output.tokens_out) == (1200, 300)
    assert result.output.tokens_estimated is False
    assert result.output.model == "openai:gpt-4o"
    assert result.usd == pytest.approx((1200 * 2.5 + 300 * 10.0) / 1_000_000)
    assert result.notes == ()
    assert len(budget.asked) == 1
    assert budget.asked[0] > FAST.max_output_tokens  # the prompt's estimate plus the most it may write

    (request,) = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.model == "gpt-4o"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.body is not None
    assert request.body["temperature"] == 0.0
    # Newer OpenAI models take max_completion_tokens; either way the output limit is sent.
    limit = request.body.get("max_completion_tokens", request.body.get("max_tokens"))
    assert limit == FAST.max_output_tokens
    assert request.usage == {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}
    (tool,) = request.body["tools"]
    assert tool["function"]["name"] == "final_result"
    assert sorted(tool["function"]["parameters"]["properties"]) == ["IdeaSpec"]


def test_the_messages_carry_the_idea_and_the_json_schema(server: OpenAIServer) -> None:
    server.script(Reply.json(answer()))
    run(server)
    (request,) = server.requests
    system = next(m["content"] for m in request.messages if m["role"] == "system")
    user = next(m["content"] for m in request.messages if m["role"] == "user")
    assert canonical_json(output_schema(["IdeaSpec"])) in system
    assert IDEA in user
    assert IDEA not in system


def test_template_syntax_in_the_idea_reaches_the_server_as_literal_text(server: OpenAIServer) -> None:
    server.script(Reply.json(answer(HOSTILE)))
    result = run(server, context(HOSTILE))
    (request,) = server.requests
    text = request.text()
    assert HOSTILE in text
    assert "{{ 7*7 }}" in text
    assert "{% for x in y %}" in text
    assert "fans 49" not in text
    assert result.output.sections["IdeaSpec"]["description"] == HOSTILE


def test_invalid_json_is_sent_back_once_and_then_fixed(server: OpenAIServer) -> None:
    server.script(
        Reply.invalid_json('{"IdeaSpec": {"title": '),
        Reply.json(answer(), prompt_tokens=1500, completion_tokens=200),
    )
    budget = Budget()
    result = run(server, reserve=budget)

    first, second = server.requests
    assert "Invalid JSON" in tool_feedback(second)
    assert "INVALID_JSON" in second.text()  # the broken answer is part of the conversation
    assert tool_feedback(first) == ""
    assert result.requests == 2
    assert len(budget.asked) == 2  # every request reserves first
    assert result.output.sections["IdeaSpec"]["title"] == "Recipe Box"
    assert (result.output.tokens_in, result.output.tokens_out) == (120 + 1500, 40 + 200)


def test_a_schema_error_is_fed_back_with_its_field(server: OpenAIServer) -> None:
    wrong = {"IdeaSpec": {"title": "", "entities": ["two words"]}}
    server.script(Reply.json(wrong), Reply.json(answer()))
    result = run(server)
    _, second = server.requests
    feedback = tool_feedback(second)
    assert "IdeaSpec.title: String should have at least 1 character" in feedback
    assert "IdeaSpec.entities.0: String should match pattern" in feedback
    assert result.output.sections == answer()


def test_invalid_twice_is_an_agent_error_naming_agent_model_and_errors(server: OpenAIServer) -> None:
    server.script(Reply.json({"IdeaSpec": {"title": ""}}), Reply.json({"IdeaSpec": {"problem": ""}}))
    with pytest.raises(AgentError) as raised:
        run(server)
    message = str(raised.value)
    assert "intake/IntakeAgent" in message
    assert "openai:gpt-4o" in message
    assert "IdeaSpec.problem: String should have at least 1 character" in message
    assert len(server.requests) == 2


def test_a_mapped_item_is_answered_as_one_story(server: OpenAIServer) -> None:
    story = {
        "id": "US-001",
        "title": "Post a recipe",
        "persona": "Home cook",
        "want": "to post a recipe",
        "so_that": "others can cook it",
        "acceptance_criteria": ["POST /api/recipes returns 201"],
        "entity": "Recipe",
        "operation": "create",
        "priority": "must",
        "feature": "post recipes",
    }
    body = {"story_id": "US-001", "title": "Post a recipe", "entity": "Recipe", "test_file": "test_us_001.py"}
    server.script(Reply.json({"ImplementedStories": body}))
    ctx = AgentContext(
        run_id="run-llm",
        phase="story-loop",
        agent="StoryImplementerAgent",
        idea=IDEA,
        facts=analyse_idea(IDEA),
        item=story,
    )
    result = run(server, ctx, types=("ImplementedStories",))
    assert result.output.sections == {"ImplementedStories": body}
    (request,) = server.requests
    assert '"id":"US-001"' in request.text()
    params = request.body["tools"][0]["function"]["parameters"] if request.body else {}
    assert "story_id" in params["properties"]["ImplementedStories"]["properties"]


# --- transient failures, fallbacks, credentials -----------------------------------------------------


def test_429_waits_for_retry_after_then_succeeds(server: OpenAIServer) -> None:
    server.script(
        Reply.error(429, "slow down", retry_after="1", error_type="rate_limit_exceeded"), Reply.json(answer())
    )
    started = time.monotonic()
    result = run(server)
    elapsed = time.monotonic() - started
    assert [r.status for r in server.requests] == [429, 200]
    assert elapsed >= 0.95  # Retry-After: 1, although our own backoff is 10 ms
    assert result.requests == 2
    assert result.output.model == "openai:gpt-4o"


def test_500s_move_to_the_fallback_model(server: OpenAIServer) -> None:
    server.script(
        Reply.error(500), Reply.error(500), Reply.json(answer(), prompt_tokens=10, completion_tokens=5)
    )
    result = run(server, choice=choice_for(server, "gpt-4o-mini"))
    assert [r.model for r in server.requests] == ["gpt-4o", "gpt-4o", "gpt-4o-mini"]
    assert result.requests == 3
    assert result.output.model == "openai:gpt-4o-mini"
    assert result.usd == 0.0  # no price for the fallback in the table...
    assert any("no price for model 'openai:gpt-4o-mini'" in n for n in result.notes)  # ...and it says so
    assert any("fallback" in n for n in result.notes)


def test_every_model_failing_lists_each(server: OpenAIServer) -> None:
    server.script(*[Reply.error(503)] * 4)
    with pytest.raises(AgentError) as raised:
        run(server, choice=choice_for(server, "gpt-4o-mini"))
    message = str(raised.value)
    assert "openai:gpt-4o: HTTP 503 (2 attempts)" in message
    assert "openai:gpt-4o-mini: HTTP 503 (2 attempts)" in message
    assert len(server.requests) == 4


def test_a_timeout_is_retried_then_reported(server: OpenAIServer) -> None:
    server.script(Reply.slow(3.0, answer()), Reply.slow(3.0, answer()))
    settings = LlmSettings(timeout_s=0.3, retry=RetryPolicy(max_retries=1, backoff_base_s=0.01))
    started = time.monotonic()
    with pytest.raises(AgentError, match=r"openai:gpt-4o: timed out after 0\.3 s \(2 attempts\)"):
        run(server, settings=settings)
    assert time.monotonic() - started < 2.5  # the client gave up; it did not wait for the server
    assert len(server.requests) == 2


def test_a_timeout_then_an_answer(server: OpenAIServer) -> None:
    server.script(Reply.slow(3.0, answer()), Reply.json(answer()))
    settings = LlmSettings(timeout_s=0.3, retry=RetryPolicy(max_retries=2, backoff_base_s=0.01))
    result = run(server, settings=settings)
    assert result.requests == 2
    assert result.output.sections == answer()


def test_401_fails_at_once_naming_the_connection(server: OpenAIServer) -> None:
    server.script(
        Reply.error(401, "Incorrect API key provided", error_type="invalid_request_error"),
        Reply.json(answer()),
    )
    with pytest.raises(AgentError) as raised:
        run(server, choice=choice_for(server, "gpt-4o-mini", key="sk-wrong"))
    message = str(raised.value)
    assert "'ideamine_llm'" in message
    assert "HTTP 401" in message
    assert "password" in message
    assert "AIRFLOW_CONN_IDEAMINE_LLM" in message
    assert len(server.requests) == 1  # no retry, no fallback
    assert server.pending == 1


# --- budget and cache -------------------------------------------------------------------------------


def test_an_exhausted_budget_sends_nothing(server: OpenAIServer) -> None:
    server.script(Reply.json(answer()))
    budget = Budget(default=False)
    with pytest.raises(BudgetError, match="no request was sent"):
        run(server, reserve=budget)
    assert server.requests == []
    assert len(budget.asked) == 1


def test_the_budget_is_asked_again_before_the_retry(server: OpenAIServer) -> None:
    server.script(Reply.json({"IdeaSpec": {"title": ""}}), Reply.json(answer()))
    budget = Budget(True, False)
    with pytest.raises(BudgetError):
        run(server, reserve=budget)
    assert len(server.requests) == 1
    assert len(budget.asked) == 2
    assert budget.asked[1] > budget.asked[0]  # the retry also sends the first answer and the errors


def test_a_rerun_is_served_from_the_cache(server: OpenAIServer) -> None:
    cache = MemoryCache()
    server.script(Reply.json(answer(), prompt_tokens=700, completion_tokens=70))
    first = run(server, cache=cache)
    assert len(server.requests) == 1

    budget = Budget()
    again = run(server, cache=cache, reserve=budget)
    assert len(server.requests) == 1  # no new request
    assert budget.asked == []  # and no reservation
    assert again.cached is True
    assert again.requests == 0
    assert again.usd == 0.0
    assert again.output == first.output  # same sections, model and stored token counts

    server.script(Reply.json(answer("A different idea about recipes.")))
    changed = run(server, context("A different idea about recipes."), cache=cache)
    assert changed.cached is False
    assert len(server.requests) == 2


def test_remote_hosts_are_refused_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    remote = ModelChoice("ideamine_llm", ModelSpec("openai", "gpt-4o", "https://llm.example.com/v1", "k"))
    budget = Budget()
    with pytest.raises(AgentError, match=r"llm\.example\.com.*not this machine"):
        run_llm_agent(context(), remote, output_types=["IdeaSpec"], cache=None, reserve=budget, price=PRICES)
    assert budget.asked == []


def test_blocked_model_requests_are_an_agent_error(
    server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)
    with pytest.raises(AgentError, match="ALLOW_MODEL_REQUESTS"):
        run(server)
    assert server.requests == []


def test_from_the_airflow_connection_to_the_server(
    server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = {
        "conn_type": "pydanticai",
        "host": server.base_url,
        "password": "sk-conn",
        "extra": {"model": "openai:gpt-4o"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_IDEAMINE_LLM", json.dumps(conn))
    choice = resolve(load_project(CONFIG_DIR), "intake", "IntakeAgent", use_airflow=False)
    assert choice is not None
    server.script(Reply.json(answer()))
    result = run(server, choice=choice)
    (request,) = server.requests
    assert request.headers["authorization"] == "Bearer sk-conn"
    assert result.output.model == "openai:gpt-4o"
