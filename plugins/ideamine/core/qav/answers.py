"""The answer agent: retrieval over the run's artifacts, cited; UNKNOWN below the confidence floor."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ideamine.core.qav.models import (
    ANSWER_MIN_CONFIDENCE,
    STRICT_MIN_CONFIDENCE,
    UNKNOWN,
    Answer,
    Citation,
    Question,
)
from ideamine.core.qav.text import (
    hedge_hits,
    pointer_segments,
    quote_text,
    scalar_text,
    tokens,
    unescape_key,
    walk,
)

_QUOTED_RE = re.compile(r"“([^”]*)”")


@dataclass(frozen=True)
class _Leaf:
    artifact_id: str
    artifact_type: str
    pointer: str
    text: str
    terms: frozenset[str]
    hedged: bool


def index_leaves(corpus: Mapping[str, tuple[str, Any]]) -> list[_Leaf]:
    leaves: list[_Leaf] = []
    for artifact_id in sorted(corpus):
        artifact_type, body = corpus[artifact_id]
        for pointer, value in walk(body, ""):
            text = scalar_text(value)
            if text is None:
                continue
            path_terms: set[str] = set()
            for segment in pointer_segments(pointer):
                if not segment.isdigit():
                    path_terms |= tokens(segment)
            leaves.append(
                _Leaf(
                    artifact_id=artifact_id,
                    artifact_type=artifact_type,
                    pointer=pointer,
                    text=text,
                    terms=frozenset(path_terms | tokens(text)),
                    hedged=hedge_hits(text) > 0,
                )
            )
    return leaves


def query_terms(question: Question) -> set[str]:
    """What a question asks about: the text it quotes (“...”), else the keys in its pointer."""
    terms: set[str] = set()
    for quoted in _QUOTED_RE.findall(question.text):
        terms |= tokens(quoted)
    if not terms:
        for segment in pointer_segments(question.context)[1:]:  # the first segment is the artifact type
            if not segment.isdigit():
                terms |= tokens(segment)
    return terms


def _unknown(question: Question, terms: set[str], why: str) -> Answer:
    steps = [
        f"Re-run the agents that own {question.context} with this question as a hint.",
        f"Record an assumption for {question.context} and check it again in the next phase's Q/A/V.",
    ]
    if terms:
        steps.append("Add evidence about " + ", ".join(sorted(terms)[:3]) + " to an upstream artifact.")
    return Answer(
        question_id=question.id, answer=UNKNOWN, confidence=0.0, reasoning=why, next_steps=tuple(steps)
    )


def answer_from_leaves(question: Question, leaves: Sequence[_Leaf], *, level: int) -> Answer:
    terms = query_terms(question)
    if not terms:
        return _unknown(question, terms, "The question names nothing to look for.")
    strict = level >= 1
    min_overlap = min(0.34 + 0.16 * level, 0.66)
    limit = 5 if strict else 3
    threshold = STRICT_MIN_CONFIDENCE if strict else ANSWER_MIN_CONFIDENCE
    gap_type, gap_pointer = _split_context(question.context)

    scored: list[tuple[float, _Leaf, frozenset[str]]] = []
    for leaf in leaves:
        if leaf.artifact_type == gap_type and (
            leaf.pointer == gap_pointer or leaf.pointer.startswith(gap_pointer + "/")
        ):
            continue  # a gap is never its own evidence
        if strict and leaf.hedged:
            continue
        matched = leaf.terms & terms
        overlap = len(matched) / len(terms)
        if matched and overlap >= min_overlap:
            scored.append((overlap, leaf, frozenset(matched)))
    scored.sort(key=lambda item: (-item[0], item[1].artifact_id, item[1].pointer))
    chosen = scored[:limit]
    if not chosen:
        return _unknown(
            question, terms, f"No leaf of the run's artifacts covers {min_overlap:.0%} of its terms."
        )

    covered = frozenset().union(*(matched for _, _, matched in chosen))
    best = chosen[0][0]
    union = len(covered) / len(terms)
    confidence = round(0.5 * best + 0.5 * union, 4)
    reasoning = (
        f"Terms: {', '.join(sorted(terms))}. Best leaf covers {best:.0%}; the {len(chosen)} cited "
        f"leaves cover {union:.0%}. Confidence {confidence:.2f}."
    )
    if confidence < threshold:
        return _unknown(question, terms, reasoning + f" Below {threshold:.1f}: unknown.")
    citations = tuple(
        Citation(artifact_id=leaf.artifact_id, pointer=leaf.pointer, quote=quote_text(leaf.text))
        for _, leaf, _ in chosen
    )
    lines = []
    for _, leaf, _ in chosen:
        quote = quote_text(leaf.text)
        end = "" if quote.endswith((".", "!", "?")) else "."
        lines.append(f"{leaf.artifact_type} at {leaf.pointer or '/'}: {quote}{end}")
    return Answer(
        question_id=question.id,
        answer="\n".join(lines),
        confidence=confidence,
        citations=citations,
        reasoning=reasoning,
    )


def _split_context(context: str) -> tuple[str, str]:
    segments = context.split("/")
    if len(segments) < 2:
        return "", ""
    return unescape_key(segments[1]), "/" + "/".join(segments[2:]) if len(segments) > 2 else ""


def answer_question(
    q: Question, corpus: Mapping[str, tuple[str, Any]], *, strict: bool, iteration: int = 0
) -> Answer:
    """Answer ``q`` from ``corpus`` (artifact id -> (type, body)), or UNKNOWN with next steps.

    ``iteration`` > 0 (a re-ask) is as strict as ``strict=True``.
    """
    return answer_from_leaves(q, index_leaves(corpus), level=int(strict) + iteration)
