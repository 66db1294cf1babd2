"""Guards over document artifacts: each reads the run's artifacts and scores one property in 0..1.

Every evaluator has the signature ``(guard config, {artifact type: body}, repo dir or None) ->
GuardReport`` and is pure: it reads only the artifact bodies it is given (the repo argument is
there for tool guards; these ignore it). A failure names a stable violation type and lists in
``details["agents"]`` the agents of the phase YAML whose output caused it, for the auto-fix.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ideamine.core.artifacts import SEMVER_PATTERN
from ideamine.core.guards import GuardReport, Violation

GuardFn = Callable[[Any, dict[str, Any], Path | None], GuardReport]

# Which agent writes each top-level field the completeness guards look for.
FIELD_AGENTS: dict[str, str] = {
    "title": "IntakeAgent", "description": "IntakeAgent", "target_users": "IntakeAgent",
    "constraints": "ConstraintsAgent", "strategy": "StrategyAgent", "competitors": "CompetitiveAgent",
    "tech_stack": "TechStackAgent", "personas": "PersonaAgent", "user_stories": "StoryCutterAgent",
    "ux_flows": "UXFlowAgent", "nfrs": "NFRsAgent", "traceability_matrix": "TraceMatrixAgent",
    "business_model": "BusinessModelAgent", "pricing_strategy": "PricingAgent", "gtm_plan": "GTMAgent",
    "success_metrics": "MetricsAgent", "system_architecture": "ArchitectureAgent",
    "data_model": "DataModelAgent", "api_design": "APIDesignAgent",
    "deployment_architecture": "InfrastructureAgent", "release_notes": "ReleaseNotesAgent",
    "deployment_plan": "DeploymentAgent", "rollback_plan": "DeploymentAgent",
    "documentation": "DocumentationAgent", "changelog": "ChangelogAgent",
}  # fmt: skip
TYPE_AGENTS: dict[str, list[str]] = {
    "IdeaSpec": ["IntakeAgent", "RequirementsAgent"], "ConstraintsList": ["ConstraintsAgent"],
    "IdeationResult": ["StrategyAgent", "PersonaAgent"], "CompetitiveAnalysis": ["CompetitiveAgent"],
    "TechStackProposal": ["TechStackAgent"], "CritiqueReport": ["CritiqueAgent"],
    "RiskRegister": ["RiskAnalysisAgent"], "RevisedAssumptions": ["AssumptionChallengerAgent"],
    "UserStories": ["StoryCutterAgent"], "PRD": ["PRDWriterAgent", "UXFlowAgent", "NFRsAgent"],
    "RTM": ["TraceMatrixAgent"], "BusinessPlan": ["BusinessModelAgent", "MetricsAgent"],
    "PricingModel": ["PricingAgent"], "GTMStrategy": ["GTMAgent"],
}  # fmt: skip

# Vague words and the concrete reading the intake glossary gives them; undefined ones cost clarity.
VAGUE_TERMS: dict[str, str] = {
    "easy": "a first-time user finishes the main task in under three minutes without help",
    "simple": "the main task takes at most three steps",
    "intuitive": "a first-time user finishes the main task without reading documentation",
    "user-friendly": "the interface meets WCAG 2.2 AA and the main task takes at most three steps",
    "fast": "the p95 latency of every API request stays below 1000 ms",
    "quick": "the p95 latency of every API request stays below 1000 ms",
    "scalable": "one instance serves at least 100 requests per second",
    "secure": "no critical findings from the SAST, dependency and secret scans",
    "robust": "every invalid request gets a 4xx answer and the service keeps running",
    "seamless": "no step of the main task needs a page reload or a second tool",
    "modern": "it runs in the current Firefox, Chrome and Safari releases",
    "powerful": "it covers every feature listed in the spec",
    "flexible": "records can be created, listed, changed and removed through the JSON API",
    "efficient": "the main task takes at most three steps",
    "smart": "it applies the rules written in the spec",
    "etc": "the list given is complete for the first release",
    "various": "the items listed in the spec",
    "several": "the items listed in the spec",
    "many": "the number stated in the spec",
    "maybe": "not part of the first release",
    "possibly": "not part of the first release",
    "might": "not part of the first release",
    "somewhat": "to the measurable degree stated in the spec",
    "probably": "as an assumption to be validated in beta",
    "nice": "meets the style guide",
    "better": "measurably improved on the metric named in the spec",
    "best": "the highest-ranked option on the metric named in the spec",
    "optimal": "the highest-ranked option on the metric named in the spec",
    "appropriate": "as specified in the spec",
    "reasonable": "within the limits stated in the spec",
}
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_STOP = frozenset(
    "a an the and or of for to in on at by with from as is are be it its this that their each every any all "
    "his her our your they them can will should shall must not never no without".split()
)
_NEGATIVE = re.compile(r"\b(?:must not|must never|shall not|should not|may not|cannot|never)\b\s+(.+)", re.I)
_POSITIVE = re.compile(r"\b(?:must|shall|should)\b\s+(?!not\b|never\b)(.+)", re.I)
_NO_X = re.compile(r"^\s*(?:no|without)\s+(.+)", re.I)


# --- helpers ---------------------------------------------------------------------------------------
def _report(
    cfg: Any, score: float, violations: list[Violation], details: dict[str, Any], agents: Iterable[str]
) -> GuardReport:
    details = {**details, "agents": sorted(set(agents)) if violations else []}
    return GuardReport(
        guard=cfg.type,
        status="failed" if violations else "passed",
        score=round(max(0.0, min(1.0, score)), 4),
        hard=cfg.hard,
        violations=violations,
        details=details,
    )


def _scored_checks(cfg: Any, name: str, checks: dict[str, float], agents: list[str]) -> GuardReport:
    """A guard scored as the mean of its checks, failing below ``cfg.min_score``."""
    score = sum(checks.values()) / len(checks)
    violations = []
    if score < cfg.min_score:
        violations.append(Violation.below_min(name, round(score, 3), cfg.min_score, severity="medium"))
    return _report(cfg, score, violations, {"checks": checks}, agents)


def _missing(cfg: Any, type_: str, agents: list[str]) -> GuardReport:
    violation = Violation(type="artifact_missing", message=f"no {type_} artifact to check", severity="high")
    return _report(cfg, 0.0, [violation], {"missing": type_}, agents)


def _body(artifacts: dict[str, Any], type_: str) -> dict[str, Any] | None:
    body = artifacts.get(type_)
    return body if isinstance(body, dict) else None


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _get(body: dict[str, Any] | None, *keys: str) -> Any:
    value: Any = body
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {}) and not (isinstance(value, str) and not value.strip())


def _ratio(actual: float, minimum: float) -> float:
    return 1.0 if minimum <= 0 else min(1.0, actual / minimum)


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def content_words(text: str) -> frozenset[str]:
    """The lowercase, singular content words of ``text`` (hyphenated words split)."""
    words = (part for w in _WORD.findall(text.lower()) for part in w.split("-"))
    return frozenset(_singular(w) for w in words if w not in _STOP and len(w) > 1)


def _strings(value: Any, skip: frozenset[str]) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key in sorted(value):
            if key not in skip:
                yield from _strings(value[key], skip)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, skip)


def vague_terms_in(text: str) -> list[str]:
    """Vague words of :data:`VAGUE_TERMS` in ``text``, in order of appearance (repeats kept)."""
    return [w for w in _WORD.findall(text.lower()) if w in VAGUE_TERMS]


def forbidden_by(constraint: str) -> frozenset[str] | None:
    """The content words a negative constraint ("no X", "... must not X") rules out, else None."""
    match = _NO_X.match(constraint) or _NEGATIVE.search(constraint)
    words = content_words(match.group(1)) if match else frozenset()
    return words or None


def conflicts(statement: str, constraints: Iterable[str]) -> list[str]:
    """The negative constraints that a positive ``statement`` breaks (it does what they forbid)."""
    if _NEGATIVE.search(statement) or _NO_X.match(statement):
        return []
    words = content_words(statement)
    return [c for c in constraints if (forbidden := forbidden_by(c)) and forbidden <= words]


# --- completeness ----------------------------------------------------------------------------------
def _present_fields(artifacts: dict[str, Any]) -> set[str]:
    return {
        key for body in artifacts.values() if isinstance(body, dict) for key, v in body.items() if _filled(v)
    }


def completeness(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """Every required field is a non-empty top-level key of some artifact."""
    present = _present_fields(artifacts)
    missing = [name for name in cfg.required_fields if name not in present]
    score = 1 - len(missing) / len(cfg.required_fields)
    violations = []
    if missing:
        text = "required fields missing or empty: " + ", ".join(missing)
        violations.append(Violation(type="required_fields_missing", message=text, severity="high"))
    agents = [FIELD_AGENTS[name] for name in missing if name in FIELD_AGENTS]
    return _report(cfg, score, violations, {"missing": missing}, agents)


_RELEASE_DEPTH: dict[str, tuple[tuple[str, ...], int]] = {
    # field -> (path inside the field that must hold a list, its minimum length)
    "release_notes": (("highlights",), 1),
    "deployment_plan": (("steps",), 3),
    "rollback_plan": (("steps",), 2),
    "documentation": (("api_reference",), 1),
}


def release_completeness(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """Like completeness, and each release section has real content (steps, highlights, endpoints)."""
    present = _present_fields(artifacts)
    missing = [name for name in cfg.required_fields if name not in present]
    thin: list[str] = []
    for name in cfg.required_fields:
        if name in missing or name not in _RELEASE_DEPTH:
            continue
        path, minimum = _RELEASE_DEPTH[name]
        value = next((b[name] for b in artifacts.values() if isinstance(b, dict) and name in b), None)
        inner = _get(value if isinstance(value, dict) else None, *path)
        if not isinstance(inner, list) or len(inner) < minimum:
            thin.append(name)
    n = len(cfg.required_fields)
    score = (2 * n - 2 * len(missing) - len(thin)) / (2 * n)
    violations = []
    if missing:
        message = "release fields missing: " + ", ".join(missing)
        violations.append(Violation(type="release_fields_missing", message=message, severity="high"))
    if thin:
        message = "release sections without content: " + ", ".join(thin)
        violations.append(Violation(type="release_sections_incomplete", message=message, severity="medium"))
    agents = [FIELD_AGENTS[name] for name in missing + thin if name in FIELD_AGENTS]
    return _report(cfg, score, violations, {"missing": missing, "incomplete": thin}, agents)


# --- clarity, feasibility --------------------------------------------------------------------------
_CODE_TYPES = frozenset({"SourceCode", "TestSuite", "OpenAPI", "ImplementedStories", "VisualAssets"})
_SKIP_KEYS = frozenset({"diagram", "content", "test_source", "files", "glossary", "id", "story_ids"})
LONG_SENTENCE_WORDS = 30


def clarity(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """1 minus penalties for undefined vague words (per 100 words) and for sentences over 30 words.

    A vague word counts as defined when the IdeaSpec glossary gives it a concrete meaning.
    """
    glossary = {str(e.get("term", "")).lower() for e in _list(_get(_body(artifacts, "IdeaSpec"), "glossary"))}
    words = sentences = long = 0
    vague: dict[str, list[str]] = {}
    for type_ in sorted(artifacts):
        if type_ in _CODE_TYPES or not isinstance(artifacts[type_], dict):
            continue
        for text in _strings(artifacts[type_], _SKIP_KEYS):
            words += len(text.split())
            for part in re.split(r"(?<=[.!?])\s+", text.strip()):
                sentences += 1
                long += len(part.split()) > LONG_SENTENCE_WORDS
            hits = [w for w in vague_terms_in(text) if w not in glossary]
            if hits:
                vague.setdefault(type_, []).extend(hits)
    if not words:
        return GuardReport(
            guard=cfg.type, status="not_run", score=0, hard=cfg.hard, reason="no text to score"
        )
    vague_count = sum(len(v) for v in vague.values())
    score = 1 - min(1.0, 20 * vague_count / words) - 0.5 * long / max(1, sentences)
    details = {
        "words": words,
        "undefined_vague_words": {k: sorted(set(v)) for k, v in vague.items()},
        "long_sentences": long,
    }
    violations = []
    if score < cfg.min_score:
        violations.append(Violation.below_min("clarity", round(score, 3), cfg.min_score, severity="medium"))
    agents = [a for type_ in vague for a in TYPE_AGENTS.get(type_, [])] or ["IntakeAgent"]
    return _report(cfg, score, violations, details, agents)


_MATURITY = {"proven": 1.0, "emerging": 0.5, "experimental": 0.0}


def feasibility(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """Mean of: stack maturity, scope size, measurable objectives, few runtime dependencies."""
    stack = _body(artifacts, "TechStackProposal")
    strategy = _get(_body(artifacts, "IdeationResult"), "strategy")
    if stack is None or not isinstance(strategy, dict):
        return _missing(cfg, "TechStackProposal/IdeationResult", ["TechStackAgent", "StrategyAgent"])
    layers = _list(stack.get("tech_stack"))
    objectives = [o for o in strategy.get("objectives", []) if isinstance(o, str)]
    features = _get(_body(artifacts, "IdeaSpec"), "features") or []
    deps = stack.get("runtime_dependencies") or []
    checks = {
        "stack_maturity": sum(_MATURITY.get(x.get("maturity"), 0.0) for x in layers) / max(1, len(layers)),
        "scope": min(1.0, 10 / max(1, len(features))),
        "measurable_objectives": sum(bool(re.search(r"\d", o)) for o in objectives) / max(1, len(objectives)),
        "dependencies": min(1.0, 5 / max(1, len(deps))),
    }
    return _scored_checks(cfg, "feasibility", checks, ["TechStackAgent", "StrategyAgent"])


# --- critique --------------------------------------------------------------------------------------
def risk_coverage(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """Enough mitigated risks, and every required category covered."""
    register = _body(artifacts, "RiskRegister")
    if register is None:
        return _missing(cfg, "RiskRegister", ["RiskAnalysisAgent"])
    risks = [r for r in _list(register.get("risks")) if _filled(r.get("mitigation"))]
    categories = {r.get("category") for r in risks}
    uncovered = [c for c in cfg.required_categories if c not in categories]
    required = len(cfg.required_categories)
    category_share = 1.0 if not required else (required - len(uncovered)) / required
    score = 0.5 * _ratio(len(risks), cfg.min_risks) + 0.5 * category_share
    violations = []
    if len(risks) < cfg.min_risks:
        violations.append(Violation.below_min("risks", len(risks), cfg.min_risks, severity="medium"))
    if uncovered:
        message = "no mitigated risk in categories: " + ", ".join(uncovered)
        violations.append(Violation(type="risk_categories_missing", message=message, severity="medium"))
    details = {"mitigated_risks": len(risks), "uncovered_categories": uncovered}
    return _report(cfg, score, violations, details, ["RiskAnalysisAgent"])


def assumption_validation(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """Enough assumptions actually challenged: a status other than unchallenged, a challenge, evidence."""
    body = _body(artifacts, "RevisedAssumptions")
    if body is None:
        return _missing(cfg, "RevisedAssumptions", ["AssumptionChallengerAgent"])
    challenged = [
        a
        for a in _list(body.get("assumptions"))
        if a.get("status") not in (None, "unchallenged")
        and _filled(a.get("challenge"))
        and _filled(a.get("evidence"))
    ]
    violations = []
    if len(challenged) < cfg.min_challenged:
        violations.append(
            Violation.below_min(
                "assumptions_challenged", len(challenged), cfg.min_challenged, severity="medium"
            )
        )
    score = _ratio(len(challenged), cfg.min_challenged)
    return _report(cfg, score, violations, {"challenged": len(challenged)}, ["AssumptionChallengerAgent"])


# --- prd -------------------------------------------------------------------------------------------
def _statements(artifacts: dict[str, Any]) -> list[tuple[str, str]]:
    """(agent, text) for every requirement-like sentence: constraints, stories, criteria, NFRs."""
    found: list[tuple[str, str]] = []
    for text in _get(_body(artifacts, "IdeaSpec"), "constraints") or []:
        if isinstance(text, str):
            found.append(("ConstraintsAgent", text))
    for story in _list(_get(_body(artifacts, "UserStories"), "user_stories")):
        found.append(("StoryCutterAgent", f"{story.get('title', '')}: {story.get('want', '')}"))
        found += [("StoryCutterAgent", c) for c in story.get("acceptance_criteria", []) if isinstance(c, str)]
    prd = _body(artifacts, "PRD")
    found += [("NFRsAgent", str(n.get("statement", ""))) for n in _list(_get(prd, "nfrs"))]
    found += [("PRDWriterAgent", c) for c in _get(prd, "release_criteria") or [] if isinstance(c, str)]
    return found


def find_contradictions(artifacts: dict[str, Any]) -> list[dict[str, Any]]:
    """Real conflicts between the requirements of a run, each ``{kind, detail, agents}``."""
    found: list[dict[str, Any]] = []

    def add(kind: str, detail: str, *agents: str) -> None:
        found.append({"kind": kind, "detail": detail, "agents": sorted(set(agents))})

    for list_type, key, agent in (
        ("UserStories", "user_stories", "StoryCutterAgent"),
        ("PRD", "nfrs", "NFRsAgent"),
    ):
        seen: dict[str, dict[str, Any]] = {}
        for entry in _list(_get(_body(artifacts, list_type), key)):
            ident = str(entry.get("id"))
            if ident in seen and seen[ident] != entry:
                add("duplicate_id", f"{ident} is defined twice with different content", agent)
            seen.setdefault(ident, entry)
    targets: dict[str, tuple[str, str]] = {}
    for nfr in _list(_get(_body(artifacts, "PRD"), "nfrs")):
        metric, target = str(nfr.get("metric", "")), str(nfr.get("target", ""))
        if metric in targets and targets[metric][1] != target:
            add("conflicting_targets", f"{metric}: {targets[metric][1]} vs {target}", "NFRsAgent")
        targets.setdefault(metric, (str(nfr.get("id")), target))
    statements = _statements(artifacts)
    constraints = [text for agent, text in statements if agent == "ConstraintsAgent"]
    for agent, text in statements:
        if agent != "ConstraintsAgent":
            for constraint in conflicts(text, constraints):
                add("breaks_constraint", f"{text!r} breaks the constraint {constraint!r}", agent)
    polarity: dict[frozenset[str], dict[bool, tuple[str, str]]] = {}
    for agent, text in statements:
        for negative, pattern in ((True, _NEGATIVE), (False, _POSITIVE)):
            match = pattern.search(text)
            if match and (key := content_words(" ".join(match.group(1).split()[:8]))):
                polarity.setdefault(key, {}).setdefault(negative, (agent, text))
                break
    for sides in polarity.values():
        if len(sides) == 2:
            (a1, t1), (a2, t2) = sides[False], sides[True]
            add("must_and_must_not", f"{t1!r} vs {t2!r}", a1, a2)
    story_ids = {str(s.get("id")) for s in _list(_get(_body(artifacts, "UserStories"), "user_stories"))}
    rows = _list(_get(_body(artifacts, "RTM"), "traceability_matrix"))
    for source, agent, entries in (
        ("RTM", "TraceMatrixAgent", rows),
        ("PRD ux_flows", "UXFlowAgent", _list(_get(_body(artifacts, "PRD"), "ux_flows"))),
    ):
        for ref in sorted({str(i) for e in entries for i in e.get("story_ids", [])} - story_ids):
            add("unknown_story", f"{source} refers to {ref}, which is not a user story", agent)
    return found


def contradictions(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """Count contradictions; more than ``max_contradictions`` fails (hard by default)."""
    found = find_contradictions(artifacts)
    count, limit = len(found), cfg.max_contradictions
    violations = []
    if count > limit:
        violations.append(Violation.exceeded("contradictions_max", count, limit, severity="high"))
    score = 1.0 if count <= limit else max(0.0, 1 - 0.2 * (count - limit))
    agents = [a for c in found for a in c["agents"]]
    return _report(cfg, score, violations, {"count": count, "contradictions": found}, agents)


def coverage(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """Enough distinct user stories and NFRs; untraced stories are listed in the details."""
    stories = _list(_get(_body(artifacts, "UserStories"), "user_stories"))
    nfrs = _list(_get(_body(artifacts, "PRD"), "nfrs"))
    n_stories = len({str(s.get("id")) for s in stories})
    n_nfrs = len({str(n.get("id")) for n in nfrs})
    traced = {
        str(i)
        for r in _list(_get(_body(artifacts, "RTM"), "traceability_matrix"))
        for i in r.get("story_ids", [])
    }
    violations, agents = [], []
    if n_stories < cfg.min_stories:
        violations.append(Violation.below_min("stories", n_stories, cfg.min_stories, severity="medium"))
        agents += ["StoryCutterAgent", "UXFlowAgent", "TraceMatrixAgent"]
    if n_nfrs < cfg.min_nfrs:
        violations.append(Violation.below_min("nfrs", n_nfrs, cfg.min_nfrs, severity="medium"))
        agents += ["NFRsAgent", "TraceMatrixAgent"]
    score = (_ratio(n_stories, cfg.min_stories) + _ratio(n_nfrs, cfg.min_nfrs)) / 2
    details = {
        "stories": n_stories,
        "nfrs": n_nfrs,
        "untraced_stories": sorted({str(s.get("id")) for s in stories} - traced),
    }
    return _report(cfg, score, violations, details, agents)


# --- architecture ----------------------------------------------------------------------------------
def security(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """Enough distinct, enforced security controls; every listed threat maps to known controls."""
    sec = _get(_body(artifacts, "ArchitectureDoc"), "security")
    if not isinstance(sec, dict):
        return _missing(cfg, "ArchitectureDoc.security", ["SecurityArchitectAgent"])
    controls = [c for c in _list(sec.get("controls")) if _filled(c.get("enforced_by"))]
    ids = {str(c.get("id")) for c in controls}
    n = len({str(c.get("name")) for c in controls})
    unmapped = [
        str(t.get("threat")) for t in _list(sec.get("threats")) if not set(t.get("control_ids", [])) <= ids
    ]
    violations = []
    if n < cfg.min_controls:
        violations.append(Violation.below_min("security_controls", n, cfg.min_controls, severity="high"))
    if unmapped:
        message = "threats mapped to unknown controls: " + "; ".join(unmapped)
        violations.append(Violation(type="threats_unmitigated", message=message, severity="high"))
    score = _ratio(n, cfg.min_controls) * (1 - len(unmapped) / max(1, len(_list(sec.get("threats")))))
    return _report(
        cfg, score, violations, {"controls": n, "unmapped_threats": unmapped}, ["SecurityArchitectAgent"]
    )


def scalability(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """Mean of checks on the design and on the API: stateless tier, pagination in the OpenAPI, targets."""
    arch = _body(artifacts, "ArchitectureDoc")
    scale = _get(arch, "scalability")
    if not isinstance(scale, dict):
        return _missing(cfg, "ArchitectureDoc.scalability", ["ArchitectureAgent"])
    components = _list(_get(arch, "system_architecture", "components"))
    collections = [
        op
        for path, item in (_get(_body(artifacts, "OpenAPI"), "paths") or {}).items()
        if path.startswith("/api/") and "{" not in path and isinstance(item, dict)
        for op in [item.get("get")]
        if isinstance(op, dict)
    ]
    paginated = [
        op
        for op in collections
        if any(
            _get(p, "name") == "limit" or str(_get(p, "$ref")).lower().endswith("/limit")
            for p in op.get("parameters", [])
        )
    ]
    checks = {
        "stateless_app_tier": float(scale.get("stateless_app_tier") is True),
        "horizontal_scaling": float(scale.get("horizontal_scaling") is True),
        "stateless_components": sum(c.get("state") == "stateless" for c in components)
        / max(1, len(components)),
        "paginated_collections": len(paginated) / len(collections) if collections else 0.0,
        "latency_target": float(0 < (scale.get("target_p95_ms") or 10**9) <= 1000),
        "throughput_target": float((scale.get("target_rps") or 0) >= 100),
        "health_checks": float(
            _filled(_get(_body(artifacts, "InfrastructureSpec"), "deployment_architecture", "health_checks"))
        ),
    }
    score = sum(checks.values()) / len(checks)
    violations = []
    if score < cfg.min_score:
        violations.append(
            Violation.below_min("scalability", round(score, 3), cfg.min_score, severity="medium")
        )
    agents = ["ArchitectureAgent", "APIDesignAgent", "InfrastructureAgent"]
    return _report(cfg, score, violations, {"checks": checks}, agents)


# --- bizdev ----------------------------------------------------------------------------------------
def financial_viability(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """Unit economics: LTV:CAC >= 3, payback <= 12 months, margin >= 60 %, numbers consistent, paid tier."""
    economics = _get(_body(artifacts, "BusinessPlan"), "unit_economics")
    tiers = _list(_get(_body(artifacts, "PricingModel"), "tiers"))
    if not isinstance(economics, dict):
        return _missing(cfg, "BusinessPlan.unit_economics", ["BusinessModelAgent"])
    ltv, cac = float(economics.get("ltv_usd") or 0), float(economics.get("cac_usd") or 0)
    ratio = float(economics.get("ltv_to_cac") or 0)
    payback = float(economics.get("payback_months") or 0)
    prices = [float(t.get("monthly_price") or 0) for t in tiers]
    checks = {
        "ltv_to_cac": min(1.0, ratio / 3),
        "payback": 1.0 if 0 < payback <= 12 else (12 / payback if payback > 12 else 0.0),
        "gross_margin": min(1.0, float(economics.get("gross_margin") or 0) / 0.6),
        "consistent": float(cac > 0 and abs(ltv / cac - ratio) <= 0.05 * max(ratio, 1e-9)),
        "paid_tier": float(any(p > 0 for p in prices) and prices == sorted(prices)),
        "revenue_streams": float(
            _filled(_get(_body(artifacts, "BusinessPlan"), "business_model", "revenue_streams"))
        ),
    }
    return _scored_checks(cfg, "financial_viability", checks, ["BusinessModelAgent", "PricingAgent"])


# --- release ---------------------------------------------------------------------------------------
def _semver_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.split(r"[-+]", version)[0].split("."))


def version_validation(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """Release, dossier and newest changelog versions are valid semver and agree; changelog descends."""
    notes, dossier = _body(artifacts, "ReleaseNotes"), _body(artifacts, "ReleaseDossier")
    changelog = [str(e.get("version")) for e in _list(_get(notes, "changelog"))]
    found = {"ReleaseNotes": _get(notes, "version"), "ReleaseDossier": _get(dossier, "version")}
    if changelog:
        found["changelog"] = changelog[0]
    versions = {k: str(v) for k, v in found.items() if v is not None}
    violations: list[Violation] = []
    invalid = [f"{k}={v!r}" for k, v in versions.items() if not re.fullmatch(SEMVER_PATTERN, v)]
    invalid += [f"changelog={v!r}" for v in changelog[1:] if not re.fullmatch(SEMVER_PATTERN, v)]
    if not versions:
        violations.append(
            Violation(type="version_missing", message="no release version found", severity="high")
        )
    if invalid:
        message = "not semver: " + ", ".join(invalid)
        violations.append(Violation(type="version_invalid", message=message, severity="high"))
    elif len(set(versions.values())) > 1 or [_semver_key(v) for v in changelog] != sorted(
        (_semver_key(v) for v in changelog), reverse=True
    ):
        message = "versions disagree or the changelog is not newest-first: " + ", ".join(
            f"{k}={v}" for k, v in sorted(versions.items())
        )
        violations.append(Violation(type="version_mismatch", message=message, severity="high"))
    return _report(
        cfg,
        0.0 if violations else 1.0,
        violations,
        {"versions": versions},
        ["ReleaseNotesAgent", "ChangelogAgent"],
    )


# --- aesthetic -------------------------------------------------------------------------------------
def _luminance(hex_color: str) -> float:
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours (1..21)."""
    high, low = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def design_consistency(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """Components use only defined tokens, text pairs reach WCAG AA contrast, spacing is one scale."""
    system = _body(artifacts, "DesignSystem")
    if system is None:
        return _missing(cfg, "DesignSystem", ["UIPolishAgent"])
    tokens = system.get("tokens") if isinstance(system.get("tokens"), dict) else {}
    defined = {
        f"{group}.{name}" for group, values in tokens.items() if isinstance(values, dict) for name in values
    }
    refs = [str(r) for c in _list(system.get("components")) for r in c.get("tokens", [])]
    colors = tokens.get("colors", {}) if isinstance(tokens.get("colors"), dict) else {}
    pairs = _list(system.get("text_pairs"))
    ratios = []
    for pair in pairs:
        fg, bg = str(colors.get(pair.get("foreground"))), str(colors.get(pair.get("background")))
        ratios.append(round(contrast_ratio(fg, bg), 2) if _HEX.fullmatch(fg) and _HEX.fullmatch(bg) else 0.0)
    spacing = [v for v in (tokens.get("spacing") or {}).values() if isinstance(v, int) and v > 0]
    base = min(spacing, default=0)
    checks = {
        "token_references": sum(r in defined for r in refs) / len(refs) if refs else 0.0,
        "text_contrast_aa": sum(r >= 4.5 for r in ratios) / len(ratios) if ratios else 0.0,
        "spacing_scale": sum(v % base == 0 for v in spacing) / len(spacing) if spacing else 0.0,
        "reduced_motion": float(_get(system, "motion", "reduced_motion_respected") is True),
    }
    score = sum(checks.values()) / len(checks)
    violations = []
    if score < cfg.min_score:
        violations.append(
            Violation.below_min("design_consistency", round(score, 3), cfg.min_score, severity="medium")
        )
    low = [
        f"{p.get('foreground')}/{p.get('background')}" for p, r in zip(pairs, ratios, strict=True) if r < 4.5
    ]
    if low:  # unreadable text fails WCAG AA whatever the other checks say
        message = "text pairs below 4.5:1 contrast: " + ", ".join(low)
        violations.append(Violation(type="contrast_below_aa", message=message, severity="high"))
    details = {"checks": checks, "contrast_ratios": ratios, "unknown_tokens": sorted(set(refs) - defined)}
    return _report(cfg, score, violations, details, ["UIPolishAgent", "AnimationAgent"])


def brand_compliance(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """The brand palette is in the design tokens, the logo exists, assets use brand colours and alt text."""
    guide, assets = _body(artifacts, "StyleGuide"), _list(_get(_body(artifacts, "VisualAssets"), "assets"))
    brand = _get(guide, "brand")
    if not isinstance(brand, dict):
        return _missing(cfg, "StyleGuide.brand", ["BrandingAgent"])
    palette = {str(v).lower() for v in (brand.get("palette") or {}).values()}
    token_colors = {
        str(v).lower() for v in (_get(_body(artifacts, "DesignSystem"), "tokens", "colors") or {}).values()
    }
    used = {c.lower() for a in assets for c in re.findall(r"#[0-9a-fA-F]{6}\b", str(a.get("content", "")))}
    checks = {
        "palette_in_tokens": len(palette & token_colors) / len(palette) if palette else 0.0,
        "logo_present": float(any(brand.get("logo_asset") in (a.get("name"), a.get("path")) for a in assets)),
        "assets_on_palette": float(bool(used) and used <= palette | {"#ffffff", "#000000"}),
        "alt_text": sum(_filled(a.get("alt")) for a in assets) / len(assets) if assets else 0.0,
        "voice_defined": float(_filled(brand.get("voice"))),
    }
    return _scored_checks(cfg, "brand_compliance", checks, ["BrandingAgent", "UIPolishAgent"])


def responsive_design(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """Every required breakpoint is defined, they tile the width range, and the CSS has media queries."""
    breakpoints = _list(_get(_body(artifacts, "StyleGuide"), "breakpoints"))
    names = {str(b.get("name")).lower() for b in breakpoints}
    missing = [name for name in cfg.breakpoints if name.lower() not in names]
    ordered = sorted(breakpoints, key=lambda b: int(b.get("min_width") or 0))
    gaps = [
        f"{a.get('name')}->{b.get('name')}"
        for a, b in itertools.pairwise(ordered)
        if a.get("max_width") is None or int(a["max_width"]) + 1 != int(b.get("min_width") or 0)
    ]
    files = _get(_body(artifacts, "SourceCode"), "files") or {}
    css = "\n".join(v for k, v in sorted(files.items()) if k.endswith(".css") and isinstance(v, str))
    media = len(re.findall(r"@media[^{]*(?:min|max)-width", css))
    violations = []
    if missing:
        message = "breakpoints not defined: " + ", ".join(missing)
        violations.append(Violation(type="breakpoints_missing", message=message, severity="medium"))
    if gaps:
        message = "breakpoints overlap or leave gaps: " + ", ".join(gaps)
        violations.append(Violation(type="breakpoints_inconsistent", message=message, severity="medium"))
    if css and media < len(cfg.breakpoints) - 1:
        message = f"the stylesheet has {media} width media queries for {len(cfg.breakpoints)} breakpoints"
        violations.append(Violation(type="media_queries_missing", message=message, severity="medium"))
    n = len(cfg.breakpoints)
    score = (n - len(missing)) / n - 0.25 * bool(gaps) - 0.25 * (bool(css) and media < n - 1)
    details = {"missing": missing, "gaps": gaps, "media_queries": media}
    return _report(cfg, score, violations, details, ["ResponsiveAgent"])


# --- story-loop ------------------------------------------------------------------------------------
def story_completion(cfg: Any, artifacts: dict[str, Any], repo: Path | None) -> GuardReport:
    """At least ``min_stories`` stories done; the score is the share done of all stories."""
    progress = _list(_get(_body(artifacts, "StoryProgress"), "items"))
    total = len(_list(_get(_body(artifacts, "UserStories"), "user_stories"))) or len(progress)
    done = sorted({str(p.get("story_id")) for p in progress if p.get("status") == "done"})
    failed = sorted({str(p.get("story_id")) for p in progress if p.get("status") != "done"})
    violations = []
    if len(done) < cfg.min_stories:
        violations.append(
            Violation.below_min("stories_completed", len(done), cfg.min_stories, severity="high")
        )
    score = len(done) / max(total, cfg.min_stories, 1)
    details = {"done": done, "failed": failed, "total": total}
    return _report(cfg, score, violations, details, ["StoryImplementerAgent", "StoryValidatorAgent"])


GUARDS: dict[str, GuardFn] = {
    "completeness": completeness,
    "release_completeness": release_completeness,
    "clarity": clarity,
    "feasibility": feasibility,
    "risk_coverage": risk_coverage,
    "assumption_validation": assumption_validation,
    "contradictions": contradictions,
    "coverage": coverage,
    "security": security,
    "scalability": scalability,
    "financial_viability": financial_viability,
    "version_validation": version_validation,
    "design_consistency": design_consistency,
    "brand_compliance": brand_compliance,
    "responsive_design": responsive_design,
    "story_completion": story_completion,
}
