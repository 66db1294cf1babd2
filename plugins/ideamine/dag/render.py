"""Render the ``ideamine`` DAG from ``config/``: one task group per phase, wired by ``dependencies``.

Parsing reads YAML and nothing else: no network and no database. A broken config raises the
project's ConfigErrors, which Airflow shows as the import error of this DAG file (file, line, field).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, TaskGroup, task

from ideamine.config_files import default_config_dir, load_project
from ideamine.core.config import ProjectConfig
from ideamine.core.plan import phase_plan
from ideamine.core.trigger import IDEA_MAX, IDEA_MIN, parse_trigger_conf

DAG_ID = "ideamine"


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
def plan(phase_plan_json: dict[str, Any]) -> dict[str, Any]:
    """The phase's plan (agents, budget split, plan hash), rendered at parse time from its YAML."""
    return phase_plan_json


def build_dag(project: ProjectConfig) -> DAG:
    with DAG(
        dag_id=DAG_ID,
        schedule=None,
        catchup=False,
        params=trigger_params(),
        tags=["ideamine"],
        doc_md=__doc__,
        max_active_runs=4,
    ) as dag:
        checked = validate_conf()
        groups: dict[str, TaskGroup] = {}
        for phase_id in project.topological_order():
            with TaskGroup(
                group_id=phase_id, tooltip=project.phase(phase_id).description or phase_id
            ) as group:
                plan.override(task_id="plan")(phase_plan(project, phase_id).model_dump(mode="json"))
            groups[phase_id] = group
        for phase_id, group in groups.items():
            deps = project.phase(phase_id).dependencies
            if not deps:
                checked >> group
            for dep in deps:
                groups[dep] >> group
    return dag


def render_dags(config_dir: Path | None = None) -> dict[str, DAG]:
    project = load_project(config_dir or default_config_dir())
    dag = build_dag(project)
    return {dag.dag_id: dag}
