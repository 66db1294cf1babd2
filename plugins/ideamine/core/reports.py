"""Models of the artifacts that running real tools produces (coverage, scans, SBOM, perf, canary...).

The tools layer (``ideamine.tools``) writes these bodies; ``ideamine.core.artifacts`` validates them
through :data:`REPORT_MODELS`. The keys listed as required are the contract other code relies on;
extra keys are allowed so a tool can carry more evidence.

Every report may say ``available: false`` with a ``reason``: the tool could not run here (not
installed, no advisory database). Guards read that as "not run", never as a pass.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

NonNegInt = Annotated[int, Field(ge=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Percent = Annotated[float, Field(ge=0, le=100)]
Text = Annotated[str, StringConstraints(min_length=1)]
Sha1Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{40}$")]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
ReportSeverity = Literal["critical", "high", "medium", "low"]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)


class _Report(_Open):
    available: bool = True
    reason: str | None = None


class SeverityCounts(_Open):
    critical: NonNegInt = 0
    high: NonNegInt = 0
    medium: NonNegInt = 0
    low: NonNegInt = 0


# --- build --------------------------------------------------------------------------------------


class RepoFile(_Open):
    path: Text
    sha256: Sha256Hex
    size: NonNegInt


class RepoManifest(_Report):
    """The generated project's git work tree: where it is, its commit, its files."""

    path: Text
    commit_sha: Sha1Hex
    branch: Text
    files: list[RepoFile]


class CoverageReport(_Report):
    """pytest under coverage.py on the generated project (``tool`` is ``coverage.py <version>``)."""

    tool: Text
    line_percent: Percent
    tests_passed: NonNegInt
    tests_failed: NonNegInt
    tests_errors: NonNegInt
    pass_rate: Fraction


# --- security -----------------------------------------------------------------------------------


class SBOMComponent(_Open):
    name: Text
    version: str | None
    purl: str | None


class SBOM(_Report):
    """A CycloneDX SBOM: the components pulled out of ``document`` and the document itself."""

    format: Literal["CycloneDX"]
    spec_version: str
    components: list[SBOMComponent]
    document: dict[str, Any]
    completeness: Fraction | None = None


class VulnerabilityFinding(_Open):
    id: Text
    package: Text
    version: Text
    severity: ReportSeverity
    summary: str = ""
    aliases: list[str] = Field(default_factory=list)
    fixed: list[str] = Field(default_factory=list)


class VulnerabilityScan(_Report):
    """Known advisories matched against the project's pinned components."""

    tool: Text
    components_scanned: NonNegInt
    findings: list[VulnerabilityFinding]
    counts: SeverityCounts


class SecretFinding(_Open):
    rule: Text
    file: Text
    line: Annotated[int, Field(ge=1)]
    masked: str


class SecretsScanReport(_Report):
    tool: Text
    files_scanned: NonNegInt
    count: NonNegInt
    findings: list[SecretFinding]


class SastFinding(_Open):
    test_id: Text
    severity: Literal["high", "medium", "low", "undefined"]
    confidence: Literal["high", "medium", "low", "undefined"]
    file: Text
    line: NonNegInt
    message: str = ""


class SastReport(_Report):
    """bandit over ``app/``; ``critical`` counts findings of high severity *and* high confidence."""

    tool: Text
    findings: list[SastFinding]
    counts: SeverityCounts
    critical: NonNegInt


class DastFinding(_Open):
    probe: Text
    type: Text
    severity: ReportSeverity
    message: str = ""


class DastReport(_Report):
    probes: list[dict[str, Any]]
    findings: list[DastFinding]
    count: NonNegInt


class SecurityPack(_Report):
    """SAST and DAST results; each agent fills one half and the phase merges them."""

    sast: SastReport | None = None
    dast: DastReport | None = None


# --- qa -----------------------------------------------------------------------------------------


class TestReport(_Report):
    __test__ = False  # not a pytest test class

    tool: Text
    total: NonNegInt
    passed: NonNegInt
    failed: NonNegInt
    errors: NonNegInt
    pass_rate: Fraction


class LatencyStats(_Open):
    count: NonNegInt
    errors: NonNegInt
    p50_ms: NonNegFloat
    p95_ms: NonNegFloat
    p99_ms: NonNegFloat
    max_ms: NonNegFloat
    rps: NonNegFloat


class PerfReport(_Report):
    """Latency at low concurrency (PerformanceAgent) and under load (LoadTestAgent)."""

    latency: LatencyStats | None = None
    load: LatencyStats | None = None


class A11yViolation(_Open):
    rule: Text
    wcag: Text
    level: Literal["A", "AA", "AAA"]
    message: str = ""


class A11yAudit(_Report):
    standard: Text
    checks: list[str]
    violations: list[A11yViolation]
    violation_count: NonNegInt


# --- story-loop ---------------------------------------------------------------------------------


class AcceptanceTestResult(_Report):
    """One story's acceptance test run (StoryTesterAgent's section)."""

    story_id: Text
    test_file: Text
    passed: NonNegInt
    failed: NonNegInt
    errors: NonNegInt
    duration_s: NonNegFloat


class AcceptanceTestResults(_Open):
    items: list[AcceptanceTestResult]


# --- beta ---------------------------------------------------------------------------------------


class DeploymentReport(_Report):
    target: Text
    healthy: bool
    score: Fraction
    health_checks: NonNegInt
    health_passed: NonNegInt


class MonitoringDashboard(_Report):
    metrics: dict[str, Any]
    window_seconds: NonNegFloat


class CanaryResults(_Report):
    """A canary window. ``compressed`` is true when it ran shorter than ``configured_minutes``."""

    window_seconds: NonNegFloat
    configured_minutes: NonNegFloat
    error_rate: Fraction
    samples: NonNegInt
    compressed: bool


REPORT_MODELS: dict[str, type[BaseModel]] = {
    "RepoManifest": RepoManifest,
    "CoverageReport": CoverageReport,
    "SBOM": SBOM,
    "VulnerabilityScan": VulnerabilityScan,
    "SecretsScanReport": SecretsScanReport,
    "SecurityPack": SecurityPack,
    "TestReport": TestReport,
    "PerfReport": PerfReport,
    "A11yAudit": A11yAudit,
    "DeploymentReport": DeploymentReport,
    "MonitoringDashboard": MonitoringDashboard,
    "CanaryResults": CanaryResults,
    "AcceptanceTestResults": AcceptanceTestResults,
}
"""Artifact type -> model of every tool-produced artifact."""
