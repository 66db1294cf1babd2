"""The generated service runs on loopback and is measured: latency, health, accessibility, DAST."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from ideamine.core.reports import A11yAudit, DastReport, LatencyStats
from ideamine.errors import ToolError
from ideamine.tools.a11y import a11y_audit
from ideamine.tools.app import measure_latency, probe_health, request, running_app
from ideamine.tools.dast import dast_probe

pytestmark = pytest.mark.integration

BAD_PAGE = """<html><head><meta name="viewport" content="width=device-width, user-scalable=no"></head>
<body><h2>Shop</h2><h4>Deals</h4><img src="x.png"><form><input name="q"></form>
<a href="/more">click here</a><a href="/x"></a></body></html>"""


def _port_open(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((parts.hostname, parts.port)) == 0


def test_the_app_serves_and_meets_the_latency_budget(good_repo: Path):
    with running_app(good_repo) as url:
        assert request(url + "/health")[0] == 200
        stats = measure_latency(url + "/api/notes", requests=300, concurrency=4)
        health = probe_health(url + "/health", seconds=0.6, interval=0.1)
    LatencyStats.model_validate(stats)
    assert stats["count"] == 300
    assert stats["errors"] == 0
    assert stats["p50_ms"] <= stats["p95_ms"] <= stats["p99_ms"] <= stats["max_ms"]
    assert stats["p95_ms"] < 1000
    assert stats["rps"] > 0
    assert health["samples"] >= 4
    assert (health["error_rate"], health["availability"]) == (0.0, 1.0)
    assert not _port_open(url)  # stopped on exit


def test_health_probes_of_a_stopped_app_count_as_errors(good_repo: Path):
    with running_app(good_repo) as url:
        pass
    health = probe_health(url + "/health", seconds=0.3, interval=0.1)
    assert health["samples"] >= 2
    assert health["error_rate"] == 1.0


def test_an_app_that_cannot_start_is_a_tool_error(tmp_path: Path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__main__.py").write_text("raise SystemExit('no server here')\n")
    with pytest.raises(ToolError, match="exited"), running_app(tmp_path):
        pass


def test_traffic_goes_to_loopback_only():
    with pytest.raises(ToolError, match="loopback"):
        measure_latency("http://10.0.0.1:80/", requests=1)
    with pytest.raises(ToolError, match="loopback"):
        request("http://example.invalid:80/")


def test_the_accessibility_audit_passes_the_good_page_and_lists_the_bad_ones(good_repo: Path):
    good = a11y_audit((good_repo / "app" / "static" / "index.html").read_text())
    A11yAudit.model_validate(good)
    assert good["violations"] == []
    bad = a11y_audit(BAD_PAGE)
    rules = sorted({v["rule"] for v in bad["violations"]})
    assert rules == [
        "document_title",
        "form_label",
        "heading_order",
        "html_lang",
        "img_alt",
        "link_text",
        "single_h1",
        "viewport",
    ]
    assert {v["rule"] for v in a11y_audit(BAD_PAGE, level="A")["violations"]} == set(rules) - {
        "single_h1",
        "viewport",
    }


def test_dast_finds_nothing_on_the_good_app(good_repo: Path):
    with running_app(good_repo) as url:
        report = dast_probe(url, ["/api/notes"])
    DastReport.model_validate(report)
    assert report["findings"] == []
    assert report["healthy_after"] is True
    assert len(report["probes"]) == 9


def test_dast_reports_server_errors_and_reflected_script(make_repo):
    wsgi = (
        "import json\n\n\ndef application(environ, start_response):\n"
        "    path = environ.get('PATH_INFO', '/')\n"
        "    if environ.get('REQUEST_METHOD') == 'POST':\n"
        "        json.loads(environ['wsgi.input'].read(int(environ.get('CONTENT_LENGTH') or 0)))\n"
        "    start_response('200 OK', [('Content-Type', 'text/html')])\n"
        "    return [('<p>' + path + ' ' + environ.get('QUERY_STRING', '') + '</p>').encode()]\n"
    )
    repo = make_repo("dast", {"app/wsgi.py": wsgi})
    with running_app(repo) as url:
        request(url + "/health")
        report = dast_probe(url, ["/api/notes"])
    types = {(f["probe"], f["type"]) for f in report["findings"]}
    assert ("bad_json", "server_error") in types
    assert ("script_in_path", "reflected_xss") in types
