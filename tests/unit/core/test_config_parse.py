"""YAML text to models: every error carries the file, the line and the field."""

from __future__ import annotations

import pytest
from ideamine.core.config import PhaseConfig
from ideamine.core.config_parse import (
    LineMap,
    check_project,
    errors_of,
    parse_phase,
    parse_phase_with_lines,
    parse_pipeline,
    parse_pipeline_with_lines,
)
from ideamine.errors import ConfigError, ConfigErrors

FILE = "config/phases/demo.yaml"

PHASE = """\
# a small but complete phase
id: demo
agents: [PlanAgent, {name: WriteAgent, llm: {model: offline}}]
parallelism: parallel
aggregation: merge
timebox: PT45M
budgets: {tokens: 1000, tool_minutes: 1, wallclock_minutes: 5}
checkpoints: {enabled: true, interval_minutes: 2}
retries: {max_attempts: 3, backoff_base_ms: 1000}
guards:
  - {type: clarity, min_score: 0.7}
  - {type: contradictions}
gate:
  pass_threshold: 0.75
  max_attempts: 3
  auto_fix_enabled: true
  rubric:
    clarity: 0.6
    grounding: 0.4
qav: {enabled: true, max_questions: 5, min_grounding_score: 0.75, max_iterations: 3}
artifacts:
  - {type: Plan}
dependencies: [intake]
"""

PIPELINE = """\
version: "1.0.0"
phases: [a, b, c]
defaults: {heartbeat_seconds: 60, stall_threshold_heartbeats: 3, timebox: PT2H}
run: {total_timeout_hours: 50, budget_usd: null}
llm: {conn_id: ideamine_llm}
pricing:
  offline: {input_per_mtok: 0, output_per_mtok: 0}
"""


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def all_errors(text: str | bytes, file: str = FILE) -> list[ConfigError]:
    try:
        parse_phase(text, file)
    except ConfigErrors as exc:
        return exc.errors
    raise AssertionError("expected ConfigErrors")


def only_error(text: str | bytes) -> ConfigError:
    errors = all_errors(text)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def test_valid_phase_parses() -> None:
    cfg = parse_phase(PHASE, FILE)
    assert cfg.id == "demo"
    assert cfg.timebox_seconds == 2700
    assert cfg.guards[1].hard is True
    assert parse_phase(PHASE.encode(), FILE) == cfg


def test_line_map_points_at_keys_and_items() -> None:
    _, lines = parse_phase_with_lines(PHASE, FILE)
    assert lines[()] == 2
    assert lines[("gate", "rubric", "grounding")] == line_of(PHASE, "grounding: 0.4")
    assert lines[("guards", 1)] == line_of(PHASE, "type: contradictions")
    assert lines[("agents", 1, "llm", "model")] == line_of(PHASE, "WriteAgent")


def test_unknown_key() -> None:
    text = PHASE.replace("  max_attempts: 3\n", "  max_attempts: 3\n  max_attempt: 3\n")
    err = only_error(text)
    assert (err.file, err.line, err.field) == (FILE, line_of(text, "max_attempt: 3"), "gate.max_attempt")
    assert "unknown key 'max_attempt'" in err.message
    assert "did you mean 'max_attempts'" in err.message


@pytest.mark.parametrize(
    ("old", "new", "field", "phrase"),
    [
        ("  max_attempts: 3\n", '  max_attempts: "3"\n', "gate.max_attempts", "write it without quotes"),
        ("pass_threshold: 0.75", "pass_threshold: high", "gate.pass_threshold", "valid number (got 'high')"),
        ("auto_fix_enabled: true", "auto_fix_enabled: 1", "gate.auto_fix_enabled", "valid boolean"),
        ("tokens: 1000", "tokens: 10k", "budgets.tokens", "valid integer"),
        ("min_score: 0.7", "min_score: 7", "guards[0].min_score", "less than or equal to 1"),
        ("parallelism: parallel", "parallelism: partial", "parallelism", "integer >= 1"),
        ("aggregation: merge", "aggregation: custom", "aggregation", "'merge', 'concat' or 'vote'"),
        ("- {type: Plan}", "- Plan", "artifacts[0]", "must be a mapping"),
    ],
)
def test_wrong_type(old: str, new: str, field: str, phrase: str) -> None:
    text = PHASE.replace(old, new)
    err = only_error(text)
    assert (err.file, err.line, err.field) == (FILE, line_of(text, new.strip()), field)
    assert phrase in err.message


