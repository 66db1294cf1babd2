"""Document guards: each passes on the offline engine's artifacts and fails, with the right violation
type and agents, on an artifact broken in the way it checks."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ideamine.core.config import (
    AssumptionValidationGuard,
    ContradictionsGuard,
    CoverageGuard,
    RequiredFieldsGuard,
    ResponsiveDesignGuard,
    RiskCoverageGuard,
    ScoreGuard,
    SecurityControlsGuard,
    StoryCompletionGuard,
    VersionValidationGuard,
)
from ideamine.core.doc_guards import GUARDS, conflicts, contrast_ratio, find_contradictions, forbidden_by

from tests.unit.offline.pipeline import IDEAS, run_pipeline

_GOOD: list[dict[str, Any]] = []


@pytest.fixture
def good() -> dict[str, Any]:
    """Every artifact of a full offline run (plus five done stories), as a fresh copy."""
    if not _GOOD:
        artifacts = run_pipeline(IDEAS["recipes"]).artifacts
        ids = [s["id"] for s in artifacts["UserStories"]["user_stories"]]
        done = {"status": "done", "passed": 3, "failed": 0, "errors": 0, "reason": "ok"}
        artifacts["StoryProgress"] = {"items": [{"story_id": i, **done} for i in ids]}
        _GOOD.append(artifacts)
    return copy.deepcopy(_GOOD[0])


def completeness_cfg(*fields: str) -> RequiredFieldsGuard:
    return RequiredFieldsGuard(type="completeness", required_fields=list(fields))


def check(cfg: Any, artifacts: dict[str, Any]) -> Any:
    return GUARDS[cfg.type](cfg, artifacts, None)


def failed_with(report: Any, violation: str, *agents: str) -> None:
    assert report.status == "failed", report
    assert violation in [v.type for v in report.violations], report.violations
    assert set(agents) <= set(report.details["agents"]), report.details["agents"]


def passed(report: Any) -> None:
    assert report.status == "passed", (report.violations, report.details)
    assert report.violations == []
    assert report.details["agents"] == []


def test_guard_types() -> None:
    assert set(GUARDS) == {
        "completeness", "release_completeness", "clarity", "feasibility", "risk_coverage",
        "assumption_validation", "contradictions", "coverage", "security", "scalability",
        "financial_viability", "version_validation", "design_consistency", "brand_compliance",
        "responsive_design", "story_completion",
    }  # fmt: skip


def test_completeness(good: dict[str, Any]) -> None:
    cfg = completeness_cfg("user_stories", "ux_flows", "nfrs", "traceability_matrix")
    passed(check(cfg, good))
    good["PRD"]["nfrs"] = []
    del good["RTM"]
    report = check(cfg, good)
    failed_with(report, "required_fields_missing", "NFRsAgent", "TraceMatrixAgent")
    assert report.score == 0.5
    assert report.details["missing"] == ["nfrs", "traceability_matrix"]


def test_release_completeness(good: dict[str, Any]) -> None:
    fields = ["release_notes", "deployment_plan", "rollback_plan", "documentation"]
    cfg = RequiredFieldsGuard(type="release_completeness", required_fields=fields)
    passed(check(cfg, good))
    thin = copy.deepcopy(good)
    thin["RollbackPlan"]["rollback_plan"]["steps"] = ["Undo."]
    failed_with(check(cfg, thin), "release_sections_incomplete", "DeploymentAgent")
    del good["Documentation"]
    failed_with(check(cfg, good), "release_fields_missing", "DocumentationAgent")


def test_clarity(good: dict[str, Any]) -> None:
    cfg = ScoreGuard(type="clarity", min_score=0.7)
    intake = {"IdeaSpec": good["IdeaSpec"], "ConstraintsList": good["ConstraintsList"]}
    passed(check(cfg, intake))
    vague = "It is simple, fast, intuitive, seamless, modern, powerful, flexible and robust, etc."
    intake["IdeaSpec"]["problem"] = vague
    report = check(cfg, intake)
    failed_with(report, "clarity_below_min", "IntakeAgent")
    assert "simple" in report.details["undefined_vague_words"]["IdeaSpec"]
    # A glossary that gives each vague word a concrete meaning makes the text clear again.
    words = ["simple", "fast", "intuitive", "seamless", "modern", "powerful", "flexible", "robust", "etc"]
    intake["IdeaSpec"]["glossary"] = [{"term": w, "meaning": "measurable"} for w in words]
    passed(check(cfg, intake))
    long_sentence = " ".join(["word"] * 40) + "."
    intake["IdeaSpec"]["goals"] = [long_sentence] * 200
    failed_with(check(cfg, intake), "clarity_below_min")
    not_run = check(cfg, {})
    assert not_run.status == "not_run"
    assert not_run.score == 0


def test_feasibility(good: dict[str, Any]) -> None:
    cfg = ScoreGuard(type="feasibility", min_score=0.7)
    passed(check(cfg, good))
    for layer in good["TechStackProposal"]["tech_stack"]:
        layer["maturity"] = "experimental"
    good["TechStackProposal"]["runtime_dependencies"] = [f"dep{i}" for i in range(20)]
    good["IdeationResult"]["strategy"]["objectives"] = ["Be great."]
    report = check(cfg, good)
    failed_with(report, "feasibility_below_min", "TechStackAgent")
    assert report.details["checks"]["stack_maturity"] == 0


def test_risk_coverage(good: dict[str, Any]) -> None:
    cfg = RiskCoverageGuard(
        type="risk_coverage", min_risks=3, required_categories=["technical", "business", "user"]
    )
    passed(check(cfg, good))
    risks = good["RiskRegister"]["risks"]
    good["RiskRegister"]["risks"] = [r for r in risks if r["category"] != "user"]
    failed_with(check(cfg, good), "risk_categories_missing", "RiskAnalysisAgent")
    for risk in good["RiskRegister"]["risks"]:
        risk["mitigation"] = ""  # an unmitigated risk does not count
    failed_with(check(cfg, good), "risks_below_min", "RiskAnalysisAgent")
    failed_with(check(cfg, {}), "artifact_missing", "RiskAnalysisAgent")


def test_assumption_validation(good: dict[str, Any]) -> None:
    cfg = AssumptionValidationGuard(type="assumption_validation", min_challenged=5)
    passed(check(cfg, good))
    for row in good["RevisedAssumptions"]["assumptions"][1:]:
        row["status"] = "unchallenged"
    report = check(cfg, good)
    failed_with(report, "assumptions_challenged_below_min", "AssumptionChallengerAgent")
    assert report.score == pytest.approx(1 / 5)


def test_contradictions_five_fail_the_hard_guard(good: dict[str, Any]) -> None:
    cfg = ContradictionsGuard(type="contradictions", max_contradictions=0)
    passed(check(cfg, good))
    stories = good["UserStories"]["user_stories"]
    stories.append({**stories[0], "title": "Same id, other story"})  # 1 duplicate id
    nfrs = good["PRD"]["nfrs"]
    nfrs.append({**nfrs[0], "id": "NFR-099", "target": "< 50"})  # 2 same metric, other target
    good["IdeaSpec"]["constraints"].append("No recipes shared in public.")
    stories.append(
        {**stories[1], "id": "US-099", "title": "Share recipes", "want": "to publish public recipes"}
    )  # 3
    good["PRD"]["release_criteria"].append("The service must store card numbers.")
    good["IdeaSpec"]["constraints"].append("The service must not store card numbers.")  # 4 must / must not
    good["RTM"]["traceability_matrix"][0]["story_ids"].append("US-404")  # 5 dangling trace
    found = find_contradictions(good)
    kinds = sorted(c["kind"] for c in found)
    assert kinds == [
        "breaks_constraint", "conflicting_targets", "duplicate_id", "must_and_must_not", "unknown_story",
    ]  # fmt: skip
    report = check(cfg, good)
    failed_with(report, "contradictions_max_exceeded", "StoryCutterAgent", "NFRsAgent", "TraceMatrixAgent")
    assert report.hard is True
    assert report.score < 0.7
    assert report.details["count"] == 5
    assert report.violations[0].message == "contradictions_max exceeded: 5 > 0"


def test_constraint_helpers() -> None:
    assert forbidden_by("No payments") == frozenset({"payment"})
    assert forbidden_by("Data must not leave the EU") == frozenset({"leave", "eu"})
    assert forbidden_by("Runs on one server.") is None
    assert conflicts("Members pay with stored payments", ["no payments"]) == ["no payments"]
    assert conflicts("Payments must never be stored", ["no payments"]) == []  # itself a prohibition


def test_coverage(good: dict[str, Any]) -> None:
    cfg = CoverageGuard(type="coverage", min_stories=5, min_nfrs=3)
    passed(check(cfg, good))
    report = check(CoverageGuard(type="coverage", min_stories=50, min_nfrs=30), good)
    failed_with(report, "stories_below_min", "StoryCutterAgent")
    failed_with(report, "nfrs_below_min", "NFRsAgent")
    assert 0 < report.score < 0.5
    good["RTM"]["traceability_matrix"] = good["RTM"]["traceability_matrix"][:1]
    assert check(cfg, good).details["untraced_stories"]


def test_security(good: dict[str, Any]) -> None:
    cfg = SecurityControlsGuard(type="security", min_controls=5)
    passed(check(cfg, good))
    security = good["ArchitectureDoc"]["security"]
    security["threats"].append({"threat": "Spoofing", "control_ids": ["SC-99"]})
    failed_with(check(cfg, good), "threats_unmitigated", "SecurityArchitectAgent")
    security["controls"] = security["controls"][:2]
    failed_with(check(cfg, good), "security_controls_below_min", "SecurityArchitectAgent")


def test_scalability(good: dict[str, Any]) -> None:
    cfg = ScoreGuard(type="scalability", min_score=0.75)
    passed(check(cfg, good))
    for path, item in good["OpenAPI"]["paths"].items():
        if "get" in item and "{" not in path:
            item["get"]["parameters"] = []
    good["ArchitectureDoc"]["scalability"].update(stateless_app_tier=False, horizontal_scaling=False)
    report = check(cfg, good)
    failed_with(report, "scalability_below_min", "ArchitectureAgent", "APIDesignAgent")
    assert report.details["checks"]["paginated_collections"] == 0


def test_financial_viability(good: dict[str, Any]) -> None:
    cfg = ScoreGuard(type="financial_viability", min_score=0.7)
    passed(check(cfg, good))
    good["BusinessPlan"]["unit_economics"].update(
        ltv_usd=50.0, cac_usd=100.0, ltv_to_cac=3.0, payback_months=40.0
    )
    good["PricingModel"]["tiers"] = [
        {"name": "Free", "monthly_price": 0.0, "features": ["x"], "limits": ["y"]}
    ]
    report = check(cfg, good)
    failed_with(report, "financial_viability_below_min", "BusinessModelAgent", "PricingAgent")
    assert report.details["checks"]["consistent"] == 0  # 50/100 is not the 3.0 claimed


def test_version_validation(good: dict[str, Any]) -> None:
    cfg = VersionValidationGuard(type="version_validation")
    passed(check(cfg, good))
    mismatch = copy.deepcopy(good)
    mismatch["ReleaseDossier"]["version"] = "1.0.1"
    failed_with(check(cfg, mismatch), "version_mismatch", "ReleaseNotesAgent", "ChangelogAgent")
    good["ReleaseNotes"]["version"] = "v1"
    failed_with(check(cfg, good), "version_invalid", "ReleaseNotesAgent")
    failed_with(check(cfg, {}), "version_missing")


def test_design_consistency(good: dict[str, Any]) -> None:
    cfg = ScoreGuard(type="design_consistency", min_score=0.85)
    passed(check(cfg, good))
    unreadable = copy.deepcopy(good)
    unreadable["DesignSystem"]["tokens"]["colors"]["text"] = "#eeeeee"  # light grey on white
    report = check(cfg, unreadable)
    failed_with(report, "contrast_below_aa", "UIPolishAgent")
    assert report.violations[-1].message == "text pairs below 4.5:1 contrast: text/background, text/surface"
    good["DesignSystem"]["components"][0]["tokens"] += ["colors.nope", "spacing.huge", "radii.round"]
    good["DesignSystem"]["tokens"]["spacing"].update(odd=7, other=9)
    good["DesignSystem"]["motion"]["reduced_motion_respected"] = False
    report = check(cfg, good)
    failed_with(report, "design_consistency_below_min", "UIPolishAgent", "AnimationAgent")
    assert report.details["unknown_tokens"] == ["colors.nope", "radii.round", "spacing.huge"]


def test_contrast_ratio() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_brand_compliance(good: dict[str, Any]) -> None:
    cfg = ScoreGuard(type="brand_compliance", min_score=0.8)
    passed(check(cfg, good))
    good["StyleGuide"]["brand"]["palette"] = {"primary": "#123456", "accent": "#654321"}
    good["VisualAssets"]["assets"][0]["name"] = "other"
    good["VisualAssets"]["assets"][0]["path"] = "other.svg"
    failed_with(check(cfg, good), "brand_compliance_below_min", "BrandingAgent")


def test_responsive_design(good: dict[str, Any]) -> None:
    cfg = ResponsiveDesignGuard(type="responsive_design", breakpoints=["mobile", "tablet", "desktop"])
    passed(check(cfg, good))
    overlap = copy.deepcopy(good)
    overlap["StyleGuide"]["breakpoints"][1]["min_width"] = 500
    failed_with(check(cfg, overlap), "breakpoints_inconsistent", "ResponsiveAgent")
    flat = copy.deepcopy(good)
    flat["SourceCode"]["files"]["app/static/styles.css"] = "body { margin: 0; }"
    failed_with(check(cfg, flat), "media_queries_missing", "ResponsiveAgent")
    good["StyleGuide"]["breakpoints"] = good["StyleGuide"]["breakpoints"][:1]
    failed_with(check(cfg, good), "breakpoints_missing", "ResponsiveAgent")


def test_story_completion(good: dict[str, Any]) -> None:
    cfg = StoryCompletionGuard(type="story_completion", min_stories=5)
    passed(check(cfg, good))
    for row in good["StoryProgress"]["items"][3:]:
        row["status"] = "failed"
    report = check(cfg, good)
    failed_with(report, "stories_completed_below_min", "StoryImplementerAgent")
    assert report.details["done"] == ["US-001", "US-002", "US-003"]


@pytest.mark.parametrize(
    "cfg",
    [
        ScoreGuard(type="design_consistency", min_score=0.85),
        ScoreGuard(type="brand_compliance", min_score=0.8),
        ScoreGuard(type="feasibility", min_score=0.7),
        ScoreGuard(type="financial_viability", min_score=0.7),
        ScoreGuard(type="scalability", min_score=0.75),
        SecurityControlsGuard(type="security", min_controls=5),
        AssumptionValidationGuard(type="assumption_validation", min_challenged=5),
        StoryCompletionGuard(type="story_completion", min_stories=5),
        CoverageGuard(type="coverage", min_stories=5, min_nfrs=3),
        ResponsiveDesignGuard(type="responsive_design", breakpoints=["mobile"]),
    ],
)
def test_nothing_to_check_never_passes(cfg: Any) -> None:
    assert check(cfg, {}).status == "failed"
