"""The OpenAPI 3.0 document of the generated service: one CRUD resource per entity, plus /health."""

from __future__ import annotations

from typing import Any

from ideamine.offline.common import RELEASE_VERSION
from ideamine.offline.domain import Resource, sample_value
from ideamine.offline.naming import article

_ERROR = {"$ref": "#/components/schemas/Error"}


def field_schema(field: dict[str, Any]) -> dict[str, Any]:
    kind = field["type"]
    schema: dict[str, Any] = {
        "type": "string" if kind == "enum" else kind,
        "description": field["description"],
    }
    if kind == "enum":
        schema["enum"] = list(field["choices"])
    for key, name in (("max_length", "maxLength"), ("minimum", "minimum"), ("maximum", "maximum")):
        if field.get(key) is not None:
            schema[name] = field[key]
    if field.get("default") is not None:
        schema["default"] = field["default"]
    if field.get("read_only"):
        schema["readOnly"] = True
    return schema


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _schemas(resource: Resource) -> dict[str, dict[str, Any]]:
    name = resource.entity.name
    writable = resource.writable
    return {
        name: {
            "type": "object",
            "properties": {f["name"]: field_schema(f) for f in resource.fields},
            "required": ["id"] + [f["name"] for f in writable if f["required"]],
        },
        f"{name}Input": {
            "type": "object",
            "additionalProperties": False,
            "properties": {f["name"]: field_schema(f) for f in writable},
            "required": [f["name"] for f in writable if f["required"]],
            "example": {
                f["name"]: sample_value(f) for f in writable if f["required"] or f["type"] != "integer"
            },
        },
        f"{name}List": {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}},
                "total": {"type": "integer"},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
            },
            "required": ["items", "total", "limit", "offset"],
        },
    }


def _paths(resource: Resource) -> dict[str, dict[str, Any]]:
    e = resource.entity
    ref = {"$ref": f"#/components/schemas/{e.name}"}
    body = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{e.name}Input"}}},
    }
    tag = [e.name]
    return {
        e.collection: {
            "get": {
                "operationId": f"list{e.name}",
                "summary": f"List {e.label} records",
                "tags": tag,
                "parameters": [
                    {"$ref": "#/components/parameters/Limit"},
                    {"$ref": "#/components/parameters/Offset"},
                ],
                "responses": {
                    "200": _json({"$ref": f"#/components/schemas/{e.name}List"}, "A page of records"),
                    "400": _json(_ERROR, "Invalid paging parameters"),
                },
            },
            "post": {
                "operationId": f"create{e.name}",
                "summary": f"Create {article(e.label)} {e.label}",
                "tags": tag,
                "requestBody": body,
                "responses": {"201": _json(ref, "Created"), "400": _json(_ERROR, "Invalid record")},
            },
        },
        e.item: {
            "parameters": [{"$ref": "#/components/parameters/Id"}],
            "get": {
                "operationId": f"get{e.name}",
                "summary": f"Get one {e.label}",
                "tags": tag,
                "responses": {"200": _json(ref, "The record"), "404": _json(_ERROR, "No such record")},
            },
            "put": {
                "operationId": f"update{e.name}",
                "summary": f"Replace {article(e.label)} {e.label}",
                "tags": tag,
                "requestBody": body,
                "responses": {
                    "200": _json(ref, "Updated"),
                    "400": _json(_ERROR, "Invalid record"),
                    "404": _json(_ERROR, "No such record"),
                },
            },
            "delete": {
                "operationId": f"delete{e.name}",
                "summary": f"Delete {article(e.label)} {e.label}",
                "tags": tag,
                "responses": {"204": {"description": "Deleted"}, "404": _json(_ERROR, "No such record")},
            },
        },
    }


def openapi_document(title: str, description: str, resources: list[Resource]) -> dict[str, Any]:
    """A complete OpenAPI 3.0.3 document for ``resources``; text values are data, never markup."""
    paths: dict[str, dict[str, Any]] = {
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Liveness check",
                "responses": {
                    "200": _json(
                        {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok"]}}},
                        "The service is up",
                    )
                },
            }
        }
    }
    schemas: dict[str, dict[str, Any]] = {
        "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
    }
    for resource in resources:
        paths.update(_paths(resource))
        schemas.update(_schemas(resource))
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": RELEASE_VERSION, "description": description},
        "servers": [{"url": "http://127.0.0.1:8000"}],
        "tags": [{"name": r.entity.name, "description": f"{r.entity.label} records"} for r in resources],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": {
                "Limit": {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
                },
                "Offset": {
                    "name": "offset",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 0, "default": 0},
                },
                "Id": {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                },
            },
        },
    }
