"""Source of the generated service's ``app/wsgi.py``: routing, JSON bodies, errors, static files."""

from __future__ import annotations

WSGI_PY = '''"""The WSGI application: JSON CRUD under /api/<resource>, /health, and the web page."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from app import VERSION
from app.resources import RESOURCES, ValidationError, references, validate
from app.store import NotFound, Store

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Only these files are served: no file path is ever built from the request.
STATIC_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/static/styles.css": ("styles.css", "text/css; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/logo.svg": ("logo.svg", "image/svg+xml"),
}
JSON_TYPE = "application/json"
MAX_BODY_BYTES = 64 * 1024
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'self'; object-src 'none'; frame-ancestors 'none'"),
]
REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
}
STORE = Store(list(RESOURCES))

Response = tuple[int, bytes, str]


class HTTPError(Exception):
    """An error answer: status code and a message for the JSON body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The WSGI entry point."""
    method = str(environ.get("REQUEST_METHOD") or "GET").upper()
    path = str(environ.get("PATH_INFO") or "/")
    try:
        status, body, content_type = route(method, path, environ)
    except HTTPError as exc:
        status, body, content_type = exc.status, encode({"error": exc.message}), JSON_TYPE
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), *SECURITY_HEADERS]
    start_response(f"{status} {REASONS[status]}", headers)
    return [body]


def encode(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True).encode("utf-8")


def route(method: str, path: str, environ: dict[str, Any]) -> Response:
    if path in STATIC_FILES:
        allow(method, "GET")
        name, content_type = STATIC_FILES[path]
        return 200, (STATIC_DIR / name).read_bytes(), content_type
    if path == "/health":
        allow(method, "GET")
        return 200, encode({"status": "ok", "version": VERSION}), JSON_TYPE
    if path in ("/api", "/api/"):
        allow(method, "GET")
        listing = {name: spec["entity"] for name, spec in RESOURCES.items()}
        return 200, encode({"resources": listing}), JSON_TYPE
    parts = path.strip("/").split("/")
    if len(parts) in (2, 3) and parts[0] == "api" and parts[1] in RESOURCES:
        if len(parts) == 2:
            return collection(method, parts[1], environ)
        return item(method, parts[1], parse_id(parts[2]), environ)
    raise HTTPError(404, "not found")


def allow(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise HTTPError(405, "method not allowed")


def parse_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise HTTPError(404, "not found")
    return int(text)


def bounded(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    values = query.get(name)
    if not values:
        return default
    text = values[0]
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise HTTPError(400, f"{name} must be an integer from {low} to {high}")
    return int(text)


def collection(method: str, resource: str, environ: dict[str, Any]) -> Response:
    allow(method, "GET", "POST")
    if method == "GET":
        query = parse_qs(str(environ.get("QUERY_STRING") or ""))
        limit = bounded(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = bounded(query, "offset", 0, 0, 10**9)
        items, total = STORE.page(resource, limit, offset)
        return 200, encode({"items": items, "total": total, "limit": limit, "offset": offset}), JSON_TYPE
    record = checked(resource, read_json(environ))
    return 201, encode(STORE.create(resource, record)), JSON_TYPE


def item(method: str, resource: str, record_id: int, environ: dict[str, Any]) -> Response:
    allow(method, "GET", "PUT", "DELETE")
    try:
        if method == "GET":
            return 200, encode(STORE.get(resource, record_id)), JSON_TYPE
        if method == "PUT":
            STORE.get(resource, record_id)  # a missing record is a 404 whatever the body
            record = checked(resource, read_json(environ))
            return 200, encode(STORE.replace(resource, record_id, record)), JSON_TYPE
        STORE.delete(resource, record_id)
        return 204, b"", JSON_TYPE
    except NotFound:
        raise HTTPError(404, "not found") from None


def read_json(environ: dict[str, Any]) -> Any:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise HTTPError(400, "invalid Content-Length") from None
    if length > MAX_BODY_BYTES:
        raise HTTPError(413, "request body too large")
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise HTTPError(400, "the body must be valid JSON") from None


def checked(resource: str, payload: Any) -> dict[str, Any]:
    """The validated record, with every reference pointing at an existing record."""
    try:
        record = validate(resource, payload)
    except ValidationError as exc:
        raise HTTPError(400, str(exc)) from None
    for field, target in references(resource).items():
        value = record.get(field)
        if value is not None and not STORE.exists(target, value):
            raise HTTPError(400, f"{field} {value} does not exist")
    return record
'''
