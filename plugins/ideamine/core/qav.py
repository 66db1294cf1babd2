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

import hashlib
import math
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

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


# --- text helpers --------------------------------------------------------------------------------


def _stem(word: str) -> str:
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
_HEDGE_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(h).replace(r"\ ", r"\s+") for h in _HEDGES) + r")\b", re.I
)
_HEDGE_WORDS = frozenset(word for hedge in _HEDGES for word in hedge.split())
_ASSUMPTION_RE = re.compile(r"\b(?:assum\w*|we believe|presumably|expected to|we expect)\b", re.I)
_CLAIM_RE = re.compile(
    r"(?:[$€£]\s?\d[\d,.]*(?:\s?(?:k|m|bn|b|million|billion|thousand))?\b)"
    r"|(?:\b\d[\d,.]*\s?(?:%|percent\b|x\b|times\b|million\b|billion\b|thousand\b))",
    re.I,
)
_EVIDENCE_HINT_RE = re.compile(
    r"https?://|\baccording to\b|\bsource\s*:|\bcited\b|\bper\s+\w+\s+report\b", re.I
)
# Key words (snake/camel-case split, plural stripped) that mark a number as a claim, or a sibling as its
# evidence.
_CLAIM_KEYS = frozenset(
    "market revenue growth tam sam som conversion churn retention ltv cac share adoption roi".split()
)
_EVIDENCE_KEYS = frozenset(
    _stem(w)
    for w in "source evidence citation reference basis assumption rationale method methodology derivation "
    "formula calculation".split()
)
# Path words under which a number is a goal or a limit, or a declared assumption: not a claim of fact.
_NOT_CLAIM_KEYS = frozenset(
    _stem(w)
    for w in "target goal objective threshold limit budget min max sla slo kpi metric requirement nfr "
    "criteria criterion acceptance assumption".split()
)
# Key words of lists where empty is the good outcome (no findings, nothing untraced), not a gap.
_PROBLEM_KEYS = frozenset(
    _stem(w)
    for w in "violation finding error failure issue warning vulnerability secret conflict contradiction "
    "blocker gap unresolved untraced missing excluded rejected deprecated skipped unpinned alert "
    "incident regression rule".split()
)
# Keys whose empty string is a legitimate value (an empty default), not a gap.
_VALUE_KEYS = frozenset("default example value placeholder prefix suffix separator initial const".split())
_RISK_MARKERS = frozenset({"severity", "likelihood", "probability", "impact"})
_CONSISTENT_KEYS = ("title", "version", "product_name", "target_users")
_NEGATION_RE = re.compile(r"\b(?:not|no|never|cannot|none|without)\b|n't\b", re.I)
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD_RE = re.compile(r"[a-z0-9]+")
_QUOTED_RE = re.compile(r"“([^”]*)”")
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")
_WS_RE = re.compile(r"\s+")


def tokens(text: str) -> set[str]:
    """Content terms of ``text``: camelCase and snake_case split, lower-case, stop words dropped."""
    words = _WORD_RE.findall(_CAMEL_RE.sub(" ", text).lower())
    return {
        _stem(w) for w in words if w not in _STOP and w not in _HEDGE_WORDS and (len(w) > 1 or w.isdigit())
    }


def hedge_hits(text: str) -> int:
    """How many hedges (maybe, possibly, might, could be, somewhat, ...) ``text`` contains."""
    return len(_HEDGE_RE.findall(text))


def _clean(text: str) -> str:
    return _WS_RE.sub(" ", text).strip()


def _quote(text: str) -> str:
    return _clean(text)[:MAX_QUOTE]


def _short(text: str, limit: int = 120) -> str:
    text = _clean(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def _segments(pointer: str) -> list[str]:
    return [_unescape(s) for s in pointer.split("/")[1:]] if pointer else []


def resolve_pointer(body: Any, pointer: str) -> Any:
    """The value at an RFC 6901 ``pointer`` in ``body``; ``KeyError`` when it does not exist."""
    node = body
    for segment in _segments(pointer):
        if isinstance(node, Mapping) and segment in node:
            node = node[segment]
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            raise KeyError(pointer)
    return node


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_RE.split(text) if s.strip()]


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | dict) and not value


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int | float) and math.isfinite(value):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return None


_MAX_DEPTH = 64


