"""Single phases through Airflow: hostile ideas, gate failures with auto-fix, exhausted attempts, waivers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from ideamine.pipeline.runtime import open_runtime

pytestmark = [pytest.mark.system, pytest.mark.integration]

HOSTILE = (
    "A pantry app for food banks {{ 7*7 }} {% for x in y %}{% endfor %} that lets volunteers track "
    'donations\'; DROP TABLE runs; -- and $(rm -rf /) && echo `id` | ../../etc/passwd "quoted" \\ ok'
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


PRD_PHASES = ["intake", "ideation", "critique", "prd"]
IDEA = "A clinic appointment scheduler for small practices that lets patients book visits and get reminders."


def first_draft_story_count(idea: str) -> int:
    """How many stories the prd phase's first draft has for ``idea`` (pure engine, no Airflow)."""
    from tests.unit.offline.pipeline import run_pipeline

    return len(run_pipeline(idea, stop_after="prd").artifacts["UserStories"]["user_stories"])


def test_a_failed_gate_is_fixed_and_passes_on_the_second_evaluation(run_dag, subset_config):
    need = first_draft_story_count(IDEA) + 1
    config = subset_config(
        PRD_PHASES,
        {
            "prd": lambda text: text.replace(
                "min_stories: 5, min_nfrs: 3", f"min_stories: {need}, min_nfrs: 3, hard: true"
            )
        },
    )
    dag_run = run_dag({"idea": IDEA}, config)
    assert dag_run.state == "success"
    with open_runtime() as rt:
        gates = gate_entries(rt, dag_run.run_id, "prd")
        stories = json.loads(rt.artifacts.get(rt.phases.artifact_ids(dag_run.run_id, ["prd"])["UserStories"]))
        events = [e for e in rt.events.history(dag_run.run_id) if e["phase"] == "prd"]
        tasks = [e.data for e in rt.ledger.query(dag_run.run_id, types=["task"]) if e.data["phase"] == "prd"]
        assert rt.ledger.verify(dag_run.run_id, signer=rt.signer).ok
    assert [g["passed"] for g in gates] == [False, True]
    assert any("stories" in reason for reason in gates[0]["reasons"])
    assert len(stories["user_stories"]) >= need
    failed = next(e for e in events if e["type"] == "phase.gate.failed")
    assert "re-run StoryCutterAgent" in failed["payload"]["required_actions"]
    # the fix re-ran the story cutter with the violation as a hint, and the agents after it
    fixes = [t for t in tasks if t["input"].get("hints")]
    assert [t["target"] for t in fixes][:1] == ["StoryCutterAgent"]
    assert "stories_below_min" in fixes[0]["input"]["hints"]
    assert {t["target"] for t in fixes} >= {"TraceMatrixAgent"}


def impossible_intake(text: str) -> str:
    text = text.replace(
        "required_fields: [title, description, target_users, constraints]",
        "required_fields: [title, description, target_users, constraints, launch_date]",
    )
    return text.replace("max_attempts: 3", "max_attempts: 2")


def test_attempts_run_out_and_the_phase_fails_with_its_reasons(run_dag, subset_config, capfd):
    dag_run = run_dag({"idea": IDEA}, subset_config(["intake"], {"intake": impossible_intake}))
    assert dag_run.state == "failed"
    out = capfd.readouterr()
    with open_runtime() as rt:
        gates = gate_entries(rt, dag_run.run_id, "intake")
        status = rt.phases.statuses(dag_run.run_id)["intake"]
        decisions = [e.data for e in rt.ledger.query(dag_run.run_id, types=["decision"])]
        verified = rt.ledger.verify(dag_run.run_id, signer=rt.signer)
    assert [g["passed"] for g in gates] == [False, False]
    assert status == "failed"
    assert any(d["decision_type"] == "gate.exhausted" for d in decisions)
    assert verified.ok, verified.summary()
    assert "launch_date" in out.out + out.err
    assert "failed its gate after 2 attempt(s)" in out.out + out.err


