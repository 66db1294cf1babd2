"""Q/A/V's data: questions, answers with citations, validations, knowledge frames, results."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

UNKNOWN = "UNKNOWN"
MAX_QUOTE = 200
ANSWER_MIN_CONFIDENCE = 0.6
STRICT_MIN_CONFIDENCE = 0.7
GROUNDING_FLOOR = 0.7
MIN_COMPLETENESS = 0.7
MIN_SPECIFICITY = 0.6
MIN_CONSISTENCY = 0.8
MIN_OVERALL = 0.7
FRAME_NAMESPACE = uuid.UUID("6f1d3a52-2a7e-5c35-9a58-6d1f0e8b7c41")
"""uuid5 namespace of knowledge-frame ids."""

Category = Literal["clarification", "validation", "assumption", "risk"]
Priority = Literal["high", "medium"]
_Unit = Annotated[float, Field(ge=0, le=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Question(_Frozen):
    id: str
    text: str
    category: Category
    priority: Priority
    decision_impact: str
    context: str  # JSON pointer of the gap inside the draft: /<ArtifactType>/...


class Citation(_Frozen):
    artifact_id: str
    pointer: str  # JSON pointer inside the artifact's body
    quote: Annotated[str, Field(max_length=MAX_QUOTE)]


class Answer(_Frozen):
    question_id: str
    answer: str
    confidence: _Unit
    citations: tuple[Citation, ...] = ()
    reasoning: str = ""
    next_steps: tuple[str, ...] = ()

    @property
    def unknown(self) -> bool:
        return self.answer == UNKNOWN


class Validation(_Frozen):
    question_id: str
    grounding: _Unit
    completeness: _Unit
    specificity: _Unit
    consistency: _Unit
    overall: _Unit
    accepted: bool
    notes: tuple[str, ...] = ()  # why it was rejected, or which answers it conflicts with


class KnowledgeFrame(_Frozen):
    id: str
    type: Literal["fact"] = "fact"
    source: Literal["qav"] = "qav"
    phase: str
    content: str
    question_id: str
    citations: tuple[Citation, ...]
    confidence: _Unit


class AssumptionRow(TypedDict):
    question_id: str
    assumption: str
    rationale: str
    mitigation: list[str]


class QavSummary(TypedDict):
    questions_count: int
    answered_count: int
    validated_count: int
    grounding_score: float
    assumptions: list[AssumptionRow]


class QavResult(_Frozen):
    phase: str
    iterations: int
    questions: tuple[Question, ...]
    answers: tuple[Answer, ...]  # the final answer to each question, in question order
    validations: tuple[Validation, ...]
    frames: tuple[KnowledgeFrame, ...]
    assumptions: list[AssumptionRow]
    summary: QavSummary
