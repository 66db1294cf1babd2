"""The notes API, called through the WSGI callable."""

from __future__ import annotations

import io
import json
from typing import Any
from wsgiref.util import setup_testing_defaults

from app.store import Store
from app.wsgi import application


def call(method: str, path: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
    }
    setup_testing_defaults(environ)
    seen: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = status
        seen.update(headers)

    out = b"".join(application(environ, start_response))
    code = int(seen["status"].split()[0])
    if seen.get("Content-Type") == "application/json":
        return code, json.loads(out)
    return code, out.decode()


def test_health():
    assert call("GET", "/health") == (200, {"status": "ok"})


def test_index_and_styles():
    code, html = call("GET", "/")
    assert code == 200
    assert '<html lang="en">' in html
    code, css = call("GET", "/static/styles.css")
    assert code == 200
    assert "@media" in css


def test_crud_round_trip():
    code, created = call("POST", "/api/notes", {"title": "Milk", "body": "2 litres"})
    assert code == 201
    note_id = created["id"]
    assert call("GET", f"/api/notes/{note_id}") == (200, created)
    code, updated = call("PUT", f"/api/notes/{note_id}", {"title": "Oat milk"})
    assert (code, updated["title"]) == (200, "Oat milk")
    code, listed = call("GET", "/api/notes")
    assert code == 200
    assert updated in listed
    assert call("DELETE", f"/api/notes/{note_id}") == (200, {"deleted": note_id})
    assert call("GET", f"/api/notes/{note_id}")[0] == 404
    assert call("DELETE", f"/api/notes/{note_id}")[0] == 404


def test_bad_input_is_rejected():
    assert call("POST", "/api/notes", raw=b"{not json")[0] == 400
    assert call("POST", "/api/notes", {"title": ""})[0] == 400
    assert call("POST", "/api/notes", {"title": "x" * 300})[0] == 400
    assert call("POST", "/api/notes", {"title": "t", "body": 3})[0] == 400
    assert call("POST", "/api/notes", [1, 2])[0] == 400
    assert call("PUT", "/api/notes/999", {"title": "t"})[0] == 404
    assert call("PATCH", "/api/notes")[0] == 405
    assert call("PATCH", "/api/notes/1")[0] == 405
    assert call("GET", "/nope")[0] == 404


def test_store_numbers_from_one():
    store = Store()
    assert store.create({"title": "a"})["id"] == 1
    assert store.list() == [{"id": 1, "title": "a", "body": ""}]
