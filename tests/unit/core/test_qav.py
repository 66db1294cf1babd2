"""Q/A/V: gaps become questions, answers come from the run's artifacts, validation decides."""

from __future__ import annotations

from typing import Any

import pytest
from ideamine.core.canonical import canonical_json
from ideamine.core.qav import (
    UNKNOWN,
    Answer,
    Citation,
    Question,
    answer_question,
    find_gaps,
    hedge_hits,
    query_terms,
    resolve_pointer,
    run_qav,
    validate_answer,
)

REQUIRED = ["title", "description", "target_users", "constraints"]

COMPLETE = {
    "IdeaSpec": {
        "title": "Campus Bike Swap",
        "description": "Students list used bikes and swap them with other students on the same campus.",
        "target_users": ["university students", "campus bike workshops"],
        "constraints": ["runs offline on one laptop", "no payments in the first release"],
    }
}

# Earlier phases' artifacts, as the answer agent sees them: id -> (type, body).
CORPUS: dict[str, tuple[str, Any]] = {
    "art-idea": (
        "Idea",
        {
            "idea": "A campus bike swap where university students list used bikes and swap them.",
            "constraints": ["runs offline on one laptop", "no payments in the first release"],
            "target_users": ["university students", "campus bike workshops"],
        },
    ),
    "art-survey": (
        "MarketSurvey",
        {
            "ownership": {
                "finding": "38% of surveyed students own a bike they no longer ride",
                "source": "campus transport survey 2025",
            },
            "theft_risk": {
                "risk": "bike theft during swaps",
                "mitigation": "swaps happen at staffed campus bike workshops with registered serial numbers",
            },
        },
    ),
}


def run(draft: dict[str, Any], corpus: dict[str, tuple[str, Any]] | None = None, **overrides: Any):
    args: dict[str, Any] = {
        "phase": "intake",
        "draft": draft,
        "corpus": CORPUS if corpus is None else corpus,
        "required_fields": REQUIRED,
        "max_questions": 10,
        "max_iterations": 3,
        "min_grounding": 0.75,
        "strict": False,
    }
    args.update(overrides)
    return run_qav(**args)


# --- questions -----------------------------------------------------------------------------------


def test_a_complete_draft_asks_nothing_and_is_fully_grounded():
    assert find_gaps(COMPLETE, required_fields=REQUIRED, max_questions=10) == []
    result = run(COMPLETE)
    assert result.summary["questions_count"] == 0
    assert result.summary["grounding_score"] >= 0.8
    assert result.assumptions == []


def test_each_kind_of_gap_becomes_a_question():
    draft = {
        "IdeaSpec": {
            "title": "Campus Bike Swap",
            "description": "Students might swap bikes. We assume students want to swap.",
            "target_users": [],
            "pricing": {"market_share": 12},
            "claim": "Maybe 40% of students own a bike.",
            "risks": [{"risk": "bike theft during swaps", "severity": "high"}],
        }
    }
    questions = find_gaps(draft, required_fields=REQUIRED, max_questions=20)
    by_context = {(q.context, q.category): q for q in questions}
    missing = by_context[("/IdeaSpec/constraints", "clarification")]
    assert missing.priority == "high"
    assert "constraints" in missing.text
    assert by_context[("/IdeaSpec/target_users", "clarification")].priority == "high"  # required, empty
    assert "might" in by_context[("/IdeaSpec/description", "clarification")].text  # vague
    assert by_context[("/IdeaSpec/description", "assumption")].priority == "medium"
    assert by_context[("/IdeaSpec/claim", "validation")].priority == "high"  # a figure with no source
    assert "market_share" in by_context[("/IdeaSpec/pricing", "validation")].text
    assert "bike theft" in by_context[("/IdeaSpec/risks/0", "risk")].text
    priorities = [q.priority for q in questions]
    assert priorities == sorted(priorities, key=lambda p: p != "high")  # high first
    assert len({q.id for q in questions}) == len(questions)


def test_a_figure_next_to_its_source_is_not_a_gap():
    draft = {"Survey": {"finding": "38% of students own a bike", "source": "campus survey 2025"}}
    assert find_gaps(draft, required_fields=[], max_questions=5) == []


def test_disagreeing_artifacts_are_a_validation_question():
    draft = {"PRD": {"title": "Bike Swap"}, "RTM": {"title": "Book Swap"}}
    (question,) = find_gaps(draft, required_fields=[], max_questions=5)
    assert question.category == "validation"
    assert "Bike Swap" in question.text
    assert "Book Swap" in question.text


