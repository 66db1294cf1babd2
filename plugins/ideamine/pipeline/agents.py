"""Plan a phase and run its agents: each agent's sections are stored, charged and recorded.

An agent is either a tool run (security, qa, beta and the story tester: ``ideamine.tools.agents``) or a
document agent of the offline engine (``ideamine.offline``). Both honour ``AgentContext``/``AgentOutput``.
Ledger keys carry the phase's try, so a retried task adds nothing and a cleared phase records new attempts.
"""

from __future__ import annotations

import json
import time
from typing import Any

from ideamine.core.agent_io import AgentContext, AgentOutput
from ideamine.core.budget import usd_cost
from ideamine.core.canonical import canonical_bytes, sha256_hex
from ideamine.core.fanin import merge
from ideamine.core.ledger_models import Cost, CostData, DecisionData, TaskData
from ideamine.errors import AgentError
from ideamine.pipeline.context import facts_of, run_conf, upstream_artifacts
from ideamine.pipeline.models import engine_of, model_for, run_on_model
from ideamine.pipeline.runtime import Runtime
from ideamine.pipeline.spec import PhaseSpec
from ideamine.store.ledger import NewEntry

SECTIONS_TYPE = "AgentSections"
STORY_AGENTS_SOURCE = "UserStories"
MAX_ITEMS = 1024  # Airflow's max_map_length


def produce(ctx: AgentContext) -> AgentOutput:
    """Run one agent on whichever engine handles it."""
    from ideamine.offline.engine import DOCUMENT_AGENTS
    from ideamine.offline.engine import run_agent as run_document_agent
    from ideamine.tools.agents import TOOL_AGENTS, run_tool_agent

    if ctx.agent in TOOL_AGENTS:
        return run_tool_agent(ctx)
    if ctx.agent in DOCUMENT_AGENTS:
        return run_document_agent(ctx)
    raise AgentError(f"phase {ctx.phase!r}: no engine runs agent {ctx.agent!r}")


def phase_try(rt: Runtime, run_id: str, phase: str) -> int:
    row = rt.conn.execute(
        "SELECT try_number FROM phases WHERE run_id = %s AND phase = %s", (run_id, phase)
    ).fetchone()
    if row is None:
        raise AgentError(f"phase {phase!r} of run {run_id!r} was not planned: run its plan task first")
    return int(row[0])


def plan_step(
    rt: Runtime, spec: PhaseSpec, conf: dict[str, Any], run_id: str, try_number: int
) -> list[dict[str, Any]]:
    """Start the phase and list what its agents task(s) will run, one dict per mapped instance."""
    checked = run_conf(conf)
    engine = engine_of(spec)
    rt.ledger.ensure_run(run_id, idea=checked.idea, conf=checked.model_dump(), engine=engine)
    rt.conn.execute(
        "UPDATE runs SET status = 'running', completed_at = NULL WHERE id = %s AND status <> 'running'",
        (run_id,),
    )
    budgets = spec.phase.budgets.model_dump()
    new_try = rt.phases.start(
        run_id, spec.id, budgets=budgets, plan_hash=spec.plan_hash, try_number=try_number
    )
    ptry = phase_try(rt, run_id, spec.id)
    if engine != "offline":
        rt.conn.execute("UPDATE runs SET engine = %s WHERE id = %s AND engine = 'offline'", (engine, run_id))
    rt.ledger.append(
        run_id,
        DecisionData(
            phase=spec.id,
            decision_type="engine",
            outcome={
                "engine": engine,
                "note": "deterministic offline engine: no model was asked"
                if engine == "offline"
                else "document agents answered by a model through the Airflow connection",
            },
        ),
        who="planner",
        idempotency_key=f"decision:engine:{spec.id}:p{ptry}",
    )
    rt.events.emit(
        run_id,
        spec.id,
        "phase.started",
        {"phase": spec.id, "phase_try": ptry, "plan_hash": spec.plan_hash, "new_try": new_try},
        dedupe_key=f"{spec.id}:started:p{ptry}",
    )
    if spec.maps_over_items:
        _, bodies = upstream_artifacts(rt, run_id, spec.upstream)
        stories = (bodies.get(STORY_AGENTS_SOURCE) or {}).get("user_stories") or []
        if not stories:
            raise AgentError(f"phase {spec.id!r} maps over the PRD's user stories, but UserStories has none")
        items = stories[:MAX_ITEMS]
        tasks = [
            {"key": str(s.get("id", f"item-{i}")), "item": s, "order": i, "total": len(items)}
            for i, s in enumerate(items)
        ]
    else:
        n = len(spec.agents)
        share = spec.phase.budgets.tokens // max(n, 1)
        tasks = [
            {"key": a, "agent": a, "order": i, "tokens": share, "total": n} for i, a in enumerate(spec.agents)
        ]
    rt.phases.set_state(run_id, spec.id, "plan", [t["key"] for t in tasks])
    return tasks


