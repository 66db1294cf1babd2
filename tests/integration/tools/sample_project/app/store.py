"""Thread-safe in-memory store of notes."""

from __future__ import annotations

import threading
from typing import Any

MAX_TITLE = 200


class ValidationError(ValueError):
    """A note body that does not have the expected fields."""


def validate(data: Any) -> dict[str, str]:
    """The fields of a note taken from ``data``, or ``ValidationError``."""
    if not isinstance(data, dict):
        raise ValidationError("expected a JSON object")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ValidationError("title is required")
    if len(title) > MAX_TITLE:
        raise ValidationError("title is too long")
    body = data.get("body", "")
    if not isinstance(body, str):
        raise ValidationError("body must be text")
    return {"title": title.strip(), "body": body}


class Store:
    """Notes by id, numbered from 1."""

    def __init__(self) -> None:
        self._items: dict[int, dict[str, Any]] = {}
        self._next = 1
        self._lock = threading.Lock()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(item) for _, item in sorted(self._items.items())]

    def create(self, data: Any) -> dict[str, Any]:
        fields = validate(data)
        with self._lock:
            item = {"id": self._next, **fields}
            self._items[self._next] = item
            self._next += 1
            return dict(item)

    def get(self, item_id: int) -> dict[str, Any] | None:
        with self._lock:
            item = self._items.get(item_id)
            return None if item is None else dict(item)

    def update(self, item_id: int, data: Any) -> dict[str, Any] | None:
        fields = validate(data)
        with self._lock:
            if item_id not in self._items:
                return None
            self._items[item_id] = {"id": item_id, **fields}
            return dict(self._items[item_id])

    def delete(self, item_id: int) -> bool:
        with self._lock:
            return self._items.pop(item_id, None) is not None
