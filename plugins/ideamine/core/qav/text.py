"""Text and JSON-pointer helpers of Q/A/V: tokens, stems, hedges, leaves of a draft."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from ideamine.core.qav.models import MAX_QUOTE


def stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


_STOP = frozenset(
    """
a an the and or but of for with to in on at by from as is are was were be been being it its this that
these those there their them they we our you your he she his her who whom which what when where why how
all any each every some such no not nor only own same so than too very can will just should would shall
may must do does did done has have had having if then else into onto over under about via per also both
while without one more most other etc
""".split()
)
_HEDGES = (
    "maybe",
    "possibly",
    "might",
    "could be",
    "somewhat",
    "perhaps",
    "probably",
    "tbd",
    "tbc",
    "to be determined",
    "to be decided",
    "unclear",
    "sort of",
    "kind of",
    "roughly",
)
HEDGE_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(h).replace(r"\ ", r"\s+") for h in _HEDGES) + r")\b", re.I
)
_HEDGE_WORDS = frozenset(word for hedge in _HEDGES for word in hedge.split())
CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
WORD_RE = re.compile(r"[a-z0-9]+")
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")
_WS_RE = re.compile(r"\s+")


def tokens(text: str) -> set[str]:
    """Content terms of ``text``: camelCase and snake_case split, lower-case, stop words dropped."""
    words = WORD_RE.findall(CAMEL_RE.sub(" ", text).lower())
    return {
        stem(w) for w in words if w not in _STOP and w not in _HEDGE_WORDS and (len(w) > 1 or w.isdigit())
    }


def hedge_hits(text: str) -> int:
    """How many hedges (maybe, possibly, might, could be, somewhat, ...) ``text`` contains."""
    return len(HEDGE_RE.findall(text))


def clean(text: str) -> str:
    return _WS_RE.sub(" ", text).strip()


def quote_text(text: str) -> str:
    return clean(text)[:MAX_QUOTE]


def short(text: str, limit: int = 120) -> str:
    text = clean(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escape_key(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def unescape_key(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def pointer_segments(pointer: str) -> list[str]:
    return [unescape_key(s) for s in pointer.split("/")[1:]] if pointer else []


def resolve_pointer(body: Any, pointer: str) -> Any:
    """The value at an RFC 6901 ``pointer`` in ``body``; ``KeyError`` when it does not exist."""
    node = body
    for segment in pointer_segments(pointer):
        if isinstance(node, Mapping) and segment in node:
            node = node[segment]
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            raise KeyError(pointer)
    return node


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_RE.split(text) if s.strip()]


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | dict) and not value


def scalar_text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int | float) and math.isfinite(value):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return None


_MAX_DEPTH = 64


def walk(value: Any, pointer: str, depth: int = 0) -> Iterator[tuple[str, Any]]:
    """Every node as (pointer, value), dict keys in sorted order."""
    yield pointer, value
    if depth >= _MAX_DEPTH:
        return
    if isinstance(value, Mapping):
        for key in sorted(value, key=str):
            yield from walk(value[key], f"{pointer}/{escape_key(str(key))}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{pointer}/{index}", depth + 1)


def last_key(pointer: str) -> str:
    for segment in reversed(pointer_segments(pointer)):
        if not segment.isdigit():
            return segment
    return ""