def test_null_problem_lists_goals_and_empty_defaults_are_not_gaps():
    draft = {
        "Report": {
            "owner": None,
            "violations": [],
            "untraced_story_ids": [],
            "fields": [{"name": "note", "default": ""}],
            "success_metrics": [{"name": "conversion", "target": "4% of accounts within 6 months"}],
            "unit_economics": {"ltv_usd": 120, "cac_usd": 30, "assumptions": ["churn is 5% a month"]},
        }
    }
    assert find_gaps(draft, required_fields=[], max_questions=10) == []
    required_null = find_gaps(draft, required_fields=["owner"], max_questions=10)
    assert [q.context for q in required_null] == ["/Report/owner"]


def test_the_same_empty_field_in_many_rows_is_one_question():
    rows = [{"id": f"R{i}", "nfr_ids": []} for i in range(12)]
    (question,) = find_gaps({"RTM": {"rows": rows}}, required_fields=[], max_questions=10)
    assert question.context == "/RTM/rows/0/nfr_ids"
    assert "11 more" in question.text


def test_list_indices_sort_numerically():
    rows = [{"claim": f"Sales grew {i}% last year"} for i in range(12)]
    questions = find_gaps({"Plan": {"rows": rows}}, required_fields=[], max_questions=20)
    assert [q.context for q in questions][:3] == [
        "/Plan/rows/0/claim",
        "/Plan/rows/1/claim",
        "/Plan/rows/2/claim",
    ]
    assert questions[-1].context == "/Plan/rows/11/claim"


def test_questions_are_capped_and_deterministic():
    draft = {"A": {f"field_{i}": "" for i in range(30)}}
    first = find_gaps(draft, required_fields=[], max_questions=7)
    assert len(first) == 7
    assert first == find_gaps(draft, required_fields=[], max_questions=7)
    assert [q.context for q in first] == sorted(q.context for q in first)
    assert find_gaps(draft, required_fields=[], max_questions=0) == []


def test_question_ids_depend_on_pointer_and_category_only():
    one = find_gaps({"A": {"x": ""}}, required_fields=[], max_questions=5)[0]
    two = find_gaps({"A": {"x": "", "y": "fine"}}, required_fields=[], max_questions=5)[0]
    other = find_gaps({"A": {"z": ""}}, required_fields=[], max_questions=5)[0]
    assert one.id == two.id
    assert one.id != other.id


# --- answers -------------------------------------------------------------------------------------


def question(text: str, context: str, category: str = "clarification") -> Question:
    return Question(
        id="q-test", text=text, category=category, priority="high", decision_impact="test", context=context
    )


def test_answers_cite_real_pointers_with_verbatim_quotes():
    q = question("What should “constraints” say?", "/IdeaSpec/constraints")
    answer = answer_question(q, CORPUS, strict=False)
    assert answer.answer != UNKNOWN
    assert answer.confidence >= 0.6
    assert answer.citations
    for citation in answer.citations:
        _, body = CORPUS[citation.artifact_id]
        value = resolve_pointer(body, citation.pointer)
        assert citation.quote in value
        assert len(citation.quote) <= 200
    assert {c.pointer for c in answer.citations} == {"/constraints/0", "/constraints/1"}


def test_an_unanswerable_question_is_unknown_with_next_steps():
    q = question("What is the “warranty period” for refurbished scooters?", "/IdeaSpec/warranty")
    answer = answer_question(q, CORPUS, strict=False)
    assert answer.answer == UNKNOWN
    assert answer.confidence == 0
    assert answer.citations == ()
    assert 2 <= len(answer.next_steps) <= 3


def test_the_gap_is_never_its_own_evidence():
    draft_body = {"claim": "Maybe 40% of students own a bike."}
    corpus = {"art-draft": ("IdeaSpec", draft_body)}
    q = question("What source supports the figure in “Maybe 40% of students own a bike.”?", "/IdeaSpec/claim")
    assert answer_question(q, corpus, strict=False).answer == UNKNOWN


def test_strict_mode_skips_hedged_evidence_and_needs_more_overlap():
    corpus = {
        "a": ("Notes", {"plan": "Swaps might happen at the library"}),
        "b": ("Notes", {"other": "library opening hours"}),
    }
    q = question("Where do “swaps happen”?", "/Plan/where")
    relaxed = answer_question(q, corpus, strict=False)
    assert relaxed.answer != UNKNOWN
    assert relaxed.citations[0].artifact_id == "a"
    assert answer_question(q, corpus, strict=True).answer == UNKNOWN


def test_query_terms_come_from_quotes_else_from_the_pointer():
    assert query_terms(question("What should “target_users” say?", "/IdeaSpec/x")) == {"target", "user"}
    assert query_terms(question("No quotes here", "/IdeaSpec/tech_stack/0")) == {"tech", "stack"}


# --- validation ----------------------------------------------------------------------------------


