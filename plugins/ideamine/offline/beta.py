"""Beta: the feedback plan (FeedbackAgent) and the KPIs with what the deploy and canary tools
observed (AnalyticsAgent). Observed values are read from the tool reports, never invented: a KPI
with no measurement keeps ``observed: null``.
"""

from __future__ import annotations

from typing import Any

from ideamine.core.agent_io import AgentContext
from ideamine.offline.common import (
    MIN_THROUGHPUT_RPS,
    P95_LATENCY_MS,
    AgentFn,
    doc,
    features,
    items,
    personas,
)
from ideamine.offline.naming import article, sentence

REPORTS = ("DeploymentReport", "MonitoringDashboard", "CanaryResults", "PerfReport")
KPIS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("error_rate", "<= 0.01", ("error_rate",)),
    ("p95_latency_ms", f"<= {P95_LATENCY_MS}", ("p95_latency_ms", "latency_p95_ms", "p95_ms")),
    ("throughput_rps", f">= {MIN_THROUGHPUT_RPS}", ("throughput_rps", "rps", "requests_per_second")),
    ("availability", ">= 0.99", ("availability",)),
)


def _find_number(value: Any, keys: tuple[str, ...], depth: int = 0) -> float | None:
    """The first number stored under one of ``keys`` in ``value``, searching nested dicts by sorted key."""
    if not isinstance(value, dict) or depth > 3:
        return None
    for key in keys:
        found = value.get(key)
        if isinstance(found, int | float) and not isinstance(found, bool):
            return float(found)
    for key in sorted(value):
        nested = _find_number(value[key], keys, depth + 1)
        if nested is not None:
            return nested
    return None


def feedback_agent(ctx: AgentContext) -> dict[str, Any]:
    feats, who = features(ctx), personas(ctx)[0]
    return {
        "BetaMetrics": {
            "feedback": {
                "channels": ["In-app feedback link on the home page", "Interviews with five beta users"],
                "questions": [sentence(f"How did it go the last time you tried to {f}?") for f in feats[:4]]
                + [sentence(f"What would make {article(who)} {who.lower()} use it every week?")],
                "themes": [sentence(f"Ease of the task: {f}") for f in feats[:3]] + ["Speed on phones."],
            }
        }
    }


def analytics_agent(ctx: AgentContext) -> dict[str, Any]:
    reports = {name: doc(ctx, name) for name in REPORTS if doc(ctx, name)}
    kpis = []
    deploy = reports.get("DeploymentReport", {})
    checks, healthy = deploy.get("health_checks"), deploy.get("health_passed")
    # The share of health probes the deployed service answered, when deploy measured any.
    probed = healthy / checks if isinstance(checks, int) and isinstance(healthy, int) and checks > 0 else None
    for name, target, keys in KPIS:
        observed, source = None, "not measured"
        for report_name, body in reports.items():
            observed = _find_number(body, keys)
            if observed is not None:
                source = report_name
                break
        if observed is None and name == "availability" and probed is not None:
            observed, source = round(probed, 4), "DeploymentReport"
        kpis.append({"name": name, "target": target, "observed": observed, "source": source})
    progress = items(ctx, "StoryProgress", "items")
    if progress:
        done = sum(1 for p in progress if p.get("status") == "done")
        kpis.append(
            {
                "name": "stories_done",
                "target": f">= {len(progress)}",
                "observed": float(done),
                "source": "StoryProgress",
            }
        )
    return {
        "BetaMetrics": {
            "kpis": kpis,
            "data_sources": sorted(reports) + (["StoryProgress"] if progress else []),
        }
    }


AGENTS: dict[str, tuple[AgentFn, tuple[str, ...]]] = {
    "FeedbackAgent": (feedback_agent, ("IdeaSpec", "PRD")),
    "AnalyticsAgent": (analytics_agent, ("StoryProgress", *REPORTS)),
}
