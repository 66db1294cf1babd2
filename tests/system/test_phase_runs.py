"""Single phases through Airflow: hostile ideas, gate failures with auto-fix, exhausted attempts, waivers."""

from __future__ import annotations

import json

import pytest
from ideamine.pipeline.runtime import open_runtime

pytestmark = [pytest.mark.system, pytest.mark.integration]

HOSTILE = (
    "A pantry app for food banks {{ 7*7 }} {% for x in y %}{% endfor %} that lets volunteers track "
    "donations'; DROP TABLE runs; -- and $(rm -rf /) && echo `id` | ../../etc/passwd \"quoted\" \\ ok"
)


def gate_entries(rt, run_id: str, phase: str) -> list[dict]:
    return [e.data for e in rt.ledger.query(run_id, types=["gate"]) if e.data["phase"] == phase]


def test_a_hostile_idea_is_plain_text_all_the_way(run_dag, subset_config):
    dag_run = run_dag({"idea": HOSTILE}, subset_config(["intake"]))
    assert dag_run.state == "success"
    with open_runtime() as rt:
        ids = rt.phases.artifact_ids(dag_run.run_id, ["intake"])
        spec = json.loads(rt.artifacts.get(ids["IdeaSpec"]))
        stored = rt.conn.execute("SELECT idea FROM runs WHERE id = %s", (dag_run.run_id,)).fetchone()[0]
        assert rt.ledger.verify(dag_run.run_id, signer=rt.signer).ok
    assert spec["description"] == HOSTILE
    assert stored == HOSTILE
