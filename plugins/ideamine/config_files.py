"""Read ``config/`` from disk: ``pipeline.yaml`` plus one ``phases/<id>.yaml`` per phase.

The thin I/O shell around ``ideamine.core.config_parse``: it reads bytes, names files, and checks
what only the directory can tell (missing files, file name vs. phase id). :func:`lint` reports every
error in every file in one pass; :func:`load_project` raises them all as one ``ConfigErrors``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ideamine.core.config import KNOWN_PHASES, PhaseConfig, PipelineConfig, ProjectConfig
from ideamine.core.config_parse import (
    LineMap,
    check_project,
    errors_of,
    parse_phase_with_lines,
    parse_pipeline_with_lines,
)
from ideamine.errors import ConfigError, ConfigErrors

CONFIG_DIR_ENV = "IDEAMINE_CONFIG_DIR"
PIPELINE_FILE = "pipeline.yaml"
PHASES_DIR = "phases"


def default_config_dir() -> Path:
    """``$IDEAMINE_CONFIG_DIR``, else the repository's ``config/`` next to ``plugins/``, else ``./config``."""
    from_env = os.environ.get(CONFIG_DIR_ENV)
    if from_env:
        return Path(from_env)
    in_repo = Path(__file__).resolve().parents[2] / "config"
    return in_repo if in_repo.is_dir() else Path("config")


def lint(config_dir: Path) -> list[ConfigError]:
    """Every error in every file under ``config_dir``; empty when the configuration is valid."""
    return _load(config_dir)[1]


def load_project(config_dir: Path) -> ProjectConfig:
    """The validated project configuration. Raises ``ConfigErrors`` with every error found."""
    project, errors = _load(config_dir)
    if errors or project is None:
        raise ConfigErrors(errors or [ConfigError("configuration is incomplete", file=_name(config_dir))])
    return project


def lint_main(config_dir: Path | None = None) -> int:
    """CLI body: print ``file:line: field: message`` per error to stderr; 0 when clean, else 1."""
    config_dir = default_config_dir() if config_dir is None else config_dir
    project, errors = _load(config_dir)
    for error in errors:
        print(error, file=sys.stderr)
    if errors or project is None:
        print(f"{len(errors)} error(s) in {_name(config_dir)}", file=sys.stderr)
        return 1
    print(f"OK: {len(project.phases)} phase files, {PIPELINE_FILE} ({_name(config_dir)})")
    return 0


def _load(config_dir: Path) -> tuple[ProjectConfig | None, list[ConfigError]]:
    if not config_dir.is_dir():
        return None, [ConfigError("configuration directory not found", file=_name(config_dir))]
    errors: list[ConfigError] = []
    pipeline_path = config_dir / PIPELINE_FILE
    pipeline: PipelineConfig | None = None
    pipeline_lines: LineMap = {}
    try:
        pipeline, pipeline_lines = parse_pipeline_with_lines(_read(pipeline_path), _name(pipeline_path))
    except ConfigError as exc:
        errors += errors_of(exc)

    phases_dir = config_dir / PHASES_DIR
    phases: dict[str, tuple[PhaseConfig, str, LineMap]] = {}
    present: set[str] = set()
    if not phases_dir.is_dir():
        errors.append(ConfigError("phase directory not found", file=_name(phases_dir)))
    else:
        for path in sorted(phases_dir.iterdir()):
            if path.suffix == ".yml":  # would be silently ignored otherwise
                errors.append(ConfigError("phase files must end in .yaml; rename it", file=_name(path)))
            if path.suffix != ".yaml" or not path.is_file():
                continue
            present.add(path.stem)
            try:
                phase, lines = parse_phase_with_lines(_read(path), _name(path))
            except ConfigError as exc:
                errors += errors_of(exc)
                continue
            if phase.id != path.stem:
                message = f"phase id '{phase.id}' must match the file name '{path.stem}'"
                errors.append(ConfigError(message, file=_name(path), line=lines.get(("id",)), field="id"))
                continue
            phases[phase.id] = (phase, _name(path), lines)
        errors += _missing(pipeline, pipeline_lines, present, pipeline_path, phases_dir)

    errors += check_project(
        pipeline, phases, pipeline_file=_name(pipeline_path), pipeline_lines=pipeline_lines
    )
    if errors or pipeline is None:
        return None, errors
    try:
        return ProjectConfig(pipeline=pipeline, phases=[phases[name][0] for name in pipeline.phases]), []
    except (ValueError, KeyError) as exc:  # unreachable after check_project; kept as a ConfigError
        return None, [ConfigError(f"inconsistent configuration: {exc}", file=_name(config_dir))]


def _missing(
    pipeline: PipelineConfig | None, lines: LineMap, present: set[str], pipeline_path: Path, phases_dir: Path
) -> list[ConfigError]:
    """One error per listed phase without a file: at its pipeline.yaml line, else at the directory."""
    wanted = pipeline.phases if pipeline is not None else list(KNOWN_PHASES)
    errors: list[ConfigError] = []
    for i, name in enumerate(wanted):
        if name in present:
            continue
        message = f"no phase file for '{name}' in {_name(phases_dir)}/ (expected {name}.yaml)"
        if pipeline is not None:
            where = {"file": _name(pipeline_path), "line": lines.get(("phases", i)), "field": f"phases[{i}]"}
            errors.append(ConfigError(message, **where))
        else:
            errors.append(ConfigError(message, file=_name(phases_dir)))
    return errors


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigErrors([ConfigError("file not found", file=_name(path))]) from None
    except OSError as exc:
        raise ConfigErrors([ConfigError(f"cannot read file: {exc.strerror}", file=_name(path))]) from None


def _name(path: Path) -> str:
    """The path as the user should see it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)