def _walk(value: Any, pointer: str, depth: int = 0) -> Iterator[tuple[str, Any]]:
    """Every node as (pointer, value), dict keys in sorted order."""
    yield pointer, value
    if depth >= _MAX_DEPTH:
        return
    if isinstance(value, Mapping):
        for key in sorted(value, key=str):
            yield from _walk(value[key], f"{pointer}/{_escape(str(key))}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{pointer}/{index}", depth + 1)


def _last_key(pointer: str) -> str:
    for segment in reversed(_segments(pointer)):
        if not segment.isdigit():
            return segment
    return ""


# --- questions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Gap:
    pointer: str
    category: Category
    priority: Priority
    text: str
    impact: str
    kind: str = "other"


def _question_id(pointer: str, category: str) -> str:
    return "q-" + hashlib.sha256(f"{pointer}\n{category}".encode()).hexdigest()[:16]


def _find_key(draft: Mapping[str, Any], field: str) -> tuple[str, Any] | None:
    for artifact in sorted(draft):
        for pointer, value in _walk(draft[artifact], "/" + _escape(artifact)):
            if pointer.rsplit("/", 1)[-1] == _escape(field) and pointer != "/" + _escape(artifact):
                return pointer, value
    return None


def _required_gaps(draft: Mapping[str, Any], required_fields: Sequence[str]) -> list[_Gap]:
    gaps: list[_Gap] = []
    owner = sorted(draft)[0] if draft else ""
    for field in required_fields:
        hit = _find_key(draft, field)
        if hit is None:
            pointer = (f"/{_escape(owner)}" if owner else "") + f"/{_escape(field)}"
            text = f"What should “{field}” say? It is a required field and the draft has none."
            gaps.append(
                _Gap(
                    pointer, "clarification", "high", text, f"The completeness guard fails without “{field}”."
                )
            )
        elif _empty(hit[1]):
            text = f"What should “{field}” contain? It is required but empty at {hit[0]}."
            gaps.append(
                _Gap(
                    hit[0],
                    "clarification",
                    "high",
                    text,
                    f"The completeness guard fails while “{field}” is empty.",
                )
            )
    return gaps


def _key_words(key: object) -> set[str]:
    return {_stem(w) for w in _WORD_RE.findall(_CAMEL_RE.sub(" ", str(key)).lower())}


def _has_evidence(node: Mapping[str, Any]) -> bool:
    return any(_key_words(key) & _EVIDENCE_KEYS and not _empty(value) for key, value in node.items())


def _matching_sentences(text: str, pattern: re.Pattern[str]) -> str:
    """The sentences of ``text`` that match ``pattern``: the question quotes only what is at issue."""
    hits = [s for s in _sentences(text) if pattern.search(s)]
    return " ".join(hits) if hits else text


def _string_gaps(pointer: str, value: str, parent: Mapping[str, Any] | None) -> list[_Gap]:
    gaps: list[_Gap] = []
    found = _HEDGE_RE.findall(value)
    if found:
        words = ", ".join(dict.fromkeys(_clean(w.lower()) for w in found))
        quote = _short(_matching_sentences(value, _HEDGE_RE))
        text = f"Which concrete statement replaces the vague wording ({words}) in “{quote}”?"
        gaps.append(
            _Gap(pointer, "clarification", "medium", text, "Vague wording cannot be built or tested.")
        )
    if _ASSUMPTION_RE.search(value):
        quote = _short(_matching_sentences(value, _ASSUMPTION_RE))
        text = f"Do the run's artifacts support the assumption “{quote}”?"
        gaps.append(
            _Gap(pointer, "assumption", "medium", text, "Plans built on an unchecked assumption may fail.")
        )
    evidenced = (parent is not None and _has_evidence(parent)) or _EVIDENCE_HINT_RE.search(value)
    if _CLAIM_RE.search(value) and not evidenced and not _path_words(pointer) & _NOT_CLAIM_KEYS:
        quote = _short(_matching_sentences(value, _CLAIM_RE))
        text = f"What source supports the figure in “{quote}”?"
        gaps.append(_Gap(pointer, "validation", "high", text, "An unsupported figure can mislead decisions."))
    return gaps