def sections_of(rt: Runtime, run_id: str, phase: str, keys: list[str]) -> dict[str, Any]:
    """The current sections of the given planned instances, merged in the given order."""
    ids = rt.phases.state(run_id, phase).get("sections", {})
    return merge([json.loads(rt.artifacts.get(ids[k])) for k in keys if k in ids])


def run_one(
    rt: Runtime,
    spec: PhaseSpec,
    conf: dict[str, Any],
    run_id: str,
    agent: str,
    *,
    previous: dict[str, Any],
    item: dict[str, Any] | None = None,
    hints: tuple[str, ...] = (),
    fix_attempt: int = 0,
    key: str | None = None,
    upstream: tuple[dict[str, str], dict[str, Any]] | None = None,
) -> tuple[dict[str, Any], AgentOutput]:
    """Run one agent and record it; returns (sections, output).

    ``upstream`` is ``upstream_artifacts(...)`` when the caller runs several agents on the same inputs
    (a story through every agent, an auto-fix), so the bodies are read once.
    """
    checked = run_conf(conf)
    ids, bodies = upstream or upstream_artifacts(rt, run_id, spec.upstream)
    ctx = AgentContext(
        run_id=run_id,
        phase=spec.id,
        agent=agent,
        idea=checked.idea,
        constraints=checked.constraints,
        target_users=checked.target_users,
        facts=facts_of(checked),
        inputs=bodies,
        previous=previous,
        item=item,
        workspace=str(rt.repo_dir(run_id)) if rt.repo_dir(run_id).is_dir() else None,
        strict=bool(hints),
        hints=hints,
    )
    started = time.monotonic()
    choice = model_for(spec, agent)
    cached = False
    if choice is None:
        out = produce(ctx)
        price = spec.pricing.get(out.model, {"input_per_mtok": 0.0, "output_per_mtok": 0.0})
        usd = usd_cost(out.tokens_in, out.tokens_out, price["input_per_mtok"], price["output_per_mtok"])
    else:
        cap = checked.budget_usd if checked.budget_usd is not None else spec.run_budget_usd
        ran = run_on_model(rt, spec, ctx, choice, cap_usd=cap)
        out, cached, usd = ran.output, ran.cached, ran.usd
    duration_ms = int((time.monotonic() - started) * 1000)
    ptry = phase_try(rt, run_id, spec.id)
    unit = f"{spec.id}:{key or agent}:{agent}:p{ptry}" + (f":fix{fix_attempt}" if fix_attempt else "")
    # A cached answer cost nothing now: its original token counts stay in the task entry only.
    spent_in, spent_out = (0, 0) if cached else (out.tokens_in, out.tokens_out)
    digest = sha256_hex(canonical_bytes(out.sections))
    tokens = spent_in + spent_out
    rt.ledger.append_many(
        run_id,
        [
            NewEntry(
                TaskData(
                    task_id=f"{spec.id}.{key or agent}.{agent}",
                    phase=spec.id,
                    type="tool" if out.tool_seconds and not tokens else "agent",
                    target=agent,
                    input={
                        "item": (item or {}).get("id"),
                        "hints": list(hints),
                        "previous": sorted(previous),
                    },
                    result={"sections_sha256": digest, "types": sorted(out.sections)},
                    duration_ms=duration_ms,
                    cost=Cost(tokens=tokens, tools_minutes=round(out.tool_seconds / 60, 4), usd=usd),
                    attempt=ptry,
                ),
                who=f"agent:{agent}",
                idempotency_key=f"task:{unit}",
                tool_version=out.model,
                inputs=sorted(set(ids.values())),
            ),
            NewEntry(
                CostData(
                    phase=spec.id,
                    model=out.model,
                    tokens_in=spent_in,
                    tokens_out=spent_out,
                    tools_minutes=round(out.tool_seconds / 60, 4),
                    usd=usd,
                    estimated=out.tokens_estimated,
                    cached=cached,
                ),
                who=f"agent:{agent}",
                idempotency_key=f"cost:{unit}",
                tool_version=out.model,
            ),
        ],
    )
    rt.phases.charge(
        run_id,
        spec.id,
        unit,
        model=out.model,
        tokens_in=spent_in,
        tokens_out=spent_out,
        tool_seconds=out.tool_seconds,
        usd=usd,
        estimated=out.tokens_estimated,
    )
    return out.sections, out


