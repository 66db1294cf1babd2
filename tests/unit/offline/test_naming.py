"""Names from untrusted text: only [A-Za-z0-9] survives into identifiers, paths and file names."""

from __future__ import annotations

import re

import pytest
from ideamine.offline.naming import entities_of, entity_for, make_entity, pluralize, slug


@pytest.mark.parametrize(
    ("raw", "name", "path"),
    [
        ("Recipe", "Recipe", "recipes"),
        ("ToolLending", "ToolLending", "tool-lendings"),
        ("Category", "Category", "categories"),
        ("Box", "Box", "boxes"),
        ("../../etc/passwd", "EtcPasswd", "etc-passwds"),
        ("'; DROP TABLE users; --", "DropTableUsers", "drop-table-users"),
        ("{{ 7*7 }}", None, None),
        ("$(rm -rf /)", "RmRf", "rm-rfs"),
        ("class", "ClassItem", "class-items"),
        ("health", "HealthItem", "health-items"),
        ("9lives", "Lives", "lives"),
        ("", None, None),
    ],
)
def test_make_entity_sanitises(raw: str, name: str | None, path: str | None) -> None:
    entity = make_entity(raw)
    if name is None:
        assert entity is None
        return
    assert entity is not None
    assert entity.name == name
    assert entity.path == path
    assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", entity.name)
    assert re.fullmatch(r"[a-z][a-z0-9_]*", entity.snake)
    assert re.fullmatch(r"[a-z][a-z0-9-]*", entity.path)


def test_entities_are_deduplicated_capped_and_never_empty() -> None:
    found = entities_of(["Recipe", "recipe", "Recipes", *[f"Thing{chr(65 + i)}" for i in range(10)]])
    assert [e.name for e in found][:2] == ["Recipe", "ThingA"]
    assert len(found) == 6
    assert [e.name for e in entities_of(["", "{{ }}"])] == ["Item"]


def test_entity_for_matches_plural_words() -> None:
    found = entities_of(["Clinic", "Appointment", "Reminder"])
    assert entity_for("send reminders to patients", found).name == "Reminder"
    assert entity_for("book appointments", found).name == "Appointment"
    assert entity_for("do something else", found).name == "Clinic"


def test_pluralize_and_slug() -> None:
    assert [pluralize(w) for w in ("day", "city", "bus", "dish")] == ["days", "cities", "buses", "dishes"]
    assert slug("Fans Post Notes") == "fans-post-notes"
    assert slug("{{ 7*7 }}") == "app-7-7"
    assert slug("") == "app"