def answer(text: str, confidence: float, *cites: tuple[str, str, str], qid: str = "q1") -> Answer:
    return Answer(
        question_id=qid,
        answer=text,
        confidence=confidence,
        citations=tuple(Citation(artifact_id=a, pointer=p, quote=q) for a, p, q in cites),
    )


LONG = "The survey of campus transport found that thirty eight percent of students own an unused bike."
SURVEY = ("art-survey", "/ownership/finding", "38% of surveyed students own a bike they no longer ride")


def test_grounding_rules_of_the_spec():
    assert validate_answer(answer(LONG, 0.9), min_grounding=0.7).grounding == 0  # no citations
    assert validate_answer(answer(LONG, 0.5, SURVEY), min_grounding=0.7).grounding == 0.25  # conf x 0.5
    assert validate_answer(answer(LONG, 0.8, SURVEY), min_grounding=0.7).grounding == 0.8


def test_specificity_drops_by_a_fifth_per_hedge():
    assert hedge_hits("It might possibly work, maybe; it could be somewhat slow") == 5
    hedged = answer(
        "It might possibly be 38 percent, maybe, of the students on campus who ride.", 0.9, SURVEY
    )
    validation = validate_answer(hedged, min_grounding=0.7)
    assert validation.specificity == pytest.approx(0.4)
    assert not validation.accepted


def test_acceptance_uses_the_stricter_of_07_and_the_phase_minimum():
    good = answer(LONG, 0.8, SURVEY, ("art-idea", "/idea", "A campus bike swap"))
    assert validate_answer(good, min_grounding=0.75).accepted
    rejected = validate_answer(good, min_grounding=0.9)
    assert not rejected.accepted
    assert any("grounding 0.80 < 0.90" in note for note in rejected.notes)
    assert not validate_answer(answer(LONG, 0.69, SURVEY, SURVEY), min_grounding=0.5).accepted  # floor 0.7


def test_unknown_is_never_accepted():
    validation = validate_answer(Answer(question_id="q", answer=UNKNOWN, confidence=0), min_grounding=0)
    assert not validation.accepted
    assert validation.grounding == 0


def test_citations_that_do_not_resolve_lower_grounding():
    fake = ("art-survey", "/ownership/made_up", "nothing")
    misquoted = ("art-survey", "/ownership/finding", "90% of students own a bike")
    validation = validate_answer(answer(LONG, 1.0, SURVEY, fake, misquoted), min_grounding=0.7, corpus=CORPUS)
    assert validation.grounding == pytest.approx(1 / 3, abs=1e-4)
    assert not validation.accepted
    assert any("2 of 3 citations do not resolve" in note for note in validation.notes)


OFFLINE = ("art-idea", "/constraints/0", "runs offline on one laptop")
SAID = "The release runs offline on one laptop, as the idea's constraints say."


def consistency(text: str, *cites: tuple[str, str, str], against: Answer) -> float:
    return validate_answer(
        answer(text, 0.9, *cites, qid="q2"), min_grounding=0.7, accepted=[against]
    ).consistency


def test_consistency_catches_conflicting_answers_about_the_same_evidence():
    first = answer(SAID, 0.9, OFFLINE, qid="q1")
    agrees = "Per the idea's constraints it runs offline on one laptop."
    assert consistency(agrees, OFFLINE, against=first) == 1.0
    assert consistency("The release does not run offline on one laptop.", OFFLINE, against=first) == 0.75
    two_laptops = answer("It runs offline on 2 laptops for 0 USD (constraint 0).", 0.9, OFFLINE, qid="q3")
    assert (
        consistency("It runs offline on 1 laptop for 0 USD (constraint 0).", OFFLINE, against=two_laptops)
        == 0.75
    )
    assert consistency("It runs offline on 2 laptops (constraint 0).", OFFLINE, against=two_laptops) == 1.0
    misquote = ("art-idea", "/constraints/0", "runs online on one laptop")
    assert consistency(SAID, misquote, against=first) == 0.75
    prefix = ("art-idea", "/constraints/0", "runs offline")
    assert consistency(SAID, prefix, against=first) == 1.0  # a shorter quote of the same leaf agrees
    elsewhere = ("art-idea", "/constraints/1", "no payments in the first release")
    assert consistency("There are no payments in the first release.", elsewhere, against=first) == 1.0


def test_a_conflict_rejects_the_answer():
    first = answer(SAID, 0.9, OFFLINE, OFFLINE, qid="q1")
    text = "The release does not run offline on one laptop, the constraints say."
    later = answer(text, 0.9, OFFLINE, OFFLINE, qid="q2")
    validation = validate_answer(later, min_grounding=0.7, accepted=[first])
    assert not validation.accepted
    assert any("negates what answer q1 asserts" in note for note in validation.notes)
    assert validate_answer(later, min_grounding=0.7, accepted=[]).accepted


