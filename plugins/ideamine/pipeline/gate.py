"""One gate evaluation (a poke of the phase's gate sensor), and the auto-fix after a failure.

Attempts are counted from the ledger's gate entries of the phase's current try, never from XCom, which
Airflow wipes at every poke. A pass stores the evidence pack, signs the ledger head and returns the pack's
reference; a failure emits ``phase.gate.failed`` and runs the fix its reasons point to; the last failed
attempt applies a matching waiver or fails the phase with its reasons.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ideamine.core.budget import BudgetLimits, Usage, budget_status
from ideamine.core.gate import GateDecision, Waiver, evaluate_gate, score_percent
from ideamine.core.guards import GuardReport
from ideamine.core.ledger_models import DecisionData, GateData
from ideamine.errors import GateError
from ideamine.pipeline.agents import phase_try, run_instance
from ideamine.pipeline.context import upstream_artifacts
from ideamine.pipeline.draft import fan_in_step, guards_step, qav_step
from ideamine.pipeline.runtime import Runtime
from ideamine.pipeline.spec import PhaseSpec
from ideamine.store.evidence import stable_id


def attempts_so_far(rt: Runtime, run_id: str, phase: str, ptry: int) -> int:
    row = rt.conn.execute(
        """SELECT count(*) FROM ledger
            WHERE run_id = %s AND type = 'gate' AND starts_with(idempotency_key, %s)""",
        (run_id, f"gate:{phase}:p{ptry}:"),
    ).fetchone()
    return int(row[0]) if row else 0


def _decide(
    rt: Runtime, spec: PhaseSpec, run_id: str, attempt: int, now: datetime
) -> tuple[GateDecision, dict]:
    state = rt.phases.state(run_id, spec.id)
    reports = [GuardReport.model_validate(r) for r in state.get("guards", [])]
    qav = state.get("qav") or None
    grounding = float(qav["summary"]["grounding_score"]) if qav else None
    usage = rt.phases.usage(run_id, spec.id)
    wall = (now - usage.started_at).total_seconds() if usage.started_at else 0.0
    budgets = spec.phase.budgets
    budget = budget_status(
        BudgetLimits(
            tokens=budgets.tokens,
            tool_minutes=budgets.tool_minutes,
            wallclock_minutes=budgets.wallclock_minutes,
        ),
        Usage(tokens=usage.tokens, tool_seconds=usage.tool_seconds, wall_seconds=wall, usd=usage.usd),
    )
    waivers = [
        Waiver(
            id=w.id,
            phase=w.phase,
            violation_type=w.violation_type,
            owner=w.owner,
            expires_at=w.expires_at,
            compensating_control=w.compensating_control,
        )
        for w in rt.evidence.active_waivers(run_id, spec.id, now)
    ]
    decision = evaluate_gate(
        phase=spec.id,
        rubric=dict(spec.phase.gate.rubric),
        pass_threshold=spec.phase.gate.pass_threshold,
        reports=reports,
        grounding=grounding,
        budget=budget,
        attempt=attempt,
        max_attempts=spec.phase.gate.max_attempts,
        agents=spec.agents,
        waivers=waivers,
        now=now,
        min_grounding=spec.phase.qav.min_grounding_score if spec.phase.qav.enabled else None,
    )
    metrics = {
        "duration_ms": int(wall * 1000),
        "tokens_used": usage.tokens,
        "tools_minutes": round(usage.tool_seconds / 60, 4),
        "cost_usd": usage.usd,
        "attempts": attempt,
        "utilisation": budget.utilisation,
    }
    return decision, metrics


def gate_poke(rt: Runtime, spec: PhaseSpec, conf: dict[str, Any], run_id: str, now: datetime) -> dict | None:
    """Evaluate the gate once. The evidence reference when it passes; None after a failure and its fix."""
    ptry = phase_try(rt, run_id, spec.id)
    attempt = attempts_so_far(rt, run_id, spec.id, ptry) + 1
    decision, metrics = _decide(rt, spec, run_id, attempt, now)
    attempt_key = f"p{ptry}:a{attempt}"
    pack_id = stable_id("evidence", run_id, spec.id, attempt_key) if decision.passed else None
    rt.ledger.append(
        run_id,
        GateData(
            phase=spec.id,
            passed=decision.passed,
            score=decision.score,
            reasons=tuple(decision.reasons),
            evidence_pack_id=pack_id,
            attempt=attempt,
        ),
        who=f"gatekeeper-{spec.id}",
        idempotency_key=f"gate:{spec.id}:{attempt_key}",
    )
    if decision.passed:
        return _passed(rt, spec, run_id, decision, metrics, attempt, attempt_key, now)
    rt.events.emit(
        run_id,
        spec.id,
        "phase.gate.failed",
        {
            "phase": spec.id,
            "reasons": list(decision.reasons),
            "evidence_pack_id": None,
            "score": score_percent(decision.score),
            "required_actions": _actions(decision),
            "attempt": attempt,
        },
        dedupe_key=f"{spec.id}:gate.failed:{attempt_key}",
    )
    if decision.exhausted:
        _exhausted(rt, spec, run_id, decision, attempt)
    if spec.phase.gate.auto_fix_enabled and decision.fix is not None:
        auto_fix(rt, spec, conf, run_id, decision, attempt)
    return None


def _actions(decision: GateDecision) -> list[str]:
    fix = decision.fix
    if fix is None:
        return []
    actions = [f"re-run {agent}" for agent in fix.agents]
    if fix.strict_qav:
        actions.append("strict Q/A/V")
    if fix.rescan:
        actions.append("re-scan")
    return actions


def _passed(
    rt: Runtime,
    spec: PhaseSpec,
    run_id: str,
    decision: GateDecision,
    metrics: dict[str, Any],
    attempt: int,
    attempt_key: str,
    now: datetime,
) -> dict[str, Any]:
    state = rt.phases.state(run_id, spec.id)
    qav = state.get("qav") or {}
    pack = {
        "artifacts": sorted(state.get("artifacts", {}).values()),
        "guard_reports": state.get("guards", []),
        "qav_summary": qav.get("summary"),
        "kmap_refs": qav.get("frame_ids", []),
        "metrics": {**metrics, "score": decision.score, "criteria": decision.criteria},
    }
    ptry = phase_try(rt, run_id, spec.id)
    pack_id = rt.evidence.put_pack(run_id, spec.id, attempt_key, attempt, pack, phase_try=ptry)
    if decision.waived:
        rt.ledger.append(
            run_id,
            DecisionData(
                phase=spec.id,
                decision_type="waiver.applied",
                outcome={
                    "waivers": list(decision.waived),
                    "reasons": list(decision.reasons),
                    "attempt": attempt,
                },
            ),
            who=f"gatekeeper-{spec.id}",
            idempotency_key=f"decision:waiver:{spec.id}:{attempt_key}",
        )
    rt.phases.set_status(run_id, spec.id, "passed", evidence_pack_id=pack_id)
    rt.phases.record_metrics(
        run_id, spec.id, {**pack["metrics"], "evidence_pack_id": pack_id, "passed": True}
    )
    rt.ledger.sign_head(run_id, rt.signer, reason=f"gate:{spec.id}:{attempt_key}")
    score = score_percent(decision.score)
    rt.events.emit(
        run_id,
        spec.id,
        "phase.gate.passed",
        {"phase": spec.id, "evidence_pack_id": pack_id, "passed_at": now.isoformat(), "score": score},
        dedupe_key=f"{spec.id}:gate.passed:{attempt_key}",
    )
    return {"phase": spec.id, "evidence_pack_id": pack_id, "score": score, "attempt": attempt}


def _exhausted(rt: Runtime, spec: PhaseSpec, run_id: str, decision: GateDecision, attempt: int) -> None:
    rt.ledger.append(
        run_id,
        DecisionData(
            phase=spec.id,
            decision_type="gate.exhausted",
            outcome={"attempts": attempt, "reasons": list(decision.reasons)},
        ),
        who=f"gatekeeper-{spec.id}",
        idempotency_key=f"decision:exhausted:{spec.id}:p{phase_try(rt, run_id, spec.id)}",
    )
    rt.phases.set_status(run_id, spec.id, "failed")
    rt.ledger.finish_run(run_id, "failed")
    rt.ledger.sign_head(run_id, rt.signer, reason="run-end")
    raise GateError(
        f"phase {spec.id!r} failed its gate after {attempt} attempt(s) and no waiver applies: "
        + "; ".join(decision.reasons)
    )


def auto_fix(
    rt: Runtime, spec: PhaseSpec, conf: dict[str, Any], run_id: str, decision: GateDecision, attempt: int
) -> None:
    """Re-run what the failure points to, then re-check: agents -> fan-in -> Q/A/V -> guards."""
    fix = decision.fix
    assert fix is not None
    hints = tuple(dict.fromkeys(v.type for v in decision.violations))
    over_budget = any(v.type == "budget_exceeded" for v in decision.violations)
    agents = [] if over_budget else [a for a in spec.agents if a in fix.agents]
    if agents and spec.phase.parallelism == "sequential":
        # Later agents built on the ones being fixed: re-run them too, in order.
        agents = spec.agents[spec.agents.index(agents[0]) :]
    if agents:
        upstream = upstream_artifacts(rt, run_id, spec.upstream)
        if spec.maps_over_items:
            stories = {str(s["id"]): s for s in upstream[1].get("UserStories", {}).get("user_stories", [])}
            plan = rt.phases.state(run_id, spec.id).get("plan", [])
            tasks = [{"key": key, "item": stories.get(key)} for key in plan]
        else:
            tasks = [{"key": agent, "order": spec.agents.index(agent)} for agent in agents]
        for task in tasks:
            run_instance(rt, spec, conf, run_id, task, upstream=upstream, hints=hints, fix_attempt=attempt)
        fan_in_step(rt, spec, run_id)
    if agents or fix.strict_qav:
        qav_step(rt, spec, run_id, strict=fix.strict_qav, round_=attempt)
    guards_step(rt, spec, run_id, round_=attempt)
