"""Deterministic fan-in of a phase's agent outputs (requirements §7).

Outputs are JSON-like values given in agent order (the map-index order of the mapped agent tasks), so
the same outputs always combine into the same value and the same canonical JSON bytes. Every strategy
returns a fresh copy with dict keys sorted at every depth: the result never aliases an agent's output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from ideamine.core.canonical import canonical_json

FanInStrategy = Literal["merge", "concat", "vote"]


def normalized(value: Any) -> Any:
    """A deep copy of ``value`` with the keys of every dict sorted (lists keep their order)."""
    if isinstance(value, Mapping):
        return {key: normalized(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [normalized(item) for item in value]
    return value


def merge(outputs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Merge dicts left to right: a later value wins, nested dicts merge, lists are replaced whole."""
    merged: dict[str, Any] = {}
    for index, output in enumerate(outputs):
        if not isinstance(output, Mapping):
            raise TypeError(f"merge needs dict outputs; output {index} is {type(output).__name__}")
        merged = _merge_two(merged, output)
    return normalized(merged)


def _merge_two(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = _merge_two(result[key], value)
        else:
            result[key] = value
    return result


def concat(outputs: Sequence[Any]) -> list[Any]:
    """One flat list, in order: a list output contributes its items, anything else contributes itself."""
    flat: list[Any] = []
    for output in outputs:
        flat.extend(output if isinstance(output, list) else [output])
    return normalized(flat)


def vote(outputs: Sequence[Any]) -> Any:
    """The most frequent output by canonical-JSON equality; a tie goes to the one seen first."""
    if not outputs:
        raise ValueError("vote needs at least one output")
    counts: dict[str, int] = {}
    first: dict[str, Any] = {}
    for output in outputs:
        key = canonical_json(output)
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, output)
    # max() keeps the first of equal counts, and dicts iterate in first-seen order: ties go to the earliest.
    winner = max(counts, key=counts.__getitem__)
    return normalized(first[winner])


_STRATEGIES: dict[str, Callable[[Sequence[Any]], Any]] = {"merge": merge, "concat": concat, "vote": vote}


def fan_in(strategy: FanInStrategy, outputs: Sequence[Any]) -> Any:
    """Combine ``outputs`` with the phase's ``aggregation`` strategy."""
    try:
        combine = _STRATEGIES[strategy]
    except KeyError:
        raise ValueError(
            f"unknown fan-in strategy {strategy!r}; expected one of {sorted(_STRATEGIES)}"
        ) from None
    return combine(outputs)
