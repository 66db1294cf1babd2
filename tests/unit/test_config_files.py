"""Reading config/ from disk: the shipped files, directory-level errors and the lint entry point."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ideamine import config_files
from ideamine.config_files import default_config_dir, lint, lint_main, load_project
from ideamine.core.config import KNOWN_PHASES
from ideamine.errors import ConfigError, ConfigErrors

SHIPPED = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped config/ to break."""
    target = tmp_path / "config"
    shutil.copytree(SHIPPED / "phases", target / "phases")
    shutil.copy(SHIPPED / "pipeline.yaml", target / "pipeline.yaml")
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def same_file(reported: str, path: Path) -> bool:
    return Path(reported).resolve() == path.resolve()


def test_shipped_config_lints_clean() -> None:
    assert lint(SHIPPED) == []


def test_shipped_values_match_the_requirements() -> None:
    project = load_project(SHIPPED)
    assert project.phase_ids == list(KNOWN_PHASES)
    assert project.pipeline.version == "1.0.0"
    assert project.pipeline.run.total_timeout_hours == 50
    assert project.pipeline.llm.conn_id == "ideamine_llm"
    assert project.pipeline.pricing["offline"].output_per_mtok == 0

    build = project.phase("build")
    assert build.parallelism == 2
    assert (build.budgets.tokens, build.budgets.tool_minutes, build.budgets.wallclock_minutes) == (
        500_000,
        60,
        180,
    )
    assert [g.type for g in build.guards if g.hard] == ["compilation"]

    story = project.phase("story-loop")
    assert (story.parallelism, story.aggregation, story.qav.max_iterations) == ("iterative", "concat", 10)

    security = project.phase("security")
    assert project.effective_stall_threshold_heartbeats("security") == 5
    assert project.effective_stall_seconds("security") == 300
    assert project.effective_timebox_seconds("security") == 5400
    assert {g.type for g in security.guards if g.hard} == {"cve_count", "secrets_detected"}

    assert project.phase("qa").dependencies == ["security", "story-loop"]
    assert project.levels()[7] == ["security", "story-loop"]
    assert project.levels()[8] == ["qa"]

    prd = project.phase("prd")
    assert (prd.gate.pass_threshold, prd.gate.max_attempts) == (0.80, 5)
    assert prd.gate.rubric == {"completeness": 0.25, "consistency": 0.25, "grounding": 0.30, "coverage": 0.20}
    assert prd.agent_names == [
        "StoryCutterAgent",
        "PRDWriterAgent",
        "UXFlowAgent",
        "NFRsAgent",
        "TraceMatrixAgent",
    ]

    intake = project.phase("intake")
    assert intake.timebox == "PT1H"
    assert [a.optional for a in intake.artifacts] == [False, True]
    assert project.effective_timebox("critique") == "PT2H"
    assert project.effective_heartbeat_seconds("beta") == 60


def test_totals_match_the_requirements() -> None:
    phases = load_project(SHIPPED).phases
    assert sum(p.budgets.tokens for p in phases) == 2_375_000
    assert sum(p.budgets.tool_minutes for p in phases) == 303
    assert sum(p.budgets.wallclock_minutes for p in phases) == 850
    assert all(p.checkpoints.enabled and p.gate.auto_fix_enabled and p.qav.enabled for p in phases)


def test_stem_must_match_id(config_dir: Path) -> None:
    path = config_dir / "phases" / "beta.yaml"
    edit(path, "id: beta", "id: betaa")
    [err] = lint(config_dir)
    assert same_file(err.file, path)
    assert (err.line, err.field) == (line_of(path, "id: betaa"), "id")
    assert "match the file name" in err.message


def test_missing_phase_file(config_dir: Path) -> None:
    (config_dir / "phases" / "security.yaml").unlink()
    [err] = lint(config_dir)
    pipeline = config_dir / "pipeline.yaml"
    assert same_file(err.file, pipeline)
    assert (err.line, err.field) == (line_of(pipeline, "- security"), "phases[7]")
    assert "security.yaml" in err.message
    assert "phases/" in err.message  # names the directory


def test_missing_phase_file_without_a_pipeline_names_the_directory(config_dir: Path) -> None:
    (config_dir / "phases" / "qa.yaml").unlink()
    (config_dir / "pipeline.yaml").unlink()
    errors = lint(config_dir)
    assert len(errors) == 2
    assert same_file(errors[0].file, config_dir / "pipeline.yaml")
    assert errors[0].message == "file not found"
    assert same_file(errors[1].file, config_dir / "phases")
    assert "'qa'" in errors[1].message


