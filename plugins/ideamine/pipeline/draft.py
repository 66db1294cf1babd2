"""A phase's draft: fan-in of its agents' sections, Q/A/V over it, and its guards.

Each step reads the phase's working state (``phases.state``), writes its part back, and records what
it did in the ledger. The gate's auto-fix calls the same steps again with a new ``round``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ideamine.core.artifacts import assemble, validate_artifact
from ideamine.core.canonical import canonical_bytes
from ideamine.core.config import Guard
from ideamine.core.fanin import fan_in
from ideamine.core.guards import GuardReport
from ideamine.core.ledger_models import Cost, DecisionData, TaskData
from ideamine.core.qav import run_qav
from ideamine.errors import AgentError, ToolError
from ideamine.pipeline.agents import phase_try
from ideamine.pipeline.context import load_bodies
from ideamine.pipeline.runtime import Runtime
from ideamine.pipeline.spec import PhaseSpec
from ideamine.store.ledger import NewEntry

TOOL_REPORTS_AFTER_BUILD = ("RepoManifest", "CoverageReport")


def _guard_registry() -> dict[str, Any]:
    from ideamine.core.doc_guards import GUARDS as DOC_GUARDS
    from ideamine.tools.exec_guards import GUARDS as EXEC_GUARDS

    return {**DOC_GUARDS, **EXEC_GUARDS}


def _materialize(rt: Runtime, run_id: str, artifacts: dict[str, Any]) -> None:
    """Write the generated project as a git repo and measure its tests (build's tool reports)."""
    from ideamine.tools.checks import pytest_coverage
    from ideamine.tools.project import materialize

    files: dict[str, str] = {}
    files.update(artifacts.get("SourceCode", {}).get("files", {}))
    files.update(artifacts.get("TestSuite", {}).get("files", {}))
    manifest = materialize(rt.repo_dir(run_id), files)
    manifest["path"] = "repo"  # relative to the run's workspace: the same project hashes the same
    artifacts["RepoManifest"] = manifest
    artifacts["CoverageReport"] = pytest_coverage(rt.repo_dir(run_id))


def _record_tool(
    rt: Runtime, spec: PhaseSpec, run_id: str, target: str, seconds: float, artifacts: dict[str, Any]
) -> None:
    """A tool run outside any agent (build's repo and test run): one task entry, charged to the phase."""
    ptry = phase_try(rt, run_id, spec.id)
    sha = artifacts.get("RepoManifest", {}).get("commit_sha")
    unit = f"{spec.id}:tool:{target}:p{ptry}:{sha}"
    coverage = artifacts.get("CoverageReport", {})
    rt.ledger.append(
        run_id,
        TaskData(
            task_id=f"{spec.id}.fan_in.{target}",
            phase=spec.id,
            type="tool",
            target=target,
            result={
                "commit_sha": sha,
                "line_percent": coverage.get("line_percent"),
                "tests_passed": coverage.get("tests_passed"),
            },
            duration_ms=int(seconds * 1000),
            cost=Cost(tools_minutes=round(seconds / 60, 4)),
            attempt=ptry,
        ),
        who=f"tool:{target}",
        idempotency_key=f"task:{unit}",
    )
    rt.phases.charge_tool(run_id, spec.id, unit, seconds)


def fan_in_step(rt: Runtime, spec: PhaseSpec, run_id: str) -> dict[str, str]:
    """Merge the agents' sections in plan order, assemble and validate the phase's artifacts, store them."""
    state = rt.phases.state(run_id, spec.id)
    plan_keys: list[str] = state.get("plan") or spec.agents
    section_ids: dict[str, str] = state.get("sections", {})
    missing = [k for k in plan_keys if k not in section_ids]
    if missing:
        raise AgentError(f"phase {spec.id!r}: no output from {missing}; re-run those agent tasks")
    outputs = [json.loads(rt.artifacts.get(section_ids[k])) for k in plan_keys]
    combined = fan_in(spec.phase.aggregation, outputs)
    declared = [a.type for a in spec.phase.artifacts]
    artifacts = assemble(spec.phase.aggregation, combined, declared)
    if "SourceCode" in artifacts:
        started = time.monotonic()
        _materialize(rt, run_id, artifacts)
        _record_tool(rt, spec, run_id, "repo+pytest-coverage", time.monotonic() - started, artifacts)
    absent = [a.type for a in spec.phase.artifacts if not a.optional and a.type not in artifacts]
    if absent:
        raise AgentError(f"phase {spec.id!r} produced no {absent}: its agents must provide them")
    ids: dict[str, str] = {}
    inputs = sorted(section_ids[k] for k in plan_keys)
    for type_ in sorted(artifacts):
        body = validate_artifact(type_, artifacts[type_])
        ids[type_] = rt.artifacts.put(
            run_id, spec.id, type_, canonical_bytes(body), source=f"phase:{spec.id}", inputs=inputs
        ).id
    rt.phases.set_state(run_id, spec.id, "artifacts", ids)
    return ids


def corpus_of(rt: Runtime, run_id: str, spec: PhaseSpec) -> tuple[dict[str, Any], dict[str, tuple[str, Any]]]:
    """(this phase's artifacts by type, every artifact the phase may cite by id)."""
    own = rt.phases.state(run_id, spec.id).get("artifacts", {})
    upstream = rt.phases.artifact_ids(run_id, spec.upstream)
    bodies = load_bodies(rt, {**upstream, **own})
    corpus = {ident: (type_, bodies[type_]) for type_, ident in {**upstream, **own}.items()}
    return {t: bodies[t] for t in own}, corpus


def qav_step(
    rt: Runtime, spec: PhaseSpec, run_id: str, *, strict: bool = False, round_: int = 0
) -> dict[str, Any]:
    """Question the draft, answer from the run's artifacts, validate; store frames and assumptions."""
    qav = spec.phase.qav
    ptry = phase_try(rt, run_id, spec.id)
    if not qav.enabled:
        rt.phases.set_state(run_id, spec.id, "qav", None)
        return {}
    draft, corpus = corpus_of(rt, run_id, spec)
    started = time.monotonic()
    result = run_qav(
        phase=spec.id,
        draft=draft,
        corpus=corpus,
        required_fields=spec.required_fields,
        max_questions=qav.max_questions,
        max_iterations=qav.max_iterations,
        min_grounding=qav.min_grounding_score,
        strict=strict,
    )
    summary = result.summary if isinstance(result.summary, dict) else result.summary.model_dump(mode="json")
    frames = [f.model_dump(mode="json") for f in result.frames]
    assumptions = [a if isinstance(a, dict) else a.model_dump(mode="json") for a in result.assumptions]
    rt.evidence.add_assumptions(run_id, spec.id, assumptions)
    frame_ids = rt.evidence.add_frames(run_id, spec.id, frames)
    unit = f"{spec.id}:qav:p{ptry}:r{round_}"
    if frame_ids:
        rt.events.emit(
            run_id,
            spec.id,
            "kmap.delta.created",
            {"frame_ids": frame_ids, "count": len(frame_ids), "source": "qav"},
            dedupe_key=f"kmap:{unit}",
        )
    rt.ledger.append_many(
        run_id,
        [
            NewEntry(
                TaskData(
                    task_id=f"{spec.id}.qav",
                    phase=spec.id,
                    type="agent",
                    target="qav",
                    input={"strict": strict, "round": round_},
                    result={
                        "questions": summary.get("questions_count"),
                        "accepted": summary.get("validated_count"),
                    },
                    duration_ms=int((time.monotonic() - started) * 1000),
                    attempt=ptry,
                ),
                who="qav",
                idempotency_key=f"task:{unit}",
            ),
            NewEntry(
                DecisionData(
                    phase=spec.id,
                    decision_type="qav",
                    outcome={"frames": len(frame_ids), "assumptions": len(assumptions), "strict": strict},
                    qav_summary=summary,
                ),
                who="qav-validator",
                idempotency_key=f"decision:{unit}",
            ),
        ],
    )
    state = {"summary": summary, "frame_ids": frame_ids, "strict": strict}
    rt.phases.set_state(run_id, spec.id, "qav", state)
    return state


def _evaluate(
    registry: dict[str, Any], guard: Guard, artifacts: dict[str, Any], repo: Path | None
) -> GuardReport:
    evaluate = registry.get(guard.type)
    if evaluate is None:
        return GuardReport(
            guard=guard.type,
            status="not_run",
            score=0,
            hard=guard.hard,
            reason="no evaluator for this guard type",
        )
    try:
        return evaluate(guard, artifacts, repo)
    except ToolError as exc:  # includes ToolNotAvailable: a tool that cannot run is "not run", never a pass
        return GuardReport(guard=guard.type, status="not_run", score=0, hard=guard.hard, reason=str(exc))


def guards_step(rt: Runtime, spec: PhaseSpec, run_id: str, *, round_: int = 0) -> list[dict[str, Any]]:
    """Run every guard of the phase on its artifacts (and the generated project); store the reports."""
    ptry = phase_try(rt, run_id, spec.id)
    own = rt.phases.state(run_id, spec.id).get("artifacts", {})
    upstream = rt.phases.artifact_ids(run_id, spec.upstream)
    artifacts = load_bodies(rt, {**upstream, **own})
    repo = rt.repo_dir(run_id)
    registry = _guard_registry()
    reports: list[dict[str, Any]] = []
    entries: list[NewEntry] = []
    for guard in spec.phase.guards:
        started = time.monotonic()
        report = _evaluate(registry, guard, artifacts, repo if repo.is_dir() else None)
        seconds = time.monotonic() - started
        reports.append(report.model_dump(mode="json"))
        unit = f"{spec.id}:guard:{guard.type}:p{ptry}:r{round_}"
        entries.append(
            NewEntry(
                TaskData(
                    task_id=f"{spec.id}.guards.{guard.type}",
                    phase=spec.id,
                    type="guard",
                    target=guard.type,
                    input={"round": round_},
                    result={
                        "status": report.status,
                        "score": report.score,
                        "violations": len(report.violations),
                    },
                    duration_ms=int(seconds * 1000),
                    cost=Cost(tools_minutes=round(seconds / 60, 4)),
                    attempt=ptry,
                ),
                who=f"guard:{guard.type}",
                idempotency_key=f"task:{unit}",
                inputs=sorted(own.values()),
            )
        )
        rt.phases.charge_tool(run_id, spec.id, unit, seconds)
    rt.ledger.append_many(run_id, entries)
    rt.phases.set_state(run_id, spec.id, "guards", reports)
    rt.events.emit(
        run_id,
        spec.id,
        "phase.ready",
        {"phase": spec.id, "artifacts": sorted(own.values())},
        dedupe_key=f"{spec.id}:ready:p{ptry}",
    )
    return reports
