"""YAML text to config models, with every error located as ``file:line: field: message``.

Pure (no file access). The text is parsed twice: ``yaml.compose`` gives the node tree, which we walk
for line numbers and duplicate keys (``safe_load`` silently keeps the last one); ``yaml.safe_load``
gives the data. A pydantic error's ``loc`` is then mapped to the line of the deepest node on that
path that exists in the file. The only exceptions raised here are ``ConfigError``/``ConfigErrors``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ideamine.core.config import (
    KNOWN_PHASES,
    LlmConfig,
    PhaseConfig,
    PipelineConfig,
    config_vocabulary,
    find_cycles,
)
from ideamine.errors import ConfigError, ConfigErrors

KeyPath = tuple[str | int, ...]
LineMap = dict[KeyPath, int]
"""Key path (mapping keys as str, sequence indexes as int) -> 1-based line; ``()`` is the document."""

MAX_EXPANDED_NODES = 100_000  # aliases can expand exponentially ("billion laughs"); configs are tiny
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VOCABULARY = sorted(config_vocabulary())
_M = TypeVar("_M", bound=BaseModel)


def parse_phase(text: str | bytes, file: str) -> PhaseConfig:
    """Parse one phase file. Raises ``ConfigErrors`` listing every problem found."""
    return parse_phase_with_lines(text, file)[0]


def parse_pipeline(text: str | bytes, file: str) -> PipelineConfig:
    """Parse ``pipeline.yaml``. Raises ``ConfigErrors`` listing every problem found."""
    return parse_pipeline_with_lines(text, file)[0]


def parse_phase_with_lines(text: str | bytes, file: str) -> tuple[PhaseConfig, LineMap]:
    """Like :func:`parse_phase`, also returning the line map that :func:`check_project` needs."""
    return _parse(PhaseConfig, text, file)


def parse_pipeline_with_lines(text: str | bytes, file: str) -> tuple[PipelineConfig, LineMap]:
    return _parse(PipelineConfig, text, file)


def errors_of(exc: ConfigError) -> list[ConfigError]:
    """The individual errors inside ``exc`` (itself, unless it is a ``ConfigErrors``)."""
    return list(exc.errors) if isinstance(exc, ConfigErrors) else [exc]


def _parse(model: type[_M], text: str | bytes, file: str) -> tuple[_M, LineMap]:
    try:
        data, lines = _load_yaml(text, file)
        try:
            return model.model_validate(data), lines
        except ValidationError as exc:
            raise ConfigErrors(_validation_errors(exc, file, data, lines)) from None
    except RecursionError:
        raise ConfigErrors([ConfigError("YAML is nested too deeply", file=file, line=None)]) from None


# --- YAML ----------------------------------------------------------------------------------------


def _load_yaml(text: str | bytes, file: str) -> tuple[dict[str, Any], LineMap]:
    """Top-level mapping and its line map. Raises ``ConfigErrors`` on any YAML-level problem."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = text[: exc.start].count(b"\n") + 1
            raise _one(f"not valid UTF-8 (byte {exc.start})", file, line) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise _one(_yaml_problem(exc), file, _yaml_line(exc, text)) from None
    if root is None:
        raise _one("file is empty; expected a mapping of keys", file, 1)
    if not isinstance(root, MappingNode):
        kind = "a list" if isinstance(root, SequenceNode) else f"the value {root.value!r:.40}"
        raise _one(f"top level must be a mapping of keys, got {kind}", file, _line(root))
    lines: LineMap = {(): _line(root)}
    problems: list[ConfigError] = []
    _walk(root, (), lines, problems, file, on_path=set(), done=set())
    if not problems and _expanded_size(root, {}) > MAX_EXPANDED_NODES:
        problems.append(ConfigError("aliases expand to too large a document", file=file, line=_line(root)))
    if problems:
        raise ConfigErrors(problems)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:  # e.g. a !!python/... tag, which safe_load refuses to construct
        raise _one(_yaml_problem(exc), file, _yaml_line(exc, text)) from None
    except Exception as exc:  # noqa: BLE001 -- a mis-tagged scalar (`!!int 12x`, `!!bool maybe`)
        # raises ValueError, KeyError, IndexError or AttributeError from PyYAML; all are user errors.
        raise _one(f"cannot read value: {exc}", file, _bad_scalar_line(root)) from None
    return data, lines


