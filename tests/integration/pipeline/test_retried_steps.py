"""A step that crashes after writing and is retried adds nothing: same ledger, same charges, same state."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from ideamine.config_files import default_config_dir, load_project
from ideamine.pipeline import agents, draft
from ideamine.pipeline.runtime import Runtime
from ideamine.pipeline.spec import phase_spec

pytestmark = pytest.mark.integration

CONF = {"idea": "A plant swap app for city gardeners that lets them list cuttings and arrange swaps."}


@pytest.fixture
def runtime(app_conn, tmp_path: Path) -> Runtime:
    return Runtime(app_conn, home=tmp_path)


def snapshot(rt: Runtime, run_id: str) -> tuple:
    keys = [e.idempotency_key for e in rt.ledger.query(run_id)]
    usage = rt.phases.usage(run_id, "intake")
    return keys, usage.tokens, rt.phases.state(run_id, "intake")


def test_retried_agent_fan_in_qav_and_guards_steps_add_nothing(runtime: Runtime):
    spec = phase_spec(load_project(default_config_dir()), "intake")
    run_id = f"retry__{uuid.uuid4().hex[:10]}"
    planned = agents.plan_step(runtime, spec, CONF, run_id, try_number=1)
    for instance in planned:
        agents.agent_step(runtime, spec, CONF, run_id, instance)
    draft.fan_in_step(runtime, spec, run_id)
    draft.qav_step(runtime, spec, run_id)
    draft.guards_step(runtime, spec, run_id)
    before = snapshot(runtime, run_id)
    assert before[1] > 0

    # Airflow retries each task after a crash that came after its writes: the same work again.
    assert agents.plan_step(runtime, spec, CONF, run_id, try_number=1) == planned
    for instance in planned:
        agents.agent_step(runtime, spec, CONF, run_id, instance)
    draft.fan_in_step(runtime, spec, run_id)
    draft.qav_step(runtime, spec, run_id)
    draft.guards_step(runtime, spec, run_id)
    after = snapshot(runtime, run_id)
    assert after[0] == before[0]  # no ledger entry added
    assert after[1] == before[1]  # nothing charged twice
    assert after[2]["artifacts"] == before[2]["artifacts"]


def test_a_new_try_of_the_plan_records_new_attempts(runtime: Runtime):
    spec = phase_spec(load_project(default_config_dir()), "intake")
    run_id = f"retry__{uuid.uuid4().hex[:10]}"
    for try_number in (1, 2):
        for instance in agents.plan_step(runtime, spec, CONF, run_id, try_number=try_number):
            agents.agent_step(runtime, spec, CONF, run_id, instance)
    tasks = [e.data for e in runtime.ledger.query(run_id, types=["task"])]
    assert sorted({t["attempt"] for t in tasks}) == [1, 2]
    assert len([t for t in tasks if t["target"] == "IntakeAgent"]) == 2