def test_missing_key_points_at_its_parent() -> None:
    text = PHASE.replace("  auto_fix_enabled: true\n", "")
    err = only_error(text)
    assert (err.line, err.field) == (line_of(text, "gate:"), "gate.auto_fix_enabled")
    assert err.message == "required key 'auto_fix_enabled' is missing"


def test_missing_top_level_key() -> None:
    text = PHASE.replace("aggregation: merge\n", "")
    err = only_error(text)
    assert (err.line, err.field) == (2, "aggregation")


def test_guard_errors_name_the_guard_fields() -> None:
    text = PHASE.replace("{type: clarity, min_score: 0.7}", "{type: clarty, min_score: 0.7}")
    err = only_error(text)
    assert (err.line, err.field) == (line_of(text, "clarty"), "guards[0].type")
    assert "did you mean 'clarity'" in err.message

    text = PHASE.replace("{type: clarity, min_score: 0.7}", "{type: clarity, min: 0.7}")
    assert {(e.line, e.field) for e in all_errors(text)} == {
        (line_of(text, "min: 0.7"), "guards[0].min"),
        (line_of(text, "min: 0.7"), "guards[0].min_score"),
    }


@pytest.mark.parametrize(
    ("grounding", "ok"), [("0.3999999", True), ("0.4", True), ("0.39", False), ("0.5", False)]
)
def test_rubric_weights_must_sum_to_one(grounding: str, ok: bool) -> None:
    text = PHASE.replace("grounding: 0.4", f"grounding: {grounding}")
    if ok:
        parse_phase(text, FILE)
        return
    err = only_error(text)
    assert (err.file, err.line, err.field) == (FILE, line_of(text, "rubric:"), "gate.rubric")
    total = 0.6 + float(grounding)
    assert err.message == f"weights sum to {total:.9g}, must be 1.0 (±1e-6)"
    assert str(err) == f"{FILE}:{err.line}: gate.rubric: {err.message}"


def test_unknown_rubric_name() -> None:
    text = PHASE.replace("clarity: 0.6", "clearness: 0.6")
    err = only_error(text)
    assert (err.line, err.field) == (line_of(text, "clearness"), "gate.rubric.clearness")


def test_duplicate_key() -> None:
    text = PHASE.replace("  max_attempts: 3\n", "  max_attempts: 3\n  max_attempts: 4\n")
    err = only_error(text)
    assert (err.file, err.line, err.field) == (FILE, line_of(text, "max_attempts: 4"), "gate.max_attempts")
    assert f"first on line {err.line - 1}" in err.message


def test_duplicate_top_level_key() -> None:
    err = only_error(PHASE + "id: other\n")
    assert (err.line, err.field) == (len(PHASE.splitlines()) + 1, "id")


def test_yaml_syntax_error() -> None:
    text = PHASE.replace("  pass_threshold: 0.75", "  pass_threshold: [0.75")
    err = only_error(text)
    assert err.file == FILE
    assert err.line is not None
    assert err.line >= line_of(text, "pass_threshold")
    assert err.message.startswith("invalid YAML")


def test_tab_indentation_is_a_syntax_error_with_a_line() -> None:
    text = PHASE.replace("  max_attempts: 3\n", "\tmax_attempts: 3\n")
    err = only_error(text)
    assert err.line == line_of(text, "\tmax_attempts")


@pytest.mark.parametrize("timebox", ["2h", "PT", "PT0M", "P1D", "PT1.5H", "90"])
def test_bad_timebox(timebox: str) -> None:
    text = PHASE.replace("timebox: PT45M", f"timebox: {timebox}")
    err = only_error(text)
    assert (err.file, err.line, err.field) == (FILE, line_of(text, "timebox:"), "timebox")


