"""The security scan: checkov on both packaged stacks finds nothing but what
``deploy/checkov-accepted.yaml`` accepts, each with its reason, and the docs list the same.

checkov runs from a venv of its own (``.venv-checkov``, from ``requirements-checkov.txt``;
checkov pins an older boto3 than the project's), made here when missing or stale. It scans
offline: no platform download, no update check (so no network beyond the package install).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.test_template import _build_module, _package

ROOT = Path(__file__).resolve().parent.parent
ACCEPTED = ROOT / "deploy" / "checkov-accepted.yaml"
REQUIREMENTS = ROOT / "requirements-checkov.txt"
VENV = ROOT / ".venv-checkov"
STAMP = VENV / ".installed"
OPERATIONS = ROOT / "docs" / "operations.md"
SECTION = "Security scan (checkov)"
CHECK_ID = re.compile(r"\bCKV2?_AWS_\d+\b")

#: Findings the templates used to have and that are fixed: checkov must pass them on these
#: resources (logical ids) of both stacks (``None``: every Lambda function).
FIXED = {
    "CKV_AWS_76": ["RestAPI"],  # API Gateway access logs
    "CKV_AWS_73": ["RestAPI"],  # X-Ray on the API stage
    "CKV_AWS_115": None,  # reserved concurrency per function
    "CKV_AWS_26": ["NotifyTopic", "AlertTopic", "DigestTopic"],  # topics encrypted
}


def accepted() -> dict[str, dict]:
    """``check id -> {"reason": str, "resources": [logical id, ...]}``."""
    return yaml.safe_load(ACCEPTED.read_text())


def checkov() -> Path:
    """The checkov executable, installing ``requirements-checkov.txt`` into its venv first
    when the venv is missing or was made from another version of that file."""
    wanted = REQUIREMENTS.read_text()
    executable = VENV / "bin" / "checkov"
    if executable.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return executable
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=120)
    subprocess.run(
        [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
        check=True, timeout=900,
    )  # fmt: skip
    STAMP.write_text(wanted)
    return executable


def scan(template: Path) -> dict:
    """checkov's JSON report of one CloudFormation template (checkov's own run, offline)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BC_", "PRISMA_"))}
    env |= {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
    result = subprocess.run(
        [str(checkov()), "-f", str(template), "--framework", "cloudformation",
         "--output", "json", "--skip-download"],
        cwd=template.parent, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 1: some check failed
    report = json.loads(result.stdout)
    assert isinstance(report, dict), "one framework, one report"
    return report


def findings(report: dict, outcome: str) -> set[tuple[str, str]]:
    """``(check id, logical id)`` of the checks with ``outcome`` (``failed`` or ``passed``)."""
    checks = report.get("results", {}).get(f"{outcome}_checks", [])
    return {(c["check_id"], c["resource"].split(".", 1)[1]) for c in checks}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, dict]:
    """checkov's report of each packaged stack (``chalice package`` as in test_template)."""
    out = tmp_path_factory.mktemp("checkov")
    stacks = {
        "home": ("prod-use1", "us-east-1", "home.json"),
        "region": ("prod-euw1", "eu-west-1", "region.json"),
    }
    found = {}
    for name, (stage, region, merge) in stacks.items():
        _package(stage, region, merge, out / name)
        found[name] = scan(out / name / "sam.json")
    shutil.rmtree(out, ignore_errors=True)
    return found


def _docs_section() -> str:
    text = OPERATIONS.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(SECTION)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"docs/operations.md has no '## {SECTION}' section"
    return match.group(1)


def test_every_accepted_finding_has_its_reason_and_is_listed_in_the_docs():
    entries = accepted()
    assert entries
    for check, entry in entries.items():
        assert CHECK_ID.fullmatch(check), check
        assert set(entry) == {"reason", "resources"}, check
        assert len(entry["reason"].split()) >= 10, f"{check}: say why it is accepted"
        assert entry["resources"] and all(isinstance(r, str) for r in entry["resources"])
    section = _docs_section()
    listed = set(CHECK_ID.findall(section)) - set(FIXED)
    assert listed == set(entries), "the docs list exactly the accepted checks"


@pytest.mark.slow  # chalice package twice and checkov twice: ~1 min (+ checkov's install once)
def test_checkov_finds_nothing_but_the_accepted_findings_in_either_packaged_stack(reports):
    allowed = {(check, r) for check, entry in accepted().items() for r in entry["resources"]}
    for name, report in reports.items():
        summary = report["summary"]
        assert summary["parsing_errors"] == 0 and summary["resource_count"] > 20, summary
        unexpected = findings(report, "failed") - allowed
        assert not unexpected, (
            f"{name}: fix these or accept them with a reason in deploy/checkov-accepted.yaml "
            f"and docs/operations.md: {sorted(unexpected)}"
        )


@pytest.mark.slow
def test_every_accepted_finding_is_still_found_so_the_list_stays_true(reports):
    failed = set().union(*(findings(report, "failed") for report in reports.values()))
    stale = {
        (check, r)
        for check, entry in accepted().items()
        for r in entry["resources"]
        if (check, r) not in failed
    }
    assert not stale, f"fixed: remove from deploy/checkov-accepted.yaml and the docs: {stale}"


@pytest.mark.slow
def test_access_logs_tracing_reserved_concurrency_and_topic_encryption_pass_checkov(reports):
    functions = list(_build_module().lambda_functions().values())
    fixed = {(c, r) for c, resources in FIXED.items() for r in resources or functions}
    for name, report in reports.items():
        missing = fixed - findings(report, "passed")
        assert not missing, f"{name}: {sorted(missing)}"
