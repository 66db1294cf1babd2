from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from ideamine.core.idea import analyse_idea

PETS = (
    "A marketplace for pet owners and dog sitters that lets owners book sitters, pay online and leave "
    "reviews for each visit."
)
BAKERY = "A tool for small bakeries to manage orders, ingredients and delivery routes."


def test_entities_personas_and_features_come_from_the_idea():
    facts = analyse_idea(PETS)
    assert {"Owner", "Sitter", "Visit"} <= set(facts.entities)
    assert facts.personas == ("Pet owner", "Dog sitter")
    assert facts.features == ("book sitters", "pay online", "leave reviews")


def test_objects_listed_after_one_verb_each_become_a_feature():
    facts = analyse_idea(BAKERY)
    assert facts.features == ("manage orders", "manage ingredients", "manage delivery routes")
    assert "Manage" not in facts.entities
    assert "Small" not in facts.entities


def test_target_users_given_at_trigger_time_win():
    assert analyse_idea(PETS, target_users="vets, shelter staff").personas == ("Vet", "Shelter staff")


def test_constraints_are_split_into_items():
    assert analyse_idea(BAKERY, constraints="GDPR, runs offline and costs under $20/month").constraints == (
        "GDPR",
        "runs offline",
        "costs under $20/month",
    )


def test_different_ideas_differ_and_the_same_idea_is_stable():
    assert analyse_idea(PETS) == analyse_idea(PETS)
    assert analyse_idea(PETS).entities != analyse_idea(BAKERY).entities


def test_template_and_sql_text_stays_plain_data():
    facts = analyse_idea("{{ 7*7 }} calculator for kids; DROP TABLE runs; --")
    assert "49" not in facts.summary
    assert facts.summary.startswith("{{ 7*7 }}")
    assert facts.features  # falls back to record management of its entities


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=10, max_size=400))
def test_any_text_gives_usable_facts(idea: str):
    facts = analyse_idea(idea)
    assert facts.entities
    assert facts.personas
    assert facts.features
    assert all(e.isidentifier() for e in facts.entities)
