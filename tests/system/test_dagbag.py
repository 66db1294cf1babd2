"""Airflow itself imports dags/ without errors."""

from __future__ import annotations

from pathlib import Path

from airflow.dag_processing.dagbag import DagBag

DAGS = Path(__file__).resolve().parents[2] / "dags"


def test_dag_folder_imports_cleanly():
    bag = DagBag(dag_folder=str(DAGS), safe_mode=True)
    assert bag.import_errors == {}
    assert set(bag.dags) == {"ideamine"}
    tasks = bag.dags["ideamine"].task_dict
    assert {"validate_conf", "dossier", "intake.plan", "beta.gate"} <= set(tasks)
    assert sum(1 for t in tasks if t.endswith(".gate")) == 13
