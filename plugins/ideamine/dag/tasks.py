"""The task callables of a phase group: each opens the stores and delegates to ``ideamine.pipeline``.

XCom carries small JSON only (keys, artifact ids, scores); bodies live in the artifact store.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import get_current_context
from airflow.sdk.exceptions import AirflowFailException

from ideamine.errors import BudgetError
from ideamine.pipeline import agents, draft
from ideamine.pipeline.runtime import open_runtime
from ideamine.pipeline.spec import load_spec

log = logging.getLogger(__name__)


def _conf_and_run(context: Any) -> tuple[dict[str, Any], str]:
    dag_run = context["dag_run"]
    return dict(dag_run.conf or {}), str(dag_run.run_id)


def plan_phase(spec: dict[str, Any], **context: Any) -> list[dict[str, Any]]:
    """Start the phase: record it, emit ``phase.started`` and list the agent instances to map over."""
    conf, run_id = _conf_and_run(context)
    phase = load_spec(spec)
    with open_runtime() as rt:
        tasks = agents.plan_step(rt, phase, conf, run_id, int(context["ti"].try_number))
    log.info("phase %s: %d instance(s): %s", phase.id, len(tasks), [t["key"] for t in tasks])
    return tasks


def run_agent(spec: dict[str, Any], instance: dict[str, Any]) -> dict[str, Any]:
    """One agent (or, in story-loop, one story through every agent); named in the UI by its key."""
    context = get_current_context()
    context["ideamine_agent"] = str(instance["key"])  # type: ignore[typeddict-unknown-key]  # map_index_template
    conf, run_id = _conf_and_run(context)
    phase = load_spec(spec)
    try:
        with open_runtime() as rt:
            result = agents.agent_step(rt, phase, conf, run_id, instance)
    except BudgetError as exc:  # retrying would be refused the same way: fail now, no request was sent
        raise AirflowFailException(f"phase {phase.id}: {exc}") from exc
    log.info("phase %s: %s produced sections %s", phase.id, instance["key"], result["sections"])
    return result


def fan_in(spec: dict[str, Any], **context: Any) -> dict[str, str]:
    """Merge the agents' sections deterministically into the phase's artifacts."""
    _, run_id = _conf_and_run(context)
    phase = load_spec(spec)
    with open_runtime() as rt:
        ids = draft.fan_in_step(rt, phase, run_id)
    log.info("phase %s: artifacts %s", phase.id, ids)
    return ids


def clarify(spec: dict[str, Any], **context: Any) -> dict[str, Any]:
    """Q/A/V: questions on the draft's gaps, answers from the run's artifacts, validation."""
    _, run_id = _conf_and_run(context)
    phase = load_spec(spec)
    with open_runtime() as rt:
        state = draft.qav_step(rt, phase, run_id)
    log.info("phase %s: Q/A/V %s", phase.id, state.get("summary"))
    return {"summary": state.get("summary"), "frames": len(state.get("frame_ids", []))}


def run_guards(spec: dict[str, Any], **context: Any) -> list[dict[str, Any]]:
    """Every guard of the phase; small summaries go to XCom, full reports to the phase state."""
    _, run_id = _conf_and_run(context)
    phase = load_spec(spec)
    with open_runtime() as rt:
        reports = draft.guards_step(rt, phase, run_id)
    for r in reports:
        log.info("guard %s: %s score=%.3f %s", r["guard"], r["status"], r["score"], r.get("reason") or "")
    return [{"guard": r["guard"], "status": r["status"], "score": r["score"]} for r in reports]


def phase_error(context: Any) -> None:
    """on_failure_callback: emit ``phase.error`` for the failed task's phase."""
    ti = context["ti"]
    phase = str(ti.task_id).split(".", 1)[0]
    try:
        with open_runtime() as rt:
            rt.events.emit(
                str(context["dag_run"].run_id),
                phase,
                "phase.error",
                {
                    "phase": phase,
                    "error": str(context.get("exception") or "task failed")[:2000],
                    "retryable": False,
                    "task_id": ti.task_id,
                },
                dedupe_key=f"{phase}:error:{ti.task_id}:{ti.map_index}:{ti.try_number}",
            )
    except Exception:
        log.exception("could not record phase.error for %s", ti.task_id)
