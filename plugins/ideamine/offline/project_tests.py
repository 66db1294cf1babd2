"""The generated service's pytest suite: every resource's CRUD, validation and the web endpoints,
all through the WSGI callable (no sockets). Idea-specific values enter as ``repr`` literals only.
"""

from __future__ import annotations

from ideamine.offline.domain import Resource

CONFTEST_PY = '''"""Fixtures: a clean store per test and a client that calls the WSGI application directly."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from app.resources import RESOURCES
from app.wsgi import STORE, application


class Client:
    """Calls app.wsgi.application in-process and decodes JSON answers."""

    def call(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None, query: str = "",
             environ: dict[str, Any] | None = None) -> tuple[int, dict[str, str], Any]:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode("utf-8"))
        env: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_LENGTH": str(len(data)),
            "wsgi.input": io.BytesIO(data),
        }
        env.update(environ or {})
        seen: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            seen["status"], seen["headers"] = int(status.split()[0]), dict(headers)

        content = b"".join(application(env, start_response))
        is_json = seen["headers"]["Content-Type"].startswith("application/json")
        return seen["status"], seen["headers"], json.loads(content) if content and is_json else content

    def sample(self, resource: str, **overrides: Any) -> dict[str, Any]:
        """A valid body for ``resource``: every writable field that needs no other record."""
        body = {
            name: valid_value(name, rule)
            for name, rule in RESOURCES[resource]["fields"].items()
            if not rule.get("read_only") and "references" not in rule
        }
        body.update(overrides)
        return body


def valid_value(name: str, rule: dict[str, Any]) -> Any:
    if rule["type"] == "enum":
        return rule["choices"][-1]
    if rule["type"] == "integer":
        return rule.get("minimum", 1)
    if rule["type"] == "boolean":
        return True
    return f"Sample {name}"


@pytest.fixture(autouse=True)
def clean_store() -> Any:
    STORE.reset()
    yield
    STORE.reset()


@pytest.fixture
def api() -> Client:
    return Client()
'''

_TEST_API_HEAD = '''"""CRUD, paging and validation through the WSGI application, for every resource."""

from __future__ import annotations

from typing import Any

import pytest

from app.resources import RESOURCES

'''

_TEST_API_BODY = """

def test_every_entity_has_a_resource() -> None:
    assert sorted(RESOURCES) == sorted(EXPECTED)


@pytest.mark.parametrize("resource", EXPECTED)
def test_crud_round_trip(api: Any, resource: str) -> None:
    status, headers, created = api.call("POST", f"/api/{resource}", api.sample(resource))
    assert status == 201
    assert headers["X-Content-Type-Options"] == "nosniff"
    item = f"/api/{resource}/{created['id']}"
    assert api.call("GET", item)[2] == created
    status, _, page = api.call("GET", f"/api/{resource}")
    assert status == 200 and page["items"] == [created] and page["total"] == 1
    status, _, updated = api.call("PUT", item, api.sample(resource, name="Renamed"))
    assert status == 200 and updated["name"] == "Renamed" and updated["id"] == created["id"]
    assert api.call("DELETE", item)[0] == 204
    assert api.call("GET", item)[0] == 404
    assert api.call("DELETE", item)[0] == 404
    assert api.call("PUT", item, api.sample(resource))[0] == 404


@pytest.mark.parametrize("resource", EXPECTED)
def test_paging(api: Any, resource: str) -> None:
    for number in range(3):
        api.call("POST", f"/api/{resource}", api.sample(resource, name=f"Record {number}"))
    status, _, page = api.call("GET", f"/api/{resource}", query="limit=2")
    assert status == 200 and len(page["items"]) == 2 and page["total"] == 3
    status, _, page = api.call("GET", f"/api/{resource}", query="limit=2&offset=2")
    assert [record["name"] for record in page["items"]] == ["Record 2"]
    for query in ("limit=0", "limit=101", "limit=x", "offset=-1"):
        assert api.call("GET", f"/api/{resource}", query=query)[0] == 400


def _invalid_values(rule: dict[str, Any]) -> list[Any]:
    if rule["type"] == "string":
        return [7, "x" * (rule.get("max_length", 10000) + 1)] + (["   "] if rule["required"] else [])
    if rule["type"] == "integer":
        below = [rule["minimum"] - 1] if "minimum" in rule else []
        above = [rule["maximum"] + 1] if "maximum" in rule else []
        return ["1", True, *below, *above]
    if rule["type"] == "boolean":
        return ["yes"]
    return ["not-a-choice"]


@pytest.mark.parametrize("resource", EXPECTED)
def test_invalid_bodies_are_rejected(api: Any, resource: str) -> None:
    url = f"/api/{resource}"
    for name, rule in RESOURCES[resource]["fields"].items():
        if rule.get("read_only"):
            assert api.call("POST", url, api.sample(resource, **{name: 1}))[0] == 400
            continue
        for value in _invalid_values(rule):
            status, _, answer = api.call("POST", url, api.sample(resource, **{name: value}))
            assert status == 400 and name in answer["error"], (name, value)
        if rule["required"]:
            body = api.sample(resource)
            del body[name]
            assert api.call("POST", url, body)[0] == 400
    assert api.call("POST", url, api.sample(resource, unknown_field=1))[0] == 400
    assert api.call("POST", url, ["not", "an", "object"])[0] == 400
    assert api.call("GET", url)[2]["total"] == 0


@pytest.mark.parametrize(("resource", "field", "target"), REFERENCES)
def test_references_must_exist(api: Any, resource: str, field: str, target: str) -> None:
    url = f"/api/{resource}"
    assert api.call("POST", url, api.sample(resource, **{field: 999}))[0] == 400
    parent = api.call("POST", f"/api/{target}", api.sample(target))[2]
    status, _, child = api.call("POST", url, api.sample(resource, **{field: parent["id"]}))
    assert status == 201 and child[field] == parent["id"]
"""