def test_an_unexpired_waiver_lets_the_last_attempt_pass(run_dag, subset_config):
    with open_runtime() as rt:
        expires = datetime.now(UTC) + timedelta(days=1)
        waivers = [
            rt.evidence.add_waiver(
                phase="intake",
                violation_type=v,
                owner="release-manager",
                expires_at=expires,
                compensating_control="launch date set by hand",
            )
            for v in ("required_fields_missing", "score_below_threshold")
        ]
        expired = rt.evidence.add_waiver(
            phase="intake",
            violation_type="required_fields_missing",
            owner="x",
            expires_at=datetime.now(UTC) - timedelta(days=1),
            compensating_control="stale",
        )
    try:
        dag_run = run_dag({"idea": IDEA}, subset_config(["intake"], {"intake": impossible_intake}))
    finally:
        with open_runtime() as rt:
            rt.conn.execute("UPDATE waivers SET status = 'revoked' WHERE phase = 'intake'")
    assert dag_run.state == "success"
    with open_runtime() as rt:
        gates = gate_entries(rt, dag_run.run_id, "intake")
        applied = [
            e.data
            for e in rt.ledger.query(dag_run.run_id, types=["decision"])
            if e.data["decision_type"] == "waiver.applied"
        ]
    assert [g["passed"] for g in gates] == [False, True]
    assert len(applied) == 1
    assert set(applied[0]["outcome"]["waivers"]) <= set(waivers)
    assert expired not in applied[0]["outcome"]["waivers"]


def test_a_phase_over_its_token_budget_fails_its_gate(run_dag, subset_config):
    tiny = {
        "intake": lambda t: (
            impossible_intake(t)
            .replace("launch_date", "title")
            .replace("budgets: {tokens: 50000", "budgets: {tokens: 10")
        )
    }
    dag_run = run_dag({"idea": IDEA}, subset_config(["intake"], tiny))
    assert dag_run.state == "failed"
    with open_runtime() as rt:
        gates = gate_entries(rt, dag_run.run_id, "intake")
        usage = rt.phases.usage(dag_run.run_id, "intake")
    assert usage.tokens > 10
    assert all(not g["passed"] for g in gates)
    assert all(any("budget" in r for r in g["reasons"]) for g in gates)


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"idea": ""}, "too short"),
        ({"idea": "x" * 10_001}, "too long"),
        ({"idea": 12345678901}, "is not of type 'string'"),
    ],
)
def test_a_bad_idea_is_rejected_when_the_run_is_created(run_dag, subset_config, conf, message):
    from airflow.sdk.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError, match=message):
        run_dag(conf, subset_config(["intake"]))


def test_an_unknown_conf_key_fails_the_first_task_before_any_agent(run_dag, subset_config, capfd):
    dag_run = run_dag({"idea": IDEA, "budget": 5}, subset_config(["intake"]))
    out = capfd.readouterr()
    assert dag_run.state == "failed"
    assert "budget: unknown conf key" in out.out + out.err
    with open_runtime() as rt:
        assert rt.phases.statuses(dag_run.run_id) == {}


def test_clearing_a_phase_reruns_it_with_new_attempts_and_no_duplicates(
    run_dag, subset_config, clear_and_resume
):
    config = subset_config(["intake", "ideation"])
    first = run_dag({"idea": IDEA}, config)
    assert first.state == "success"
    with open_runtime() as rt:
        before = rt.ledger.query(first.run_id)
    again = clear_and_resume(config, first.run_id, {"ideation", "finish"})
    assert again.state == "success"
    with open_runtime() as rt:
        after = rt.ledger.query(first.run_id)
        verified = rt.ledger.verify(first.run_id, signer=rt.signer)
    assert verified.ok, verified.summary()
    assert [e.id for e in after[: len(before)]] == [e.id for e in before]  # nothing rewritten
    new = after[len(before) :]
    gates = [e.data for e in after if e.type == "gate"]
    assert [(g["phase"], g["passed"]) for g in gates] == [
        ("intake", True),
        ("ideation", True),
        ("ideation", True),
    ]
    agents = [
        e.data for e in new if e.type == "task" and e.data["type"] == "agent" and e.data["target"] != "qav"
    ]
    assert {a["target"] for a in agents} == {
        "StrategyAgent",
        "CompetitiveAgent",
        "TechStackAgent",
        "PersonaAgent",
    }
    assert {a["attempt"] for a in agents} == {2}
    # the same content is the same artifact: a re-run stores no second copy of an unchanged document
    assert not [e for e in new if e.type == "artifact" and e.data["type"] == "IdeationResult"]
    assert new[-1].type == "signature"
    keys = [e.idempotency_key for e in after]
    assert len(keys) == len(set(keys))
