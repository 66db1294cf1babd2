"""The response cache: a validated answer is kept under the hash of what produced it.

The key is the SHA-256 of the canonical JSON of ``{model, system, user, schema, settings}``: the same
model asked the same thing in the same shape with the same sampling settings gets the stored answer,
so a retried task, a cleared phase or a rerun with unchanged inputs sends no request and spends no
tokens. Only answers that passed validation are stored. Postgres keeps the shared cache
(``ideamine.store.llm_cache``); :class:`MemoryCache` serves tests and one-off runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ideamine.core.canonical import content_hash


@dataclass(frozen=True)
class CachedResponse:
    """One stored answer: the model that gave it, the sections as JSON text, and its real token counts."""

    model: str
    response: str
    tokens_in: int
    tokens_out: int


class ResponseCache(Protocol):
    def get(self, key: str) -> CachedResponse | None: ...

    def put(self, key: str, entry: CachedResponse) -> bool:
        """Store ``entry`` unless ``key`` is already there; True when this call stored it."""
        ...


def cache_key(*, model: str, system: str, user: str, schema: dict[str, Any], settings: dict[str, Any]) -> str:
    """The cache key of one request: hex SHA-256 of its canonical JSON description."""
    return content_hash(
        {"model": model, "system": system, "user": user, "schema": schema, "settings": settings}
    )


class MemoryCache:
    """A response cache in a dict, for tests and runs without Postgres."""

    def __init__(self) -> None:
        self.entries: dict[str, CachedResponse] = {}

    def get(self, key: str) -> CachedResponse | None:
        return self.entries.get(key)

    def put(self, key: str, entry: CachedResponse) -> bool:
        if key in self.entries:
            return False
        self.entries[key] = entry
        return True