TEST_SERVICE_PY = '''"""Health, the web page, static files, and error answers."""

from __future__ import annotations

import re
from typing import Any

from app import VERSION
from app.resources import RESOURCES
from app.wsgi import MAX_BODY_BYTES


def test_health(api: Any) -> None:
    status, _, body = api.call("GET", "/health")
    assert status == 200 and body == {"status": "ok", "version": VERSION}


def test_index_page_is_accessible(api: Any) -> None:
    status, headers, page = api.call("GET", "/")
    text = page.decode("utf-8")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert '<html lang="en">' in text and re.search(r"<title>[^<]+</title>", text)
    assert text.count("<h1>") == 1
    for image in re.findall(r"<img [^>]*>", text):
        assert 'alt="' in image
    for field_id in re.findall(r'<(?:input|textarea) id="([^"]+)"', text):
        assert f'<label for="{field_id}">' in text
    assert api.call("GET", "/index.html")[2] == page


def test_static_files(api: Any) -> None:
    status, headers, css = api.call("GET", "/static/styles.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    assert css.count(b"@media") >= 3
    assert api.call("GET", "/static/app.js")[0] == 200
    assert api.call("GET", "/static/logo.svg")[2].startswith(b"<svg")
    assert api.call("GET", "/static/../wsgi.py")[0] == 404
    assert api.call("POST", "/static/styles.css")[0] == 405


def test_api_index(api: Any) -> None:
    status, _, body = api.call("GET", "/api")
    assert status == 200 and sorted(body["resources"]) == sorted(RESOURCES)


def test_unknown_paths_and_methods(api: Any) -> None:
    resource = min(RESOURCES)
    assert api.call("GET", "/nowhere")[0] == 404
    assert api.call("GET", f"/api/{resource}/not-a-number")[0] == 404
    assert api.call("GET", f"/api/{resource}/1/extra")[0] == 404
    assert api.call("DELETE", f"/api/{resource}")[0] == 405
    assert api.call("POST", f"/api/{resource}/1")[0] == 405
    assert api.call("POST", "/health")[0] == 405
    assert api.call("PUT", "/api")[0] == 405


def test_bad_bodies(api: Any) -> None:
    url = f"/api/{min(RESOURCES)}"
    assert api.call("POST", url, raw=b"{not json")[0] == 400
    assert api.call("POST", url, raw=b"\\xff\\xfe")[0] == 400
    assert api.call("POST", url, raw=b"[" * 60000)[0] == 400
    assert api.call("POST", url, raw=b"x" * (MAX_BODY_BYTES + 1))[0] == 413
    assert api.call("POST", url, raw=b"{}", environ={"CONTENT_LENGTH": "abc"})[0] == 400
    status, _, body = api.call("POST", url, raw=b"")
    assert status == 400 and "error" in body
'''


def api_tests_py(found: list[Resource]) -> str:
    expected = [r.entity.path for r in found]
    refs = [
        (r.entity.path, f["name"], target.entity.path)
        for r in found
        for f in r.fields
        if f.get("references")
        for target in found
        if target.entity.name == f["references"]
    ]
    return _TEST_API_HEAD + f"EXPECTED = {expected!r}\n" + f"REFERENCES = {refs!r}\n" + _TEST_API_BODY


def suite_files(found: list[Resource]) -> dict[str, str]:
    return {
        "tests/conftest.py": CONFTEST_PY,
        "tests/test_api.py": api_tests_py(found),
        "tests/test_service.py": TEST_SERVICE_PY,
    }
