"""Sources of the generated service's ``app`` package (stdlib-only WSGI JSON API).

The code is fixed; what varies per idea is data: the resource table in ``app/resources.py`` and the
title in ``app/__init__.py``, both written as Python literals with ``repr`` so no text
from the idea can end a string literal or become code.
"""

from __future__ import annotations

from typing import Any

from ideamine.offline.common import RELEASE_VERSION
from ideamine.offline.domain import Resource

_APP_FIELD_KEYS = ("type", "required", "max_length", "minimum", "maximum", "choices", "default", "read_only")


def resource_table(found: list[Resource]) -> dict[str, Any]:
    """The ``RESOURCES`` literal: path -> entity name and field rules (references by path)."""
    paths = {r.entity.name: r.entity.path for r in found}
    table: dict[str, Any] = {}
    for r in found:
        fields: dict[str, Any] = {}
        for f in r.fields:
            rule = {k: f[k] for k in _APP_FIELD_KEYS if f.get(k) is not None and f.get(k) is not False}
            rule["required"] = bool(f.get("required"))
            if f.get("references") in paths:
                rule["references"] = paths[f["references"]]
            fields[f["name"]] = rule
        table[r.entity.path] = {"entity": r.entity.name, "fields": fields}
    return table


def py_literal(value: Any, depth: int = 0) -> str:
    """``value`` (dicts, lists, str, int, float, bool, None) as Python source; strings via repr."""
    pad = "    " * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        body = "".join(f"{pad}{key!r}: {py_literal(item, depth + 1)},\n" for key, item in value.items())
        return "{\n" + body + "    " * depth + "}"
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(item, depth + 1) for item in value) + "]"
    if value is None or isinstance(value, str | int | float | bool):
        return repr(value)
    raise TypeError(f"no literal for {type(value).__name__}")


def init_py(title: str) -> str:
    return (
        '"""A JSON web service generated from a product idea; see README.md."""\n\n'
        f"TITLE = {title[:120]!r}\n"
        f"VERSION = {RELEASE_VERSION!r}\n"
    )


def resources_py(found: list[Resource]) -> str:
    table = py_literal(resource_table(found))
    return _RESOURCES_HEAD + f"RESOURCES: dict[str, dict[str, Any]] = {table}\n" + _RESOURCES_TAIL


_RESOURCES_HEAD = '''"""The API's resources, their fields, and validation of request bodies against them."""

from __future__ import annotations

from typing import Any

# Resource path -> entity name and field rules. Written by the generator from the data model.
'''

_RESOURCES_TAIL = '''

class ValidationError(ValueError):
    """A request body does not match its resource's fields."""


def validate(resource: str, payload: Any) -> dict[str, Any]:
    """The record to store for ``payload``: known fields only, defaults filled in, types checked."""
    if not isinstance(payload, dict):
        raise ValidationError("the body must be a JSON object")
    fields = RESOURCES[resource]["fields"]
    writable = [name for name, rule in fields.items() if not rule.get("read_only")]
    unknown = sorted(set(payload) - set(writable))
    if unknown:
        raise ValidationError("unknown fields: " + ", ".join(unknown)[:200])
    record: dict[str, Any] = {}
    for name in writable:
        rule = fields[name]
        if name in payload:
            record[name] = check(name, rule, payload[name])
        elif rule["required"]:
            raise ValidationError(f"{name} is required")
        elif "default" in rule:
            record[name] = rule["default"]
    return record


def check(name: str, rule: dict[str, Any], value: Any) -> Any:
    """``value`` if it satisfies ``rule``, else a ValidationError naming the field."""
    kind = rule["type"]
    if kind == "string":
        if not isinstance(value, str):
            raise ValidationError(f"{name} must be a string")
        if rule["required"] and not value.strip():
            raise ValidationError(f"{name} must not be blank")
        if len(value) > rule.get("max_length", 10000):
            raise ValidationError(f"{name} is longer than {rule.get('max_length', 10000)} characters")
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"{name} must be an integer")
        if value < rule.get("minimum", value) or value > rule.get("maximum", value):
            raise ValidationError(f"{name} is out of range")
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise ValidationError(f"{name} must be true or false")
    elif value not in rule["choices"]:
        raise ValidationError(f"{name} must be one of: " + ", ".join(rule["choices"]))
    return value


def references(resource: str) -> dict[str, str]:
    """Field name -> the resource path whose ids the field holds."""
    fields = RESOURCES[resource]["fields"]
    return {name: rule["references"] for name, rule in fields.items() if "references" in rule}
'''

STORE_PY = '''"""In-memory, thread-safe storage: one table of records per resource."""

from __future__ import annotations

import threading
from typing import Any


class NotFound(KeyError):
    """No record with that id."""


class Store:
    """Records by resource and id. Ids start at 1 and are never reused until reset."""

    def __init__(self, resources: list[str]) -> None:
        self._lock = threading.Lock()
        self._names = list(resources)
        self._tables: dict[str, dict[int, dict[str, Any]]] = {}
        self._next: dict[str, int] = {}
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._tables = {name: {} for name in self._names}
            self._next = dict.fromkeys(self._names, 1)

    def create(self, resource: str, values: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            record_id = self._next[resource]
            self._next[resource] += 1
            self._tables[resource][record_id] = {**values, "id": record_id}
            return dict(self._tables[resource][record_id])

    def page(self, resource: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        with self._lock:
            records = [dict(record) for _, record in sorted(self._tables[resource].items())]
        return records[offset : offset + limit], len(records)

    def get(self, resource: str, record_id: int) -> dict[str, Any]:
        with self._lock:
            record = self._tables[resource].get(record_id)
        if record is None:
            raise NotFound(record_id)
        return dict(record)

    def exists(self, resource: str, record_id: int) -> bool:
        with self._lock:
            return record_id in self._tables.get(resource, {})

    def replace(self, resource: str, record_id: int, values: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if record_id not in self._tables[resource]:
                raise NotFound(record_id)
            self._tables[resource][record_id] = {**values, "id": record_id}
            return dict(self._tables[resource][record_id])

    def delete(self, resource: str, record_id: int) -> None:
        with self._lock:
            if self._tables[resource].pop(record_id, None) is None:
                raise NotFound(record_id)
'''

MAIN_PY = '''"""Run the service: python -m app [--host 127.0.0.1] [--port 8000]; stops on SIGTERM."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from socketserver import ThreadingMixIn
from types import FrameType
from wsgiref.simple_server import WSGIServer, make_server

from app.wsgi import application


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per request, so a slow client does not block the others."""

    daemon_threads = True
    # The default listen backlog of 5 stalls connections for a second under modest concurrency.
    request_queue_size = 128


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description="Serve the JSON API and web page.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (0: any free port)")
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, application, server_class=ThreadingWSGIServer)
    signal.signal(signal.SIGTERM, _stop)
    print(f"Serving on http://{args.host}:{server.server_port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''
