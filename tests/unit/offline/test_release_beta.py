"""Release and beta agents: the dossier manifest, versions, and KPIs read from tool reports."""

from __future__ import annotations

from ideamine.core.artifacts import validate_artifact
from ideamine.offline import run_agent

from tests.unit.offline.pipeline import IDEAS, run_pipeline


def test_dossier_manifest_marks_what_is_there_and_takes_the_commit() -> None:
    run = run_pipeline(IDEAS["tools"], stop_after="aesthetic")
    sha = "0123456789abcdef0123456789abcdef01234567"
    run.artifacts["RepoManifest"] = {"path": "/w", "commit_sha": sha, "branch": "main", "files": []}
    dossier = run_agent(run.context("release", "ChangelogAgent")).sections["ReleaseDossier"]
    dossier = validate_artifact("ReleaseDossier", dossier)
    status = {entry["section"]: entry["status"] for entry in dossier["contents"]}
    assert dossier["commit_sha"] == sha
    assert dossier["version"] == "1.0.0"
    assert status["prd"] == "available"
    assert status["repository"] == "available"
    assert status["canary_results"] == "pending"  # beta runs after release
    run.artifacts["RepoManifest"]["commit_sha"] = "not-a-sha"
    assert (
        run_agent(run.context("release", "ChangelogAgent")).sections["ReleaseDossier"]["commit_sha"] is None
    )


def test_release_notes_list_done_stories_and_known_failures() -> None:
    run = run_pipeline(IDEAS["recipes"], stop_after="aesthetic")
    run.artifacts["StoryProgress"] = {
        "items": [
            {"story_id": "US-001", "status": "done", "passed": 3, "failed": 0, "errors": 0, "reason": "ok"},
            {
                "story_id": "US-002",
                "status": "failed",
                "passed": 1,
                "failed": 1,
                "errors": 0,
                "reason": "boom",
            },
        ]
    }
    notes = run_agent(run.context("release", "ReleaseNotesAgent")).sections["ReleaseNotes"]["release_notes"]
    assert notes["story_ids"] == ["US-001"]
    assert "US-002: boom" in notes["known_issues"]


def test_analytics_reads_observed_values_from_reports_and_never_invents_them() -> None:
    run = run_pipeline(IDEAS["clinic"], stop_after="release")
    plain = run_agent(run.context("beta", "AnalyticsAgent")).sections["BetaMetrics"]
    assert all(k["observed"] is None for k in plain["kpis"])
    assert plain["data_sources"] == []
    previous = {"CanaryResults": {"summary": {"error_rate": 0.002, "p95_latency_ms": 41}, "passed": True}}
    measured = run_agent(run.context("beta", "AnalyticsAgent", previous=previous)).sections["BetaMetrics"]
    observed = {k["name"]: (k["observed"], k["source"]) for k in measured["kpis"]}
    assert observed["error_rate"] == (0.002, "CanaryResults")
    assert observed["p95_latency_ms"] == (41.0, "CanaryResults")
    assert observed["throughput_rps"] == (None, "not measured")


def test_dev_tools_are_pinned_from_the_tool_versions_input() -> None:
    run = run_pipeline(IDEAS["clinic"], stop_after="architecture")
    run.artifacts["ToolVersions"] = {"pytest": "8.3.4", "coverage": "7.6.1; rm -rf /"}
    files = run_agent(run.context("build", "IntegrationAgent")).sections["SourceCode"]["files"]
    assert "pytest==8.3.4" in files["requirements.txt"]
    assert "rm -rf" not in files["requirements.txt"]
    assert "rm -rf" not in files["pyproject.toml"]
