"""The Q/A/V loop: ask, answer, validate, re-ask the rejected; frames and assumptions at the end."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from ideamine.core.qav.answers import answer_from_leaves, index_leaves
from ideamine.core.qav.models import (
    FRAME_NAMESPACE,
    Answer,
    AssumptionRow,
    KnowledgeFrame,
    QavResult,
    QavSummary,
    Question,
    Validation,
)
from ideamine.core.qav.questions import find_gaps
from ideamine.core.qav.text import clean, split_sentences
from ideamine.core.qav.validate import validate_answer


def _frames(phase: str, answer: Answer) -> list[KnowledgeFrame]:
    frames: list[KnowledgeFrame] = []
    for index, sentence in enumerate(split_sentences(answer.answer)):
        own = tuple(c for c in answer.citations if clean(c.quote)[:40] in sentence) or answer.citations
        key = f"{phase}\x1f{answer.question_id}\x1f{index}\x1f{sentence}"
        frames.append(
            KnowledgeFrame(
                id=str(uuid.uuid5(FRAME_NAMESPACE, key)),
                phase=phase,
                content=sentence,
                question_id=answer.question_id,
                citations=own,
                confidence=answer.confidence,
            )
        )
    return frames


def _assumption(question: Question, answer: Answer, validation: Validation, iterations: int) -> AssumptionRow:
    if answer.unknown:
        rationale = f"No artifact of the run answers it after {iterations} iteration(s). {answer.reasoning}"
    else:
        rationale = f"The best answer was rejected after {iterations} iteration(s): " + "; ".join(
            validation.notes
        )
    mitigation = list(answer.next_steps) or [
        f"Re-run the agents that own {question.context} with this question as a hint.",
        f"Check {question.context} again in the next phase's Q/A/V.",
    ]
    return AssumptionRow(
        question_id=question.id,
        assumption=f"{question.context} is taken as drafted; unresolved: {question.text}",
        rationale=rationale.strip(),
        mitigation=mitigation,
    )


def run_qav(
    *,
    phase: str,
    draft: Mapping[str, Any],
    corpus: Mapping[str, tuple[str, Any]],
    required_fields: Sequence[str],
    max_questions: int,
    max_iterations: int,
    min_grounding: float,
    strict: bool,
) -> QavResult:
    """Clarify ``draft`` against ``corpus`` (the run's artifacts, by id) without asking anyone."""
    if max_iterations < 1:
        raise ValueError(f"max_iterations must be >= 1 (got {max_iterations})")
    questions = find_gaps(draft, required_fields=required_fields, max_questions=max_questions)
    leaves = index_leaves(corpus)
    answers: dict[str, Answer] = {}
    validations: dict[str, Validation] = {}
    accepted: list[Answer] = []
    pending = list(questions)
    iterations = 0
    while pending and iterations < max_iterations:
        level = int(strict) + iterations
        iterations += 1
        for question in pending:
            answer = answer_from_leaves(question, leaves, level=level)
            validation = validate_answer(
                answer, min_grounding=min_grounding, accepted=accepted, corpus=corpus
            )
            answers[question.id], validations[question.id] = answer, validation
            if validation.accepted:
                accepted.append(answer)
        pending = [q for q in pending if not validations[q.id].accepted]

    final_answers = tuple(answers[q.id] for q in questions)
    final_validations = tuple(validations[q.id] for q in questions)
    frames = tuple(
        f
        for a, v in zip(final_answers, final_validations, strict=True)
        if v.accepted
        for f in _frames(phase, a)
    )
    assumptions = [
        _assumption(q, answers[q.id], validations[q.id], iterations)
        for q in questions
        if not validations[q.id].accepted
    ]
    grounding = (
        round(math.fsum(v.grounding for v in final_validations) / len(final_validations), 4)
        if final_validations
        else 1.0
    )
    summary = QavSummary(
        questions_count=len(questions),
        answered_count=sum(not a.unknown for a in final_answers),
        validated_count=sum(v.accepted for v in final_validations),
        grounding_score=grounding,
        assumptions=assumptions,
    )
    return QavResult(
        phase=phase,
        iterations=iterations,
        questions=tuple(questions),
        answers=final_answers,
        validations=final_validations,
        frames=frames,
        assumptions=assumptions,
        summary=summary,
    )