def record_sections(
    rt: Runtime,
    run_id: str,
    phase: str,
    key: str,
    sections: dict[str, Any],
    *,
    source: str,
    inputs: list[str],
) -> str:
    """Store one planned instance's sections and make them the phase's current ones for ``key``."""
    ref = rt.artifacts.put(
        run_id, phase, SECTIONS_TYPE, canonical_bytes(sections), source=source, inputs=inputs
    )
    rt.conn.execute(
        """UPDATE phases
              SET state = jsonb_set(
                      state, '{sections}',
                      coalesce(state -> 'sections', '{}'::jsonb) || jsonb_build_object(%s::text, %s::text))
            WHERE run_id = %s AND phase = %s""",
        (key, ref.id, run_id, phase),
    )
    return ref.id


def run_instance(
    rt: Runtime,
    spec: PhaseSpec,
    conf: dict[str, Any],
    run_id: str,
    task: dict[str, Any],
    *,
    upstream: tuple[dict[str, str], dict[str, Any]],
    hints: tuple[str, ...] = (),
    fix_attempt: int = 0,
) -> str:
    """Run one planned instance — one agent, or (story-loop) every agent in order on one story — and
    make its sections the phase's current ones. Returns the stored sections' id."""
    key = str(task["key"])
    if spec.maps_over_items:
        sections: dict[str, Any] = {}
        for agent in spec.agents:
            produced, _ = run_one(
                rt,
                spec,
                conf,
                run_id,
                agent,
                previous=sections,
                item=task["item"],
                key=key,
                hints=hints,
                fix_attempt=fix_attempt,
                upstream=upstream,
            )
            sections = merge([sections, produced])
    else:
        order = int(task["order"])
        previous = (
            sections_of(rt, run_id, spec.id, spec.agents[:order])
            if spec.phase.parallelism == "sequential"
            else {}
        )
        sections, _ = run_one(
            rt,
            spec,
            conf,
            run_id,
            key,
            previous=previous,
            hints=hints,
            fix_attempt=fix_attempt,
            upstream=upstream,
        )
    inputs = sorted(set(upstream[0].values()))
    return record_sections(rt, run_id, spec.id, key, sections, source=f"agent:{key}", inputs=inputs)


def agent_step(
    rt: Runtime, spec: PhaseSpec, conf: dict[str, Any], run_id: str, task: dict[str, Any]
) -> dict[str, Any]:
    """Run one planned instance and report the phase's progress."""
    key = str(task["key"])
    sections_id = run_instance(
        rt, spec, conf, run_id, task, upstream=upstream_artifacts(rt, run_id, spec.upstream)
    )
    done = len(rt.phases.state(run_id, spec.id).get("sections", {}))
    ptry = phase_try(rt, run_id, spec.id)
    total = int(task.get("total") or 0) or done
    usage = rt.phases.usage(run_id, spec.id)
    rt.events.emit(
        run_id,
        spec.id,
        "phase.progress",
        {
            "task_id": f"{spec.id}.{key}",
            "pct": round(100.0 * min(done, total) / max(total, 1), 1),
            "eta": None,
            "metrics": {"tasks_completed": done, "tasks_total": total, "tokens_used": usage.tokens},
        },
        dedupe_key=f"{spec.id}:progress:{key}:p{ptry}",
    )
    return {"key": key, "sections": sections_id}