def test_python_tags_are_refused() -> None:
    text = PHASE + "extra: !!python/object/apply:os.system [echo hi]\n"
    err = only_error(text)
    assert err.line == line_of(text, "extra:")
    assert "python" in err.message


def test_bad_explicit_tag_value() -> None:
    text = PHASE.replace("max_questions: 5", "max_questions: !!int 5x")
    err = only_error(text)
    assert err.line == line_of(text, "max_questions")


@pytest.mark.parametrize(
    ("text", "phrase"),
    [("", "empty"), ("# only a comment\n", "empty"), ("- a\n- b\n", "mapping"), ("just text\n", "mapping")],
)
def test_top_level_must_be_a_mapping(text: str, phrase: str) -> None:
    err = only_error(text)
    assert (err.file, err.line) == (FILE, 1)
    assert phrase in err.message


def test_invalid_utf8() -> None:
    err = only_error(b"id: demo\nname: caf\xe9\n")
    assert (err.line, err.message) == (2, "not valid UTF-8 (byte 18)")


def test_anchors_and_merge_keys_are_allowed() -> None:
    text = PHASE.replace(
        "checkpoints: {enabled: true, interval_minutes: 2}",
        "checkpoints: &ck {enabled: true, interval_minutes: 2}",
    ).replace("qav: {enabled: true,", "qav: {<<: {enabled: true}, ")
    assert parse_phase(text, FILE).qav.enabled is True


def test_errors_under_an_alias_point_at_the_alias_key() -> None:
    text = "bad: &b {interval_minutes: x, enabled: true}\n" + PHASE.replace(
        "checkpoints: {enabled: true, interval_minutes: 2}", "checkpoints: *b"
    )
    errors = all_errors(text)
    assert [(e.line, e.field) for e in errors] == [
        (1, "bad"),
        (line_of(text, "checkpoints: *b"), "checkpoints.interval_minutes"),
    ]


def test_self_referencing_alias_and_alias_bombs() -> None:
    assert "own anchor" in only_error(PHASE + "x: &r [*r]\n").message
    bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcde", "bcdef", strict=True)
    )
    assert "too large" in only_error(bomb).message


def test_deep_nesting_is_a_config_error() -> None:
    err = only_error("id: " + "[" * 3000 + "]" * 3000)
    assert "nested too deeply" in err.message


def test_all_errors_of_a_file_are_reported_in_line_order() -> None:
    text = (
        PHASE.replace("tokens: 1000", "tokens: lots")
        .replace("pass_threshold: 0.75", "pass_threshold: high")
        .replace("max_iterations: 3", "max_iterations: 0")
    )
    errors = all_errors(text)
    assert [e.field for e in errors] == ["budgets.tokens", "gate.pass_threshold", "qav.max_iterations"]
    assert [e.line for e in errors] == sorted(e.line or 0 for e in errors)


def test_errors_of() -> None:
    single = ConfigError("x", file="f")
    assert errors_of(single) == [single]
    assert errors_of(ConfigErrors([single, single])) == [single, single]


# --- pipeline ------------------------------------------------------------------------------------


def test_valid_pipeline_parses() -> None:
    pipeline = parse_pipeline(PIPELINE, "config/pipeline.yaml")
    assert pipeline.phases == ["a", "b", "c"]
    assert pipeline.pricing["offline"].input_per_mtok == 0


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("phases: [a, b, c]", "phases: [a, b, a]", "phases"),
        ("budget_usd: null", "budget_usd: ten", "run.budget_usd"),
        ('version: "1.0.0"', "version: 1.0", "version"),
        ("timebox: PT2H", "timebox: 2 hours", "defaults.timebox"),
        ("output_per_mtok: 0}", "output_per_mtok: -1}", "pricing.offline.output_per_mtok"),
    ],
)
def test_pipeline_errors(old: str, new: str, field: str) -> None:
    text = PIPELINE.replace(old, new)
    with pytest.raises(ConfigErrors) as info:
        parse_pipeline(text, "config/pipeline.yaml")
    [err] = info.value.errors
    assert (err.file, err.line, err.field) == (
        "config/pipeline.yaml",
        line_of(text, new.split(":")[0]),
        field,
    )


