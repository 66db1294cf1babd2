"""Real tools run on the generated project, under the sandbox rules of ``tools.sandbox``.

sandbox       run_tool / spawn: no shell, rlimits, minimal env, no network, process-group kill
project       materialize: write the generated files and commit them reproducibly with git
checks        compile_check, ruff_check, pytest_coverage, run_pytest
scans         bandit_scan (SAST), sbom (CycloneDX)
secrets       secrets_scan: our own token and password scanner
advisories    advisory_scan: pinned components against an offline OSV snapshot
app           running_app, measure_latency, probe_health (loopback only)
dast, e2e     hostile probes and end-to-end HTTP checks of the running service
a11y          a11y_audit: static WCAG checks of a page
agents        TOOL_AGENTS, run_tool_agent (beta: deploy/canary; acceptance: story tests)
exec_guards   GUARDS: the guards that run tools or judge their reports
"""
