"""The config models on their own: strictness, normalisation, guards, graph helpers, defaults."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ideamine.core.config import (
    KNOWN_PHASES,
    CveCountGuard,
    LlmConfig,
    PhaseConfig,
    PipelineConfig,
    ProjectConfig,
    find_cycles,
    timebox_seconds,
)
from pydantic import ValidationError

PHASE: dict[str, Any] = {
    "id": "demo",
    "agents": ["PlanAgent", {"name": "WriteAgent", "llm": {"model": "offline"}}],
    "parallelism": "parallel",
    "aggregation": "merge",
    "budgets": {"tokens": 1000, "tool_minutes": 1, "wallclock_minutes": 5},
    "checkpoints": {"enabled": True, "interval_minutes": 2},
    "retries": {"max_attempts": 3, "backoff_base_ms": 1000},
    "guards": [{"type": "clarity", "min_score": 0.7}],
    "gate": {
        "pass_threshold": 0.75,
        "max_attempts": 3,
        "auto_fix_enabled": True,
        "rubric": {"clarity": 0.6, "grounding": 0.4},
    },
    "qav": {"enabled": True, "max_questions": 5, "min_grounding_score": 0.75, "max_iterations": 3},
    "artifacts": [{"type": "Plan"}],
    "dependencies": [],
}

PIPELINE: dict[str, Any] = {
    "version": "1.0.0",
    "phases": ["a", "b", "c", "d"],
    "defaults": {"heartbeat_seconds": 60, "stall_threshold_heartbeats": 3, "timebox": "PT2H"},
    "run": {"total_timeout_hours": 50, "budget_usd": None},
    "llm": {"conn_id": "ideamine_llm", "model": "big"},
}


def phase(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(PHASE)
    data.update(changes)
    return data


def project(deps: dict[str, list[str]], **phase_changes: Any) -> ProjectConfig:
    pipeline = PipelineConfig.model_validate({**PIPELINE, "phases": list(deps)})
    phases = [
        PhaseConfig.model_validate(phase(id=name, dependencies=d, **phase_changes))
        for name, d in deps.items()
    ]
    return ProjectConfig(pipeline=pipeline, phases=phases)


def error_locs(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as info:
        PhaseConfig.model_validate(data)
    return [tuple(e["loc"]) for e in info.value.errors()]


def test_valid_phase_and_agent_shorthand() -> None:
    cfg = PhaseConfig.model_validate(PHASE)
    assert cfg.agent_names == ["PlanAgent", "WriteAgent"]
    assert cfg.agents[0].llm is None
    assert cfg.agent("WriteAgent").llm == LlmConfig(model="offline")
    assert cfg.timebox_seconds is None
    with pytest.raises(KeyError):
        cfg.agent("Nope")


@pytest.mark.parametrize("value", ["sequential", "parallel", "iterative", 1, 2, 10])
def test_parallelism_accepts(value: object) -> None:
    assert PhaseConfig.model_validate(phase(parallelism=value)).parallelism == value


@pytest.mark.parametrize("value", ["partial", "2", 0, -1, True, 1.5, None, [2]])
def test_parallelism_rejects(value: object) -> None:
    assert error_locs(phase(parallelism=value)) == [("parallelism",)]


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("retries", "max_attempts", "3"),
        ("retries", "max_attempts", True),
        ("retries", "max_attempts", 3.0),
        ("gate", "pass_threshold", "high"),
        ("gate", "pass_threshold", "0.8"),
        ("gate", "pass_threshold", 1.5),
        ("gate", "auto_fix_enabled", "yes"),
        ("budgets", "tokens", 0),
        ("qav", "min_grounding_score", float("nan")),
    ],
)
def test_strict_types_no_coercion(section: str, key: str, value: object) -> None:
    data = phase()
    data[section] = {**data[section], key: value}
    assert error_locs(data) == [(section, key)]


def test_int_is_accepted_where_a_float_is_expected() -> None:
    data = phase()
    data["gate"] = {**data["gate"], "pass_threshold": 1, "rubric": {"grounding": 1}}
    assert PhaseConfig.model_validate(data).gate.pass_threshold == 1.0


def test_unknown_keys_are_rejected_at_every_level() -> None:
    data = phase(extra=1)
    data["gate"] = {**data["gate"], "rubrics": {}}
    assert error_locs(data) == [("gate", "rubrics"), ("extra",)]


@pytest.mark.parametrize(
    ("weights", "ok"), [((0.6, 0.4), True), ((0.5, 0.4999999), True), ((0.6, 0.39), False)]
)
def test_rubric_weights_sum_to_one_within_tolerance(weights: tuple[float, float], ok: bool) -> None:
    data = phase()
    data["gate"] = {**data["gate"], "rubric": dict(zip(["clarity", "grounding"], weights, strict=True))}
    if ok:
        PhaseConfig.model_validate(data)
    else:
        assert error_locs(data) == [("gate", "rubric")]


def test_rubric_names_are_a_closed_set() -> None:
    data = phase()
    data["gate"] = {**data["gate"], "rubric": {"grouding": 1.0}}
    assert error_locs(data) == [("gate", "rubric", "grouding", "[key]")]


def test_duplicates_and_self_dependency_are_rejected() -> None:
    assert error_locs(phase(agents=["A", {"name": "A"}])) == [("agents",)]
    assert error_locs(phase(artifacts=[{"type": "X"}, {"type": "X", "optional": True}])) == [("artifacts",)]
    assert error_locs(phase(dependencies=["a", "a"])) == [("dependencies",)]
    assert error_locs(phase(dependencies=["demo"])) == [("dependencies",)]


@pytest.mark.parametrize(
    ("guard", "hard"),
    [
        ({"type": "contradictions"}, True),
        ({"type": "compilation"}, True),
        ({"type": "cve_count", "max_high": 2, "max_medium": 10}, True),
        ({"type": "secrets_detected"}, True),
        ({"type": "clarity", "min_score": 0.7}, False),
        ({"type": "clarity", "min_score": 0.7, "hard": True}, True),
        ({"type": "compilation", "hard": False}, False),
    ],
)
def test_guard_hardness(guard: dict[str, Any], hard: bool) -> None:
    assert PhaseConfig.model_validate(phase(guards=[guard])).guards[0].hard is hard


def test_cve_and_secrets_guards_cannot_be_soft() -> None:
    assert error_locs(phase(guards=[{"type": "secrets_detected", "hard": False}])) == [
        ("guards", 0, "secrets_detected", "hard")
    ]
    with pytest.raises(ValidationError):
        CveCountGuard.model_validate({"type": "cve_count", "max_high": 0, "max_medium": 0, "hard": False})


def test_guard_type_selects_the_model() -> None:
    assert error_locs(phase(guards=[{"type": "clarity", "min_percent": 70}])) == [
        ("guards", 0, "clarity", "min_score"),
        ("guards", 0, "clarity", "min_percent"),
    ]
    assert error_locs(phase(guards=[{"type": "nope"}])) == [("guards", 0)]


@pytest.mark.parametrize(
    ("text", "seconds"), [("PT1H", 3600), ("PT3H", 10800), ("PT1H30M", 5400), ("PT45M", 2700), ("PT90S", 90)]
)
def test_timebox_seconds(text: str, seconds: int) -> None:
    assert timebox_seconds(text) == seconds
    assert PhaseConfig.model_validate(phase(timebox=text)).timebox_seconds == seconds


@pytest.mark.parametrize("text", ["PT", "PT0M", "2h", "P1D", "PT1.5H", "pt1h", "PT1M1H", " PT1H"])
def test_bad_timebox(text: str) -> None:
    with pytest.raises(ValueError, match=r"ISO-8601|zero"):
        timebox_seconds(text)
    assert error_locs(phase(timebox=text)) == [("timebox",)]


def test_pipeline_model() -> None:
    pipeline = PipelineConfig.model_validate(PIPELINE)
    assert pipeline.pricing == {}
    assert pipeline.run.budget_usd is None
    with pytest.raises(ValidationError):
        PipelineConfig.model_validate({**PIPELINE, "phases": ["a", "a"]})
    with pytest.raises(ValidationError):
        PipelineConfig.model_validate({**PIPELINE, "version": 1.0})


def test_topological_order_and_levels_are_deterministic() -> None:
    # d is listed first but depends on everything; b and c only need a.
    cfg = project({"d": ["b", "c"], "c": ["a"], "b": ["a"], "a": []})
    assert cfg.topological_order() == ["a", "c", "b", "d"]
    assert cfg.levels() == [["a"], ["c", "b"], ["d"]]


def test_levels_of_the_reference_shape() -> None:
    chain = {
        name: [prev] if prev else [] for prev, name in zip([None, *KNOWN_PHASES], KNOWN_PHASES, strict=False)
    }
    chain["story-loop"] = ["build"]
    chain["qa"] = ["security", "story-loop"]
    cfg = project(chain)
    assert cfg.topological_order() == list(KNOWN_PHASES)
    assert ["security", "story-loop"] in cfg.levels()
    assert len(cfg.levels()) == 12


def test_project_rejects_cycles_and_unknown_dependencies() -> None:
    with pytest.raises(ValidationError, match="cycle"):
        project({"a": ["c"], "b": ["a"], "c": ["b"]})
    with pytest.raises(ValidationError, match="unknown"):
        project({"a": ["x"]})


def test_find_cycles() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["d"], "e": ["a", "missing"]}
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["d", "d"]]
    assert find_cycles({"a": [], "b": ["a"]}) == []


def test_effective_defaults_and_llm() -> None:
    cfg = project({"a": [], "b": ["a"]})
    assert cfg.effective_heartbeat_seconds("a") == 60
    assert cfg.effective_stall_seconds("a") == 180
    assert cfg.effective_timebox("a") == "PT2H"
    assert cfg.effective_timebox_seconds(cfg.phase("b")) == 7200
    assert cfg.effective_llm("a") == LlmConfig(conn_id="ideamine_llm", model="big")
    assert cfg.effective_llm("a", "WriteAgent") == LlmConfig(conn_id="ideamine_llm", model="offline")
    with pytest.raises(KeyError):
        cfg.phase("zzz")

    own = project({"a": []}, heartbeat_seconds=30, stall_threshold_heartbeats=5, timebox="PT45M")
    assert own.effective_stall_seconds("a") == 150
    assert own.effective_timebox_seconds("a") == 2700
