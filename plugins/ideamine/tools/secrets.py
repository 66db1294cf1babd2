"""A secrets scanner for generated projects: known token shapes plus high-entropy password assignments.

It reads every text file of the work tree except ``.git`` (binary files and files over 1 MiB are
skipped) and reports each hit with file, line and a masked value: the report itself never carries a
secret. Rules:

- ``aws_access_key_id``: ``AKIA``/``ASIA`` + 16 upper-case letters or digits;
- ``aws_secret_access_key``: an ``aws_secret_access_key`` assignment of 40 base64 characters;
- ``private_key``: a PEM/OpenSSH ``-----BEGIN ... PRIVATE KEY-----`` header;
- ``github_token``: ``ghp_``/``gho_``/``ghu_``/``ghs_``/``ghr_`` + 36 or more characters, or ``github_pat_``;
- ``slack_token``: ``xoxb-``/``xoxp-``/``xoxa-``/``xoxr-``/``xoxs-`` tokens, and Slack webhook URLs;
- ``generic_password``: ``password``/``secret``/``token``/``api_key``... assigned a quoted literal of 8+
  characters whose Shannon entropy is at least 3.0 bits per character and that is not a placeholder.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

TOOL = "ideamine-secrets 1.0"
MAX_FILE_BYTES = 1024 * 1024
MIN_ENTROPY = 3.0
SKIP_DIRS = frozenset({".git", "__pycache__", ".ruff_cache", ".pytest_cache", "node_modules", ".venv"})

RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("aws_access_key_id", re.compile(r"\b((?:AKIA|ASIA)[0-9A-Z]{16})\b")),
    (
        "aws_secret_access_key",
        re.compile(r"(?i)aws_?secret_?access_?key\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"),
    ),
    (
        "private_key",
        re.compile(r"(-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----)"),
    ),
    (
        "github_token",
        re.compile(r"\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})\b"),
    ),
    ("slack_token", re.compile(r"\b(xox[abprs]-[A-Za-z0-9-]{10,})\b")),
    (
        "slack_webhook",
        re.compile(r"(https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+)"),
    ),
)
_GENERIC = re.compile(
    r"(?i)\b[\w-]*(?:password|passwd|pwd|secret|token|api_?key|auth_?key|private_?key)[\w-]*[\"']?\s*[:=]\s*"
    r"(?:[rbu]|f)?[\"']([^\"'\s]{8,})[\"']"
)
_PLACEHOLDER = re.compile(r"(?i)(change.?me|example|placeholder|dummy|your[_-]|xxxx|\*\*\*|<|\$\{|\{\{|%\()")


def entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def mask(value: str) -> str:
    """The first four characters, then one ``*`` per hidden character (at most 16)."""
    shown = value[:4] if len(value) > 8 else value[:1]
    return shown + "*" * min(16, max(4, len(value) - len(shown)))


def scan_text(text: str) -> list[tuple[int, str, str]]:
    """(line, rule, masked value) for every hit in ``text``."""
    hits: list[tuple[int, str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for rule, pattern in RULES:
            hits.extend((number, rule, mask(m.group(1))) for m in pattern.finditer(line))
        for match in _GENERIC.finditer(line):
            value = match.group(1)
            strong = entropy(value) >= MIN_ENTROPY and not _PLACEHOLDER.search(value)
            if strong and not any(hit[0] == number for hit in hits):  # one hit per line is enough
                hits.append((number, "generic_password", mask(value)))
    return hits


def _files(repo: Path) -> list[Path]:
    found: list[Path] = []
    for path in sorted(repo.rglob("*")):
        rel = path.relative_to(repo)
        if any(part in SKIP_DIRS for part in rel.parts) or path.is_symlink() or not path.is_file():
            continue
        found.append(path)
    return found


def secrets_scan(repo: Path) -> dict[str, Any]:
    """Scan the work tree; a SecretsScanReport body."""
    root = repo.resolve()
    findings: list[dict[str, Any]] = []
    scanned = 0
    skipped: list[str] = []
    for path in _files(root):
        rel = path.relative_to(root).as_posix()
        if path.stat().st_size > MAX_FILE_BYTES:
            skipped.append(rel)
            continue
        data = path.read_bytes()
        if b"\x00" in data[:8192]:
            continue  # binary
        scanned += 1
        for line, rule, masked in scan_text(data.decode("utf-8", errors="replace")):
            findings.append({"rule": rule, "file": rel, "line": line, "masked": masked})
    findings.sort(key=lambda f: (f["file"], f["line"], f["rule"]))
    by_rule: dict[str, int] = {}
    for finding in findings:
        by_rule[finding["rule"]] = by_rule.get(finding["rule"], 0) + 1
    return {
        "tool": TOOL,
        "files_scanned": scanned,
        "count": len(findings),
        "by_rule": dict(sorted(by_rule.items())),
        "findings": findings,
        "skipped_large_files": skipped,
    }
