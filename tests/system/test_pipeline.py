"""The whole ``ideamine`` DAG, run by Airflow (``dag.test``) on the embedded Postgres and Redis."""

from __future__ import annotations

import json

import pytest
from ideamine.core.artifacts import ARTIFACT_MODELS
from ideamine.core.config import KNOWN_PHASES
from ideamine.core.reports import REPORT_MODELS
from ideamine.pipeline.dossier import verify_dossier
from ideamine.pipeline.runtime import open_runtime

pytestmark = [pytest.mark.system, pytest.mark.integration]

IDEA = (
    "A tool lending library for neighbours that lets members list tools they own, borrow tools "
    "from people nearby, book pickup times and rate each loan."
)
PHASES = list(KNOWN_PHASES)
# Measurements (latencies, durations, live probes) differ run to run by nature, and so does BetaMetrics,
# which the analytics agent computes from them; every other document must not.
MEASURED = {
    "PerfReport",
    "TestReport",
    "SecurityPack",
    "DeploymentReport",
    "MonitoringDashboard",
    "CanaryResults",
    "AcceptanceTestResults",
    "StoryProgress",
    "SBOM",
    "VulnerabilityScan",
    "SecretsScanReport",
    "A11yAudit",
    "CoverageReport",
    "BetaMetrics",
}


def artifact_hashes(rt, run_id: str) -> dict[str, str]:
    rows = rt.conn.execute(
        """SELECT a.type, a.hash FROM phases p, jsonb_each_text(p.state -> 'artifacts') s(type, id)
             JOIN artifacts a ON a.id = s.id::uuid WHERE p.run_id = %s""",
        (run_id,),
    ).fetchall()
    return {t: h.strip() for t, h in rows}


@pytest.fixture(scope="module")
def two_runs(request):
    run_dag = request.getfixturevalue("run_dag")
    first = run_dag({"idea": IDEA})
    second = run_dag({"idea": IDEA})
    return first, second


def test_all_thirteen_phases_pass_and_the_run_is_audited(two_runs):
    dag_run, _ = two_runs
    assert dag_run.state == "success"
    run_id = dag_run.run_id
    with open_runtime() as rt:
        assert rt.phases.statuses(run_id) == dict.fromkeys(PHASES, "passed")
        types = {e.type for e in rt.ledger.query(run_id)}
        assert types == {"task", "gate", "decision", "artifact", "cost", "signature"}
        result = rt.ledger.verify(run_id, signer=rt.signer)
        assert result.ok, result.summary()
        assert verify_dossier(rt, run_id) == []
        history = rt.events.history(run_id)
        streamed = rt.events.stream(run_id)
    # every phase: started < progress < ready < gate.passed, in Postgres and on the Redis stream
    for phase in PHASES:
        kinds = [e["type"] for e in history if e["phase"] == phase and e["type"].startswith("phase.")]
        firsts = [
            kinds.index(k) for k in ("phase.started", "phase.progress", "phase.ready", "phase.gate.passed")
        ]
        assert firsts == sorted(firsts), (phase, kinds)
    assert [e["type"] for e in streamed] == [e["type"] for e in history]
    assert any(e["type"] == "kmap.delta.created" for e in history)


def test_security_and_story_loop_overlap(two_runs):
    dag_run, _ = two_runs
    with open_runtime() as rt:
        history = rt.events.history(dag_run.run_id)

    def window(phase):
        ids = [e["id"] for e in history if e["phase"] == phase]
        return min(ids), max(ids)

    sec, story = window("security"), window("story-loop")
    assert sec[0] < story[1], (sec, story)
    assert story[0] < sec[1], (sec, story)


def test_the_generated_project_ran_its_own_tests_under_coverage(two_runs):
    dag_run, _ = two_runs
    with open_runtime() as rt:
        ids = rt.phases.artifact_ids(dag_run.run_id, ["build"])
        coverage = json.loads(rt.artifacts.get(ids["CoverageReport"]))
        manifest = json.loads(rt.artifacts.get(ids["RepoManifest"]))
    assert coverage["tool"].startswith("coverage.py")
    assert coverage["tests_passed"] > 0
    assert coverage["tests_failed"] == 0
    assert coverage["line_percent"] >= 70
    assert len(manifest["commit_sha"]) == 40


def test_the_same_idea_gives_identical_document_artifacts(two_runs):
    first, second = two_runs
    with open_runtime() as rt:
        a, b = artifact_hashes(rt, first.run_id), artifact_hashes(rt, second.run_id)
    documents = (set(ARTIFACT_MODELS) - set(REPORT_MODELS) - {"BetaMetrics"}) | {"RepoManifest"}
    compared = documents & set(a)
    assert len(compared) >= 25
    assert {t: a[t] for t in compared} == {t: b[t] for t in compared}
    assert MEASURED | compared >= set(a)
