"""bandit, the secrets scanner, the SBOM and the advisory match find what was planted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ideamine.core.reports import SBOM, SastReport, SecretsScanReport, VulnerabilityScan
from ideamine.errors import ToolNotAvailable
from ideamine.tools import advisories, scans, secrets

pytestmark = pytest.mark.integration

# Built at run time so this file itself holds no key-shaped literal.
AWS_KEY = "AKIA" + "Q7ZR4XW2M5N8B3VT"
KEY_HEADER = "-----BEGIN " + "RSA PRIVATE KEY-----"


def test_bandit_finds_a_planted_shell_call(good_repo: Path, make_repo: Callable[..., Path]):
    clean = scans.bandit_scan(good_repo)
    assert clean["findings"] == []
    assert clean["critical"] == 0
    danger = "import subprocess\n\n\ndef run(x):\n    return subprocess.call(x, shell=True)\n"
    report = scans.bandit_scan(make_repo("bandit", {"app/danger.py": danger}))
    SastReport.model_validate(report)
    shell = [f for f in report["findings"] if f["test_id"] == "B602"]
    assert shell
    assert shell[0]["file"] == "app/danger.py"
    assert shell[0]["line"] == 5
    assert (shell[0]["severity"], shell[0]["confidence"]) == ("high", "high")
    assert report["critical"] >= 1


def test_secrets_are_found_with_file_line_and_masked_value(good_repo: Path, make_repo: Callable[..., Path]):
    assert secrets.secrets_scan(good_repo)["count"] == 0
    planted = f'"""Settings."""\n\nAWS_ACCESS_KEY_ID = "{AWS_KEY}"\nDB_PASSWORD = "Xk9#mQ2v!Lp7zR4w"\n'
    key_file = f"{KEY_HEADER}\nMIIEow...\n"
    repo = make_repo("secrets", {"app/settings.py": planted, "deploy/id_rsa": key_file})
    report = secrets.secrets_scan(repo)
    SecretsScanReport.model_validate(report)
    found = {(f["rule"], f["file"], f["line"]) for f in report["findings"]}
    assert found == {
        ("aws_access_key_id", "app/settings.py", 3),
        ("generic_password", "app/settings.py", 4),
        ("private_key", "deploy/id_rsa", 1),
    }
    text = str(report)
    assert AWS_KEY not in text
    assert "Xk9#mQ2v!Lp7zR4w" not in text


def test_placeholders_and_low_entropy_values_are_not_secrets():
    assert secrets.scan_text('password = "changeme-example"\ntoken = "aaaaaaaaaaaa"\n') == []


def test_the_sbom_lists_the_pinned_components(good_repo: Path):
    bom = scans.sbom(good_repo)
    SBOM.model_validate(bom)
    assert bom["format"] == "CycloneDX"
    assert bom["spec_version"] == "1.6"
    names = {(c["name"], c["purl"]) for c in bom["components"]}
    assert ("pytest", "pkg:pypi/pytest@9.2.0") in names
    assert bom["completeness"] == 1.0
    assert bom["document"]["bomFormat"] == "CycloneDX"


def test_the_advisory_scan_flags_a_vulnerable_pin(make_repo: Callable[..., Path]):
    requirements = "jinja2==3.1.2\nPyYAML==5.3\nrequests==2.32.4\nflask>=2\n"
    bom = scans.sbom(make_repo("vulnerable", {"requirements.txt": requirements}), validate=False)
    assert bom["completeness"] == 0.75  # flask is not pinned
    report = advisories.advisory_scan(bom["components"])
    VulnerabilityScan.model_validate(report)
    ids = {(f["package"], f["id"]) for f in report["findings"]}
    assert ("jinja2", "GHSA-h5c8-rqwp-cp95") in ids
    assert ("pyyaml", "GHSA-8q59-q68h-6hv4") in ids
    assert not any(package == "requests" for package, _ in ids)
    assert report["counts"]["critical"] == 2
    assert report["counts"]["medium"] == 5
    assert report["unpinned"] == ["flask"]
    assert report["database"]["snapshot"]


def test_version_ranges_are_compared_as_versions():
    safe = advisories.advisory_scan(
        [{"name": "urllib3", "version": "1.26.19"}, {"name": "urllib3", "version": "2.2.2"}]
    )
    assert safe["findings"] == []
    hit = advisories.advisory_scan([{"name": "urllib3", "version": "2.0.6"}])
    assert {f["id"] for f in hit["findings"]} == {"GHSA-g4mx-q9vg-27p4", "GHSA-34jh-p97f-mpxf"}


def test_a_missing_advisory_database_is_not_available(tmp_path: Path):
    with pytest.raises(ToolNotAvailable):
        advisories.advisory_scan([{"name": "jinja2", "version": "3.1.2"}], tmp_path / "nowhere")
