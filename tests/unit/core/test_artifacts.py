"""Artifact models: closed schemas, errors that name the field, and assembly from fanned-in output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ideamine.config_files import load_project
from ideamine.core import artifacts
from ideamine.core.artifacts import ARTIFACT_MODELS, DOCUMENT_MODELS, assemble, validate_artifact
from ideamine.errors import ArtifactError

CONFIG = Path(__file__).resolve().parents[3] / "config"
TOOL_TYPES = {
    "CoverageReport", "RepoManifest", "SBOM", "VulnerabilityScan", "SecretsScanReport", "SecurityPack",
    "TestReport", "PerfReport", "A11yAudit", "DeploymentReport", "MonitoringDashboard", "CanaryResults",
    "AcceptanceTestResults",
}  # fmt: skip

SPEC: dict[str, Any] = {
    "title": "Recipe Box",
    "description": "A recipe box for home cooks.",
    "problem": "Recipes are scattered.",
    "target_users": ["Home cook"],
    "constraints": ["Runs offline."],
    "goals": ["Home cooks can post recipes."],
    "features": ["post recipes"],
    "entities": ["Recipe"],
}


def test_every_declared_document_type_has_a_model() -> None:
    declared = {a.type for phase in load_project(CONFIG).phases for a in phase.artifacts}
    assert declared - TOOL_TYPES == set(DOCUMENT_MODELS)
    assert set(DOCUMENT_MODELS) <= set(ARTIFACT_MODELS)
    for model in DOCUMENT_MODELS.values():
        assert model.model_config.get("extra") == "forbid", model.__name__


def test_validate_returns_json_data_with_defaults() -> None:
    body = validate_artifact("IdeaSpec", SPEC)
    assert body == {**SPEC, "glossary": [], "out_of_scope": []}


def test_unknown_type_is_an_artifact_error() -> None:
    with pytest.raises(ArtifactError, match="unknown artifact type 'NoSuchThing'"):
        validate_artifact("NoSuchThing", {})


@pytest.mark.parametrize(
    ("type_", "body", "where"),
    [
        (
            "IdeaSpec",
            {k: v for k, v in SPEC.items() if k != "target_users"},
            "IdeaSpec: target_users: Field required",
        ),
        ("IdeaSpec", {**SPEC, "extra": 1}, "IdeaSpec: extra: Extra inputs are not permitted"),
        ("IdeaSpec", {**SPEC, "entities": ["Bad Name"]}, "IdeaSpec: entities.0"),
        ("UserStories", {"user_stories": [{"id": "S1"}]}, "UserStories: user_stories.0.id"),
        ("ReleaseDossier", {"name": "x", "version": "1.0", "contents": [], "formats": ["json"]}, "version"),
        ("StoryProgress", {"items": [{"story_id": "US-001", "status": "maybe"}]}, "items.0.status"),
        ("RTM", [], "RTM: <body>"),
    ],
)
def test_errors_name_type_and_field_path(type_: str, body: Any, where: str) -> None:
    with pytest.raises(ArtifactError) as caught:
        validate_artifact(type_, body)
    assert where in str(caught.value)


@pytest.mark.parametrize(
    "path", ["../x.py", "/etc/passwd", "app/../../x", "a\\b.py", "app/$(x).py", "..", "app/x.py\n", ""]
)
def test_source_files_must_stay_in_the_repo(path: str) -> None:
    body = {
        "files": {path: "x"},
        "language": "python",
        "framework": "wsgi",
        "entrypoint": "app.wsgi:application",
        "run_command": ["python", "-m", "app"],
        "resources": [{"entity": "Recipe", "path": "/api/recipes"}],
    }
    with pytest.raises(ArtifactError, match="unsafe file path"):
        validate_artifact("SourceCode", body)
    body["files"] = {".gitignore": "x", "app/static/index.html": "y"}
    assert validate_artifact("SourceCode", body)["files"] == body["files"]


def _openapi(**changes: Any) -> dict[str, Any]:
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "1.0.0"},
        "paths": {"/health": {"get": {"responses": {"200": {"description": "ok"}}}}},
        "components": {"schemas": {"Error": {"type": "object"}}},
    }
    return {**doc, **changes}


def test_openapi_is_checked_as_an_openapi_3_0_document() -> None:
    assert validate_artifact("OpenAPI", _openapi())["openapi"] == "3.0.3"
    bad = [
        (_openapi(openapi="2.0"), "openapi"),
        (_openapi(paths={"health": {}}), "must start with '/'"),
        (_openapi(paths={"/x": {"fetch": {"responses": {}}}}), "not an HTTP method"),
        (_openapi(paths={"/x": {"get": {"summary": "no responses"}}}), "needs responses"),
        (_openapi(components={"schemas": {}}), "components.schemas"),
    ]
    for doc, message in bad:
        with pytest.raises(ArtifactError, match=message):
            validate_artifact("OpenAPI", doc)


def test_assemble_merge_keeps_the_declared_types_present() -> None:
    combined = {"PRD": {"a": 1}, "RTM": {"b": 2}, "Stray": {}}
    assert assemble("merge", combined, ["PRD", "RTM", "UserStories"]) == {"PRD": {"a": 1}, "RTM": {"b": 2}}
    assert assemble("vote", combined, ["RTM"]) == {"RTM": {"b": 2}}


def test_assemble_concat_makes_items_per_type() -> None:
    combined = [
        {"ImplementedStories": {"story_id": "US-001"}, "StoryProgress": {"story_id": "US-001"}},
        {"ImplementedStories": {"story_id": "US-002"}},
    ]
    result = assemble("concat", combined, ["ImplementedStories", "StoryProgress", "AcceptanceTestResults"])
    assert result["ImplementedStories"] == {"items": [{"story_id": "US-001"}, {"story_id": "US-002"}]}
    assert result["StoryProgress"] == {"items": [{"story_id": "US-001"}]}
    assert result["AcceptanceTestResults"] == {"items": []}


@pytest.mark.parametrize(("aggregation", "combined"), [("concat", {}), ("merge", []), ("custom", {})])
def test_assemble_rejects_mismatched_input(aggregation: str, combined: Any) -> None:
    with pytest.raises(ArtifactError):
        assemble(aggregation, combined, ["PRD"])


def test_report_models_are_included_when_present() -> None:
    for name, model in artifacts.REPORT_MODELS.items():
        assert ARTIFACT_MODELS[name] is model or name in DOCUMENT_MODELS
