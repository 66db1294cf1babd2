"""Phases intake to prd on a model: the real client, real HTTP, a scripted server on loopback.

The server answers each agent with the sections the offline engine writes for the same idea
(``tests/support/offline_model_server.py``), so the test checks the model path itself — prompts
carrying the idea and the schema, structured output, token accounting, the response cache — not the
quality of any model.
"""

from __future__ import annotations

import json

import pydantic_ai.models
import pytest
from ideamine.pipeline.runtime import open_runtime

from tests.support.offline_model_server import answer
from tests.support.openai_server import OpenAIServer

pytestmark = [pytest.mark.system, pytest.mark.integration]

IDEA = "A book club organiser for reading groups that lets members propose books {{ 7*7 }} and vote on them."
PHASES = ["intake", "ideation", "critique", "prd"]


@pytest.fixture
def model_server(monkeypatch: pytest.MonkeyPatch):
    with OpenAIServer() as server:
        server.respond_with(answer)
        monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)
        connection = {
            "conn_type": "pydanticai",
            "host": server.base_url,
            "password": "sk-test",
            "extra": {"model": "openai:scripted-model"},
        }
        monkeypatch.setenv("AIRFLOW_CONN_IDEAMINE_LLM", json.dumps(connection))
        yield server


def test_intake_to_prd_through_the_model_and_again_from_the_cache(run_dag, subset_config, model_server):
    config = subset_config(PHASES)
    first = run_dag({"idea": IDEA}, config)
    assert first.state == "success"
    requests = model_server.requests
    # one request per document agent of the four phases, each carrying the literal idea and the schema
    assert len(requests) == 3 + 4 + 3 + 5
    assert all(r.model == "scripted-model" for r in requests)
    assert all(IDEA in r.text() for r in requests)
    assert all('"properties"' in r.text() for r in requests)
    reported = sum(r.usage["prompt_tokens"] + r.usage["completion_tokens"] for r in requests)
    with open_runtime() as rt:
        assert rt.phases.statuses(first.run_id) == dict.fromkeys(PHASES, "passed")
        costs = [e.data for e in rt.ledger.query(first.run_id, types=["cost"]) if e.data["model"] != "tool"]
        engine = rt.conn.execute("SELECT engine FROM runs WHERE id = %s", (first.run_id,)).fetchone()[0]
        assert rt.ledger.verify(first.run_id, signer=rt.signer).ok
    assert engine == "llm:openai:scripted-model"
    assert {c["model"] for c in costs} == {"openai:scripted-model"}
    assert not any(c["estimated"] or c["cached"] for c in costs)
    assert sum(c["tokens_in"] + c["tokens_out"] for c in costs) == reported

    second = run_dag({"idea": IDEA}, config)
    assert second.state == "success"
    assert len(model_server.requests) == len(requests)  # every answer came from the cache
    with open_runtime() as rt:
        costs = [e.data for e in rt.ledger.query(second.run_id, types=["cost"]) if e.data["model"] != "tool"]
    assert costs
    assert all(c["cached"] for c in costs)
    assert sum(c["tokens_in"] + c["tokens_out"] for c in costs) == 0


def test_no_request_is_sent_past_the_phase_token_budget(run_dag, subset_config, model_server, capfd):
    tiny = {"intake": lambda text: text.replace("budgets: {tokens: 50000", "budgets: {tokens: 500")}
    idea = "A seed swap board for community gardens that lets gardeners offer seeds and request swaps."
    dag_run = run_dag({"idea": idea}, subset_config(["intake"], tiny))  # an idea the cache has not seen
    assert dag_run.state == "failed"
    assert model_server.requests == []
    out = capfd.readouterr()
    assert "budget" in (out.out + out.err).lower()
    with open_runtime() as rt:
        usage = rt.phases.usage(dag_run.run_id, "intake")
        reserved = rt.conn.execute(
            "SELECT tokens_reserved FROM phases WHERE run_id = %s AND phase = 'intake'", (dag_run.run_id,)
        ).fetchone()[0]
    assert usage.tokens == 0
    assert reserved == 0  # what a refused call tried to hold is not left behind


def test_a_run_usd_cap_of_zero_stops_every_call(run_dag, subset_config, model_server):
    idea = "A carpool planner for school parents that lets them offer seats and book rides for kids."
    dag_run = run_dag({"idea": idea, "budget_usd": 0}, subset_config(["intake"]))
    assert dag_run.state == "failed"
    assert model_server.requests == []
