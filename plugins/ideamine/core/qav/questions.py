"""The question agent: each gap in a draft (missing, empty, vague, unsupported) becomes a question."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ideamine.core.qav.models import Category, Priority, Question
from ideamine.core.qav.text import (
    CAMEL_RE,
    HEDGE_RE,
    WORD_RE,
    clean,
    escape_key,
    is_empty,
    last_key,
    pointer_segments,
    scalar_text,
    short,
    split_sentences,
    stem,
    walk,
)

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
    stem(w)
    for w in "source evidence citation reference basis assumption rationale method methodology derivation "
    "formula calculation".split()
)
# Path words under which a number is a goal or a limit, or a declared assumption: not a claim of fact.
_NOT_CLAIM_KEYS = frozenset(
    stem(w)
    for w in "target goal objective threshold limit budget min max sla slo kpi metric requirement nfr "
    "criteria criterion acceptance assumption".split()
)
# Key words of lists where empty is the good outcome (no findings, nothing untraced), not a gap.
_PROBLEM_KEYS = frozenset(
    stem(w)
    for w in "violation finding error failure issue warning vulnerability secret conflict contradiction "
    "blocker gap unresolved untraced missing excluded rejected deprecated skipped unpinned alert "
    "incident regression rule".split()
)
# Keys whose empty string is a legitimate value (an empty default), not a gap.
_VALUE_KEYS = frozenset("default example value placeholder prefix suffix separator initial const".split())
_RISK_MARKERS = frozenset({"severity", "likelihood", "probability", "impact"})
_CONSISTENT_KEYS = ("title", "version", "product_name", "target_users")


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
        for pointer, value in walk(draft[artifact], "/" + escape_key(artifact)):
            if pointer.rsplit("/", 1)[-1] == escape_key(field) and pointer != "/" + escape_key(artifact):
                return pointer, value
    return None


def _required_gaps(draft: Mapping[str, Any], required_fields: Sequence[str]) -> list[_Gap]:
    gaps: list[_Gap] = []
    owner = sorted(draft)[0] if draft else ""
    for field in required_fields:
        hit = _find_key(draft, field)
        if hit is None:
            pointer = (f"/{escape_key(owner)}" if owner else "") + f"/{escape_key(field)}"
            text = f"What should “{field}” say? It is a required field and the draft has none."
            gaps.append(
                _Gap(
                    pointer, "clarification", "high", text, f"The completeness guard fails without “{field}”."
                )
            )
        elif is_empty(hit[1]):
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
    return {stem(w) for w in WORD_RE.findall(CAMEL_RE.sub(" ", str(key)).lower())}


def _has_evidence(node: Mapping[str, Any]) -> bool:
    return any(_key_words(key) & _EVIDENCE_KEYS and not is_empty(value) for key, value in node.items())


def _matching_sentences(text: str, pattern: re.Pattern[str]) -> str:
    """The sentences of ``text`` that match ``pattern``: the question quotes only what is at issue."""
    hits = [s for s in split_sentences(text) if pattern.search(s)]
    return " ".join(hits) if hits else text


def _string_gaps(pointer: str, value: str, parent: Mapping[str, Any] | None) -> list[_Gap]:
    gaps: list[_Gap] = []
    found = HEDGE_RE.findall(value)
    if found:
        words = ", ".join(dict.fromkeys(clean(w.lower()) for w in found))
        quote = short(_matching_sentences(value, HEDGE_RE))
        text = f"Which concrete statement replaces the vague wording ({words}) in “{quote}”?"
        gaps.append(
            _Gap(pointer, "clarification", "medium", text, "Vague wording cannot be built or tested.")
        )
    if _ASSUMPTION_RE.search(value):
        quote = short(_matching_sentences(value, _ASSUMPTION_RE))
        text = f"Do the run's artifacts support the assumption “{quote}”?"
        gaps.append(
            _Gap(pointer, "assumption", "medium", text, "Plans built on an unchecked assumption may fail.")
        )
    evidenced = (parent is not None and _has_evidence(parent)) or _EVIDENCE_HINT_RE.search(value)
    if _CLAIM_RE.search(value) and not evidenced and not _path_words(pointer) & _NOT_CLAIM_KEYS:
        quote = short(_matching_sentences(value, _CLAIM_RE))
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
    in_risks = "risk" in {stem(w) for w in WORD_RE.findall(pointer.lower())}
    is_risk = in_risks or any("risk" in w for w in words.values())
    mitigated = any(
        any(word.startswith("mitigat") for word in w) and not is_empty(value[k]) for k, w in words.items()
    )
    has_markers = any(w & _RISK_MARKERS for w in words.values())
    if is_risk and has_markers and not mitigated:
        label = next(
            (str(value[k]) for k in value if words[k] & {"risk", "title", "name", "description"}),
            last_key(pointer) or pointer,
        )
        text = f"What is the “mitigation” for the risk “{short(label)}”?"
        gaps.append(_Gap(pointer, "risk", "high", text, "An unmitigated risk can block the release."))
    return gaps


def _path_words(pointer: str) -> set[str]:
    words: set[str] = set()
    for segment in pointer_segments(pointer):
        words |= _key_words(segment)
    return words


def _node_gaps(pointer: str, value: Any, parent: Mapping[str, Any] | None) -> list[_Gap]:
    if value is None:  # an explicit null says "not applicable"; required fields are checked apart
        return []
    if is_empty(value):
        key = last_key(pointer)
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
            if isinstance(draft[artifact], Mapping) and scalar_text(draft[artifact].get(key)) is not None
        ]
        values = list(dict.fromkeys(clean(str(v)) for _, v in holders))
        if len(values) > 1:
            first = holders[0][0]
            listed = " or ".join(f"“{short(v, 60)}”" for v in values)
            text = f"Which “{key}” is right: {listed}? The artifacts disagree."
            pointer = f"/{escape_key(first)}/{escape_key(key)}"
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
        root = "/" + escape_key(artifact)
        parents: dict[str, Mapping[str, Any]] = {}
        for pointer, value in walk(draft[artifact], root):
            if isinstance(value, Mapping):
                for key in value:
                    parents[f"{pointer}/{escape_key(str(key))}"] = value
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
