"""Deployment-time promises: importing the app needs no AWS and no environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _clean_env() -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "SYSTEMROOT"}
    return {k: v for k, v in os.environ.items() if k in keep}


def test_app_imports_without_aws_or_any_environment_variable():
    result = subprocess.run(
        [sys.executable, "-c", "import app; print(len(app.app.routes))"],
        cwd=ROOT, env=_clean_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) > 5


def test_cold_import_leaves_markdown_and_sanitiser_unloaded():
    code = "import sys, app; print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {'markdown_it', 'nh3', 'aws_xray_sdk'})))"
    result = subprocess.run(
        [sys.executable, "-c", "import json; " + code],
        cwd=ROOT, env=_clean_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_every_stage_has_a_least_privilege_policy_scoped_to_the_project_tables():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert config["autogen_policy"] is False
    assert config["xray"] is True
    assert config["api_gateway_endpoint_type"] == "REGIONAL"
    assert {"dev", "prod-use1", "prod-euw1"} <= set(config["stages"])
    assert set(config["stages"]["local"]) == {"api_gateway_stage", "environment_variables"}
    for name, stage in config["stages"].items():
        if name == "local":  # chalice local only: never deployed, so it has no role
            continue
        policy = json.loads((ROOT / ".chalice" / stage["iam_policy_file"]).read_text())
        for statement in policy["Statement"]:
            actions = statement["Action"]
            assert "*" not in actions and "dynamodb:*" not in actions, name
            if any(a.startswith("dynamodb:") for a in actions):
                resources = statement["Resource"]
                assert all(":table/sidenote-" in r for r in resources), (name, resources)


def test_runtime_requirements_are_pinned():
    lines = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines
    assert all("==" in line for line in lines), lines