def test_lint_reports_every_error_in_every_file(config_dir: Path) -> None:
    phases = config_dir / "phases"
    edit(phases / "prd.yaml", "max_attempts: 5\n  auto", 'max_attempts: "5"\n  auto')
    edit(phases / "build.yaml", "coverage: 0.2,", "coverage: 0.19,")
    edit(phases / "qa.yaml", "dependencies: [security, story-loop]", "dependencies: [security, storyloop]")
    edit(phases / "beta.yaml", "qav: {", "qav: {bogus: 1, ")
    edit(config_dir / "pipeline.yaml", "total_timeout_hours: 50", "total_timeout_hours: fifty")
    errors = lint(config_dir)
    found = {(Path(e.file).name, e.line, e.field) for e in errors}
    assert found == {
        ("prd.yaml", line_of(phases / "prd.yaml", '"5"'), "gate.max_attempts"),
        ("build.yaml", line_of(phases / "build.yaml", "rubric:"), "gate.rubric"),
        ("qa.yaml", line_of(phases / "qa.yaml", "dependencies:"), "dependencies[1]"),
        ("beta.yaml", line_of(phases / "beta.yaml", "bogus"), "qav.bogus"),
        ("pipeline.yaml", line_of(config_dir / "pipeline.yaml", "fifty"), "run.total_timeout_hours"),
    }
    with pytest.raises(ConfigErrors) as info:
        load_project(config_dir)
    assert len(info.value.errors) == len(errors)


def test_cycle_across_files(config_dir: Path) -> None:
    path = config_dir / "phases" / "intake.yaml"
    edit(path, "dependencies: []", "dependencies: [critique]")
    [err] = lint(config_dir)
    assert same_file(err.file, path)
    assert (err.line, err.field) == (line_of(path, "dependencies:"), "dependencies[0]")
    assert err.message == "dependency cycle: intake -> critique -> ideation -> intake"


def test_unlisted_phase_file_is_an_error_and_listing_it_fixes_it(config_dir: Path) -> None:
    extra = config_dir / "phases" / "docs.yaml"
    extra.write_text((config_dir / "phases" / "beta.yaml").read_text().replace("id: beta", "id: docs"))
    [err] = lint(config_dir)
    assert same_file(err.file, extra)
    assert (err.line, err.field) == (line_of(extra, "id: docs"), "id")

    edit(config_dir / "pipeline.yaml", "  - beta\n", "  - beta\n  - docs\n")
    project = load_project(config_dir)
    assert project.phase_ids[-1] == "docs"
    assert project.levels()[-1] == ["beta", "docs"]


def test_yml_files_are_flagged(config_dir: Path) -> None:
    (config_dir / "phases" / "extra.yml").write_text("id: extra\n")
    [err] = lint(config_dir)
    assert err.file.endswith("extra.yml")


def test_unreadable_bytes_and_missing_directories(config_dir: Path, tmp_path: Path) -> None:
    (config_dir / "phases" / "release.yaml").write_bytes(b"id: release\n\xff\xfe\n")
    [err] = lint(config_dir)
    assert (err.line, err.message) == (2, "not valid UTF-8 (byte 12)")

    [err] = lint(tmp_path / "nowhere")
    assert err.message == "configuration directory not found"

    shutil.rmtree(config_dir / "phases")
    [err] = lint(config_dir)
    assert err.message == "phase directory not found"


def test_lint_main_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert lint_main(SHIPPED) == 0
    out, err = capsys.readouterr()
    assert out.startswith("OK: 13 phase files, pipeline.yaml")
    assert err == ""


def test_lint_main_prints_one_error_per_line(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prd = config_dir / "phases" / "prd.yaml"
    edit(prd, "coverage: 0.20}", "coverage: 0.19}")
    edit(prd, "max_questions: 15", "max_question: 15")
    assert lint_main(config_dir) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    rubric = line_of(prd, "rubric:")
    assert lines[0].endswith(f"prd.yaml:{rubric}: gate.rubric: weights sum to 0.99, must be 1.0 (±1e-6)")
    qav = line_of(prd, "max_question:")
    assert lines[1].endswith(
        f"prd.yaml:{qav}: qav.max_question: unknown key 'max_question'; did you mean 'max_questions'?"
    )
    assert lines[2].endswith(f"prd.yaml:{qav}: qav.max_questions: required key 'max_questions' is missing")
    assert lines[3].startswith("3 error(s) in ")
    assert len(lines) == 4


def test_default_config_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(config_files.CONFIG_DIR_ENV, str(tmp_path))
    assert default_config_dir() == tmp_path
    monkeypatch.delenv(config_files.CONFIG_DIR_ENV)
    assert default_config_dir().resolve() == SHIPPED
    assert lint_main(None) == 0


def test_load_project_error_is_a_config_error(config_dir: Path) -> None:
    edit(config_dir / "phases" / "qa.yaml", "parallelism: parallel", "parallelism: partial")
    with pytest.raises(ConfigError, match=r"qa\.yaml:\d+: parallelism: must be sequential"):
        load_project(config_dir)