def test_completeness_grows_with_length_and_citations():
    short = validate_answer(answer("Yes.", 0.9, SURVEY), min_grounding=0.7)
    full = validate_answer(answer(LONG, 0.9, SURVEY, SURVEY), min_grounding=0.7)
    assert short.completeness < 0.7 <= full.completeness
    assert full.completeness == 1.0


# --- the loop ------------------------------------------------------------------------------------

GAPPY = {
    "IdeaSpec": {
        "title": "Campus Bike Swap",
        "description": "Students list used bikes and swap them on campus.",
        "target_users": [],
        "warranty": "",
    }
}


def test_gaps_are_answered_from_the_corpus_and_become_frames():
    result = run(GAPPY)
    assert result.summary["questions_count"] == 3
    by_context = {
        q.context: (a, v)
        for q, a, v in zip(result.questions, result.answers, result.validations, strict=True)
    }
    constraints, accepted = by_context["/IdeaSpec/constraints"]
    assert accepted.accepted
    assert {c.pointer for c in constraints.citations} == {"/constraints/0", "/constraints/1"}
    frames = [f for f in result.frames if f.question_id == constraints.question_id]
    assert [f.content for f in frames] == [
        "Idea at /constraints/0: runs offline on one laptop.",
        "Idea at /constraints/1: no payments in the first release.",
    ]
    assert frames[0].citations == (constraints.citations[0],)
    assert all(f.type == "fact" and f.source == "qav" and f.phase == "intake" for f in frames)
    assert len({f.id for f in result.frames}) == len(result.frames)


def test_an_unanswerable_gap_becomes_unknown_and_an_assumption():
    result = run(GAPPY)
    (question,) = [q for q in result.questions if q.context == "/IdeaSpec/warranty"]
    final = dict(zip([q.id for q in result.questions], result.answers, strict=True))[question.id]
    assert final.answer == UNKNOWN
    (row,) = [a for a in result.assumptions if a["question_id"] == question.id]
    assert "/IdeaSpec/warranty" in row["assumption"]
    assert row["rationale"]
    assert len(row["mitigation"]) >= 2
    assert result.summary["answered_count"] == 2
    assert result.summary["validated_count"] == 2
    assert result.summary["assumptions"] == result.assumptions
    assert result.summary["grounding_score"] == pytest.approx(
        sum(v.grounding for v in result.validations) / 3, abs=1e-4
    )
    assert result.iterations == 3  # the unknown one was re-asked until the iterations ran out


def test_a_risk_is_answered_by_its_mitigation_elsewhere():
    draft = {"RiskRegister": {"risks": [{"risk": "bike theft during swaps", "severity": "high"}]}}
    result = run(draft, required_fields=[])
    (q,) = result.questions
    assert q.category == "risk"
    (a,) = result.answers
    assert any(c.pointer == "/theft_risk/mitigation" for c in a.citations)


def test_loop_stops_once_everything_is_accepted():
    result = run({"IdeaSpec": {**COMPLETE["IdeaSpec"], "target_users": []}})
    assert result.iterations == 1
    assert result.summary["validated_count"] == 1
    assert result.assumptions == []


def test_same_input_gives_the_same_json():
    first = run(GAPPY).model_dump(mode="json")
    second = run(GAPPY).model_dump(mode="json")
    assert canonical_json(first) == canonical_json(second)
    reordered = {"art-survey": CORPUS["art-survey"], "art-idea": CORPUS["art-idea"]}
    assert canonical_json(run(GAPPY, corpus=reordered).model_dump(mode="json")) == canonical_json(first)


def test_max_iterations_must_be_positive():
    with pytest.raises(ValueError, match="max_iterations"):
        run(GAPPY, max_iterations=0)


def test_pointers_escape_slashes_and_tildes_and_resolve_back():
    corpus = {"a": ("Spec", {"paths": {"/api/bikes": {"get": "lists bikes"}, "a~b": ["x"]}})}
    q = question("Which endpoint “lists bikes”?", "/Plan/endpoint")
    (citation,) = answer_question(q, corpus, strict=False).citations
    assert citation.pointer == "/paths/~1api~1bikes/get"
    assert resolve_pointer(corpus["a"][1], citation.pointer) == "lists bikes"
    assert resolve_pointer(corpus["a"][1], "/paths/a~0b/0") == "x"
    with pytest.raises(KeyError):
        resolve_pointer(corpus["a"][1], "/paths/missing")
    with pytest.raises(KeyError):
        resolve_pointer(corpus["a"][1], "/paths/a~0b/5")
