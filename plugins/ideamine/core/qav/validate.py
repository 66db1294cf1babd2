"""The validator: grounding, completeness, specificity and consistency of one answer."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ideamine.core.qav.models import (
    ANSWER_MIN_CONFIDENCE,
    GROUNDING_FLOOR,
    MIN_COMPLETENESS,
    MIN_CONSISTENCY,
    MIN_OVERALL,
    MIN_SPECIFICITY,
    Answer,
    Citation,
    Validation,
)
from ideamine.core.qav.text import (
    clean,
    hedge_hits,
    resolve_pointer,
    scalar_text,
    split_sentences,
    tokens,
)

_NEGATION_RE = re.compile(r"\b(?:not|no|never|cannot|none|without)\b|n't\b", re.I)
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")


def _resolves(citation: Citation, corpus: Mapping[str, tuple[str, Any]]) -> bool:
    if citation.artifact_id not in corpus:
        return False
    try:
        value = resolve_pointer(corpus[citation.artifact_id][1], citation.pointer)
    except KeyError:
        return False
    text = scalar_text(value)
    return text is not None and clean(citation.quote) in clean(text)


def _conflicts(answer: Answer, other: Answer) -> list[str]:
    mine = {(c.artifact_id, c.pointer): c.quote for c in answer.citations}
    theirs = {(c.artifact_id, c.pointer): c.quote for c in other.citations}
    found: list[str] = []
    for key in sorted(mine.keys() & theirs.keys()):
        a_quote, b_quote = clean(mine[key]), clean(theirs[key])
        where = f"{key[0]}{key[1]}"
        if not (a_quote.startswith(b_quote) or b_quote.startswith(a_quote)):
            found.append(f"quotes {where} differently from answer {other.question_id}")
        topic = tokens(a_quote) | tokens(b_quote)
        need = min(2, len(topic))
        mine_about = [s for s in split_sentences(answer.answer) if len(tokens(s) & topic) >= need]
        theirs_about = [s for s in split_sentences(other.answer) if len(tokens(s) & topic) >= need]
        if not mine_about or not theirs_about:
            continue
        a_numbers = set(_NUMBER_RE.findall(" ".join(mine_about)))
        b_numbers = set(_NUMBER_RE.findall(" ".join(theirs_about)))
        if a_numbers and b_numbers and not (a_numbers <= b_numbers or b_numbers <= a_numbers):
            found.append(f"gives other figures for {where} than answer {other.question_id}")
        a_negated = any(_NEGATION_RE.search(s) for s in mine_about)
        b_negated = any(_NEGATION_RE.search(s) for s in theirs_about)
        if a_negated != b_negated:
            found.append(f"negates what answer {other.question_id} asserts about {where}")
    return found


def validate_answer(
    a: Answer,
    *,
    min_grounding: float,
    accepted: Sequence[Answer] = (),
    corpus: Mapping[str, tuple[str, Any]] | None = None,
) -> Validation:
    """Score ``a`` and accept or reject it (the rule is in the module docstring).

    ``accepted`` are answers already accepted in this Q/A/V run (consistency is checked against them);
    with ``corpus`` given, citations that do not resolve to their quote lower the grounding.
    """
    if a.unknown:
        return Validation(
            question_id=a.question_id,
            grounding=0.0,
            completeness=0.0,
            specificity=1.0,
            consistency=1.0,
            overall=0.5,
            accepted=False,
            notes=("UNKNOWN is never accepted",),
        )
    notes: list[str] = []
    if not a.citations:
        grounding = 0.0
    else:
        grounding = a.confidence * 0.5 if a.confidence < ANSWER_MIN_CONFIDENCE else a.confidence
        if corpus is not None:
            valid = sum(_resolves(c, corpus) for c in a.citations)
            if valid < len(a.citations):
                notes.append(f"{len(a.citations) - valid} of {len(a.citations)} citations do not resolve")
            grounding *= valid / len(a.citations)
    words = len(a.answer.split())
    completeness = 0.6 * min(1.0, words / 12) + 0.4 * min(1.0, len(a.citations) / 2)
    specificity = max(0.0, 1.0 - 0.2 * hedge_hits(a.answer))
    conflicts = [c for other in accepted if other.question_id != a.question_id for c in _conflicts(a, other)]
    notes.extend(conflicts)
    consistency = max(0.0, 1.0 - 0.25 * len(conflicts))
    overall = (grounding + completeness + specificity + consistency) / 4
    floor = max(GROUNDING_FLOOR, min_grounding)
    checks = (
        ("grounding", grounding, floor),
        ("completeness", completeness, MIN_COMPLETENESS),
        ("specificity", specificity, MIN_SPECIFICITY),
        ("consistency", consistency, MIN_CONSISTENCY),
        ("overall", overall, MIN_OVERALL),
    )
    failed = [f"{name} {value:.2f} < {minimum:.2f}" for name, value, minimum in checks if value < minimum]
    notes.extend(failed)
    return Validation(
        question_id=a.question_id,
        grounding=round(grounding, 4),
        completeness=round(completeness, 4),
        specificity=round(specificity, 4),
        consistency=round(consistency, 4),
        overall=round(overall, 4),
        accepted=not failed,
        notes=tuple(notes),
    )
