"""The agents that are tool runs: scanners, test runners, load generators, deploy and canary.

Each takes the generated project's work tree (``ctx.workspace``) and returns report sections. They
spend no tokens; ``tool_seconds`` is the wall time of the run. A tool that cannot run here gives a
section with ``available: false`` and the reason, which the guards report as "not run".

The beta canary runs for ``IDEAMINE_CANARY_SECONDS`` (default 5) instead of the configured minutes,
so a pipeline run does not sit for 15 minutes; CanaryResults says so (``compressed: true``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ideamine.core.agent_io import AgentContext, AgentOutput
from ideamine.errors import AgentError, ToolError, ToolNotAvailable
from ideamine.tools import acceptance, advisories, beta, checks, scans, secrets
from ideamine.tools.a11y import a11y_audit
from ideamine.tools.app import measure_latency, request, running_app
from ideamine.tools.beta import target_path
from ideamine.tools.dast import dast_probe
from ideamine.tools.e2e import api_paths, http_e2e

Sections = dict[str, Any]


def _unavailable(agent: str, reason: str) -> Sections:
    off = {"available": False, "reason": reason}
    stats = {"count": 0, "errors": 0, "p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0, "rps": 0.0}
    counts = {"critical": 0, "high": 0, "medium": 0, "low": 0}
    bodies: dict[str, Sections] = {
        "SASTAgent": {
            "SecurityPack": {
                "sast": {**off, "tool": "bandit", "findings": [], "counts": counts, "critical": 0}
            }
        },
        "DASTAgent": {"SecurityPack": {"dast": {**off, "probes": [], "findings": [], "count": 0}}},
        "DependencyAgent": {
            "VulnerabilityScan": {
                **off,
                "tool": advisories.TOOL,
                "components_scanned": 0,
                "findings": [],
                "counts": counts,
            }
        },
        "SecretsAgent": {
            "SecretsScanReport": {**off, "tool": secrets.TOOL, "files_scanned": 0, "count": 0, "findings": []}
        },
        "SBOMAgent": {
            "SBOM": {**off, "format": "CycloneDX", "spec_version": "", "components": [], "document": {}}
        },
        "E2ETestAgent": {
            "TestReport": {
                **off,
                "tool": "pytest",
                "total": 0,
                "passed": 0,
                "failed": 0,
                "errors": 0,
                "pass_rate": 0.0,
            }
        },
        "PerformanceAgent": {"PerfReport": {**off, "latency": stats}},
        "LoadTestAgent": {"PerfReport": {**off, "load": stats}},
        "AccessibilityAgent": {
            "A11yAudit": {**off, "standard": "WCAG", "checks": [], "violations": [], "violation_count": 0}
        },
        "MonitorAgent": {"MonitoringDashboard": {**off, "metrics": {}, "window_seconds": 0.0}},
    }
    if agent not in bodies:
        raise AgentError(f"{agent}: {reason}")
    return bodies[agent]


def _sast(ctx: AgentContext, repo: Path) -> Sections:
    return {"SecurityPack": {"sast": scans.bandit_scan(repo)}}


def _dast(ctx: AgentContext, repo: Path) -> Sections:
    with running_app(repo) as url:
        return {"SecurityPack": {"dast": dast_probe(url, api_paths(repo, ctx.inputs))}}


def _dependency(ctx: AgentContext, repo: Path) -> Sections:
    bom = scans.sbom(repo, validate=False)
    scan = advisories.advisory_scan(bom["components"])
    return {"VulnerabilityScan": {**scan, "source": f"SBOM of {bom['source']}"}}


def _secrets(ctx: AgentContext, repo: Path) -> Sections:
    return {"SecretsScanReport": secrets.secrets_scan(repo)}


def _sbom(ctx: AgentContext, repo: Path) -> Sections:
    return {"SBOM": scans.sbom(repo)}


def _e2e(ctx: AgentContext, repo: Path) -> Sections:
    unit = checks.run_pytest(repo, ["tests"] if (repo / "tests").is_dir() else [])
    paths = api_paths(repo, ctx.inputs)
    try:
        with running_app(repo) as url:
            http = http_e2e(url, paths)
    except ToolError as exc:
        http = {"total": 1, "passed": 0, "failed": 0, "errors": 1, "failures": [f"app start: {exc}"]}
    passed, failed = unit["passed"] + http["passed"], unit["failed"] + http["failed"]
    errors = unit["errors"] + http["errors"]
    report = {
        "tool": f"{unit['tool']} + http e2e",
        "total": passed + failed + errors + unit["skipped"],
        "passed": passed,
        "failed": failed,
        "errors": errors,
        "skipped": unit["skipped"],
        "pass_rate": checks.pass_rate(passed, failed, errors),
        "suites": {
            "pytest": {k: unit[k] for k in ("total", "passed", "failed", "errors", "skipped", "failures")},
            "http": http,
        },
    }
    return {"TestReport": report}


def _performance(ctx: AgentContext, repo: Path) -> Sections:
    path = target_path(ctx, repo)
    with running_app(repo) as url:
        return {"PerfReport": {"latency": measure_latency(url + path, requests=300, concurrency=4)}}


def _load(ctx: AgentContext, repo: Path) -> Sections:
    path = target_path(ctx, repo)
    with running_app(repo) as url:
        return {"PerfReport": {"load": measure_latency(url + path, requests=800, concurrency=8)}}


def _accessibility(ctx: AgentContext, repo: Path) -> Sections:
    with running_app(repo) as url:
        status, _headers, body = request(url + "/")
    audit = a11y_audit(body.decode("utf-8", errors="replace") if status == 200 else "")
    return {"A11yAudit": {**audit, "page": "/", "http_status": status}}


_RUNNERS: dict[str, Callable[[AgentContext, Path], Sections]] = {
    "SASTAgent": _sast,
    "DASTAgent": _dast,
    "DependencyAgent": _dependency,
    "SecretsAgent": _secrets,
    "SBOMAgent": _sbom,
    "E2ETestAgent": _e2e,
    "PerformanceAgent": _performance,
    "LoadTestAgent": _load,
    "AccessibilityAgent": _accessibility,
    "DeployAgent": beta.deploy,
    "MonitorAgent": beta.monitor,
    "StoryTesterAgent": acceptance.story_test,
}
TOOL_AGENTS: frozenset[str] = frozenset(_RUNNERS)


def run_tool_agent(ctx: AgentContext) -> AgentOutput:
    """Run the tool behind ``ctx.agent`` on ``ctx.workspace``; its sections, no tokens."""
    runner = _RUNNERS.get(ctx.agent)
    if runner is None:
        raise AgentError(f"{ctx.phase}/{ctx.agent}: not a tool agent")
    if not ctx.workspace:
        raise AgentError(
            f"{ctx.phase}/{ctx.agent}: needs the generated project's workspace, and there is none"
        )
    repo = Path(ctx.workspace).resolve()
    if not repo.is_dir():
        raise AgentError(f"{ctx.phase}/{ctx.agent}: workspace '{ctx.workspace}' does not exist")
    started = time.monotonic()
    try:
        sections = runner(ctx, repo)
    except ToolNotAvailable as exc:
        sections = _unavailable(ctx.agent, str(exc))
    except ToolError as exc:
        if ctx.agent in (
            "PerformanceAgent",
            "LoadTestAgent",
            "AccessibilityAgent",
            "DASTAgent",
            "MonitorAgent",
        ):
            sections = _unavailable(ctx.agent, f"the app could not be measured: {exc}")
        else:
            raise AgentError(f"{ctx.phase}/{ctx.agent}: {exc}") from exc
    return AgentOutput(
        sections=sections,
        tool_seconds=round(time.monotonic() - started, 3),
        tokens_estimated=False,
        model="tools",
    )
