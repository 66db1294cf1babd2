"""Q/A/V: a phase clarifies its own draft by asking, answering and validating — never a human.

Question. :func:`find_gaps` walks the merged draft ({artifact type: body}) and turns each gap into a
question: a required field missing or empty, any empty list/string/object (except null, which says
"not applicable", and lists of problems such as ``violations`` or ``untraced_story_ids``, where empty is
the good outcome), vague wording (maybe, possibly, might, TBD...), an assumption stated as fact, a
number claimed with no source, basis or stated assumptions next to it (goals, limits and targets are not
claims), a risk with no mitigation, and the same top-level field (title, version...) disagreeing
between two artifacts. A question's ``context`` is the JSON pointer of the gap inside the draft, so
it starts with the artifact type (``/IdeaSpec/constraints``); a missing field with no owning artifact
goes under the draft's first artifact type in sorted order. Ids hash pointer and category, so the same
draft asks the same questions.

Answer. :func:`answer_question` is retrieval over the run's artifacts, no model: the terms of the gap
(the text its question quotes in “...”, else the keys of its pointer) are matched against every scalar
leaf of every artifact (its key path and its text). The best leaves are cited (artifact id, JSON pointer
inside that artifact, a verbatim quote of at most 200 characters); the gap's own leaves never count as
its evidence. Confidence = mean of the best leaf's term coverage and the cited leaves' joint coverage.
Below 0.6 (0.7 when strict) the answer is ``UNKNOWN`` with confidence 0, no citations and next steps.
Strict mode and every re-ask raise the level: each level demands more overlap per cited leaf (0.34,
0.5, 0.66), and from level 1 hedged leaves are skipped and up to five leaves (not three) are cited.

Validate. :func:`validate_answer` scores per requirements §3: grounding 0 without citations, confidence
x 0.5 below 0.6, else the confidence (scaled by the share of citations that resolve, when the corpus is
given); completeness 0.6 x min(1, words/12) + 0.4 x min(1, citations/2); specificity 1 - 0.2 per hedge;
consistency 1 - 0.25 per conflict with an already accepted answer citing the same leaf (different quote,
clashing numbers, or one negating what the other asserts about it); overall = mean of the four.

Acceptance rule: an answer is accepted iff it is not UNKNOWN and grounding >= max(0.7,
min_grounding_score of the phase), completeness >= 0.7, specificity >= 0.6, consistency >= 0.8 and
overall >= 0.7. The phase minimum is applied per answer (the spec's 0.7 is a floor, never a ceiling).

Loop. :func:`run_qav` asks, answers and validates up to ``max_iterations`` times, re-asking only the
rejected questions, stricter each time; it stops when nothing is left. Answers accepted become knowledge
frames, one per sentence; what is still UNKNOWN or rejected at the end becomes an assumption with a
rationale and mitigation steps.
"""

from __future__ import annotations

from ideamine.core.qav.answers import answer_question, query_terms
from ideamine.core.qav.loop import run_qav
from ideamine.core.qav.models import (
    ANSWER_MIN_CONFIDENCE,
    FRAME_NAMESPACE,
    GROUNDING_FLOOR,
    MAX_QUOTE,
    MIN_COMPLETENESS,
    MIN_CONSISTENCY,
    MIN_OVERALL,
    MIN_SPECIFICITY,
    STRICT_MIN_CONFIDENCE,
    UNKNOWN,
    Answer,
    AssumptionRow,
    Category,
    Citation,
    KnowledgeFrame,
    Priority,
    QavResult,
    QavSummary,
    Question,
    Validation,
)
from ideamine.core.qav.questions import find_gaps
from ideamine.core.qav.text import hedge_hits, resolve_pointer, tokens
from ideamine.core.qav.validate import validate_answer

__all__ = [
    "ANSWER_MIN_CONFIDENCE",
    "FRAME_NAMESPACE",
    "GROUNDING_FLOOR",
    "MAX_QUOTE",
    "MIN_COMPLETENESS",
    "MIN_CONSISTENCY",
    "MIN_OVERALL",
    "MIN_SPECIFICITY",
    "STRICT_MIN_CONFIDENCE",
    "UNKNOWN",
    "Answer",
    "AssumptionRow",
    "Category",
    "Citation",
    "KnowledgeFrame",
    "Priority",
    "QavResult",
    "QavSummary",
    "Question",
    "Validation",
    "answer_question",
    "find_gaps",
    "hedge_hits",
    "query_terms",
    "resolve_pointer",
    "run_qav",
    "tokens",
    "validate_answer",
]