def _walk(
    node: Node,
    path: KeyPath,
    lines: LineMap,
    problems: list[ConfigError],
    file: str,
    *,
    on_path: set[int],
    done: set[int],
) -> None:
    """Record the line of every key path, flag duplicate keys and self-referencing aliases."""
    if id(node) in on_path:
        where = {"file": file, "line": _line(node), "field": _field(path)}
        problems.append(ConfigError("an alias refers to its own anchor", **where))
        return
    if id(node) in done:  # an alias to a node already walked: its path keeps the alias's line
        return
    done.add(id(node))
    on_path.add(id(node))
    if isinstance(node, MappingNode):
        seen: dict[tuple[str, str], int] = {}
        merged: list[tuple[Node, int]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.append((value_node, _line(key_node)))
                continue
            if not isinstance(key_node, ScalarNode):
                continue  # a complex key; safe_load rejects it as unhashable or pydantic as not a str
            key, line = key_node.value, _line(key_node)
            ident = (key_node.tag, key)
            if ident in seen:
                message = f"duplicate key '{key}' (first on line {seen[ident]})"
                problems.append(ConfigError(message, file=file, line=line, field=_field((*path, key))))
            else:
                seen[ident] = line
                lines[(*path, key)] = line
            _walk(value_node, (*path, key), lines, problems, file, on_path=on_path, done=done)
        for value_node, line in merged:  # `<<: *base`: merged keys point at the `<<` line
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if isinstance(source, MappingNode):
                    for key_node, _ in source.value:
                        if isinstance(key_node, ScalarNode):
                            lines.setdefault((*path, key_node.value), line)
            _walk(value_node, path, {}, problems, file, on_path=on_path, done=done)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = _line(item)
            _walk(item, (*path, i), lines, problems, file, on_path=on_path, done=done)
    on_path.discard(id(node))


def _expanded_size(node: Node, memo: dict[int, int]) -> int:
    if id(node) not in memo:
        memo[id(node)] = 0  # walked before, so no cycles remain
        children: list[Node] = []
        if isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, SequenceNode):
            children = list(node.value)
        memo[id(node)] = 1 + sum(_expanded_size(child, memo) for child in children)
    return memo[id(node)]


def _bad_scalar_line(root: Node) -> int | None:
    """Line of the first scalar that SafeLoader cannot construct (after safe_load failed unmarked)."""
    constructor = yaml.SafeLoader("")
    pending = [root]
    while pending:
        node = pending.pop(0)
        if isinstance(node, ScalarNode):
            try:
                constructor.construct_object(node)
            except Exception:  # noqa: BLE001 -- any failure here is the culprit we are looking for
                return _line(node)
        elif isinstance(node, MappingNode):
            pending += [part for pair in node.value for part in pair]
        elif isinstance(node, SequenceNode):
            pending += node.value
    return None


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _yaml_line(exc: yaml.YAMLError, text: str) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return mark.line + 1
    position = getattr(exc, "position", None)  # ReaderError: a character offset, no mark
    return text[:position].count("\n") + 1 if isinstance(position, int) else None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    if problem is None:
        return f"invalid YAML: {str(exc).splitlines()[0]}"
    if "constructor for the tag" in problem:  # e.g. !!python/object, which safe_load never builds
        return f"invalid YAML: {problem} (only standard YAML tags are allowed)"
    return f"invalid YAML: {context}, {problem}" if context else f"invalid YAML: {problem}"


def _one(message: str, file: str, line: int | None) -> ConfigErrors:
    return ConfigErrors([ConfigError(message, file=file, line=line)])


# --- pydantic errors -----------------------------------------------------------------------------


def _validation_errors(exc: ValidationError, file: str, data: Any, lines: LineMap) -> list[ConfigError]:
    """One ``ConfigError`` per pydantic error, at the line of the deepest existing node, by line."""
    found: list[ConfigError] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        path, shown = _resolve(loc, data, lines, missing=error["type"] == "missing")
        if error["type"] == "invalid_key":  # the key itself is the problem: show where it sits
            shown = shown[:-1]
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            shown = (*shown, "type")
            if (*path, "type") in lines:
                path = (*path, "type")
        found.append(ConfigError(_message(error, loc), file=file, line=lines.get(path), field=_field(shown)))
    return sorted(found, key=lambda e: (e.line or 0, e.field or ""))


def _resolve(loc: tuple[Any, ...], data: Any, lines: LineMap, *, missing: bool) -> tuple[KeyPath, KeyPath]:
    """The deepest path of ``loc`` that has a line, and the field path to show the user.

    ``loc`` is walked through the data rather than the line map, because keys reached through an
    alias have no lines of their own; parts absent from the data are union tags pydantic inserts,
    except the last part of a "missing" error, which is the missing key itself.
    """
    walked: KeyPath = ()  # as in the line map: mapping keys as written (str), list indexes (int)
    path: KeyPath = ()
    shown: KeyPath = ()
    for i, part in enumerate(loc):
        if isinstance(data, dict) and part in data:
            data, walked = data[part], (*walked, str(part))
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data, walked = data[part], (*walked, part)
        else:
            if missing and i == len(loc) - 1:
                shown = (*shown, part)
            continue
        shown = (*shown, part)
        if walked in lines:
            path = walked
    return path, shown


def _field(path: KeyPath) -> str | None:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or None


