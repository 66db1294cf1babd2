"""Render the ``ideamine`` DAG from ``config/``: one task group per phase, wired by ``dependencies``.

Inside a phase group: ``plan`` -> agents -> ``fan_in`` -> ``qav`` -> ``guards`` -> ``gate``.
Agents of a ``sequential`` phase are a chain of tasks named after them, so each sees its predecessors'
output; other phases map one ``agents`` task over the plan (instances named by agent or story, at most
N at a time for ``parallelism: N``); story-loop maps over the PRD's user stories. ``dossier`` follows
the last phases (``finish`` instead, for a partial pipeline that makes no release).

Parsing reads YAML and nothing else: no network and no database. A broken config raises the
project's ConfigErrors, which Airflow shows as the import error of this DAG file (file, line, field).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, TaskGroup, task

from ideamine.config_files import default_config_dir, load_project
from ideamine.core.config import ProjectConfig
from ideamine.core.dossier import REQUIRED_SECTIONS
from ideamine.core.trigger import IDEA_MAX, IDEA_MIN, parse_trigger_conf
from ideamine.dag import tasks
from ideamine.dag.gate_sensor import PhaseGateSensor
from ideamine.pipeline.spec import PhaseSpec, phase_spec

DAG_ID = "ideamine"
POKE_SECONDS_ENV = "IDEAMINE_GATE_POKE_SECONDS"


def trigger_params() -> dict[str, Param]:
    return {
        "idea": Param(
            "",
            type="string",
            minLength=IDEA_MIN,
            maxLength=IDEA_MAX,
            title="Product idea",
            description="One paragraph: what it is, for whom, what it must do.",
            format="multiline",
        ),
        "constraints": Param(None, type=["null", "string"], title="Constraints"),
        "target_users": Param(None, type=["null", "string"], title="Target users"),
        "budget_usd": Param(None, type=["null", "number"], minimum=0, title="Budget cap (USD)"),
    }


@task
def validate_conf(**context: Any) -> dict[str, Any]:
    """Fail the run before any agent runs when its conf cannot be used."""
    conf = dict(context["dag_run"].conf or {})
    return parse_trigger_conf(conf).model_dump()


@task
def dossier(**context: Any) -> dict[str, Any]:
    """Build, sign and store the release dossier (JSON and HTML); end the run with a signed head."""
    from ideamine.pipeline.dossier import dossier_step
    from ideamine.pipeline.runtime import open_runtime

    with open_runtime() as rt:
        return dossier_step(rt, str(context["dag_run"].run_id))


@task
def finish(**context: Any) -> dict[str, Any]:
    """End a run whose pipeline makes no release (a partial config): sign the ledger head."""
    from ideamine.pipeline.dossier import finish_step
    from ideamine.pipeline.runtime import open_runtime

    with open_runtime() as rt:
        return finish_step(rt, str(context["dag_run"].run_id))


def makes_a_release(project: ProjectConfig) -> bool:
    """Whether the phases declare every artifact type the release dossier needs."""
    declared = {artifact.type for phase in project.phases for artifact in phase.artifacts}
    return all(t in declared for types in REQUIRED_SECTIONS.values() for t in types)


def _retry_args(spec: PhaseSpec) -> dict[str, Any]:
    retries = spec.phase.retries
    base = max(retries.backoff_base_ms, 1) / 1000
    args: dict[str, Any] = {
        "retries": max(retries.max_attempts - 1, 0),
        "retry_delay": timedelta(seconds=base),
        "retry_exponential_backoff": True,
        "on_failure_callback": tasks.phase_error,
    }
    if retries.backoff_max_ms:
        args["max_retry_delay"] = timedelta(milliseconds=retries.backoff_max_ms)
    return args


def _phase_group(spec: PhaseSpec, project: ProjectConfig) -> TaskGroup:
    data = spec.model_dump(mode="json")
    retry = _retry_args(spec)
    poke = float(os.environ.get(POKE_SECONDS_ENV, "5"))
    with TaskGroup(group_id=spec.id, tooltip=spec.phase.description or spec.id) as group:
        planned = task(tasks.plan_phase, task_id="plan", **retry)(data)
        parallelism = spec.phase.parallelism
        if parallelism == "sequential":
            previous: Any = planned
            for order, agent in enumerate(spec.agents):
                step = task(tasks.run_agent, task_id=agent, **retry)(
                    data, {"key": agent, "agent": agent, "order": order, "total": len(spec.agents)}
                )
                previous >> step
                previous = step
            last: Any = previous
        else:
            limit = parallelism if isinstance(parallelism, int) else None
            last = (
                task(
                    tasks.run_agent,
                    task_id="agents",
                    map_index_template="{{ ideamine_agent }}",
                    max_active_tis_per_dagrun=limit,
                    **retry,
                )
                .partial(spec=data)
                .expand(instance=planned)
            )
        merged = task(tasks.fan_in, task_id="fan_in", **retry)(data)
        clarified = task(tasks.clarify, task_id="qav", **retry)(data)
        guarded = task(tasks.run_guards, task_id="guards", **retry)(data)
        gate = PhaseGateSensor(
            task_id="gate",
            spec=data,
            poke_interval=poke,
            timeout=max(spec.timebox_seconds, 60),
            on_failure_callback=tasks.phase_error,
        )
        last >> merged >> clarified >> guarded >> gate
    return group


def build_dag(project: ProjectConfig) -> DAG:
    with DAG(
        dag_id=DAG_ID,
        schedule=None,
        catchup=False,
        params=trigger_params(),
        tags=["ideamine"],
        doc_md=__doc__,
        max_active_runs=4,
        dagrun_timeout=timedelta(hours=project.pipeline.run.total_timeout_hours),
    ) as dag:
        checked = validate_conf()
        groups: dict[str, TaskGroup] = {}
        for phase_id in project.topological_order():
            groups[phase_id] = _phase_group(phase_spec(project, phase_id), project)
        dependents = {p: [q for q in project.phase_ids if p in project.phase(q).dependencies] for p in groups}
        for phase_id, group in groups.items():
            deps = project.phase(phase_id).dependencies
            if not deps:
                checked >> group
            for dep in deps:
                groups[dep] >> group
        final = dossier() if makes_a_release(project) else finish()
        for phase_id, group in groups.items():
            if not dependents[phase_id]:
                group >> final
    return dag


def render_dags(config_dir: Path | None = None) -> dict[str, DAG]:
    project = load_project(config_dir or default_config_dir())
    dag = build_dag(project)
    return {dag.dag_id: dag}
