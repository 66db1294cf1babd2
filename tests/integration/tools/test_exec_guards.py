"""Each tool guard passes on the good project and fails, or says "not run", when it should."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ideamine.config_files import default_config_dir, load_project
from ideamine.core.config import ProjectConfig
from ideamine.tools.exec_guards import GUARDS

pytestmark = pytest.mark.integration

EXPECTED_GUARDS = {
    "compilation",
    "test_coverage",
    "lint",
    "cve_count",
    "secrets_detected",
    "sbom_completeness",
    "acceptance_tests",
    "test_pass_rate",
    "performance",
    "accessibility",
    "deployment_health",
    "monitoring",
    "canary_validation",
}


@pytest.fixture(scope="module")
def project() -> ProjectConfig:
    return load_project(default_config_dir())


def _cfg(project: ProjectConfig, guard_type: str) -> Any:
    for phase in project.phases:
        for guard in phase.guards:
            if guard.type == guard_type:
                return guard
    raise AssertionError(f"no {guard_type} guard in config/")


def test_every_tool_guard_of_the_phase_configs_is_covered(project: ProjectConfig):
    assert set(GUARDS) == EXPECTED_GUARDS
    configured = {g.type for p in project.phases for g in p.guards}
    assert configured >= EXPECTED_GUARDS


@pytest.mark.parametrize("guard_type", sorted(EXPECTED_GUARDS))
def test_every_guard_passes_on_the_good_project(
    guard_type: str, project: ProjectConfig, phase_artifacts: dict[str, Any], good_repo: Path
):
    cfg = _cfg(project, guard_type)
    report = GUARDS[guard_type](cfg, phase_artifacts, good_repo)
    assert report.status == "passed", (report.violations, report.reason)
    assert report.guard == guard_type
    assert report.hard == cfg.hard
    assert report.score > 0.5
    assert report.details["agents"]


@pytest.mark.parametrize("guard_type", ["compilation", "test_coverage", "lint"])
def test_execution_guards_without_a_repo_do_not_run(guard_type: str, project: ProjectConfig):
    report = GUARDS[guard_type](_cfg(project, guard_type), {}, None)
    assert report.status == "not_run"
    assert report.score == 0
    assert "no generated project" in (report.reason or "")


@pytest.mark.parametrize("guard_type", sorted(EXPECTED_GUARDS - {"compilation", "test_coverage", "lint"}))
def test_report_guards_without_their_report_do_not_run(
    guard_type: str, project: ProjectConfig, good_repo: Path
):
    report = GUARDS[guard_type](_cfg(project, guard_type), {}, good_repo)
    assert report.status == "not_run"
    assert report.details["agents"]


def test_a_report_whose_tool_was_not_available_does_not_run(
    project: ProjectConfig, phase_artifacts: dict[str, Any]
):
    artifacts = copy.deepcopy(phase_artifacts)
    artifacts["VulnerabilityScan"] = {**artifacts["VulnerabilityScan"], "available": False, "reason": "no db"}
    report = GUARDS["cve_count"](_cfg(project, "cve_count"), artifacts, None)
    assert report.status == "not_run"
    assert "no db" in (report.reason or "")


def test_build_guards_fail_on_a_broken_project(project: ProjectConfig, make_repo: Callable[..., Path]):
    broken = make_repo(
        "broken-build",
        {
            "app/broken.py": "import os\n\ndef broken(:\n    pass\n",
            "tests/test_more.py": "def test_fails():\n    assert False\n",
        },
    )
    compiled = GUARDS["compilation"](_cfg(project, "compilation"), {}, broken)
    assert (compiled.status, compiled.hard, compiled.score) == ("failed", True, 0.0)
    assert compiled.violations[0].type == "compilation_failed"
    assert compiled.details["agents"] == [
        "BackendAgent",
        "FrontendAgent",
        "DatabaseAgent",
        "IntegrationAgent",
    ]
    linted = GUARDS["lint"](_cfg(project, "lint"), {}, broken)
    assert linted.status == "failed"
    assert [v.type for v in linted.violations] == ["lint_errors_exceeded"]
    assert linted.details["lint"]["by_code"]["invalid-syntax"] >= 1
    covered = GUARDS["test_coverage"](_cfg(project, "test_coverage"), {}, broken)
    assert covered.status == "failed"
    assert "tests_failed" in {v.type for v in covered.violations}
    assert covered.details["pass_rate"] < 1
    assert covered.details["coverage_percent"] > 0


def test_low_coverage_fails_the_coverage_guard(project: ProjectConfig, make_repo: Callable[..., Path]):
    uncovered = "".join(
        f"def f{i}(x):\n    if x:\n        return {i}\n    return -{i}\n\n\n" for i in range(60)
    )
    repo = make_repo("low-coverage", {"app/extra.py": uncovered})
    report = GUARDS["test_coverage"](_cfg(project, "test_coverage"), {}, repo)
    assert [v.type for v in report.violations] == ["coverage_below_min"]
    assert report.details["pass_rate"] == 1.0
    assert report.details["coverage_percent"] < 70


def _with(artifacts: dict[str, Any], artifact_type: str, **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(artifacts)
    changed[artifact_type] = {**changed[artifact_type], **changes}
    return changed


def test_security_guards_fail_on_planted_problems(project: ProjectConfig, phase_artifacts: dict[str, Any]):
    cve = _cfg(project, "cve_count")
    critical = {
        "id": "GHSA-8q59-q68h-6hv4",
        "package": "pyyaml",
        "version": "5.3",
        "severity": "critical",
    }
    artifacts = _with(
        phase_artifacts,
        "VulnerabilityScan",
        findings=[critical],
        counts={"critical": 1, "high": 3, "medium": 0, "low": 0},
    )
    report = GUARDS["cve_count"](cve, artifacts, None)
    assert [v.type for v in report.violations] == ["critical_cve", "high_cves_exceeded"]
    assert (report.score, report.details["agents"]) == (0.0, ["DependencyAgent"])
    sast = copy.deepcopy(phase_artifacts)
    sast["SecurityPack"]["sast"].update(
        critical=1,
        findings=[
            {"test_id": "B602", "severity": "high", "confidence": "high", "file": "app/x.py", "line": 3}
        ],
    )
    report = GUARDS["cve_count"](cve, sast, None)
    assert [(v.type, v.severity) for v in report.violations] == [("critical_sast", "critical")]
    assert report.details["agents"] == ["SASTAgent"]
    leaked = _with(
        phase_artifacts,
        "SecretsScanReport",
        count=1,
        findings=[{"rule": "aws_access_key_id", "file": "app/settings.py", "line": 3, "masked": "AKIA****"}],
    )
    report = GUARDS["secrets_detected"](_cfg(project, "secrets_detected"), leaked, None)
    assert [v.type for v in report.violations] == ["secrets_detected"]
    assert "app/settings.py:3" in report.violations[0].message
    thin = _with(phase_artifacts, "SBOM", components=[{"name": "flask", "version": None, "purl": None}])
    report = GUARDS["sbom_completeness"](_cfg(project, "sbom_completeness"), thin, None)
    assert (report.status, report.score) == ("failed", 0.0)


def test_qa_and_beta_guards_fail_on_bad_reports(project: ProjectConfig, phase_artifacts: dict[str, Any]):
    def run(guard_type: str, artifacts: dict[str, Any]) -> list[str]:
        return [v.type for v in GUARDS[guard_type](_cfg(project, guard_type), artifacts, None).violations]

    slow = copy.deepcopy(phase_artifacts)
    slow["PerfReport"]["load"].update(p95_ms=2500.0, rps=20.0)
    assert run("performance", slow) == ["p95_latency_ms_exceeded", "throughput_rps_below_min"]
    failing = _with(phase_artifacts, "TestReport", passed=8, failed=2)
    assert run("test_pass_rate", failing) == ["test_pass_rate_below_min"]
    items = [
        {"story_id": "US-1", "test_file": "test_a.py", "passed": 1, "failed": 3, "errors": 0, "duration_s": 1}
    ]
    assert run("acceptance_tests", {"AcceptanceTestResults": {"items": items}}) == [
        "acceptance_pass_rate_below_min"
    ]
    assert run("acceptance_tests", {"AcceptanceTestResults": {"items": []}}) == ["no_tests"]
    a11y = _with(
        phase_artifacts,
        "A11yAudit",
        violations=[{"rule": "img_alt", "wcag": "1.1.1", "level": "A", "message": "x"}],
    )
    assert run("accessibility", a11y) == ["accessibility_violations_exceeded"]
    down = _with(phase_artifacts, "DeploymentReport", healthy=False, score=0.0)
    assert run("deployment_health", down) == ["deployment_unhealthy", "deployment_health_below_min"]
    blind = copy.deepcopy(phase_artifacts)
    del blind["MonitoringDashboard"]["metrics"]["availability"]
    assert run("monitoring", blind) == ["monitoring_metrics_missing"]
    noisy = _with(phase_artifacts, "CanaryResults", error_rate=0.2)
    assert run("canary_validation", noisy) == ["canary_error_rate_exceeded"]


def test_the_canary_guard_says_when_the_window_was_compressed(
    project: ProjectConfig, phase_artifacts: dict[str, Any]
):
    report = GUARDS["canary_validation"](_cfg(project, "canary_validation"), phase_artifacts, None)
    assert report.status == "passed"
    assert report.details["compressed"] is True
    assert "not the configured 15 min" in report.details["note"]