# --- cross-file checks ---------------------------------------------------------------------------


def phase_entry(name: str, deps: str) -> tuple[PhaseConfig, str, LineMap]:
    text = PHASE.replace("id: demo", f"id: {name}").replace(
        "dependencies: [intake]", f"dependencies:\n{deps}"
    )
    cfg, lines = parse_phase_with_lines(text, f"config/phases/{name}.yaml")
    return cfg, f"config/phases/{name}.yaml", lines


def test_check_project_clean() -> None:
    pipeline = parse_pipeline(PIPELINE, "p.yaml")
    phases = {"a": phase_entry("a", "  []"), "b": phase_entry("b", "  - a"), "c": phase_entry("c", "  - b")}
    assert check_project(pipeline, phases) == []


def test_dangling_dependency_names_the_dependency_line() -> None:
    pipeline = parse_pipeline(PIPELINE, "p.yaml")
    phases = {
        "a": phase_entry("a", "  []"),
        "b": phase_entry("b", "  - a\n  - zz"),
        "c": phase_entry("c", "  - bb"),
    }
    errors = check_project(pipeline, phases)
    b_deps = line_of(PHASE, "dependencies") + 2  # "- zz" is the second item under "dependencies:"
    assert [(e.file, e.line, e.field) for e in errors] == [
        ("config/phases/b.yaml", b_deps, "dependencies[1]"),
        ("config/phases/c.yaml", b_deps - 1, "dependencies[0]"),
    ]
    assert errors[0].message == "depends on unknown phase 'zz'"
    assert "did you mean 'b'" in errors[1].message


def test_cycle_names_its_phases_and_a_dependency_line() -> None:
    pipeline = parse_pipeline(PIPELINE, "p.yaml")
    phases = {"a": phase_entry("a", "  - c"), "b": phase_entry("b", "  - a"), "c": phase_entry("c", "  - b")}
    [err] = check_project(pipeline, phases)
    assert err.message == "dependency cycle: a -> c -> b -> a"
    assert (err.file, err.line, err.field) == (
        "config/phases/a.yaml",
        line_of(PHASE, "dependencies") + 1,
        "dependencies[0]",
    )


def test_phase_not_in_pipeline_is_an_error() -> None:
    pipeline = parse_pipeline(PIPELINE, "p.yaml")
    phases = {"a": phase_entry("a", "  []"), "x": phase_entry("x", "  - a")}
    [err] = check_project(pipeline, phases)
    assert (err.file, err.line, err.field) == ("config/phases/x.yaml", line_of(PHASE, "id: demo"), "id")
    assert "not listed" in err.message


def test_without_a_pipeline_the_known_phases_are_used() -> None:
    phases = {"intake": phase_entry("intake", "  []"), "ideation": phase_entry("ideation", "  - intake")}
    assert check_project(None, phases) == []
    assert len(check_project(None, {"ideation": phase_entry("ideation", "  - nope")})) == 1


def test_models_need_prices_when_there_is_a_usd_budget() -> None:
    text = PIPELINE.replace("budget_usd: null", "budget_usd: 25").replace(
        "llm: {conn_id: ideamine_llm}", "llm: {conn_id: ideamine_llm, model: fancy}"
    )
    pipeline, lines = parse_pipeline_with_lines(text, "p.yaml")
    phases = {"a": phase_entry("a", "  []")}  # its WriteAgent uses `offline`, which is priced
    [err] = check_project(pipeline, phases, pipeline_file="p.yaml", pipeline_lines=lines)
    assert (err.file, err.line, err.field) == ("p.yaml", line_of(text, "fancy"), "llm.model")
    assert check_project(parse_pipeline(PIPELINE.replace("offline:", "other:"), "p.yaml"), phases) == []
