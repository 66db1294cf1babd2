"""The domain model shared by architecture, build and story-loop: resources, fields, endpoints.

One source of truth, so the DataModel, the OpenAPI document, the generated code and the story tests
always agree. Resources come from the run's DataModel artifact when there is a valid one (names
re-sanitised), else straight from the idea's entities and features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ideamine.core.agent_io import AgentContext
from ideamine.core.artifacts import DataModel
from ideamine.offline.naming import Entity, article, entities_of, entity_for, make_entity, words_of

OPERATIONS = ("create", "list", "get", "update", "delete")
_VERB_OPERATION = {
    **dict.fromkeys(
        "browse find search view discover compare check read watch track monitor match".split(), "list"
    ),
    **dict.fromkeys("follow export print report choose".split(), "list"),
    **dict.fromkeys(
        "edit update manage organise organize assign remind notify rate review tag".split(), "update"
    ),
    **dict.fromkeys("delete cancel leave remove".split(), "delete"),
}
_EXTRA_FIELDS: dict[str, dict[str, Any]] = {
    "rating": {"type": "integer", "minimum": 1, "maximum": 5, "description": "Rating from 1 to 5."},
    "starts_at": {"type": "string", "max_length": 40, "description": "Start time as ISO 8601 text."},
    "visibility": {
        "type": "enum",
        "choices": ["private", "shared"],
        "default": "shared",
        "description": "Who can see the record.",
    },
}
_VERB_FIELD = {
    **dict.fromkeys("rate review vote".split(), "rating"),
    **dict.fromkeys("book schedule reserve rent order request".split(), "starts_at"),
    **dict.fromkeys("share post publish".split(), "visibility"),
}


@dataclass(frozen=True)
class Resource:
    """One entity as an API resource: its names and its fields (``EntityField``-shaped dicts)."""

    entity: Entity
    fields: tuple[dict[str, Any], ...]

    @property
    def writable(self) -> list[dict[str, Any]]:
        return [f for f in self.fields if not f.get("read_only")]


def operation_of(feature: str) -> str:
    words = words_of(feature)
    return _VERB_OPERATION.get(words[0], "create") if words else "create"


def endpoints(entity: Entity, operation: str) -> list[str]:
    return {
        "create": [f"POST {entity.collection}", f"GET {entity.collection}"],
        "list": [f"GET {entity.collection}", f"POST {entity.collection}"],
        "get": [f"GET {entity.item}", f"POST {entity.collection}"],
        "update": [f"PUT {entity.item}", f"GET {entity.item}", f"POST {entity.collection}"],
        "delete": [f"DELETE {entity.item}", f"GET {entity.item}", f"POST {entity.collection}"],
    }[operation]


def acceptance_criteria(entity: Entity, operation: str) -> list[str]:
    p, label = entity.collection, entity.label
    return {
        "create": [
            f"POST {p} with a valid {label} returns 201 and the stored record with an id.",
            f"POST {p} without a name returns 400 with an error message.",
            f"The new {label} is listed by GET {p}.",
        ],
        "list": [
            f"GET {p} returns 200 and a JSON object with an items list.",
            f"GET {p}?limit=1 returns at most one {label}.",
            f"{article(label).capitalize()} {label} created before is part of the list.",
        ],
        "get": [
            f"GET {entity.item} returns 200 and the {label} with that id.",
            f"GET {entity.item} for an unknown id returns 404.",
        ],
        "update": [
            f"PUT {entity.item} with valid fields returns 200 and the changed {label}.",
            f"PUT {entity.item} with an invalid field returns 400 and leaves the {label} unchanged.",
            f"PUT {entity.item} for an unknown id returns 404.",
        ],
        "delete": [
            f"DELETE {entity.item} returns 204.",
            f"After DELETE, GET {entity.item} returns 404.",
        ],
    }[operation]


def _fields(entity: Entity, primary: Entity, extras: list[str]) -> tuple[dict[str, Any], ...]:
    base: list[dict[str, Any]] = [
        {
            "name": "id",
            "type": "integer",
            "required": False,
            "read_only": True,
            "description": "Identifier assigned by the server.",
        },
        {
            "name": "name",
            "type": "string",
            "required": True,
            "max_length": 200,
            "description": f"Short name of the {entity.label}.",
        },
        {
            "name": "description",
            "type": "string",
            "required": False,
            "max_length": 2000,
            "default": "",
            "description": f"Free-text details of the {entity.label}.",
        },
        {
            "name": "status",
            "type": "enum",
            "required": False,
            "choices": ["active", "archived"],
            "default": "active",
            "description": f"Lifecycle state of the {entity.label}.",
        },
    ]
    if entity.name != primary.name:
        base.append(
            {
                "name": f"{primary.snake}_id",
                "type": "integer",
                "required": False,
                "minimum": 1,
                "references": primary.name,
                "description": f"The {primary.label} this {entity.label} belongs to.",
            }
        )
    for extra in extras:
        base.append({"name": extra, "required": False, **_EXTRA_FIELDS[extra]})
    return tuple(base)


def _from_facts(ctx: AgentContext) -> list[Resource]:
    ents = entities_of(ctx.facts)
    extras: dict[str, list[str]] = {e.name: [] for e in ents}
    for feature in ctx.facts.features:
        words = words_of(feature)
        extra = _VERB_FIELD.get(words[0]) if words else None
        owner = entity_for(feature, ents)
        if extra and extra not in extras[owner.name]:
            extras[owner.name].append(extra)
    return [Resource(e, _fields(e, ents[0], extras[e.name])) for e in ents]


def _from_data_model(body: Any) -> list[Resource]:
    try:
        model = DataModel.model_validate(body)
    except ValidationError:
        return []
    found: list[Resource] = []
    names = {m.name for m in model.data_model.entities}
    for item in model.data_model.entities:
        entity = make_entity(item.name)
        if entity is None or any(r.entity.path == entity.path for r in found):
            continue
        fields = tuple(
            f.model_dump(exclude_none=True, exclude_defaults=False)
            for f in item.fields
            if f.references is None or f.references in names
        )
        if any(f["name"] == "name" and f["type"] == "string" for f in fields):
            found.append(Resource(entity, fields))
    return found


def resources(ctx: AgentContext) -> list[Resource]:
    """The API's resources: from the DataModel artifact if valid, else from the idea."""
    return _from_data_model(ctx.inputs.get("DataModel")) or _from_facts(ctx)


def resource_by_name(ctx: AgentContext, name: str) -> Resource | None:
    return next((r for r in resources(ctx) if r.entity.name == name), None)


def sample_value(field: dict[str, Any]) -> Any:
    """A valid value for ``field`` (used in OpenAPI examples)."""
    if field["type"] == "enum":
        return field.get("default") or field["choices"][0]
    if field["type"] == "integer":
        return field.get("minimum") or 1
    if field["type"] == "boolean":
        return True
    return f"Sample {field['name']}"
