"""Airflow itself for the system tests: a migrated metadata DB and the DAG run with ``dag.test``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="session")
def airflow_db(embedded_services: dict[str, str]) -> Iterator[None]:
    """Migrate the metadata DB this process uses: the embedded Postgres, as ``make demo`` does."""
    from airflow import settings

    env = {**os.environ, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": str(settings.SQL_ALCHEMY_CONN)}
    done = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    os.environ.setdefault("IDEAMINE_GATE_POKE_SECONDS", "0.2")
    yield
    settings.dispose_orm()  # before the session's Postgres stops under Airflow's pooled connections


@pytest.fixture(scope="session")
def run_dag(airflow_db: None) -> Callable[..., Any]:
    """Render the DAG from ``config_dir`` (default: config/) and run it in-process on ``conf``."""

    def run(conf: dict[str, Any], config_dir: Path | None = None) -> Any:
        from airflow.dag_processing.dagbag import DagBag

        saved = os.environ.get("IDEAMINE_CONFIG_DIR")
        if config_dir is not None:
            os.environ["IDEAMINE_CONFIG_DIR"] = str(config_dir)
        try:
            bag = DagBag(dag_folder=str(DAGS), safe_mode=False)
            assert bag.import_errors == {}
            return bag.dags["ideamine"].test(run_conf=conf)
        finally:
            os.environ.pop("IDEAMINE_CONFIG_DIR", None)
            if saved is not None:
                os.environ["IDEAMINE_CONFIG_DIR"] = saved

    return run


@pytest.fixture
def subset_config(tmp_path: Path) -> Callable[..., Path]:
    """A copy of config/ holding only ``phases`` (in pipeline order), each YAML optionally edited."""
    import shutil

    import yaml
    from ideamine.config_files import default_config_dir

    def make(phases: list[str], edits: dict[str, Callable[[str], str]] | None = None) -> Path:
        config = tmp_path / "config"
        shutil.copytree(default_config_dir(), config)
        pipeline = config / "pipeline.yaml"
        data = yaml.safe_load(pipeline.read_text())
        data["phases"] = [p for p in data["phases"] if p in phases]
        pipeline.write_text(yaml.safe_dump(data, sort_keys=False))
        for path in (config / "phases").glob("*.yaml"):
            if path.stem not in phases:
                path.unlink()
        for phase, edit in (edits or {}).items():
            path = config / "phases" / f"{phase}.yaml"
            path.write_text(edit(path.read_text()))
        return config

    return make


@pytest.fixture(scope="session")
def clear_and_resume(airflow_db: None) -> Callable[..., Any]:
    """Clear task groups of a finished run, as the Grid's "Clear" does, then run it on to the end.

    The loop is ``dag.test``'s own (which cannot resume an existing run): schedule what is ready,
    run each task in-process with Airflow's ``_run_task``.
    """

    def resume(conf_dir: Path | None, run_id: str, groups: set[str]) -> Any:
        import time

        from airflow import settings
        from airflow.dag_processing.dagbag import DagBag
        from airflow.models.dagrun import DagRun
        from airflow.models.taskinstance import clear_task_instances
        from airflow.sdk.definitions.dag import _run_task
        from airflow.serialization.serialized_objects import DagSerialization
        from airflow.utils.state import DagRunState, TaskInstanceState
        from sqlalchemy import select

        saved = os.environ.get("IDEAMINE_CONFIG_DIR")
        if conf_dir is not None:
            os.environ["IDEAMINE_CONFIG_DIR"] = str(conf_dir)
        try:
            dag = DagBag(dag_folder=str(DAGS), safe_mode=False).dags["ideamine"]
        finally:
            os.environ.pop("IDEAMINE_CONFIG_DIR", None)
            if saved is not None:
                os.environ["IDEAMINE_CONFIG_DIR"] = saved
        session = settings.Session()
        dag_run = session.scalar(select(DagRun).where(DagRun.dag_id == dag.dag_id, DagRun.run_id == run_id))
        cleared = [
            ti for ti in dag_run.get_task_instances(session=session) if ti.task_id.split(".")[0] in groups
        ]
        clear_task_instances(cleared, session, dag_run_state=DagRunState.RUNNING)
        session.commit()
        dag_run.dag = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))
        while dag_run.state == DagRunState.RUNNING:
            session.expire_all()
            schedulable, _ = dag_run.update_state(session=session)
            for ti in schedulable:
                if ti.state != TaskInstanceState.UP_FOR_RESCHEDULE:
                    ti.try_number += 1
                ti.state = TaskInstanceState.SCHEDULED
            session.commit()
            ready = [
                t
                for t in dag_run.get_task_instances(session=session)
                if t.state == TaskInstanceState.SCHEDULED
            ]
            if not ready:
                time.sleep(0.5)
            for ti in ready:
                _run_task(ti=ti, task=dag.task_dict[ti.task_id], run_triggerer=True)
        return dag_run

    return resume
