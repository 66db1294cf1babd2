"""End-to-end HTTP checks of the running service, and where its API lives.

The checks need no knowledge of an entity's fields: /health answers ``{"status": "ok"}``, the front
page is HTML, the stylesheet is served, each API collection lists as JSON, an unknown id is a 404,
malformed JSON is a 4xx (never a 5xx), and an unknown page is a 404.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ideamine.tools.app import request

MAX_API_PATHS = 5
_API_PATH = re.compile(r"[\"'`(/](/api/[a-z][a-z0-9_-]{0,40})(?=[\"'`/?)])")
_SCANNED_SUFFIXES = (".py", ".html", ".js")


def api_paths(repo: Path, inputs: Mapping[str, Any] | None = None) -> list[str]:
    """The service's API collections (``/api/<plural>``): from the OpenAPI artifact, else from app/."""
    found: set[str] = set()
    openapi = (inputs or {}).get("OpenAPI")
    if isinstance(openapi, Mapping) and isinstance(openapi.get("paths"), Mapping):
        found.update(p for p in openapi["paths"] if re.fullmatch(r"/api/[a-z][a-z0-9_-]{0,40}", str(p)))
    if not found:
        app_dir = repo / "app"
        for path in sorted(app_dir.rglob("*")) if app_dir.is_dir() else []:
            if path.suffix in _SCANNED_SUFFIXES and path.is_file() and not path.is_symlink():
                found.update(_API_PATH.findall(path.read_text(encoding="utf-8", errors="replace")))
    return sorted(found)[:MAX_API_PATHS]


def _json_body(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _checks(base: str, paths: list[str]) -> list[tuple[str, Callable[[], bool]]]:
    def health() -> bool:
        status, _h, data = request(base + "/health")
        return status == 200 and _json_body(data) == {"status": "ok"}

    def index() -> bool:
        status, headers, _d = request(base + "/")
        return status == 200 and "text/html" in headers.get("content-type", "")

    def styles() -> bool:
        return request(base + "/static/styles.css")[0] == 200

    def unknown_page() -> bool:
        return request(base + "/no-such-page-for-e2e")[0] == 404

    checks: list[tuple[str, Callable[[], bool]]] = [
        ("health", health),
        ("index_page", index),
        ("stylesheet", styles),
        ("unknown_page_404", unknown_page),
    ]
    for path in paths:

        def listing(path: str = path) -> bool:
            status, _h, data = request(base + path)
            return status == 200 and isinstance(_json_body(data), list | dict)

        def missing(path: str = path) -> bool:
            return request(base + path + "/999999999")[0] == 404

        def bad_json(path: str = path) -> bool:
            headers = {"Content-Type": "application/json"}
            return 400 <= request(base + path, "POST", b"{not json", headers)[0] < 500

        checks += [
            (f"{path} list", listing),
            (f"{path} unknown id 404", missing),
            (f"{path} bad json 4xx", bad_json),
        ]
    return checks


def http_e2e(base_url: str, paths: list[str]) -> dict[str, Any]:
    """Run the HTTP checks; counts and the names of failed checks."""
    passed: list[str] = []
    failed: list[str] = []
    for name, check in _checks(base_url, paths):
        try:
            ok = check()
        except OSError:
            ok = False
        (passed if ok else failed).append(name)
    return {
        "total": len(passed) + len(failed),
        "passed": len(passed),
        "failed": len(failed),
        "errors": 0,
        "checks": passed + failed,
        "failures": failed,
        "api_paths": paths,
    }
