"""The response cache in the real Postgres: insert-only, idempotent, and serving reruns with no request."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import ideamine.llm
import psycopg
import pydantic_ai.models
import pytest
from ideamine.core.agent_io import AgentContext
from ideamine.core.canonical import content_hash
from ideamine.core.idea import analyse_idea
from ideamine.errors import StoreError
from ideamine.llm import LlmSettings, ModelChoice, ModelSpec, RetryPolicy, run_llm_agent
from ideamine.llm.cache import CachedResponse
from ideamine.store.llm_cache import LlmCacheStore

from tests.support.openai_server import OpenAIServer, Reply

pytestmark = pytest.mark.integration


def fresh_key() -> str:
    return content_hash({"test": uuid.uuid4().hex})


def test_put_then_get_returns_the_entry_byte_for_byte(app_conn: psycopg.Connection) -> None:
    store = LlmCacheStore(app_conn)
    key = fresh_key()
    entry = CachedResponse("openai:gpt-4o", '{"IdeaSpec":{"title":"Ünïcode ✓"}}', 1234, 56)
    assert store.get(key) is None
    assert store.put(key, entry) is True
    assert store.get(key) == entry


def test_a_second_put_is_a_no_op(app_conn: psycopg.Connection) -> None:
    store = LlmCacheStore(app_conn)
    key = fresh_key()
    first = CachedResponse("openai:gpt-4o", '{"a":1}', 1, 1)
    assert store.put(key, first) is True
    assert store.put(key, CachedResponse("openai:gpt-4o-mini", '{"a":2}', 9, 9)) is False
    assert store.get(key) == first


@pytest.mark.parametrize("key", ["", "ABC", "g" * 64, "a" * 63])
def test_malformed_keys_are_refused(app_conn: psycopg.Connection, key: str) -> None:
    with pytest.raises(StoreError, match="64 lower-case hex"):
        LlmCacheStore(app_conn).get(key)


@pytest.mark.parametrize("statement", ["UPDATE llm_cache SET model = 'x'", "DELETE FROM llm_cache"])
def test_the_app_role_can_only_read_and_insert(app_conn: psycopg.Connection, statement: str) -> None:
    LlmCacheStore(app_conn).put(fresh_key(), CachedResponse("openai:gpt-4o", "{}", 0, 0))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute(statement)


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


def test_a_rerun_is_served_from_postgres(
    app_conn: psycopg.Connection, server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)
    monkeypatch.setattr(ideamine.llm, "ALLOW_REMOTE_HOSTS", False)
    idea = f"A seed-swap club for gardeners, run {uuid.uuid4().hex[:8]}."  # unique: a fresh cache key
    ctx = AgentContext(
        run_id="run-cache", phase="intake", agent="IntakeAgent", idea=idea, facts=analyse_idea(idea)
    )
    choice = ModelChoice("ideamine_llm", ModelSpec("openai", "gpt-4o", server.base_url, "sk-test"))
    body = {"IdeaSpec": {"title": "Seed Swap", "description": idea}}
    server.script(Reply.json(body, prompt_tokens=900, completion_tokens=90))
    settings = LlmSettings(timeout_s=5.0, retry=RetryPolicy(max_retries=0))
    reserved: list[int] = []

    def reserve(tokens: int) -> bool:
        reserved.append(tokens)
        return True

    def once() -> ideamine.llm.LlmResult:
        # A new store over the same database each time, as a cleared task would have.
        return run_llm_agent(
            ctx,
            choice,
            output_types=["IdeaSpec"],
            cache=LlmCacheStore(app_conn),
            reserve=reserve,
            price={},
            settings=settings,
        )

    first = once()
    assert first.cached is False
    assert len(server.requests) == 1
    assert len(reserved) == 1

    second = once()
    assert second.cached is True
    assert len(server.requests) == 1  # zero new requests
    assert len(reserved) == 1  # and no reservation
    assert second.output == first.output
    assert (second.output.tokens_in, second.output.tokens_out) == (900, 90)
    count = app_conn.execute("SELECT count(*) FROM llm_cache WHERE model = 'openai:gpt-4o'").fetchone()
    assert count is not None
    assert count[0] >= 1
