"""Property tests: whatever the input, the parsers raise ConfigError or nothing at all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ideamine.core.config_parse import errors_of, parse_phase, parse_pipeline
from ideamine.errors import ConfigError

CONFIG = Path(__file__).resolve().parents[3] / "config"
SHIPPED = {path.name: path.read_text() for path in sorted((CONFIG / "phases").glob("*.yaml"))}
SHIPPED["pipeline.yaml"] = (CONFIG / "pipeline.yaml").read_text()

FUZZ = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["PT1H", "3", "merge", "true", "intake", "~", "!!python/name:os.system", "*a"])
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def parser_for(name: str) -> Callable[[Any, str], object]:
    return parse_pipeline if name == "pipeline.yaml" else parse_phase


def only_config_errors(parse: Callable[[Any, str], object], text: str | bytes, file: str = "f.yaml") -> None:
    """Parse; a ConfigError must be well formed, and anything else escaping fails the test."""
    try:
        parse(text, file)
    except ConfigError as exc:
        for error in errors_of(exc):
            assert error.file == file
            assert error.line is None or error.line >= 1
            assert error.message


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in ``data`` (mapping keys and list indexes)."""
    children = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    found = []
    for key, value in children:
        found += [(*prefix, key), *paths(value, (*prefix, key))]
    return found


def parent_of(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(raw: bytes) -> None:
    only_config_errors(parse_phase, raw)
    only_config_errors(parse_pipeline, raw)


@FUZZ
@given(st.text(max_size=300))
def test_random_text(text: str) -> None:
    only_config_errors(parse_phase, text)
    only_config_errors(parse_pipeline, text)


@FUZZ
@given(st.text(alphabet=":-[]{}&*!|>'\"#,? \n\tabc01.", max_size=200))
def test_random_yaml_punctuation(text: str) -> None:
    only_config_errors(parse_phase, text)


@FUZZ
@given(st.sampled_from(sorted(SHIPPED)), st.data())
def test_mutated_shipped_files(name: str, data: st.DataObject) -> None:
    doc = yaml.safe_load(SHIPPED[name])
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        kind = data.draw(st.sampled_from(["delete", "replace", "insert"]), label="kind")
        targets = [p for p in paths(doc) if kind != "insert" or isinstance(parent_of(doc, p), dict)]
        path = data.draw(st.sampled_from(targets), label="path")
        parent = parent_of(doc, path)
        if kind == "delete":
            del parent[path[-1]]
        elif kind == "replace":
            parent[path[-1]] = data.draw(values, label="value")
        else:
            parent[data.draw(st.text(max_size=10), label="key")] = data.draw(values, label="value")
    only_config_errors(parser_for(name), yaml.safe_dump(doc, sort_keys=False))


@FUZZ
@given(st.sampled_from(sorted(SHIPPED)), st.data())
def test_truncated_and_spliced_shipped_files(name: str, data: st.DataObject) -> None:
    text = SHIPPED[name]
    cut = data.draw(st.integers(0, len(text)), label="cut")
    only_config_errors(parser_for(name), text[:cut])
    insert = data.draw(st.text(max_size=8), label="insert")
    only_config_errors(parser_for(name), text[:cut] + insert + text[cut:])
    only_config_errors(parser_for(name), text.encode()[:cut])