def _mapping_gaps(pointer: str, value: Mapping[str, Any]) -> list[_Gap]:
    gaps: list[_Gap] = []
    figures = sorted(
        str(k)
        for k, v in value.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and _key_words(k) & _CLAIM_KEYS
    )
    if figures and not _has_evidence(value) and not _path_words(pointer) & _NOT_CLAIM_KEYS:
        names = ", ".join(figures)
        text = f"What source supports the figures “{names}” at {pointer}?"
        gaps.append(_Gap(pointer, "validation", "high", text, "An unsupported figure can mislead decisions."))
    words = {k: _key_words(k) for k in value}
    in_risks = "risk" in {_stem(w) for w in _WORD_RE.findall(pointer.lower())}
    is_risk = in_risks or any("risk" in w for w in words.values())
    mitigated = any(
        any(word.startswith("mitigat") for word in w) and not _empty(value[k]) for k, w in words.items()
    )
    has_markers = any(w & _RISK_MARKERS for w in words.values())
    if is_risk and has_markers and not mitigated:
        label = next(
            (str(value[k]) for k in value if words[k] & {"risk", "title", "name", "description"}),
            _last_key(pointer) or pointer,
        )
        text = f"What is the “mitigation” for the risk “{_short(label)}”?"
        gaps.append(_Gap(pointer, "risk", "high", text, "An unmitigated risk can block the release."))
    return gaps


def _path_words(pointer: str) -> set[str]:
    words: set[str] = set()
    for segment in _segments(pointer):
        words |= _key_words(segment)
    return words


def _node_gaps(pointer: str, value: Any, parent: Mapping[str, Any] | None) -> list[_Gap]:
    if value is None:  # an explicit null says "not applicable"; required fields are checked apart
        return []
    if _empty(value):
        key = _last_key(pointer)
        if _key_words(key) & _PROBLEM_KEYS or (isinstance(value, str) and _key_words(key) & _VALUE_KEYS):
            return []
        text = f"What belongs in “{key or pointer}”? It is empty at {pointer}."
        impact = "Later phases get nothing to build on here."
        return [_Gap(pointer, "clarification", "medium", text, impact, "empty")]
    if isinstance(value, str):
        return _string_gaps(pointer, value, parent)
    if isinstance(value, Mapping):
        return _mapping_gaps(pointer, value)
    return []


def _contradiction_gaps(draft: Mapping[str, Any]) -> list[_Gap]:
    gaps: list[_Gap] = []
    for key in _CONSISTENT_KEYS:
        holders = [
            (artifact, draft[artifact][key])
            for artifact in sorted(draft)
            if isinstance(draft[artifact], Mapping) and _scalar_text(draft[artifact].get(key)) is not None
        ]
        values = list(dict.fromkeys(_clean(str(v)) for _, v in holders))
        if len(values) > 1:
            first = holders[0][0]
            listed = " or ".join(f"“{_short(v, 60)}”" for v in values)
            text = f"Which “{key}” is right: {listed}? The artifacts disagree."
            pointer = f"/{_escape(first)}/{_escape(key)}"
            gaps.append(
                _Gap(pointer, "validation", "high", text, "Artifacts that disagree cannot all be released.")
            )
    return gaps


