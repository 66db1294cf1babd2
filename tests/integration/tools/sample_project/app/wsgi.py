"""The WSGI application: /health, the front page, static files and the notes API."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from app.store import Store, ValidationError

STATIC = Path(__file__).parent / "static"
MAX_BODY = 1024 * 1024
STATIC_TYPES = {"styles.css": "text/css; charset=utf-8"}

store = Store()

StartResponse = Callable[..., Any]


def _json(start_response: StartResponse, status: str, payload: Any) -> list[bytes]:
    body = json.dumps(payload).encode("utf-8")
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response(status, headers)
    return [body]


def _file(start_response: StartResponse, name: str, content_type: str) -> list[bytes]:
    body = (STATIC / name).read_bytes()
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _read_json(environ: dict[str, Any]) -> Any:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ValidationError("bad Content-Length") from None
    if length > MAX_BODY:
        raise OverflowError("body too large")
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationError("body is not JSON") from None


def _notes(environ: dict[str, Any], start_response: StartResponse, item_id: int | None) -> list[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    if item_id is None:
        if method == "GET":
            return _json(start_response, "200 OK", store.list())
        if method == "POST":
            return _json(start_response, "201 Created", store.create(_read_json(environ)))
        return _json(start_response, "405 Method Not Allowed", {"error": "method not allowed"})
    if method == "GET":
        item = store.get(item_id)
    elif method == "PUT":
        item = store.update(item_id, _read_json(environ))
    elif method == "DELETE":
        if store.delete(item_id):
            return _json(start_response, "200 OK", {"deleted": item_id})
        item = None
    else:
        return _json(start_response, "405 Method Not Allowed", {"error": "method not allowed"})
    if item is None:
        return _json(start_response, "404 Not Found", {"error": "not found"})
    return _json(start_response, "200 OK", item)


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Route one request."""
    path = environ.get("PATH_INFO", "/")
    try:
        if path == "/health":
            return _json(start_response, "200 OK", {"status": "ok"})
        if path in ("/", "/index.html"):
            return _file(start_response, "index.html", "text/html; charset=utf-8")
        if path.startswith("/static/") and path[len("/static/") :] in STATIC_TYPES:
            name = path[len("/static/") :]
            return _file(start_response, name, STATIC_TYPES[name])
        if path.rstrip("/") == "/api/notes":
            return _notes(environ, start_response, None)
        prefix = "/api/notes/"
        if path.startswith(prefix) and path[len(prefix) :].isdigit():
            return _notes(environ, start_response, int(path[len(prefix) :]))
        return _json(start_response, "404 Not Found", {"error": "not found"})
    except ValidationError as exc:
        return _json(start_response, "400 Bad Request", {"error": str(exc)})
    except OverflowError:
        return _json(start_response, "413 Payload Too Large", {"error": "body too large"})
