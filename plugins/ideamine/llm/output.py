"""The shape a model must answer in: one JSON object with a partial section per artifact type.

An agent contributes *sections* (``ideamine.core.agent_io``); a phase merges several agents' sections
before the full artifacts are validated. So the output schema requires every type the agent contributes,
but no field inside it: each type's body is that type's model schema with its top-level ``required``
removed. :func:`validate_sections` checks an answer the same way, with the artifact's pydantic model
(patterns, lengths, nested objects, validators), ignoring only top-level fields that are absent.

In a mapped fan-out (story-loop, ``ctx.item`` set) an artifact ``{"items": [X, ...]}`` is assembled from
one body per item, so there an agent's section is one ``X``.
"""

from __future__ import annotations

import copy
import json
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from ideamine.core.artifacts import ARTIFACT_MODELS
from ideamine.core.canonical import canonical_json
from ideamine.errors import AgentError

OUTPUT_TITLE = "AgentSections"
MAX_REPORTED_ERRORS = 20


def item_model(model: type[BaseModel]) -> type[BaseModel] | None:
    """``X`` when ``model`` is exactly ``{"items": list[X]}`` with ``X`` a model, else None."""
    if set(model.model_fields) != {"items"}:
        return None
    annotation = model.model_fields["items"].annotation
    if typing.get_origin(annotation) is not list:
        return None
    (inner,) = typing.get_args(annotation) or (None,)
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None


def section_model(type_: str, *, per_item: bool = False) -> type[BaseModel]:
    """The pydantic model one agent's section of ``type_`` must match."""
    try:
        model = ARTIFACT_MODELS[type_]
    except KeyError:
        raise AgentError(
            f"unknown artifact type {type_!r}; known: {', '.join(sorted(ARTIFACT_MODELS))}"
        ) from None
    if per_item:
        return item_model(model) or model
    return model


def _check_types(output_types: Sequence[str]) -> list[str]:
    types = list(output_types)
    if not types:
        raise AgentError("an LLM agent needs at least one output type")
    if len(set(types)) != len(types):
        raise AgentError(f"output types repeat: {types}")
    for type_ in types:
        section_model(type_)
    return sorted(types)


def _refs(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            found.add(ref.removeprefix("#/$defs/"))
        for item in value.values():
            _refs(item, found)
    elif isinstance(value, list):
        for item in value:
            _refs(item, found)


def output_schema(output_types: Sequence[str], *, per_item: bool = False) -> dict[str, Any]:
    """The JSON schema of an answer: ``{type: partial body}`` for every type in ``output_types``."""
    types = _check_types(output_types)
    models = [section_model(t, per_item=per_item) for t in types]
    unique = list(dict.fromkeys(models))
    mapping, top = models_json_schema([(m, "validation") for m in unique], ref_template="#/$defs/{model}")
    defs: dict[str, Any] = top.get("$defs", {})
    properties: dict[str, Any] = {}
    for type_, model in zip(types, models, strict=True):
        name = mapping[(model, "validation")]["$ref"].removeprefix("#/$defs/")
        body = copy.deepcopy(defs[name])
        required = body.pop("required", [])
        body["description"] = (
            f"Your section of the {type_} artifact. Every field is optional: fill the ones your role owns."
            + (f" Full artifact requires: {', '.join(required)}." if required else "")
        )
        properties[type_] = body
    # Keep only the definitions still referenced, following references inside definitions too.
    used: set[str] = set()
    _refs(properties, used)
    pending = list(used)
    while pending:
        found: set[str] = set()
        _refs(defs.get(pending.pop(), {}), found)
        pending.extend(found - used)
        used |= found
    schema: dict[str, Any] = {
        "title": OUTPUT_TITLE,
        "type": "object",
        "properties": properties,
        "required": types,
        "additionalProperties": False,
    }
    if used:
        schema["$defs"] = {name: defs[name] for name in sorted(used)}
    # Plain JSON with sorted keys, so the same types always give the same schema text and cache key.
    result: dict[str, Any] = json.loads(canonical_json(schema))
    return result


def _where(type_: str, loc: Sequence[int | str]) -> str:
    return ".".join([type_, *(str(part) for part in loc)])


def validate_sections(
    answer: Any, output_types: Sequence[str], *, per_item: bool = False
) -> tuple[dict[str, Any], list[str]]:
    """(sections, errors) for a model's answer. Sections keep only ``output_types``; errors are readable
    lines ``Type.field.0: message``, at most :data:`MAX_REPORTED_ERRORS` of them, in a stable order."""
    types = _check_types(output_types)
    if not isinstance(answer, dict):
        return {}, [f"the answer must be a JSON object with the keys {', '.join(types)}"]
    errors: list[str] = []
    sections: dict[str, Any] = {}
    for type_ in types:
        if type_ not in answer:
            errors.append(f"{type_}: missing; the answer must contain a {type_} section")
            continue
        body = answer[type_]
        model = section_model(type_, per_item=per_item)
        if not isinstance(body, dict):
            errors.append(f"{type_}: must be a JSON object, not {type(body).__name__}")
            continue
        try:
            model.model_validate(body)
        except ValidationError as exc:
            problems = [
                e
                for e in exc.errors(include_url=False)
                if not (e["type"] == "missing" and len(e["loc"]) == 1)
            ]
            errors.extend(f"{_where(type_, e['loc'])}: {e['msg']}" for e in problems)
        sections[type_] = body
    try:
        plain: dict[str, Any] = json.loads(canonical_json(sections))
    except (TypeError, ValueError) as exc:  # not expected from parsed JSON; NaN would land here
        return {}, [f"the answer is not plain JSON: {exc}"]
    return plain, errors[:MAX_REPORTED_ERRORS]
