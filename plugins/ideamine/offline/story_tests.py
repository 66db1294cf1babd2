"""Acceptance-test sources for one user story: a pytest file that checks each acceptance criterion
through ``app.wsgi.application``. Criteria text enters only as a ``repr`` list (assert messages).
"""

from __future__ import annotations

_HEAD = '''"""Acceptance test of {story_id}: {operation} through the WSGI application."""

from __future__ import annotations

import io
import json
from typing import Any

from app.resources import RESOURCES
from app.wsgi import STORE, application

'''

_HELPERS = """

def call(method: str, path: str, body: Any = None, query: str = "") -> tuple[int, Any]:
    data = b"" if body is None else json.dumps(body).encode("utf-8")
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
    }
    seen: dict[str, int] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = int(status.split()[0])

    content = b"".join(application(environ, start_response))
    return seen["status"], json.loads(content) if content else None


def sample(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, rule in RESOURCES[RESOURCE]["fields"].items():
        if rule.get("read_only") or "references" in rule:
            continue
        if rule["type"] == "enum":
            body[name] = rule["choices"][0]
        elif rule["type"] == "integer":
            body[name] = rule.get("minimum", 1)
        elif rule["type"] == "boolean":
            body[name] = True
        else:
            body[name] = f"Story {name}"
    body.update(overrides)
    return body


def create() -> dict[str, Any]:
    status, record = call("POST", COLLECTION, sample())
    assert status == 201, record
    return record


def setup_function() -> None:
    STORE.reset()
"""

_TESTS = {
    "create": """

def test_valid_record_is_created() -> None:
    status, record = call("POST", COLLECTION, sample())
    assert status == 201, CRITERIA[0]
    assert isinstance(record.get("id"), int), CRITERIA[0]


def test_missing_name_is_rejected() -> None:
    body = sample()
    del body["name"]
    status, answer = call("POST", COLLECTION, body)
    assert status == 400 and answer.get("error"), CRITERIA[1]


def test_new_record_is_listed() -> None:
    record = create()
    status, page = call("GET", COLLECTION)
    assert status == 200 and record in page["items"], CRITERIA[2]
""",
    "list": """

def test_list_has_items() -> None:
    status, page = call("GET", COLLECTION)
    assert status == 200 and isinstance(page.get("items"), list), CRITERIA[0]


def test_limit_caps_the_page() -> None:
    for _ in range(3):
        create()
    status, page = call("GET", COLLECTION, query="limit=1")
    assert status == 200 and len(page["items"]) <= 1 and page["total"] == 3, CRITERIA[1]


def test_created_record_is_listed() -> None:
    record = create()
    assert record in call("GET", COLLECTION)[1]["items"], CRITERIA[2]
""",
    "get": """

def test_get_returns_the_record() -> None:
    record = create()
    status, found = call("GET", f"{COLLECTION}/{record['id']}")
    assert status == 200 and found == record, CRITERIA[0]


def test_unknown_id_is_404() -> None:
    assert call("GET", f"{COLLECTION}/999999")[0] == 404, CRITERIA[1]
""",
    "update": """

def test_valid_update() -> None:
    record = create()
    status, changed = call("PUT", f"{COLLECTION}/{record['id']}", sample(name="Changed"))
    assert status == 200 and changed["name"] == "Changed" and changed["id"] == record["id"], CRITERIA[0]


def test_invalid_update_changes_nothing() -> None:
    record = create()
    status, _ = call("PUT", f"{COLLECTION}/{record['id']}", sample(name=""))
    assert status == 400, CRITERIA[1]
    assert call("GET", f"{COLLECTION}/{record['id']}")[1] == record, CRITERIA[1]


def test_update_unknown_id_is_404() -> None:
    assert call("PUT", f"{COLLECTION}/999999", sample())[0] == 404, CRITERIA[2]
""",
    "delete": """

def test_delete_returns_204() -> None:
    record = create()
    assert call("DELETE", f"{COLLECTION}/{record['id']}")[0] == 204, CRITERIA[0]


def test_deleted_record_is_gone() -> None:
    record = create()
    call("DELETE", f"{COLLECTION}/{record['id']}")
    assert call("GET", f"{COLLECTION}/{record['id']}")[0] == 404, CRITERIA[1]
""",
}


def story_test_source(story_id: str, operation: str, resource_path: str, criteria: list[str]) -> str:
    """The pytest file for one story. ``story_id``/``operation``/``resource_path`` are pre-validated
    tokens (``US-001``, ``create``, ``[a-z0-9-]+``); ``criteria`` is free text and goes in via repr."""
    return (
        _HEAD.format(story_id=story_id, operation=operation)
        + f"STORY_ID = {story_id!r}\n"
        + f"RESOURCE = {resource_path!r}\n"
        + 'COLLECTION = f"/api/{RESOURCE}"\n'
        + f"CRITERIA = {list(criteria)!r}\n"
        + _HELPERS
        + _TESTS[operation]
    )
