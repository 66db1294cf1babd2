"""What an idea is about, read off its text: entities, personas, features.

The offline engine builds every artifact from these facts, so different ideas give different
artifacts and the same idea always gives the same ones. It is plain text analysis with no model:
nouns that recur or follow "of/for/with" become entities, the people it is "for" become personas,
and the clauses after "lets/allows/can/to" become features. It is deliberately simple and says so.
"""

from __future__ import annotations

import re
from collections import Counter

from pydantic import BaseModel, ConfigDict

STOPWORDS = frozenset(
    """
a an the and or but of for with to in on at by from as is are be been being it its this that these those
their them they we our you your he she his her who whom which what when where why how all any each every
some such no not only own same so than too very can will just should now app application platform tool
service system product solution way new easy simple simply help helps let lets allow allows using use uses
into onto over under about via per more most other also both while without one two three many much
make makes get gets people user users thing things idea lot lots who's i me my mine
""".split()
)

# Verbs that start features; a listed fragment that does not start with one is another object.
VERBS = frozenset(
    """
add assign book browse buy cancel chat check choose collect compare comment create delete discover donate
earn edit export find follow generate import invite join leave list log manage match message monitor
notify order organise organize pay plan post print publish rate read receive record register remind rent
report request reserve review save schedule search sell send share sign split submit subscribe swap
tag track trade update upload view vote watch write
""".split()
)
_PREPOSITIONS = frozenset("for with to in on at by from via so that which who".split())
ADJECTIVES = frozenset(
    "small large local online daily weekly monthly free personal smart simple best busy".split()
)

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{1,30}")
_VERB_ALTERNATIVES = "|".join(sorted(VERBS))
_FEATURE_LEAD = re.compile(
    r"\b(?:(?:lets?|allows?|enables?|helps?)\s+(?:[a-z'-]+\s+){0,2}?(?:to\s+)?|can\s+|to\s+)"
    rf"(?=(?:{_VERB_ALTERNATIVES})\b)([a-z]+(?:\s+[a-z'-]+){{0,6}})",
    re.IGNORECASE,
)
_FOR_USERS = re.compile(
    r"\bfor\s+((?:[a-z'-]+)(?:\s+(?!who\b|that\b|to\b|so\b|with\b|in\b|which\b)[a-z'-]+){0,5})", re.IGNORECASE
)


class IdeaFacts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    summary: str
    entities: tuple[str, ...]  # PascalCase singular nouns, most salient first
    personas: tuple[str, ...]
    features: tuple[str, ...]  # short imperative phrases
    constraints: tuple[str, ...]


def _singular(word: str) -> str:
    w = word.lower()
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "shes", "ches", "xes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        return w[:-1]
    return w


def _pascal(phrase: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", phrase) if part)


def _sentences(text: str) -> list[str]:
    return [x.strip() for x in re.split(r"[.;!?\n]+", text) if x.strip()]


def _fragments(sentence: str) -> list[str]:
    return [f.strip() for f in re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+", sentence) if f.strip()]


def features_of(text: str, limit: int = 8) -> tuple[str, ...]:
    """Verb phrases: the clause after "lets/allows/can/to", and the fragments listed after it."""
    found: list[str] = []
    for sentence in _sentences(text):
        match = _FEATURE_LEAD.search(sentence)
        if not match:
            continue
        verb = ""
        for fragment in _fragments(sentence[match.start(1) :]):
            words = [
                w.lower() for w in _WORD.findall(fragment) if w.lower() not in {"also", "then", "can", "to"}
            ]
            if not words:
                continue
            at = next((i for i, w in enumerate(words) if w in VERBS), None)
            if at is not None:
                words, verb = words[at:], words[at]
            elif verb:
                words = [verb, *words]  # "manage orders, ingredients" -> "manage ingredients"
            else:
                continue
            # Keep the verb and its object; drop the prepositional tail ("for each visit").
            cut = next((i for i, w in enumerate(words) if i >= 2 and w in _PREPOSITIONS), len(words))
            words = words[:cut]
            if len(words) >= 2:
                phrase = " ".join(words[:6])
                if phrase not in found:
                    found.append(phrase)
    return tuple(found[:limit])


def entities_of(text: str, limit: int = 6) -> tuple[str, ...]:
    """Salient nouns, singular and PascalCase; the verbs that lead features are left out."""
    verbs = {f.split()[0] for f in features_of(text, limit=50)}
    words = [_singular(w) for w in _WORD.findall(text)]
    skip = STOPWORDS | VERBS | ADJECTIVES | verbs
    counts = Counter(w for w in words if w not in skip and len(w) > 2)
    first_seen = {w: i for i, w in reversed(list(enumerate(words)))}
    # Nouns after "of/for/with/a/the" are weighted up: they are more likely things than verbs.
    for match in re.finditer(
        r"\b(?:of|for|with|a|an|the|their|each|every)\s+([A-Za-z][A-Za-z'-]+)", text, re.I
    ):
        noun = _singular(match.group(1))
        if noun in counts:
            counts[noun] += 1
    ranked = sorted(counts, key=lambda w: (-counts[w], first_seen[w], w))
    return tuple(_pascal(w) for w in ranked[:limit])


def personas_of(text: str, target_users: str | None, limit: int = 4) -> tuple[str, ...]:
    """Who it is for: the target users given, else the first "for ..." phrase of the idea."""
    if target_users:
        source = target_users
    else:
        match = _FOR_USERS.search(text)
        source = match.group(1) if match else ""
    names: list[str] = []
    for part in re.split(r",|/|\band\b|\bor\b|;", source):
        words = [w.lower() for w in _WORD.findall(part) if w.lower() not in STOPWORDS | ADJECTIVES]
        if words:
            name = " ".join(
                [*words[:2], _singular(words[2])] if len(words) > 2 else [*words[:-1], _singular(words[-1])]
            )
            name = name.capitalize()
            if name not in names:
                names.append(name)
    return tuple(names[:limit]) or ("Primary user",)


def analyse_idea(idea: str, *, constraints: str | None = None, target_users: str | None = None) -> IdeaFacts:
    """The facts every offline artifact is derived from. Pure and deterministic."""
    text = " ".join(idea.split())
    entities = entities_of(text) or ("Item",)
    features = features_of(text) or tuple(f"manage {e.lower()} records" for e in entities[:3])
    first = _sentences(text)[0] if _sentences(text) else text
    title_words = [w for w in _WORD.findall(first) if w.lower() not in STOPWORDS][:4]
    return IdeaFacts(
        title=" ".join(w.capitalize() for w in title_words) or entities[0],
        summary=text[:500],
        entities=entities,
        personas=personas_of(text, target_users),
        features=features,
        constraints=tuple(_fragments(constraints or "")),
    )
