"""The document artifacts of a run: one closed pydantic model per artifact type, and their assembly.

Agents return partial *sections*; a phase merges them (``ideamine.core.fanin``), :func:`assemble`
picks out the phase's declared types, and :func:`validate_artifact` checks each body against its
model. Tool-made artifacts (coverage, scans, reports) have their models in ``ideamine.core.reports``;
they are included in :data:`ARTIFACT_MODELS` when that module is present.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from ideamine.errors import ArtifactError

try:
    from ideamine.core.reports import REPORT_MODELS
except ImportError:  # the tool-report models are optional for the document side
    REPORT_MODELS: dict[str, type[BaseModel]] = {}

Text = Annotated[str, StringConstraints(min_length=1)]
Texts = Annotated[list[Text], Field(min_length=1)]
SEMVER_PATTERN = r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
SemVer = Annotated[str, StringConstraints(pattern=SEMVER_PATTERN)]
Hex = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9]*$")]
StoryId = Annotated[str, StringConstraints(pattern=r"^US-\d{3,}$")]
Count = Annotated[int, Field(ge=0)]
Operation = Literal["create", "list", "get", "update", "delete"]
_SAFE_PATH = re.compile(r"^(?!/)(?!.*(?:^|/)\.\.(?:/|$))[A-Za-z0-9_.][A-Za-z0-9_./-]*$")


ConstraintId = Annotated[str, StringConstraints(pattern=r"^C-\d{3,}$")]
FindingId = Annotated[str, StringConstraints(pattern=r"^F-\d{3,}$")]
RiskId = Annotated[str, StringConstraints(pattern=r"^R-\d{3,}$")]
AssumptionId = Annotated[str, StringConstraints(pattern=r"^A-\d{3,}$")]
FlowId = Annotated[str, StringConstraints(pattern=r"^UX-\d{3,}$")]
NfrId = Annotated[str, StringConstraints(pattern=r"^NFR-\d{3,}$")]
ReqId = Annotated[str, StringConstraints(pattern=r"^REQ-\d{3,}$")]
ControlId = Annotated[str, StringConstraints(pattern=r"^SC-\d{2,}$")]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# --- intake ----------------------------------------------------------------------------------------
class GlossaryEntry(_M):
    term: Text
    meaning: Text


class IdeaSpec(_M):
    title: Text
    description: Text  # the idea as given, verbatim
    problem: Text
    target_users: Texts
    constraints: Texts
    goals: Texts
    features: Texts
    entities: list[Name] = Field(min_length=1)
    glossary: list[GlossaryEntry] = Field(default_factory=list)
    out_of_scope: list[Text] = Field(default_factory=list)


class Constraint(_M):
    id: ConstraintId
    text: Text
    category: Literal["technical", "business", "legal", "user", "operational"]
    source: Literal["given", "default"]


class ConstraintsList(_M):
    constraints: list[Constraint] = Field(min_length=1)


# --- ideation --------------------------------------------------------------------------------------
class Strategy(_M):
    vision: Text
    positioning: Text
    differentiators: Texts
    objectives: Texts


class Persona(_M):
    name: Text
    role: Text
    goals: Texts
    pain_points: Texts
    needs: Texts


class IdeationResult(_M):
    strategy: Strategy
    personas: list[Persona] = Field(min_length=1)


class Competitor(_M):
    name: Text
    kind: Literal["category", "product"]
    description: Text
    strengths: Texts
    weaknesses: Texts
    our_edge: Text


class CompetitiveAnalysis(_M):
    competitors: list[Competitor] = Field(min_length=1)
    market_gaps: Texts


class StackChoice(_M):
    layer: Text
    choice: Text
    rationale: Text
    maturity: Literal["proven", "emerging", "experimental"]


class TechStackProposal(_M):
    tech_stack: list[StackChoice] = Field(min_length=1)
    runtime_dependencies: list[Text]
    notes: Texts


# --- critique --------------------------------------------------------------------------------------
Level = Literal["low", "medium", "high"]


class Finding(_M):
    id: FindingId
    area: Text
    severity: Literal["critical", "high", "medium", "low"]
    finding: Text
    recommendation: Text


class CritiqueReport(_M):
    summary: Text
    findings: list[Finding] = Field(min_length=1)
    counterfactuals: Texts
    confidence: Annotated[float, Field(ge=0, le=1)]


class Risk(_M):
    id: RiskId
    category: Literal["technical", "business", "user", "legal", "operational"]
    description: Text
    likelihood: Level
    impact: Level
    mitigation: Text
    owner: Text


class RiskRegister(_M):
    risks: list[Risk]


class Assumption(_M):
    id: AssumptionId
    statement: Text
    challenge: str
    status: Literal["unchallenged", "challenged", "validated", "revised", "invalidated"]
    revised_statement: str | None = None
    evidence: Text


class RevisedAssumptions(_M):
    assumptions: list[Assumption]


# --- prd -------------------------------------------------------------------------------------------
class UserStory(_M):
    id: StoryId
    title: Text
    persona: Text
    want: Text
    so_that: Text
    acceptance_criteria: Texts
    entity: Name
    operation: Operation
    priority: Literal["must", "should", "could"]
    feature: Text


class UserStories(_M):
    user_stories: list[UserStory]


class UXFlow(_M):
    id: FlowId
    name: Text
    persona: Text
    steps: Texts
    story_ids: list[StoryId]
    screens: Texts


NfrCategory = Literal[
    "performance", "security", "accessibility", "availability", "privacy", "maintainability", "operability"
]


class NFR(_M):
    id: NfrId
    category: Literal[
        "performance",
        "security",
        "accessibility",
        "availability",
        "privacy",
        "maintainability",
        "operability",
    ]
    statement: Text
    metric: Text
    target: Text
    verified_by: Text


class Scope(_M):
    in_scope: Texts
    out_of_scope: list[Text]


class PRD(_M):
    title: Text
    overview: Text
    problem: Text
    goals: Texts
    personas: Texts
    scope: Scope
    release_criteria: Texts
    ux_flows: list[UXFlow]
    nfrs: list[NFR]


class TraceRow(_M):
    requirement_id: ReqId
    requirement: Text
    kind: Literal["feature", "crud", "nfr"]
    story_ids: list[StoryId]
    nfr_ids: list[NfrId]
    acceptance_tests: list[Text]


class RTM(_M):
    traceability_matrix: list[TraceRow] = Field(min_length=1)
    untraced_story_ids: list[StoryId]


# --- bizdev ----------------------------------------------------------------------------------------
class BusinessModel(_M):
    type: Text
    value_proposition: Text
    customer_segments: Texts
    revenue_streams: Texts
    cost_structure: Texts
    key_partners: list[Text]


class UnitEconomics(_M):
    cac_usd: Annotated[float, Field(gt=0)]
    ltv_usd: Annotated[float, Field(gt=0)]
    ltv_to_cac: Annotated[float, Field(ge=0)]
    payback_months: Annotated[float, Field(ge=0)]
    gross_margin: Annotated[float, Field(ge=0, le=1)]
    assumptions: Texts


class SuccessMetric(_M):
    name: Text
    kind: Literal["north_star", "acquisition", "activation", "retention", "revenue", "quality"]
    target: Text
    timeframe: Text


class BusinessPlan(_M):
    business_model: BusinessModel
    unit_economics: UnitEconomics
    success_metrics: list[SuccessMetric] = Field(min_length=1)


class PricingStrategy(_M):
    model: Literal["freemium", "subscription", "usage", "one_time"]
    rationale: Text
    currency: Literal["USD", "EUR", "GBP"]


class PricingTier(_M):
    name: Text
    monthly_price: Annotated[float, Field(ge=0)]
    features: Texts
    limits: Texts


class PricingModel(_M):
    pricing_strategy: PricingStrategy
    tiers: list[PricingTier] = Field(min_length=1)


class Channel(_M):
    name: Text
    audience: Text
    tactic: Text
    metric: Text


class GTMPlan(_M):
    positioning: Text
    channels: list[Channel] = Field(min_length=1)
    launch_phases: Texts
    messaging: Texts


class GTMStrategy(_M):
    gtm_plan: GTMPlan


# --- architecture ----------------------------------------------------------------------------------
class Component(_M):
    name: Text
    responsibility: Text
    technology: Text
    state: Literal["stateless", "stateful"]


class SystemArchitecture(_M):
    style: Text
    components: list[Component] = Field(min_length=1)
    data_flow: Texts
    diagram: Text  # Mermaid


class Scalability(_M):
    strategy: Text
    stateless_app_tier: bool
    horizontal_scaling: bool
    paginated_collections: bool
    caching: Text
    bottlenecks: Texts
    target_rps: Annotated[int, Field(ge=1)]
    target_p95_ms: Annotated[int, Field(ge=1)]


class ApiResource(_M):
    entity: Name
    path: Text
    operations: list[Operation] = Field(min_length=1)


class ApiDesign(_M):
    style: Text
    base_path: Text
    resources: list[ApiResource] = Field(min_length=1)
    conventions: Texts


class SecurityControl(_M):
    id: ControlId
    name: Text
    category: Text
    description: Text
    enforced_by: Text


class Threat(_M):
    threat: Text
    control_ids: list[ControlId] = Field(min_length=1)


class SecurityArchitecture(_M):
    controls: list[SecurityControl]
    threats: list[Threat]


class Decision(_M):
    id: Annotated[str, StringConstraints(pattern=r"^ADR-\d{3,}$")]
    title: Text
    decision: Text
    rationale: Text


class ArchitectureDoc(_M):
    system_architecture: SystemArchitecture
    scalability: Scalability
    decisions: list[Decision]
    api_design: ApiDesign
    security: SecurityArchitecture


class EntityField(_M):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    type: Literal["integer", "string", "boolean", "enum"]
    required: bool
    description: Text
    max_length: int | None = None
    choices: list[Text] | None = None
    default: str | int | bool | None = None
    minimum: int | None = None
    maximum: int | None = None
    references: Name | None = None
    read_only: bool = False


class Relation(_M):
    field: Text
    target: Name
    kind: Literal["many-to-one", "one-to-many", "many-to-many"]


class EntityModel(_M):
    name: Name
    table: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    path: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]
    fields: list[EntityField] = Field(min_length=1)
    relations: list[Relation]


class DataModelBody(_M):
    entities: list[EntityModel] = Field(min_length=1)
    diagram: Text  # Mermaid ER diagram


class DataModel(_M):
    data_model: DataModelBody
    storage: Text
    indexes: list[Text]


_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "options", "head", "trace"})


class OpenAPIInfo(_M):
    title: Text
    version: SemVer
    description: str = ""


class OpenAPIComponents(_M):
    schemas: dict[Name, dict[str, Any]] = Field(min_length=1)
    parameters: dict[str, dict[str, Any]] = Field(default_factory=dict)
    responses: dict[str, dict[str, Any]] = Field(default_factory=dict)


class OpenAPI(_M):
    """An OpenAPI 3.0 document: every path item's operations declare their responses."""

    openapi: Annotated[str, StringConstraints(pattern=r"^3\.0\.\d+$")]
    info: OpenAPIInfo
    servers: list[dict[str, str]] = Field(default_factory=list)
    paths: dict[str, dict[str, Any]] = Field(min_length=1)
    components: OpenAPIComponents
    tags: list[dict[str, str]] = Field(default_factory=list)

    @field_validator("paths")
    @classmethod
    def _operations(cls, paths: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for path, item in paths.items():
            if not path.startswith("/"):
                raise ValueError(f"path {path!r} must start with '/'")
            for key, operation in item.items():
                if key in ("parameters", "summary", "description"):
                    continue
                if key not in _HTTP_METHODS:
                    raise ValueError(f"{path}: {key!r} is not an HTTP method")
                if not isinstance(operation, dict) or not operation.get("responses"):
                    raise ValueError(f"{path} {key}: an operation needs responses")
        return paths


class DeploymentArchitecture(_M):
    topology: Text
    runtime: Text
    environments: Texts
    health_checks: Texts
    scaling: Text
    diagram: Text


class InfraResource(_M):
    name: Text
    kind: Text
    spec: Text


class InfrastructureSpec(_M):
    deployment_architecture: DeploymentArchitecture
    resources: list[InfraResource] = Field(min_length=1)
    observability: Texts


# --- build -----------------------------------------------------------------------------------------
def _check_files(files: dict[str, str]) -> dict[str, str]:
    for path in files:
        if not _SAFE_PATH.fullmatch(path) or "\\" in path:
            raise ValueError(f"unsafe file path {path!r}: relative, no '..', [A-Za-z0-9_./-] only")
    return files


class Resource(_M):
    entity: Name
    path: Text


class SourceCode(_M):
    files: dict[str, str] = Field(min_length=1)
    language: Text
    framework: Text
    entrypoint: Text
    run_command: Texts
    resources: list[Resource] = Field(min_length=1)

    @field_validator("files")
    @classmethod
    def _safe_paths(cls, files: dict[str, str]) -> dict[str, str]:
        return _check_files(files)


class TestSuite(_M):
    __test__ = False  # not a pytest test class

    files: dict[str, str] = Field(min_length=1)
    framework: Literal["pytest"]
    command: Texts
    coverage_command: Texts
    min_coverage_percent: Annotated[float, Field(ge=0, le=100)]
    test_count: Count

    @field_validator("files")
    @classmethod
    def _safe_paths(cls, files: dict[str, str]) -> dict[str, str]:
        return _check_files(files)


# --- story-loop (concat: {"items": [one story's body, ...]}) ---------------------------------------
class ImplementedStory(_M):
    story_id: StoryId
    title: Text
    entity: Name
    endpoints: Texts
    test_file: Annotated[str, StringConstraints(pattern=r"^test_us_\d{3,}\.py$")]
    test_source: Text


class ImplementedStories(_M):
    items: list[ImplementedStory]


class StoryProgressItem(_M):
    story_id: StoryId
    status: Literal["done", "failed"]
    passed: Count
    failed: Count
    errors: Count
    reason: Text


class StoryProgress(_M):
    items: list[StoryProgressItem]


# --- qa --------------------------------------------------------------------------------------------
class CompatibilityEntry(_M):
    target: Text
    kind: Literal["runtime", "os", "browser", "viewport"]
    versions: Texts
    status: Literal["supported", "unsupported", "untested"]
    basis: Text


class CompatibilityMatrix(_M):
    matrix: list[CompatibilityEntry] = Field(min_length=1)
    notes: Texts


# --- aesthetic -------------------------------------------------------------------------------------
class DesignTokens(_M):
    colors: dict[Text, Hex] = Field(min_length=1)
    typography: dict[Text, Text] = Field(min_length=1)
    spacing: dict[Text, Annotated[int, Field(ge=0)]] = Field(min_length=1)
    radii: dict[Text, Annotated[int, Field(ge=0)]]


class ComponentSpec(_M):
    name: Text
    tokens: Texts  # "colors.primary", "spacing.md", ...
    states: Texts


class ContrastPair(_M):
    foreground: Text  # a colour token name
    background: Text


class Motion(_M):
    durations_ms: dict[Text, Annotated[int, Field(ge=0)]] = Field(min_length=1)
    easing: dict[Text, Text] = Field(min_length=1)
    reduced_motion_respected: bool


class DesignSystem(_M):
    tokens: DesignTokens
    components: list[ComponentSpec] = Field(min_length=1)
    text_pairs: list[ContrastPair] = Field(min_length=1)
    motion: Motion


class Brand(_M):
    name: Text
    tagline: Text
    voice: Texts
    palette: dict[Text, Hex] = Field(min_length=1)
    logo_asset: Text


class Breakpoint(_M):
    name: Text
    min_width: Annotated[int, Field(ge=0)]
    max_width: Annotated[int, Field(ge=1)] | None
    layout: Text


class StyleGuide(_M):
    brand: Brand
    rules: Texts
    breakpoints: list[Breakpoint] = Field(min_length=1)


class VisualAsset(_M):
    name: Text
    kind: Literal["svg"]
    path: Text
    alt: Text
    content: Text


class VisualAssets(_M):
    assets: list[VisualAsset] = Field(min_length=1)


# --- release ---------------------------------------------------------------------------------------
class NotesBody(_M):
    summary: Text
    highlights: Texts
    story_ids: list[StoryId]
    known_issues: list[Text]


class ChangelogEntry(_M):
    version: SemVer
    changes: Texts


class ReleaseNotes(_M):
    version: SemVer
    release_notes: NotesBody
    changelog: list[ChangelogEntry] = Field(min_length=1)


class CanaryRules(_M):
    duration_minutes: Annotated[int, Field(ge=1)]
    max_error_rate: Annotated[float, Field(ge=0, le=1)]
    max_p95_latency_ms: Annotated[int, Field(ge=1)]


class DeploymentPlanBody(_M):
    strategy: Text
    prerequisites: Texts
    steps: Texts
    health_checks: Texts
    canary_rules: CanaryRules


class DeploymentPlan(_M):
    deployment_plan: DeploymentPlanBody


class RollbackPlanBody(_M):
    triggers: Texts
    steps: Texts
    data_recovery: Text
    max_minutes: Annotated[int, Field(ge=1)]


class RollbackPlan(_M):
    rollback_plan: RollbackPlanBody


class Endpoint(_M):
    method: Literal["GET", "POST", "PUT", "DELETE", "PATCH"]
    path: Text
    summary: Text


class DocumentationBody(_M):
    readme: Text
    api_reference: list[Endpoint] = Field(min_length=1)
    runbook: Texts
    user_guide: Texts


class Documentation(_M):
    documentation: DocumentationBody


class DossierEntry(_M):
    section: Text
    artifact_type: Text
    phase: Text
    status: Literal["available", "pending"]


class ReleaseDossier(_M):
    """What the signed release dossier will hold once beta is done, and under which version."""

    name: Text
    version: SemVer
    contents: list[DossierEntry] = Field(min_length=1)
    formats: list[Literal["json", "html", "pdf"]] = Field(min_length=1)
    commit_sha: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{40}$")] | None = None


# --- beta ------------------------------------------------------------------------------------------
class Kpi(_M):
    name: Text
    target: Text
    observed: float | None
    source: Text


class Feedback(_M):
    channels: Texts
    questions: Texts
    themes: Texts


class BetaMetrics(_M):
    kpis: list[Kpi] = Field(min_length=1)
    feedback: Feedback
    data_sources: list[Text]


DOCUMENT_MODELS: dict[str, type[BaseModel]] = {
    model.__name__: model
    for model in (
        IdeaSpec, ConstraintsList, IdeationResult, CompetitiveAnalysis, TechStackProposal, CritiqueReport,
        RiskRegister, RevisedAssumptions, PRD, RTM, UserStories, BusinessPlan, PricingModel, GTMStrategy,
        ArchitectureDoc, OpenAPI, DataModel, InfrastructureSpec, SourceCode, TestSuite, ImplementedStories,
        StoryProgress, CompatibilityMatrix, DesignSystem, StyleGuide, VisualAssets, ReleaseNotes,
        DeploymentPlan, RollbackPlan, Documentation, ReleaseDossier, BetaMetrics,
    )
}  # fmt: skip
ARTIFACT_MODELS: dict[str, type[BaseModel]] = {**REPORT_MODELS, **DOCUMENT_MODELS}


def validate_artifact(type_: str, body: Any) -> dict[str, Any]:
    """``body`` checked against the model of ``type_``, as JSON-ready data.

    Raises :class:`ArtifactError` naming the type and the field path of every problem.
    """
    model = ARTIFACT_MODELS.get(type_)
    if model is None:
        raise ArtifactError(f"unknown artifact type {type_!r}")
    try:
        return model.model_validate(body).model_dump(mode="json")
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<body>'}: {err['msg']}" for err in exc.errors()[:10]
        )
        raise ArtifactError(f"{type_}: {problems}") from None


def assemble(aggregation: str, combined: Any, declared: Sequence[str]) -> dict[str, Any]:
    """The phase's declared artifacts out of its fanned-in output.

    ``merge``/``vote``: ``combined`` is ``{type: body}`` and the declared types present are kept.
    ``concat``: ``combined`` is a list of per-item dicts; every declared type T becomes
    ``{"items": [item[T] for each item that has T]}``.
    """
    if aggregation == "concat":
        if not isinstance(combined, list):
            raise ArtifactError(f"concat output must be a list, got {type(combined).__name__}")
        items = [item for item in combined if isinstance(item, Mapping)]
        return {type_: {"items": [item[type_] for item in items if type_ in item]} for type_ in declared}
    if aggregation in ("merge", "vote"):
        if not isinstance(combined, Mapping):
            raise ArtifactError(f"{aggregation} output must be a dict, got {type(combined).__name__}")
        return {type_: combined[type_] for type_ in declared if type_ in combined}
    raise ArtifactError(f"unknown aggregation {aggregation!r}")