def _pointer_key(pointer: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key that orders list indices numerically (/rows/2 before /rows/10)."""
    return tuple((0, int(s), "") if s.isdigit() else (1, 0, s) for s in pointer.split("/"))


def _shape(pointer: str) -> str:
    return "/".join("*" if segment.isdigit() else segment for segment in pointer.split("/"))


def _collapse_repeats(gaps: list[_Gap]) -> list[_Gap]:
    """One question for the same empty field repeated across list items (every row's ``nfr_ids``)."""
    groups: dict[tuple[str, str], list[_Gap]] = {}
    for gap in gaps:
        if gap.kind == "empty":
            groups.setdefault((_shape(gap.pointer), gap.category), []).append(gap)
    kept: list[_Gap] = []
    for gap in gaps:
        if gap.kind != "empty":
            kept.append(gap)
            continue
        group = sorted(groups[(_shape(gap.pointer), gap.category)], key=lambda g: _pointer_key(g.pointer))
        if gap is not group[0]:
            continue
        if len(group) > 1:
            more = f" The same field is empty in {len(group) - 1} more place(s) like it."
            gap = _Gap(gap.pointer, gap.category, gap.priority, gap.text + more, gap.impact, gap.kind)
        kept.append(gap)
    return kept


def find_gaps(
    draft: Mapping[str, Any], *, required_fields: Sequence[str], max_questions: int
) -> list[Question]:
    """Questions about the gaps in ``draft`` (artifact type -> body), high priority first, capped."""
    gaps = _required_gaps(draft, required_fields)
    for artifact in sorted(draft):
        root = "/" + _escape(artifact)
        parents: dict[str, Mapping[str, Any]] = {}
        for pointer, value in _walk(draft[artifact], root):
            if isinstance(value, Mapping):
                for key in value:
                    parents[f"{pointer}/{_escape(str(key))}"] = value
            gaps.extend(_node_gaps(pointer, value, parents.get(pointer)))
    gaps.extend(_contradiction_gaps(draft))

    questions: dict[str, Question] = {}
    for gap in _collapse_repeats(gaps):
        qid = _question_id(gap.pointer, gap.category)
        if qid in questions:  # the first (required-field) gap at a pointer wins
            continue
        questions[qid] = Question(
            id=qid,
            text=gap.text,
            category=gap.category,
            priority=gap.priority,
            decision_impact=gap.impact,
            context=gap.pointer,
        )
    ordered = sorted(
        questions.values(), key=lambda q: (q.priority != "high", _pointer_key(q.context), q.category)
    )
    return ordered[: max(0, max_questions)]


# --- answers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Leaf:
    artifact_id: str
    artifact_type: str
    pointer: str
    text: str
    terms: frozenset[str]
    hedged: bool


def _index(corpus: Mapping[str, tuple[str, Any]]) -> list[_Leaf]:
    leaves: list[_Leaf] = []
    for artifact_id in sorted(corpus):
        artifact_type, body = corpus[artifact_id]
        for pointer, value in _walk(body, ""):
            text = _scalar_text(value)
            if text is None:
                continue
            path_terms: set[str] = set()
            for segment in _segments(pointer):
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
        for segment in _segments(question.context)[1:]:  # the first segment is the artifact type
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


def _answer(question: Question, leaves: Sequence[_Leaf], *, level: int) -> Answer:
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
        Citation(artifact_id=leaf.artifact_id, pointer=leaf.pointer, quote=_quote(leaf.text))
        for _, leaf, _ in chosen
    )
    lines = []
    for _, leaf, _ in chosen:
        quote = _quote(leaf.text)
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
    return _unescape(segments[1]), "/" + "/".join(segments[2:]) if len(segments) > 2 else ""


def answer_question(
    q: Question, corpus: Mapping[str, tuple[str, Any]], *, strict: bool, iteration: int = 0
) -> Answer:
    """Answer ``q`` from ``corpus`` (artifact id -> (type, body)), or UNKNOWN with next steps.

    ``iteration`` > 0 (a re-ask) is as strict as ``strict=True``.
    """
    return _answer(q, _index(corpus), level=int(strict) + iteration)


# --- validation ----------------------------------------------------------------------------------


def _resolves(citation: Citation, corpus: Mapping[str, tuple[str, Any]]) -> bool:
    if citation.artifact_id not in corpus:
        return False
    try:
        value = resolve_pointer(corpus[citation.artifact_id][1], citation.pointer)
    except KeyError:
        return False
    text = _scalar_text(value)
    return text is not None and _clean(citation.quote) in _clean(text)


def _conflicts(answer: Answer, other: Answer) -> list[str]:
    mine = {(c.artifact_id, c.pointer): c.quote for c in answer.citations}
    theirs = {(c.artifact_id, c.pointer): c.quote for c in other.citations}
    found: list[str] = []
    for key in sorted(mine.keys() & theirs.keys()):
        a_quote, b_quote = _clean(mine[key]), _clean(theirs[key])
        where = f"{key[0]}{key[1]}"
        if not (a_quote.startswith(b_quote) or b_quote.startswith(a_quote)):
            found.append(f"quotes {where} differently from answer {other.question_id}")
        topic = tokens(a_quote) | tokens(b_quote)
        need = min(2, len(topic))
        mine_about = [s for s in _sentences(answer.answer) if len(tokens(s) & topic) >= need]
        theirs_about = [s for s in _sentences(other.answer) if len(tokens(s) & topic) >= need]
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


# --- the loop ------------------------------------------------------------------------------------


def _frames(phase: str, answer: Answer) -> list[KnowledgeFrame]:
    frames: list[KnowledgeFrame] = []
    for index, sentence in enumerate(_sentences(answer.answer)):
        own = tuple(c for c in answer.citations if _clean(c.quote)[:40] in sentence) or answer.citations
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
    leaves = _index(corpus)
    answers: dict[str, Answer] = {}
    validations: dict[str, Validation] = {}
    accepted: list[Answer] = []
    pending = list(questions)
    iterations = 0
    while pending and iterations < max_iterations:
        level = int(strict) + iterations
        iterations += 1
        for question in pending:
            answer = _answer(question, leaves, level=level)
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
