"""The tool report models keep the required keys of the contract and reject broken bodies."""

from __future__ import annotations

import pytest
from ideamine.core.reports import REPORT_MODELS, AcceptanceTestResult, RepoManifest
from pydantic import ValidationError

SHA = "a" * 40
GOOD: dict[str, dict] = {
    "RepoManifest": {
        "path": "/ws/repo",
        "commit_sha": SHA,
        "branch": "main",
        "files": [{"path": "app/__init__.py", "sha256": "b" * 64, "size": 10}],
    },
    "CoverageReport": {
        "tool": "coverage.py 7.17.4",
        "line_percent": 91.5,
        "tests_passed": 9,
        "tests_failed": 1,
        "tests_errors": 0,
        "pass_rate": 0.9,
    },
    "SBOM": {
        "format": "CycloneDX",
        "spec_version": "1.6",
        "components": [{"name": "pytest", "version": "9.2.0", "purl": "pkg:pypi/pytest@9.2.0"}],
        "document": {"bomFormat": "CycloneDX"},
    },
    "VulnerabilityScan": {
        "tool": "osv",
        "components_scanned": 1,
        "findings": [{"id": "GHSA-x", "package": "jinja2", "version": "3.1.2", "severity": "medium"}],
        "counts": {"critical": 0, "high": 0, "medium": 1, "low": 0},
    },
    "SecretsScanReport": {
        "tool": "s",
        "files_scanned": 3,
        "count": 1,
        "findings": [{"rule": "private_key", "file": "k", "line": 1, "masked": "----****"}],
    },
    "SecurityPack": {
        "sast": {"tool": "bandit", "findings": [], "counts": {}, "critical": 0},
        "dast": {"probes": [], "findings": [], "count": 0},
    },
    "TestReport": {"tool": "pytest", "total": 3, "passed": 3, "failed": 0, "errors": 0, "pass_rate": 1.0},
    "PerfReport": {
        "latency": {"count": 3, "errors": 0, "p50_ms": 1, "p95_ms": 2, "p99_ms": 3, "max_ms": 3, "rps": 9},
    },
    "A11yAudit": {"standard": "WCAG", "checks": ["html_lang"], "violations": [], "violation_count": 0},
    "DeploymentReport": {
        "target": "local",
        "healthy": True,
        "score": 1.0,
        "health_checks": 3,
        "health_passed": 3,
    },
    "MonitoringDashboard": {"metrics": {"error_rate": 0.0}, "window_seconds": 5.0},
    "CanaryResults": {
        "window_seconds": 5.0,
        "configured_minutes": 15,
        "error_rate": 0.0,
        "samples": 20,
        "compressed": True,
    },
    "AcceptanceTestResults": {
        "items": [
            {
                "story_id": "US-1",
                "test_file": "test_us_1.py",
                "passed": 2,
                "failed": 0,
                "errors": 0,
                "duration_s": 0.4,
            }
        ]
    },
}


def test_every_tool_report_has_a_model_and_an_example():
    assert set(REPORT_MODELS) == set(GOOD)
    assert len(REPORT_MODELS) == 13


@pytest.mark.parametrize("artifact_type", sorted(GOOD))
def test_good_bodies_validate_and_extra_keys_are_kept(artifact_type: str):
    body = {**GOOD[artifact_type], "extra_evidence": {"kept": True}}
    model = REPORT_MODELS[artifact_type].model_validate(body)
    assert model.model_dump()["extra_evidence"] == {"kept": True}


@pytest.mark.parametrize("artifact_type", sorted(set(GOOD) - {"SecurityPack", "PerfReport"}))
def test_each_required_key_is_required(artifact_type: str):
    for key in GOOD[artifact_type]:
        body = {k: v for k, v in GOOD[artifact_type].items() if k != key}
        with pytest.raises(ValidationError):
            REPORT_MODELS[artifact_type].model_validate(body)


@pytest.mark.parametrize(
    ("artifact_type", "key", "value"),
    [
        ("RepoManifest", "commit_sha", "not-a-sha"),
        ("CoverageReport", "line_percent", 120.0),
        ("CoverageReport", "pass_rate", 1.5),
        ("CoverageReport", "tests_failed", -1),
        ("SBOM", "format", "SPDX"),
        ("CanaryResults", "error_rate", float("nan")),
        (
            "VulnerabilityScan",
            "findings",
            [{"id": "x", "package": "p", "version": "1", "severity": "urgent"}],
        ),
    ],
)
def test_broken_values_are_rejected(artifact_type: str, key: str, value: object):
    with pytest.raises(ValidationError):
        REPORT_MODELS[artifact_type].model_validate({**GOOD[artifact_type], key: value})


def test_an_acceptance_item_is_one_story_body():
    item = GOOD["AcceptanceTestResults"]["items"][0]
    assert AcceptanceTestResult.model_validate(item).story_id == "US-1"
    with pytest.raises(ValidationError):
        AcceptanceTestResult.model_validate({**item, "passed": -1})


def test_an_unavailable_report_says_so():
    body = {**GOOD["RepoManifest"], "available": False, "reason": "git is not installed"}
    manifest = RepoManifest.model_validate(body)
    assert (manifest.available, manifest.reason) == (False, "git is not installed")
    assert RepoManifest.model_validate(GOOD["RepoManifest"]).available is True
