"""Typed configuration of a pipeline run and of its phases.

Pure pydantic models, no I/O: ``ideamine.core.config_parse`` turns YAML text into these, and
``ideamine.config_files`` reads them from ``config/``. Every model is strict (no coercion, so
``max_attempts: "3"`` is an error) and closed (an unknown key is an error).

One phase file is one :class:`PhaseConfig` (requirements §1a/§1b merged with the S1 template keys,
§9.2). ``pipeline.yaml`` is a :class:`PipelineConfig`: it owns the ordered phase list, so a project
may add phases beyond :data:`KNOWN_PHASES` by listing them there. :class:`ProjectConfig` joins the
two and answers what the DAG renderer needs: order, parallel levels and resolved defaults.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

KNOWN_PHASES: tuple[str, ...] = (
    "intake",
    "ideation",
    "critique",
    "prd",
    "bizdev",
    "architecture",
    "build",
    "security",
    "story-loop",
    "qa",
    "aesthetic",
    "release",
    "beta",
)
"""The thirteen phases of the reference pipeline, in run order."""

RUBRIC_WEIGHT_TOLERANCE = 1e-6

PhaseId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$", max_length=64)]
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=128)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=256)]
PosInt = Annotated[int, Field(ge=1)]
NonNegInt = Annotated[int, Field(ge=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]
SemVer = Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$")]

Aggregation = Literal["merge", "concat", "vote"]
"""How agent outputs are combined: later-wins merge, flattened list, or majority vote."""

ParallelismMode = Literal["sequential", "parallel", "iterative"]
RubricName = Literal[
    "completeness",
    "clarity",
    "grounding",
    "feasibility",
    "risk_coverage",
    "assumption_quality",
    "consistency",
    "coverage",
    "viability",
    "scalability",
    "security",
    "compilation",
    "tests",
    "vulnerabilities",
    "secrets",
    "sbom",
    "story_completion",
    "acceptance_tests",
    "test_pass_rate",
    "performance",
    "accessibility",
    "responsiveness",
    "branding",
    "documentation",
    "deployment_health",
    "monitoring",
    "canary",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


# --- small value types ---------------------------------------------------------------------------

_TIMEBOX = re.compile(r"^PT(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")


def timebox_seconds(value: str) -> int:
    """Seconds in an ISO-8601 time duration such as ``PT1H30M``. Raises ``ValueError`` otherwise.

    Hours are optional (``PT45M``, ``PT90S``), unlike the source spec's regex, which could not express
    a 15-minute phase (§9.3). Days and larger units are not accepted; a timebox is hours at most.
    """
    match = _TIMEBOX.match(value)
    if not match:
        raise ValueError(f"'{value}' is not an ISO-8601 duration like PT2H, PT1H30M or PT45M")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total == 0:
        raise ValueError("timebox must be longer than zero")
    return total


def _check_timebox(value: str) -> str:
    timebox_seconds(value)
    return value


Timebox = Annotated[str, AfterValidator(_check_timebox)]


def _check_parallelism(value: object) -> ParallelismMode | int:
    # One plain validator instead of a Literal|int union: one clear message instead of two.
    if value in ("sequential", "parallel", "iterative"):
        return value  # type: ignore[return-value]
    if type(value) is int and value >= 1:
        return value
    raise ValueError(f"must be sequential, parallel, iterative or an integer >= 1 (got {value!r})")


Parallelism = Annotated[ParallelismMode | int, PlainValidator(_check_parallelism)]
"""``sequential``: one agent at a time, in the listed order (the runtime may chain outputs, §9.5);
``parallel``: all at once; ``iterative``: loop the agents until one reports done; N: at most N at once."""


def _unique(values: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} '{value}'")
        seen.add(value)


# --- LLM and agents ------------------------------------------------------------------------------


class LlmConfig(_Strict):
    """Which Airflow connection and model to use. Unset fields inherit from the level above."""

    conn_id: Name | None = None
    model: Name | None = None
    fallback_models: list[Name] = Field(default_factory=list)

    def overlay(self, other: LlmConfig | None) -> LlmConfig:
        """This config with every field that ``other`` sets explicitly taken from ``other``."""
        if other is None:
            return self
        return self.model_copy(update={name: getattr(other, name) for name in other.model_fields_set})


class AgentConfig(_Strict):
    """One agent of a phase. In YAML either a plain name or ``{name: ..., llm: {...}}``."""

    name: Identifier
    llm: LlmConfig | None = None


def _agent_shorthand(value: object) -> object:
    return {"name": value} if isinstance(value, str) else value


AgentEntry = Annotated[AgentConfig, BeforeValidator(_agent_shorthand)]


# --- phase sections ------------------------------------------------------------------------------


class Budgets(_Strict):
    tokens: PosInt
    tool_minutes: NonNegInt
    wallclock_minutes: PosInt


class Checkpoints(_Strict):
    enabled: bool
    interval_minutes: PosInt


class Retries(_Strict):
    """Task retries with exponential backoff: delay = min(base * 2**attempt, max)."""

    max_attempts: PosInt
    backoff_base_ms: NonNegInt
    backoff_max_ms: PosInt | None = None  # the source gives none (§9.8); None = runtime default


class Qav(_Strict):
    """Question/Answer/Validate loop; ``max_iterations`` is authoritative (§9.8)."""

    enabled: bool
    max_questions: NonNegInt
    min_grounding_score: Fraction
    max_iterations: PosInt


class Gate(_Strict):
    """Gate: weighted rubric score must reach ``pass_threshold`` within ``max_attempts`` (§9.8)."""

    pass_threshold: Fraction
    max_attempts: PosInt
    auto_fix_enabled: bool
    rubric: dict[RubricName, Fraction] = Field(min_length=1)

    @field_validator("rubric")
    @classmethod
    def _weights_sum_to_one(cls, rubric: dict[str, float]) -> dict[str, float]:
        total = math.fsum(rubric.values())
        if abs(total - 1.0) > RUBRIC_WEIGHT_TOLERANCE:
            raise ValueError(f"weights sum to {total:.9g}, must be 1.0 (±1e-6)")
        return rubric


class Artifact(_Strict):
    type: Identifier
    optional: bool = False
    json_schema: Name | None = None


# --- guards --------------------------------------------------------------------------------------
# Rule: a *hard* guard blocks the gate when it fails, whatever the weighted score; a soft guard only
# feeds its rubric. Hard by default are the guards whose failure means the output is broken or unsafe
# and that no score can compensate: contradictions, compilation, cve_count, secrets_detected. Any
# guard may be made hard with `hard: true`; cve_count and secrets_detected can never be made soft
# (critical CVEs and secrets are never waivable, requirements §7).

HARD_GUARD_TYPES = frozenset({"contradictions", "compilation", "cve_count", "secrets_detected"})
ALWAYS_HARD_GUARD_TYPES = frozenset({"cve_count", "secrets_detected"})


class _Guard(_Strict):
    hard: bool = False
    description: str | None = None


class _HardGuard(_Guard):
    hard: bool = True


class _AlwaysHardGuard(_HardGuard):
    @field_validator("hard")
    @classmethod
    def _stay_hard(cls, hard: bool) -> bool:
        if not hard:
            raise ValueError("this guard is always hard: critical CVEs and secrets are never waivable")
        return hard


class ScoreGuard(_Guard):
    type: Literal[
        "clarity",
        "feasibility",
        "financial_viability",
        "scalability",
        "sbom_completeness",
        "design_consistency",
        "brand_compliance",
        "deployment_health",
    ]
    min_score: Fraction


class PassRateGuard(_Guard):
    type: Literal["acceptance_tests", "test_pass_rate"]
    min_pass_rate: Fraction


class RequiredFieldsGuard(_Guard):
    type: Literal["completeness", "release_completeness"]
    required_fields: list[Name] = Field(min_length=1)


class RiskCoverageGuard(_Guard):
    type: Literal["risk_coverage"]
    min_risks: NonNegInt
    required_categories: list[Name] = Field(default_factory=list)


class AssumptionValidationGuard(_Guard):
    type: Literal["assumption_validation"]
    min_challenged: NonNegInt


class ContradictionsGuard(_HardGuard):
    type: Literal["contradictions"]
    max_contradictions: NonNegInt = 0


class CoverageGuard(_Guard):
    type: Literal["coverage"]
    min_stories: NonNegInt
    min_nfrs: NonNegInt


class SecurityControlsGuard(_Guard):
    type: Literal["security"]
    min_controls: NonNegInt


class CompilationGuard(_HardGuard):
    type: Literal["compilation"]
    must_compile: bool = True


class TestCoverageGuard(_Guard):
    type: Literal["test_coverage"]
    min_percent: Annotated[float, Field(ge=0, le=100)]


class LintGuard(_Guard):
    type: Literal["lint"]
    max_errors: NonNegInt
    max_warnings: NonNegInt


class CveCountGuard(_AlwaysHardGuard):
    type: Literal["cve_count"]
    max_critical: NonNegInt = 0
    max_high: NonNegInt
    max_medium: NonNegInt


class SecretsGuard(_AlwaysHardGuard):
    type: Literal["secrets_detected"]
    max_secrets: NonNegInt = 0


class StoryCompletionGuard(_Guard):
    type: Literal["story_completion"]
    min_stories: NonNegInt


class PerformanceGuard(_Guard):
    type: Literal["performance"]
    max_latency_ms: PosInt
    min_throughput_rps: NonNegFloat


class AccessibilityGuard(_Guard):
    type: Literal["accessibility"]
    wcag_level: Literal["A", "AA", "AAA"]
    max_violations: NonNegInt = 0


class ResponsiveDesignGuard(_Guard):
    type: Literal["responsive_design"]
    breakpoints: list[Name] = Field(min_length=1)


class VersionValidationGuard(_Guard):
    type: Literal["version_validation"]
    scheme: Literal["semver"] = "semver"


class MonitoringGuard(_Guard):
    type: Literal["monitoring"]
    required_metrics: list[Name] = Field(min_length=1)


class CanaryValidationGuard(_Guard):
    type: Literal["canary_validation"]
    duration_minutes: PosInt
    max_error_rate: Fraction


Guard = Annotated[
    ScoreGuard
    | PassRateGuard
    | RequiredFieldsGuard
    | RiskCoverageGuard
    | AssumptionValidationGuard
    | ContradictionsGuard
    | CoverageGuard
    | SecurityControlsGuard
    | CompilationGuard
    | TestCoverageGuard
    | LintGuard
    | CveCountGuard
    | SecretsGuard
    | StoryCompletionGuard
    | PerformanceGuard
    | AccessibilityGuard
    | ResponsiveDesignGuard
    | VersionValidationGuard
    | MonitoringGuard
    | CanaryValidationGuard,
    Field(discriminator="type"),
]
"""A typed guard entry: ``type`` picks the model. See the hard/soft rule above :data:`HARD_GUARD_TYPES`."""


# --- phase ---------------------------------------------------------------------------------------


class PhaseConfig(_Strict):
    """One phase, from ``config/phases/<id>.yaml``.

    ``heartbeat_seconds``, ``stall_threshold_heartbeats``, ``timebox`` and ``llm`` are optional and
    fall back to ``pipeline.yaml`` (use the ``effective_*`` accessors of :class:`ProjectConfig`).
    Guards are hard (block the gate on failure) or soft (feed the rubric score only); contradictions,
    compilation, cve_count and secrets_detected are hard by default, the last two always.
    """

    id: PhaseId
    description: str | None = None
    agents: list[AgentEntry] = Field(min_length=1)
    parallelism: Parallelism
    aggregation: Aggregation
    budgets: Budgets
    checkpoints: Checkpoints
    retries: Retries
    guards: list[Guard]
    gate: Gate
    qav: Qav
    artifacts: list[Artifact] = Field(min_length=1)
    dependencies: list[PhaseId]
    heartbeat_seconds: PosInt | None = None
    stall_threshold_heartbeats: PosInt | None = None
    timebox: Timebox | None = None
    llm: LlmConfig | None = None

    @field_validator("agents")
    @classmethod
    def _unique_agents(cls, agents: list[AgentConfig]) -> list[AgentConfig]:
        _unique([agent.name for agent in agents], "agent")
        return agents

    @field_validator("artifacts")
    @classmethod
    def _unique_artifacts(cls, artifacts: list[Artifact]) -> list[Artifact]:
        _unique([artifact.type for artifact in artifacts], "artifact type")
        return artifacts

    @field_validator("dependencies")
    @classmethod
    def _sane_dependencies(cls, dependencies: list[str], info: ValidationInfo) -> list[str]:
        _unique(dependencies, "dependency")
        if info.data.get("id") in dependencies:
            raise ValueError(f"phase '{info.data['id']}' depends on itself")
        return dependencies

    @property
    def agent_names(self) -> list[str]:
        return [agent.name for agent in self.agents]

    @property
    def timebox_seconds(self) -> int | None:
        """The phase's own timebox in seconds, or None to use the pipeline default."""
        return None if self.timebox is None else timebox_seconds(self.timebox)

    def agent(self, name: str) -> AgentConfig:
        for agent in self.agents:
            if agent.name == name:
                return agent
        raise KeyError(f"phase '{self.id}' has no agent '{name}'")


