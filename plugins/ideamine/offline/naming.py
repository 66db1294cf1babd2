"""Safe names for the things an idea is about: entities, URL segments and Python identifiers.

The idea is untrusted text. Everything that reaches generated code, file names or URLs passes
through :func:`entities_of`, which keeps ASCII letters and digits only, so a name can never carry a
quote, a slash, a template marker or a shell metacharacter. Free text from the idea that has to
appear in generated code goes through ``repr()`` or ``json.dumps`` instead, never through here.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ideamine.core.idea import IdeaFacts

MAX_ENTITIES = 6
_MAX_NAME = 40
_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@dataclass(frozen=True)
class Entity:
    """One domain noun, in every spelling the engine needs. All spellings are ``[A-Za-z0-9_-]``."""

    name: str  # PascalCase: schema names ("Recipe")
    snake: str  # identifiers and file names ("recipe")
    plural: str  # snake plural: resource keys ("recipes")
    path: str  # URL segment ("recipes", "tool-lendings")
    label: str  # human words ("tool lending")

    @property
    def collection(self) -> str:
        return f"/api/{self.path}"

    @property
    def item(self) -> str:
        return f"/api/{self.path}/{{id}}"


def words_of(name: str) -> list[str]:
    """The lowercase words of a name in any spelling ("ToolLending", "tool_lending" -> tool, lending)."""
    ascii_only = re.sub(r"[^A-Za-z0-9]+", " ", name)
    return [part.lower() for chunk in ascii_only.split() for part in _PARTS.findall(chunk)]


def pluralize(word: str) -> str:
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word  # already plural ("lives")
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def make_entity(raw: str) -> Entity | None:
    """An :class:`Entity` from any string, or None when nothing usable is left."""
    words = [w for w in words_of(raw) if w][:4]
    while words and words[0].isdigit():  # identifiers cannot start with a digit
        words = words[1:]
    if not words:
        return None
    name = "".join(w.capitalize() for w in words)[:_MAX_NAME]
    words = words_of(name)
    snake = "_".join(words)
    if keyword.iskeyword(snake) or snake in {"api", "health", "static", "id"}:
        words = [*words, "item"]
        name, snake = name + "Item", snake + "_item"
    plural_words = [*words[:-1], pluralize(words[-1])]
    return Entity(
        name=name,
        snake=snake,
        plural="_".join(plural_words),
        path="-".join(plural_words),
        label=" ".join(words),
    )


def entities_of(facts: IdeaFacts | Iterable[str]) -> list[Entity]:
    """The idea's entities, sanitised, de-duplicated by URL path, at most :data:`MAX_ENTITIES`."""
    raw = facts.entities if isinstance(facts, IdeaFacts) else tuple(facts)
    found: list[Entity] = []
    for name in raw:
        entity = make_entity(name)
        if entity and all(e.path != entity.path and e.name != entity.name for e in found):
            found.append(entity)
        if len(found) == MAX_ENTITIES:
            break
    return found or [Entity(name="Item", snake="item", plural="items", path="items", label="item")]


def entity_for(phrase: str, entities: list[Entity]) -> Entity:
    """The entity a feature phrase is about: the first word naming one, else the primary entity."""
    words = words_of(phrase)
    for word in words[1:] + words[:1]:
        for entity in entities:
            if singular(word) in (entity.snake, entity.name.lower()):
                return entity
    return entities[0]


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def slug(text: str, default: str = "app") -> str:
    """A lowercase ``[a-z0-9-]`` slug, for package names."""
    words = words_of(text)[:5]
    value = "-".join(words).strip("-")
    if not value or not value[0].isalpha():
        value = default + ("-" + value if value else "")
    return value[:48]


def sentence(text: str) -> str:
    """``text`` with a capital first letter and a full stop, whitespace collapsed."""
    value = " ".join(str(text).split())
    if not value:
        return value
    value = value[0].upper() + value[1:]
    return value if value.endswith((".", "!", "?")) else value + "."


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def phrase_list(items: Iterable[str], *, conj: str = "and") -> str:
    values = [str(i) for i in items]
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + f" {conj} " + values[-1]