def _message(error: Mapping[str, Any], loc: tuple[Any, ...]) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    last = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        return f"unknown key '{last}'{_hint(last)}"
    if kind == "missing":
        return f"required key '{last}' is missing"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", error["msg"]))
    if kind == "union_tag_invalid":
        tag = str(ctx.get("tag"))
        return f"unknown guard type '{tag}'" + (_hint(tag) or f"; expected one of {ctx.get('expected_tags')}")
    if kind == "union_tag_not_found":
        return "a guard needs a 'type' key"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping of keys (got {_show(value)})"
    if kind == "literal_error" and loc and loc[-1] == "[key]":
        return f"unknown rubric {_show(value)}{_hint(str(value)) or '; expected ' + str(ctx.get('expected'))}"
    if kind == "invalid_key" or loc[-1:] == ("[key]",):
        return f"keys must be plain strings (got {_show(value)})"
    message = error["msg"]
    for prefix in ("Input should", "String should", "List should", "Dictionary should", "Value should"):
        if message.startswith(prefix):
            message = "must" + message[len(prefix) :]
    if isinstance(value, (dict, list)):
        return message
    return f"{message} (got {_show(value)}{_unquote_hint(kind, value)})"


def _unquote_hint(kind: str, value: Any) -> str:
    """``max_attempts: "3"`` is a string in YAML; say so when the quotes are the only problem."""
    if not isinstance(value, str):
        return ""
    text = value.strip().lower()
    fits = {
        "int_type": text.lstrip("+-").isdigit(),
        "float_type": text.lstrip("+-").replace(".", "", 1).isdigit(),
        "bool_type": text in ("true", "false"),
    }
    return "; write it without quotes" if fits.get(kind, False) else ""


def _hint(word: str) -> str:
    close = difflib.get_close_matches(word, _VOCABULARY, n=1, cutoff=0.75)
    return f"; did you mean '{close[0]}'?" if close else ""


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- cross-file checks ---------------------------------------------------------------------------


def check_project(
    pipeline: PipelineConfig | None,
    phases: Mapping[str, tuple[PhaseConfig, str, LineMap]],
    *,
    pipeline_file: str = "pipeline.yaml",
    pipeline_lines: LineMap | None = None,
) -> list[ConfigError]:
    """Errors across files: unlisted phases, dangling dependencies, cycles, unpriced models.

    ``phases`` maps phase id -> (config, file, line map) for every phase file that parsed; a phase
    whose file failed is simply absent. ``pipeline`` is None when pipeline.yaml failed to parse;
    the known phase ids then default to :data:`KNOWN_PHASES`. Missing phase files are the caller's
    to report, as only it knows the directory.
    """
    errors: list[ConfigError] = []
    known = list(pipeline.phases) if pipeline is not None else [*KNOWN_PHASES, *phases]
    for name, (phase, file, lines) in phases.items():
        if pipeline is not None and name not in pipeline.phases:
            message = f"phase '{name}' is not listed in {pipeline_file} (phases); add it there to run it"
            errors.append(ConfigError(message, file=file, line=lines.get(("id",)), field="id"))
        for i, dep in enumerate(phase.dependencies):
            if dep not in known:
                close = difflib.get_close_matches(dep, known, n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                errors.append(
                    ConfigError(
                        f"depends on unknown phase '{dep}'{hint}",
                        file=file,
                        line=lines.get(("dependencies", i), lines.get(("dependencies",))),
                        field=f"dependencies[{i}]",
                    )
                )
    order = [name for name in known if name in phases] + [name for name in phases if name not in known]
    for cycle in find_cycles({name: phases[name][0].dependencies for name in order}):
        phase, file, lines = phases[cycle[0]]
        i = phase.dependencies.index(cycle[1])
        errors.append(
            ConfigError(
                "dependency cycle: " + " -> ".join(cycle),
                file=file,
                line=lines.get(("dependencies", i)),
                field=f"dependencies[{i}]",
            )
        )
    if pipeline is not None and pipeline.run.budget_usd is not None:
        errors += _unpriced_models(pipeline, phases, pipeline_file, pipeline_lines or {})
    return errors


def _unpriced_models(
    pipeline: PipelineConfig,
    phases: Mapping[str, tuple[PhaseConfig, str, LineMap]],
    pipeline_file: str,
    pipeline_lines: LineMap,
) -> list[ConfigError]:
    """With a USD budget every model named in an ``llm`` block needs a price, or cost is unknowable."""
    blocks: list[tuple[LlmConfig | None, str, LineMap, KeyPath]] = [
        (pipeline.llm, pipeline_file, pipeline_lines, ("llm",))
    ]
    for phase, file, lines in phases.values():
        blocks.append((phase.llm, file, lines, ("llm",)))
        blocks += [(agent.llm, file, lines, ("agents", i, "llm")) for i, agent in enumerate(phase.agents)]
    errors: list[ConfigError] = []
    for llm, file, lines, prefix in blocks:
        if llm is None:
            continue
        named: list[tuple[KeyPath, str | None]] = [((*prefix, "model"), llm.model)]
        named += [((*prefix, "fallback_models", i), model) for i, model in enumerate(llm.fallback_models)]
        for where, model in named:
            if model is not None and model not in pipeline.pricing:
                message = f"model '{model}' has no price in {pipeline_file} (needed for run.budget_usd)"
                line = lines.get(where, lines.get(prefix))
                errors.append(ConfigError(message, file=file, line=line, field=_field(where)))
    return errors