# --- pipeline ------------------------------------------------------------------------------------


class PhaseDefaults(_Strict):
    heartbeat_seconds: PosInt
    stall_threshold_heartbeats: PosInt
    timebox: Timebox


class RunSettings(_Strict):
    total_timeout_hours: Annotated[float, Field(gt=0)]
    budget_usd: NonNegFloat | None = None


class ModelPrice(_Strict):
    """USD per million input and output tokens."""

    input_per_mtok: NonNegFloat
    output_per_mtok: NonNegFloat


class PipelineConfig(_Strict):
    """``config/pipeline.yaml``: the ordered phase list, phase defaults, run limits and prices."""

    version: SemVer
    phases: list[PhaseId] = Field(min_length=1)
    defaults: PhaseDefaults
    run: RunSettings
    pricing: dict[Name, ModelPrice] = Field(default_factory=dict)
    llm: LlmConfig = Field(default_factory=LlmConfig)

    @field_validator("phases")
    @classmethod
    def _unique_phases(cls, phases: list[str]) -> list[str]:
        _unique(phases, "phase")
        return phases


# --- dependency graph ----------------------------------------------------------------------------


def find_cycles(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Every dependency cycle, as ``[a, b, ..., a]`` (a depends on b ...), in a deterministic order.

    One cycle per strongly connected component, found from its earliest node in the mapping's order;
    edges to nodes outside ``graph`` are ignored.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan; depth is bounded by the number of phases
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in graph[node]:
            if dep not in graph:
                continue
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                components.append(component)

    for node in graph:
        if node not in index:
            visit(node)
    order = list(graph)
    cycles = [_cycle_path(graph, component, order) for component in components]
    return sorted(cycles, key=lambda cycle: order.index(cycle[0]))


def _cycle_path(graph: Mapping[str, Sequence[str]], component: set[str], order: list[str]) -> list[str]:
    start = min(component, key=order.index)
    path, node = [start], start
    while True:  # follow the first in-component edge until a node repeats
        node = next(dep for dep in graph[node] if dep in component)
        if node in path:
            return [*path[path.index(node) :], node]
        path.append(node)


class ProjectConfig(_Strict):
    """The pipeline plus its phases in pipeline order; consistent by construction."""

    pipeline: PipelineConfig
    phases: list[PhaseConfig]

    @model_validator(mode="after")
    def _consistent(self) -> ProjectConfig:
        ids = [phase.id for phase in self.phases]
        if ids != self.pipeline.phases:
            raise ValueError(f"phases {ids} do not match pipeline.phases {self.pipeline.phases}")
        for phase in self.phases:
            unknown = [dep for dep in phase.dependencies if dep not in ids]
            if unknown:
                raise ValueError(f"phase '{phase.id}' depends on unknown phases {unknown}")
        cycles = find_cycles(self.graph())
        if cycles:
            raise ValueError("dependency cycle: " + " -> ".join(cycles[0]))
        return self

    @property
    def phase_ids(self) -> list[str]:
        return [phase.id for phase in self.phases]

    def phase(self, name: str) -> PhaseConfig:
        for phase in self.phases:
            if phase.id == name:
                return phase
        raise KeyError(f"no phase '{name}'")

    def graph(self) -> dict[str, list[str]]:
        """Phase id -> the phase ids it depends on, in pipeline order."""
        return {phase.id: list(phase.dependencies) for phase in self.phases}

    def topological_order(self) -> list[str]:
        """Dependencies first; ties broken by position in ``pipeline.phases`` (deterministic)."""
        position = {name: i for i, name in enumerate(self.phase_ids)}
        waiting = {phase.id: len(phase.dependencies) for phase in self.phases}
        dependents: dict[str, list[str]] = {name: [] for name in position}
        for phase in self.phases:
            for dep in phase.dependencies:
                dependents[dep].append(phase.id)
        ready = [position[name] for name, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            name = self.phase_ids[heapq.heappop(ready)]
            order.append(name)
            for dependent in dependents[name]:
                waiting[dependent] -= 1
                if waiting[dependent] == 0:
                    heapq.heappush(ready, position[dependent])
        return order

    def levels(self) -> list[list[str]]:
        """Phases grouped by longest dependency chain; each group can run in parallel after the last."""
        level: dict[str, int] = {}
        for name in self.topological_order():
            deps = self.phase(name).dependencies
            level[name] = 1 + max((level[dep] for dep in deps), default=-1)
        groups: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
        for name in self.phase_ids:
            groups[level[name]].append(name)
        return groups

    def _get(self, phase: str | PhaseConfig) -> PhaseConfig:
        return self.phase(phase) if isinstance(phase, str) else phase

    def effective_heartbeat_seconds(self, phase: str | PhaseConfig) -> int:
        value = self._get(phase).heartbeat_seconds
        return self.pipeline.defaults.heartbeat_seconds if value is None else value

    def effective_stall_threshold_heartbeats(self, phase: str | PhaseConfig) -> int:
        value = self._get(phase).stall_threshold_heartbeats
        return self.pipeline.defaults.stall_threshold_heartbeats if value is None else value

    def effective_stall_seconds(self, phase: str | PhaseConfig) -> int:
        """Silence after which a task of the phase counts as stalled (heartbeat x threshold)."""
        return self.effective_heartbeat_seconds(phase) * self.effective_stall_threshold_heartbeats(phase)

    def effective_timebox(self, phase: str | PhaseConfig) -> str:
        value = self._get(phase).timebox
        return self.pipeline.defaults.timebox if value is None else value

    def effective_timebox_seconds(self, phase: str | PhaseConfig) -> int:
        return timebox_seconds(self.effective_timebox(phase))

    def effective_llm(self, phase: str | PhaseConfig, agent: str | None = None) -> LlmConfig:
        """Pipeline ``llm``, overlaid by the phase's, overlaid by the agent's (explicit keys win)."""
        resolved = self._get(phase)
        merged = self.pipeline.llm.overlay(resolved.llm)
        return merged if agent is None else merged.overlay(resolved.agent(agent).llm)


def _all_models(root: type[BaseModel] = _Strict) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for sub in root.__subclasses__():
        found += [sub, *_all_models(sub)]
    return found


def config_vocabulary() -> frozenset[str]:
    """Every key and closed-set value the config accepts; used for did-you-mean hints."""
    words: set[str] = set()
    for model in _all_models():
        words.update(model.model_fields)
        type_field = model.model_fields.get("type")
        if type_field is not None:
            words.update(getattr(type_field.annotation, "__args__", ()))
    words.update(RubricName.__args__)
    words.update(Aggregation.__args__)
    words.update(ParallelismMode.__args__)
    return frozenset(word for word in words if isinstance(word, str))
