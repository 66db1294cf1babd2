from __future__ import annotations

import pytest
from ideamine.core.trigger import parse_trigger_conf
from ideamine.errors import TriggerError


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        (None, "has no conf"),
        ({}, "has no conf"),
        ({"idea": ""}, "idea: is empty"),
        ({"idea": "   \n\t   "}, "idea: is empty"),
        ({"idea": "too short"}, "idea: String should have at least 10 characters"),
        ({"idea": "x" * 10_001}, "idea: String should have at most 10000 characters"),
        ({"idea": 12345678901}, "idea: Input should be a valid string"),
        ({"idea": "a fine idea for a product", "colour": "red"}, "colour: unknown conf key"),
        ({"idea": "nul \x00 inside the idea"}, "NUL"),
        ({"idea": "a fine idea for a product", "budget_usd": -1}, "budget_usd"),
    ],
)
def test_bad_conf_is_rejected_with_the_problem_named(conf, message: str):
    with pytest.raises(TriggerError, match=message):
        parse_trigger_conf(conf)


@pytest.mark.parametrize(
    "idea",
    [
        "{{ 7*7 }} calculator for kids",
        "{% for x in y %} loop app",
        "'; DROP TABLE runs; -- app",
        "$(rm -rf /) && `id` | tee ../../etc/passwd",
    ],
)
def test_hostile_looking_ideas_are_kept_verbatim(idea: str):
    assert parse_trigger_conf({"idea": idea}).idea == idea


def test_optional_fields():
    conf = parse_trigger_conf(
        {
            "idea": "A marketplace for pet sitters",
            "constraints": "GDPR",
            "target_users": "pet owners",
            "budget_usd": 5,
        }
    )
    assert (conf.constraints, conf.target_users, conf.budget_usd) == ("GDPR", "pet owners", 5)
