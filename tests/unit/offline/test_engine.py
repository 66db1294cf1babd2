"""The offline engine end to end: every document agent of every phase, in pipeline order."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from ideamine.core.agent_io import AgentContext
from ideamine.core.artifacts import DOCUMENT_MODELS, validate_artifact
from ideamine.core.canonical import canonical_bytes, canonical_json
from ideamine.core.config import CoverageGuard
from ideamine.core.doc_guards import GUARDS
from ideamine.core.fanin import merge
from ideamine.core.idea import analyse_idea
from ideamine.errors import AgentError
from ideamine.offline import DOCUMENT_AGENTS, run_agent

from tests.unit.offline.pipeline import HOSTILE_IDEA, IDEAS, Run, project, run_pipeline

TOOL_AGENTS = {
    "SASTAgent", "DASTAgent", "DependencyAgent", "SecretsAgent", "SBOMAgent", "E2ETestAgent",
    "PerformanceAgent", "LoadTestAgent", "AccessibilityAgent", "DeployAgent", "MonitorAgent",
    "StoryTesterAgent",
}  # fmt: skip
# Needs StoryTesterAgent's real test results; the integration tests run it.
NEEDS_TOOLS = {"story_completion"}

_RUNS: dict[str, Run] = {}


def pipeline(key: str) -> Run:
    if key not in _RUNS:
        _RUNS[key] = run_pipeline(IDEAS.get(key, HOSTILE_IDEA))
    return _RUNS[key]


def test_document_agents_are_every_yaml_agent_but_the_tool_agents() -> None:
    yaml_agents = {name for phase in project().phases for name in phase.agent_names}
    assert yaml_agents >= TOOL_AGENTS
    assert yaml_agents - TOOL_AGENTS == DOCUMENT_AGENTS


def test_an_unknown_agent_is_an_agent_error() -> None:
    ctx = AgentContext(run_id="r", phase="intake", agent="SASTAgent", idea="x", facts=analyse_idea("x"))
    with pytest.raises(AgentError, match="SASTAgent"):
        run_agent(ctx)


@pytest.mark.parametrize("key", sorted(IDEAS))
def test_every_phase_validates_and_passes_its_doc_guards(key: str) -> None:
    run = pipeline(key)
    for phase in project().phases:
        declared = {a.type for a in phase.artifacts if a.type in DOCUMENT_MODELS}
        assert declared <= set(run.phases[phase.id]), phase.id
        for type_, body in run.phases[phase.id].items():
            assert validate_artifact(type_, body) == body
        for report in run.reports[phase.id]:
            if report.guard in NEEDS_TOOLS:
                assert report.status == "failed"  # no StoryProgress without real test runs
                continue
            assert report.status == "passed", (phase.id, report.guard, report.violations, report.details)
            assert report.score >= 0.75


def test_doc_guard_types_of_the_yaml_are_all_implemented() -> None:
    tool_guards = {
        "compilation",
        "test_coverage",
        "lint",
        "cve_count",
        "secrets_detected",
        "sbom_completeness",
    }
    tool_guards |= {"acceptance_tests", "test_pass_rate", "performance", "accessibility"}
    tool_guards |= {"deployment_health", "monitoring", "canary_validation"}
    used = {guard.type for phase in project().phases for guard in phase.guards}
    assert used - tool_guards == set(GUARDS)


def test_same_idea_gives_identical_bytes() -> None:
    first, second = run_pipeline(IDEAS["tools"]), run_pipeline(IDEAS["tools"])
    assert canonical_bytes(first.artifacts) == canonical_bytes(second.artifacts)
    assert canonical_bytes(first.sections) == canonical_bytes(second.sections)


@pytest.mark.parametrize("type_", ["IdeaSpec", "PRD", "OpenAPI", "UserStories", "DataModel", "SourceCode"])
def test_different_ideas_give_different_artifacts(type_: str) -> None:
    bodies = {canonical_json(pipeline(key).artifacts[type_]) for key in IDEAS}
    assert len(bodies) == len(IDEAS)


def test_content_follows_the_idea() -> None:
    clinic = pipeline("clinic").artifacts
    entities = clinic["IdeaSpec"]["entities"]
    assert "Appointment" in entities
    assert "/api/appointments" in clinic["OpenAPI"]["paths"]
    assert "Appointment" in clinic["OpenAPI"]["components"]["schemas"]
    assert {e["name"] for e in clinic["DataModel"]["data_model"]["entities"]} == set(entities)
    stories = clinic["UserStories"]["user_stories"]
    assert stories[0]["title"] == "Book appointments"
    assert stories[0]["entity"] == "Appointment"
    assert [s["id"] for s in stories] == [f"US-{i:03d}" for i in range(1, len(stories) + 1)]
    assert "app/resources.py" in clinic["SourceCode"]["files"]
    assert "'appointments'" in clinic["SourceCode"]["files"]["app/resources.py"]


def test_openapi_refs_resolve_and_every_entity_has_crud() -> None:
    doc = pipeline("recipes").artifacts["OpenAPI"]

    def refs(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [value["$ref"]] if "$ref" in value else [r for v in value.values() for r in refs(v)]
        return [r for v in value for r in refs(v)] if isinstance(value, list) else []

    for ref in refs(doc):
        _, section, name = ref.removeprefix("#/").split("/")
        assert name in doc["components"][section], ref
    for entity in pipeline("recipes").artifacts["DataModel"]["data_model"]["entities"]:
        collection = f"/api/{entity['path']}"
        assert set(doc["paths"][collection]) == {"get", "post"}
        assert set(doc["paths"][collection + "/{id}"]) == {"parameters", "get", "put", "delete"}
        assert f"{entity['name']}Input" in doc["components"]["schemas"]


def test_tokens_are_estimated_from_the_json_read_and_written() -> None:
    run = pipeline("recipes")
    ctx = run.context("prd", "PRDWriterAgent", previous={"UserStories": run.artifacts["UserStories"]})
    out = run_agent(ctx)
    assert out.tokens_out == len(canonical_json(out.sections)) // 4
    bare = run_agent(ctx.model_copy(update={"inputs": {}, "previous": {}}))
    assert out.tokens_in > bare.tokens_in > len(ctx.idea) // 4


def test_trace_matrix_traces_the_stories_in_previous() -> None:
    run = pipeline("recipes")
    stories = [dict(s) for s in run.artifacts["UserStories"]["user_stories"][:2]]
    ctx = run.context("prd", "TraceMatrixAgent", previous={"UserStories": {"user_stories": stories}})
    ctx = ctx.model_copy(update={"inputs": {"IdeaSpec": run.artifacts["IdeaSpec"]}})
    rtm = run_agent(ctx).sections["RTM"]
    traced = sorted({i for row in rtm["traceability_matrix"] for i in row["story_ids"]})
    assert traced == ["US-001", "US-002"]
    assert rtm["untraced_story_ids"] == []


def test_strict_story_cutter_repairs_a_coverage_failure() -> None:
    run = run_pipeline(IDEAS["tools"], stop_after="prd")
    prd = project().phase("prd")
    draft = len(run.artifacts["UserStories"]["user_stories"])
    guard = CoverageGuard(type="coverage", min_stories=draft + 3, min_nfrs=3)
    first = GUARDS["coverage"](guard, run.artifacts, None)
    assert first.status == "failed"
    assert [v.type for v in first.violations] == ["stories_below_min"]
    assert "StoryCutterAgent" in first.details["agents"]

    hints = tuple(v.type for v in first.violations)
    fixed = run_agent(run.context("prd", "StoryCutterAgent", strict=True, hints=hints)).sections
    merged = merge([run.sections["prd"][name] for name in prd.agent_names] + [fixed])
    artifacts = {**run.artifacts, "UserStories": validate_artifact("UserStories", merged["UserStories"])}
    second = GUARDS["coverage"](guard, artifacts, None)
    assert second.status == "passed"
    new = artifacts["UserStories"]["user_stories"]
    assert new[:draft] == run.artifacts["UserStories"]["user_stories"]  # the traced ids keep their meaning

    # The agents downstream of the stories re-run too, and the phase stays free of contradictions.
    outputs = [fixed]
    for name in prd.agent_names[1:]:
        outputs.append(run_agent(run.context("prd", name, previous=merge(outputs))).sections)
    final = {**run.artifacts, **merge(outputs)}
    for g in prd.guards:
        assert GUARDS[g.type](g, final, None).status == "passed", g.type
    assert GUARDS["coverage"](guard, final, None).details["untraced_stories"] == []


@pytest.mark.parametrize(
    ("agent", "hint", "type_", "key"),
    [
        ("NFRsAgent", "nfrs_below_min", "PRD", "nfrs"),
        ("RiskAnalysisAgent", "risks_below_min", "RiskRegister", "risks"),
        (
            "AssumptionChallengerAgent",
            "assumptions_challenged_below_min",
            "RevisedAssumptions",
            "assumptions",
        ),
    ],
)
def test_strict_reruns_add_content(agent: str, hint: str, type_: str, key: str) -> None:
    run = pipeline("clinic")
    phase = next(p.id for p in project().phases if agent in p.agent_names)
    plain = run_agent(run.context(phase, agent)).sections[type_][key]
    strict = run_agent(run.context(phase, agent, strict=True, hints=(hint,))).sections[type_][key]
    assert len(strict) > len(plain)
    assert strict[: len(plain)] == plain
    unrelated = run_agent(run.context(phase, agent, strict=True, hints=("clarity_below_min",)))
    assert unrelated.sections[type_][key] == plain


def test_security_controls_strict_rerun() -> None:
    run = pipeline("clinic")
    plain = run_agent(run.context("architecture", "SecurityArchitectAgent")).sections
    strict = run_agent(
        run.context(
            "architecture", "SecurityArchitectAgent", strict=True, hints=("security_controls_below_min",)
        )
    ).sections
    count = len(plain["ArchitectureDoc"]["security"]["controls"])
    assert len(strict["ArchitectureDoc"]["security"]["controls"]) == count + 2


def test_vague_words_are_defined_and_clarity_passes() -> None:
    idea = "A simple, fast and intuitive app for runners that lets them log runs and share routes etc."
    run = run_pipeline(idea, stop_after="intake")
    terms = {entry["term"] for entry in run.artifacts["IdeaSpec"]["glossary"]}
    assert terms >= {"simple", "fast", "intuitive", "etc"}  # plus the domain's own nouns
    assert {"run", "route"} <= terms
    clarity = next(r for r in run.reports["intake"] if r.guard == "clarity")
    assert clarity.status == "passed"
    strict = run_agent(
        run.context("intake", "IntakeAgent", strict=True, hints=("clarity_below_min",))
    ).sections
    assert strict["IdeaSpec"]["problem"] != run.artifacts["IdeaSpec"]["problem"]


def test_stories_that_break_a_constraint_are_left_out() -> None:
    run = run_pipeline(IDEAS["recipes"], constraints="no dishes", stop_after="prd")
    titles = [s["title"] for s in run.artifacts["UserStories"]["user_stories"]]
    assert "Rate dishes" not in titles
    assert "Rate dishes" in [s["title"] for s in pipeline("recipes").artifacts["UserStories"]["user_stories"]]
    assert run.artifacts["IdeaSpec"]["constraints"][0] == "no dishes"
    assert all(r.passed for r in run.reports["prd"])


def test_hostile_idea_is_quoted_verbatim_and_never_becomes_code() -> None:
    run = pipeline("hostile")
    spec = run.artifacts["IdeaSpec"]
    assert spec["description"] == HOSTILE_IDEA
    assert run.artifacts["OpenAPI"]["info"]["description"] == HOSTILE_IDEA
    files = {**run.artifacts["SourceCode"]["files"], **run.artifacts["TestSuite"]["files"]}
    for item in run.artifacts["ImplementedStories"]["items"]:
        files[f"tests/{item['test_file']}"] = item["test_source"]
    for path, source in files.items():
        if path.endswith(".py"):
            compile(source, path, "exec")
            assert "{{ 7*7 }}" not in source
            assert "rm -rf" not in source
    page = files["app/static/index.html"]
    assert "{{ 7*7 }} fans {% for x in y %}" in page
    assert "&#x27;; DROP TABLE users; --" in page
    assert "&quot;quoted&quot;" in page
    assert "<script>" not in page


def test_hostile_facts_are_sanitised_in_generated_code() -> None:
    """Facts can come from elsewhere than ``analyse_idea``: names are re-sanitised, text is repr'd."""
    title = "T'''\"\"\" {{ 7*7 }} \\ $(rm -rf /) </title><script>"
    facts = analyse_idea("x").model_copy(
        update={"title": title, "entities": ("../etc", "'; DROP", "class", "9lives", "", "Ok Name!")}
    )
    ctx = AgentContext(run_id="r", phase="build", agent="BackendAgent", idea=title, facts=facts)
    files: dict[str, str] = {}
    for agent in ("FrontendAgent", "BackendAgent", "DatabaseAgent", "IntegrationAgent", "TestAgent"):
        sections = run_agent(ctx.model_copy(update={"agent": agent})).sections
        for body in sections.values():
            files.update(body["files"])
    validate_artifact(
        "TestSuite", run_agent(ctx.model_copy(update={"agent": "TestAgent"})).sections["TestSuite"]
    )
    init = ast.parse(files["app/__init__.py"])
    assigned = {n.targets[0].id: ast.literal_eval(n.value) for n in init.body if isinstance(n, ast.Assign)}
    assert assigned["TITLE"] == title
    for path, source in files.items():
        if path.endswith(".py"):
            compile(source, path, "exec")
    resources = files["app/resources.py"]
    for path in ("'etcs'", "'drops'", "'class-items'", "'lives'", "'ok-names'"):
        assert path in resources
    assert "<script>" not in files["app/static/index.html"].split("</head>")[1]
