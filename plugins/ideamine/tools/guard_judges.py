"""Guards that judge tool-produced report artifacts (security, story-loop, qa and beta phases).

Each is ``fn(cfg, artifacts, repo) -> GuardReport`` and reads only ``artifacts``; the scoring rules
are listed in ``ideamine.tools.exec_guards``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ideamine.core.guards import GuardReport, Violation
from ideamine.tools.a11y import a11y_level_at_most
from ideamine.tools.guard_support import finish, not_run, report_artifact
from ideamine.tools.scans import completeness


def _ids(findings: list[dict[str, Any]], severity: str) -> str:
    return ", ".join(
        f"{f.get('package')}=={f.get('version')} {f.get('id')}"
        for f in findings
        if f.get("severity") == severity
    )


def cve_count(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    scan = report_artifact(cfg, artifacts, "VulnerabilityScan", ["DependencyAgent"])
    if isinstance(scan, GuardReport):
        return scan
    pack = report_artifact(cfg, artifacts, "SecurityPack", ["SASTAgent"])
    if isinstance(pack, GuardReport):
        return pack
    sast = pack.get("sast")
    if not isinstance(sast, dict) or sast.get("available") is False:
        why = sast.get("reason") if isinstance(sast, dict) else "no SAST results in SecurityPack"
        return not_run(cfg, f"SAST did not run: {why}", ["SASTAgent"])
    counts = scan.get("counts", {})
    findings = scan.get("findings", [])
    violations: list[Violation] = []
    agents: list[str] = []
    if counts.get("critical", 0) > cfg.max_critical:
        message = f"{counts['critical']} critical: {_ids(findings, 'critical')}"
        violations.append(Violation(type="critical_cve", message=message[:500], severity="critical"))
    if counts.get("high", 0) > cfg.max_high:
        violations.append(Violation.exceeded("high_cves", counts["high"], cfg.max_high, severity="high"))
    if counts.get("medium", 0) > cfg.max_medium:
        violations.append(
            Violation.exceeded("medium_cves", counts["medium"], cfg.max_medium, severity="medium")
        )
    if violations:
        agents.append("DependencyAgent")
    critical_sast = int(sast.get("critical", 0))
    if critical_sast:
        hits = [
            f"{f.get('test_id')} {f.get('file')}:{f.get('line')}"
            for f in sast.get("findings", [])
            if f.get("severity") == "high" and f.get("confidence") == "high"
        ]
        message = f"{critical_sast} high-severity, high-confidence SAST findings: " + ", ".join(hits[:5])
        violations.append(Violation(type="critical_sast", message=message[:500], severity="critical"))
        agents.append("SASTAgent")
    critical = any(v.severity == "critical" for v in violations)
    score = 0.0 if critical else 1.0 - 0.25 * len(violations)
    details = {"counts": counts, "sast_critical": critical_sast, "sast_counts": sast.get("counts", {})}
    return finish(cfg, score, violations, details, agents or ["DependencyAgent", "SASTAgent"])


def secrets_detected(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    report = report_artifact(cfg, artifacts, "SecretsScanReport", ["SecretsAgent"])
    if isinstance(report, GuardReport):
        return report
    count = int(report.get("count", len(report.get("findings", []))))
    violations = []
    if count > cfg.max_secrets:
        where = ", ".join(f"{f['file']}:{f['line']} ({f['rule']})" for f in report.get("findings", [])[:10])
        message = f"{count} secrets found: {where}"
        violations.append(Violation(type="secrets_detected", message=message[:500], severity="critical"))
    details = {"count": count, "by_rule": report.get("by_rule", {})}
    return finish(cfg, 0.0 if violations else 1.0, violations, details, ["SecretsAgent"])


def sbom_completeness(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    sbom = report_artifact(cfg, artifacts, "SBOM", ["SBOMAgent"])
    if isinstance(sbom, GuardReport):
        return sbom
    share = completeness(list(sbom.get("components", [])))
    violations = []
    if share < cfg.min_score:
        violations.append(Violation.below_min("sbom_completeness", share, cfg.min_score, severity="medium"))
    details = {"completeness": share, "components": len(sbom.get("components", []))}
    return finish(cfg, share, violations, details, ["SBOMAgent"])


def pass_rate_guard(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """acceptance_tests (AcceptanceTestResults items) and test_pass_rate (TestReport)."""
    if cfg.type == "acceptance_tests":
        agents = ["StoryImplementerAgent", "StoryTesterAgent"]
        body = report_artifact(cfg, artifacts, "AcceptanceTestResults", agents)
        if isinstance(body, GuardReport):
            return body
        items = [i for i in body.get("items", []) if isinstance(i, dict) and i.get("available") is not False]
        passed = sum(int(i.get("passed", 0)) for i in items)
        failed = sum(int(i.get("failed", 0)) for i in items)
        errors = sum(int(i.get("errors", 0)) for i in items)
        failing = sorted(str(i.get("story_id")) for i in items if i.get("failed") or i.get("errors"))
        details: dict[str, Any] = {"stories": len(items), "failing_stories": failing}
        name = "acceptance_pass_rate"
    else:
        agents = ["E2ETestAgent"]
        body = report_artifact(cfg, artifacts, "TestReport", agents)
        if isinstance(body, GuardReport):
            return body
        passed, failed, errors = (int(body.get(k, 0)) for k in ("passed", "failed", "errors"))
        details = {"suites": sorted(body.get("suites", {}))}
        name = "test_pass_rate"
    ran = passed + failed + errors
    rate = passed / ran if ran else 0.0
    details.update(passed=passed, failed=failed, errors=errors, pass_rate=round(rate, 4))
    violations = []
    if ran == 0:
        violations.append(Violation(type="no_tests", message="no test ran", severity="high"))
    elif rate < cfg.min_pass_rate:
        violations.append(Violation.below_min(name, round(rate, 4), cfg.min_pass_rate, severity="high"))
    return finish(cfg, rate, violations, details, agents)


def performance(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    agents = ["PerformanceAgent", "LoadTestAgent"]
    report = report_artifact(cfg, artifacts, "PerfReport", agents)
    if isinstance(report, GuardReport):
        return report
    runs = {k: report[k] for k in ("latency", "load") if isinstance(report.get(k), dict)}
    measured = {k: v for k, v in runs.items() if v.get("count", 0) > 0}
    if not measured:
        return not_run(cfg, "PerfReport has no measurement with requests in it", agents)
    p95 = max(float(v["p95_ms"]) for v in measured.values())
    rps = float((measured.get("load") or measured["latency"])["rps"])
    count = sum(int(v["count"]) for v in measured.values())
    error_share = sum(int(v.get("errors", 0)) for v in measured.values()) / count
    violations = []
    if p95 > cfg.max_latency_ms:
        violations.append(Violation.exceeded("p95_latency_ms", p95, cfg.max_latency_ms, severity="high"))
    if rps < cfg.min_throughput_rps:
        violations.append(Violation.below_min("throughput_rps", rps, cfg.min_throughput_rps, severity="high"))
    if error_share > 0.01:
        message = f"{error_share:.1%} of {count} requests failed"
        violations.append(Violation(type="perf_request_errors", message=message, severity="medium"))
    latency_part = min(1.0, cfg.max_latency_ms / p95) if p95 > 0 else 1.0
    rps_part = min(1.0, rps / cfg.min_throughput_rps) if cfg.min_throughput_rps else 1.0
    details = {"p95_ms": p95, "rps": rps, "error_share": round(error_share, 4), "measured": sorted(measured)}
    return finish(cfg, 0.5 * latency_part + 0.5 * rps_part, violations, details, agents)


def accessibility(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    audit = report_artifact(cfg, artifacts, "A11yAudit", ["AccessibilityAgent"])
    if isinstance(audit, GuardReport):
        return audit
    found = [
        v for v in audit.get("violations", []) if a11y_level_at_most(str(v.get("level")), cfg.wcag_level)
    ]
    violations = []
    if len(found) > cfg.max_violations:
        message = f"{len(found)} WCAG {cfg.wcag_level} violations: " + "; ".join(
            f"{v.get('rule')} ({v.get('wcag')})" for v in found[:8]
        )
        violations.append(
            Violation(type="accessibility_violations_exceeded", message=message, severity="medium")
        )
    score = 1.0 / (1 + max(0, len(found) - cfg.max_violations))
    details = {"wcag_level": cfg.wcag_level, "violations": found}
    return finish(cfg, score, violations, details, ["AccessibilityAgent"])


def deployment_health(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    report = report_artifact(cfg, artifacts, "DeploymentReport", ["DeployAgent"])
    if isinstance(report, GuardReport):
        return report
    score = float(report.get("score", 0.0))
    violations = []
    if not report.get("healthy"):
        message = str(report.get("error") or "the deployed service was not healthy")[:500]
        violations.append(Violation(type="deployment_unhealthy", message=message, severity="high"))
    if score < cfg.min_score:
        violations.append(Violation.below_min("deployment_health", score, cfg.min_score, severity="high"))
    details = {k: report.get(k) for k in ("healthy", "health_checks", "health_passed", "target")}
    return finish(cfg, score, violations, details, ["DeployAgent"])


def monitoring(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    dashboard = report_artifact(cfg, artifacts, "MonitoringDashboard", ["MonitorAgent"])
    if isinstance(dashboard, GuardReport):
        return dashboard
    metrics = dashboard.get("metrics") or {}
    missing = [m for m in cfg.required_metrics if m not in metrics]
    violations = []
    if missing:
        message = "missing metrics: " + ", ".join(missing)
        violations.append(Violation(type="monitoring_metrics_missing", message=message, severity="medium"))
    share = 1 - len(missing) / len(cfg.required_metrics)
    details = {"required": list(cfg.required_metrics), "missing": missing}
    return finish(cfg, share, violations, details, ["MonitorAgent"])


def canary_validation(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    canary = report_artifact(cfg, artifacts, "CanaryResults", ["MonitorAgent"])
    if isinstance(canary, GuardReport):
        return canary
    samples = int(canary.get("samples", 0))
    error_rate = float(canary.get("error_rate", 1.0))
    window = float(canary.get("window_seconds", 0.0))
    violations = []
    if samples == 0:
        violations.append(
            Violation(type="canary_no_samples", message="the canary took no samples", severity="high")
        )
    elif error_rate > cfg.max_error_rate:
        violations.append(
            Violation.exceeded("canary_error_rate", error_rate, cfg.max_error_rate, severity="high")
        )
    compressed = window < cfg.duration_minutes * 60
    details = {
        "error_rate": error_rate,
        "samples": samples,
        "window_seconds": window,
        "configured_minutes": cfg.duration_minutes,
        "compressed": compressed,
        "note": (
            f"observed for {window:g} s, not the configured {cfg.duration_minutes} min"
            if compressed
            else "observed for the full configured window"
        ),
    }
    return finish(cfg, 0.0 if violations else 1.0, violations, details, ["MonitorAgent"])
