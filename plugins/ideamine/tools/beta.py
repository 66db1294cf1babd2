"""The beta phase's tool agents: deploy the service locally, then watch it as a canary.

DeployAgent starts the service on loopback, checks /health for a second and stops it. MonitorAgent
runs it again, polls /health for the canary window and sends a little traffic for latency and
throughput. The canary window is ``IDEAMINE_CANARY_SECONDS`` (default 5) rather than the phase's
configured minutes, so a pipeline run does not sit idle for 15 minutes; CanaryResults says so
(``compressed: true`` and a note).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from ideamine.config_files import default_config_dir, load_project
from ideamine.core.agent_io import AgentContext
from ideamine.errors import IdeaMineError, ToolError
from ideamine.tools.app import measure_latency, probe_health, running_app
from ideamine.tools.e2e import api_paths

Sections = dict[str, Any]
DEFAULT_CANARY_SECONDS = 5.0
DEFAULT_CANARY_MINUTES = 15


def target_path(ctx: AgentContext, repo: Path) -> str:
    """The path traffic goes to: the first API collection, else the front page."""
    paths = api_paths(repo, ctx.inputs)
    return paths[0] if paths else "/"


def deploy(ctx: AgentContext, repo: Path) -> Sections:
    """Start the service, poll /health for a second, stop it: a DeploymentReport."""
    manifest = ctx.inputs.get("RepoManifest") or {}
    report: dict[str, Any] = {"target": "local-loopback", "commit_sha": manifest.get("commit_sha")}
    started = time.monotonic()
    try:
        with running_app(repo) as url:
            report["startup_s"] = round(time.monotonic() - started, 3)
            health = probe_health(url + "/health", seconds=1.0, interval=0.1)
    except ToolError as exc:
        return {
            "DeploymentReport": {
                **report,
                "healthy": False,
                "score": 0.0,
                "health_checks": 0,
                "health_passed": 0,
                "error": str(exc)[:500],
            }
        }
    passed = health["samples"] - health["errors"]
    report.update(
        healthy=health["samples"] > 0 and health["errors"] == 0,
        score=round(passed / health["samples"], 4) if health["samples"] else 0.0,
        health_checks=health["samples"],
        health_passed=passed,
        stopped=True,
    )
    return {"DeploymentReport": report}


def canary_seconds() -> float:
    """``IDEAMINE_CANARY_SECONDS`` (default 5), clamped to 0.5..3600."""
    raw = os.environ.get("IDEAMINE_CANARY_SECONDS", "")
    try:
        value = float(raw) if raw else DEFAULT_CANARY_SECONDS
    except ValueError:
        value = DEFAULT_CANARY_SECONDS
    return min(3600.0, max(0.5, value))


def configured_canary_minutes(phase: str) -> int:
    """The phase's canary_validation ``duration_minutes`` from config/, else 15."""
    try:
        for guard in load_project(default_config_dir()).phase(phase).guards:
            if guard.type == "canary_validation":
                return int(guard.duration_minutes)
    except (IdeaMineError, OSError, KeyError, ValueError):
        pass
    return DEFAULT_CANARY_MINUTES


def monitor(ctx: AgentContext, repo: Path) -> Sections:
    """Watch the service for the canary window: MonitoringDashboard and CanaryResults."""
    window = canary_seconds()
    minutes = configured_canary_minutes(ctx.phase)
    path = target_path(ctx, repo)
    with running_app(repo) as url:
        health = probe_health(url + "/health", seconds=window, interval=0.25)
        traffic = measure_latency(url + path, requests=100, concurrency=2)
    metrics = {
        "error_rate": {"value": health["error_rate"], "unit": "ratio"},
        "latency": {k: traffic[k] for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")},
        "throughput": {"rps": traffic["rps"], "requests": traffic["count"]},
        "availability": {"value": health["availability"], "unit": "ratio"},
    }
    canary = {
        "window_seconds": health["window_seconds"],
        "configured_minutes": minutes,
        "error_rate": health["error_rate"],
        "samples": health["samples"],
        "errors": health["errors"],
        "compressed": window < minutes * 60,
        "note": (
            f"canary window compressed to {window:g} s (IDEAMINE_CANARY_SECONDS) instead of the configured "
            f"{minutes} min"
            if window < minutes * 60
            else "full canary window"
        ),
    }
    return {
        "MonitoringDashboard": {
            "metrics": metrics,
            "window_seconds": health["window_seconds"],
            "source": "probe",
        },
        "CanaryResults": canary,
    }
