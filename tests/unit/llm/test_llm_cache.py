"""Response-cache keys, the in-memory cache and price lookup."""

from __future__ import annotations

from typing import Any

import pytest
from ideamine.core.config import ModelPrice
from ideamine.llm.backend import price_for
from ideamine.llm.cache import CachedResponse, MemoryCache, cache_key

BASE: dict[str, Any] = {
    "model": "openai:gpt-4o",
    "system": "You are the intake analyst.",
    "user": "Product idea: a recipe app",
    "schema": {"type": "object", "properties": {"IdeaSpec": {"type": "object"}}},
    "settings": {"temperature": 0.0, "max_output_tokens": 8192},
}


def test_key_is_a_stable_sha256() -> None:
    key = cache_key(**BASE)
    assert len(key) == 64
    assert int(key, 16) >= 0
    assert key == cache_key(**BASE)
    reordered = {**BASE, "schema": {"properties": BASE["schema"]["properties"], "type": "object"}}
    assert cache_key(**reordered) == key  # canonical JSON: key order does not matter


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("model", "openai:gpt-4o-mini"),
        ("system", "You are the critic."),
        ("user", "Product idea: a recipe app!"),
        ("schema", {"type": "object"}),
        ("settings", {"temperature": 0.7, "max_output_tokens": 8192}),
    ],
)
def test_every_part_changes_the_key(field: str, value: Any) -> None:
    assert cache_key(**{**BASE, field: value}) != cache_key(**BASE)


def test_memory_cache_keeps_the_first_answer() -> None:
    cache = MemoryCache()
    first = CachedResponse("openai:gpt-4o", '{"IdeaSpec":{}}', 10, 5)
    assert cache.get("k") is None
    assert cache.put("k", first) is True
    assert cache.put("k", CachedResponse("openai:other", "{}", 1, 1)) is False
    assert cache.get("k") == first


def test_prices_by_full_id_then_by_name() -> None:
    table = {
        "gpt-4o": {"input_per_mtok": 2.5, "output_per_mtok": 10.0},
        "openai:gpt-4o-mini": ModelPrice(input_per_mtok=0.15, output_per_mtok=0.6),
        "broken": {"input_per_mtok": 1.0},
    }
    assert price_for("openai:gpt-4o", table) == (2.5, 10.0)
    assert price_for("openai:gpt-4o-mini", table) == (0.15, 0.6)
    assert price_for("ollama:llama3", table) is None
    assert price_for("openai:broken", table) is None
