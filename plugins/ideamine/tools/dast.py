"""A small dynamic scan of the running service: a few hostile requests and what came back.

Probes (all to loopback, each sent once): path traversal (raw and percent-encoded ``..``), an
oversized body, malformed JSON, a script tag in the query string, the path and a JSON field, and an
unexpected method. A probe is a finding when the server answers 5xx (``server_error``), shows a
system file (``path_traversal``), returns the script tag unescaped in an HTML response
(``reflected_xss``), or when /health fails after the probes (``service_down``). A refused or reset
connection on the oversized body is the server protecting itself, not a finding.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ideamine.tools.app import request

TOOL = "ideamine-dast 1.0"
SCRIPT = "<script>alert(1)</script>"
OVERSIZED_BYTES = 2 * 1024 * 1024


def _probes(api_paths: Sequence[str]) -> list[tuple[str, str, str, bytes | None, dict[str, str]]]:
    json_headers = {"Content-Type": "application/json"}
    probes: list[tuple[str, str, str, bytes | None, dict[str, str]]] = [
        ("path_traversal_raw", "GET", "/static/../../../../../etc/passwd", None, {}),
        ("path_traversal_encoded", "GET", "/static/..%2f..%2f..%2f..%2fetc%2fpasswd", None, {}),
        ("script_in_query", "GET", "/?q=%3Cscript%3Ealert(1)%3C/script%3E", None, {}),
        ("script_in_path", "GET", "/" + SCRIPT.replace(" ", "%20"), None, {}),
        ("unexpected_method", "DELETE", "/", None, {}),
    ]
    script_body = json.dumps({"title": SCRIPT, "name": SCRIPT}).encode()
    for path in api_paths[:3]:
        probes += [
            ("oversized_body", "POST", path, b"[" + b"1," * (OVERSIZED_BYTES // 2) + b"1]", json_headers),
            ("bad_json", "POST", path, b'{"unterminated": ', json_headers),
            (
                "script_in_json",
                "POST",
                path,
                script_body,
                json_headers,
            ),
            ("script_in_id", "GET", path.rstrip("/") + "/" + SCRIPT.replace(" ", "%20"), None, {}),
        ]
    return probes


def dast_probe(base_url: str, api_paths: Sequence[str] = ()) -> dict[str, Any]:
    """Send the hostile probes to ``base_url`` (loopback only); a DastReport body."""
    results: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for name, method, path, body, headers in _probes(sorted(set(api_paths))):
        entry: dict[str, Any] = {"name": name, "method": method, "path": path[:120]}
        try:
            status, response_headers, data = request(base_url + path, method, body, headers)
        except OSError as exc:
            entry["status"] = None
            entry["error"] = type(exc).__name__
            results.append(entry)
            continue
        entry["status"] = status
        results.append(entry)
        text = data[:200_000].decode("utf-8", errors="replace")
        if status >= 500:
            findings.append(
                {
                    "probe": name,
                    "type": "server_error",
                    "severity": "medium",
                    "message": f"{method} {path[:80]} -> {status}",
                }
            )
        if name.startswith("path_traversal") and status == 200 and "root:" in text:
            findings.append(
                {
                    "probe": name,
                    "type": "path_traversal",
                    "severity": "critical",
                    "message": "a system file was served",
                }
            )
        html = "html" in response_headers.get("content-type", "")
        if name.startswith("script_in") and html and SCRIPT in text:
            findings.append(
                {
                    "probe": name,
                    "type": "reflected_xss",
                    "severity": "high",
                    "message": "the script tag came back unescaped in an HTML page",
                }
            )
    try:
        healthy = request(base_url + "/health")[0] == 200
    except OSError:
        healthy = False
    if not healthy:
        findings.append(
            {
                "probe": "health_after",
                "type": "service_down",
                "severity": "high",
                "message": "/health failed after the probes",
            }
        )
    return {
        "tool": TOOL,
        "target": "loopback",
        "probes": results,
        "findings": findings,
        "count": len(findings),
        "healthy_after": healthy,
    }
