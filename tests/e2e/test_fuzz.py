"""Schemathesis fuzzes every operation of ``/openapi.json`` against ``chalice local`` on
DynamoDB Local: no 5xx anywhere (the local stack has no failures to report), and every
response — status code, content type, body — is one the document describes.

Every operation runs positive examples (valid by the schema) and negative ones (invalid:
they must get a documented 4xx), on a site of its own (``fuzz``) so that what the fuzzer
posts, bans or switches off never reaches the ``demo`` site other tests read. The number of
examples is bounded and the generation derandomized, so a run takes the same path each time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.e2e

SITE = "fuzz"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
#: Examples per operation and generation mode (positive, negative).
EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: Run last: it may switch the site read-only (a documented 503 for every write after it).
LAST = {("PATCH", "/sites/{site}/moderation/settings")}


@dataclass
class Tally:
    """What the fuzzer did: operations, examples sent, and each failure with its curl."""

    operations: int = 0
    examples: int = 0
    failures: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def fuzz_site(live_stack) -> str:
    """A site of the fuzzer's own with a moderator key; returns the key."""
    live_stack.cli("site", "create", SITE, "--name", "Fuzzed", "--origin", live_stack.url)
    return live_stack.cli("key", "create", SITE).strip()


def _fuzz(operation, mode: GenerationMode, headers: dict[str, str], tally: Tally) -> None:
    strategy = operation.as_strategy(mode, path_parameters={"site": SITE})
    seen: set[str] = set()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case) -> None:
        tally.examples += 1
        try:
            case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)
        except (AssertionError, BaseExceptionGroup) as error:  # one failure, or a group
            found = error.exceptions if isinstance(error, BaseExceptionGroup) else [error]
            for failure in found:
                title = getattr(failure, "title", type(failure).__name__)
                key = f"{operation.label} [{mode.value}] {title}"
                if key not in seen:
                    seen.add(key)
                    message = getattr(failure, "message", str(failure)).strip()[:600]
                    tally.failures.append(f"{key}\n{message}\n{case.as_curl_command(headers)}")

    try:
        run()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid example"


def test_every_documented_operation_survives_fuzzing_without_a_5xx_or_an_undocumented_answer(
    live_stack, fuzz_site
):
    schema = schemathesis.openapi.from_url(f"{live_stack.url}/openapi.json", timeout=30)
    paths = schema.raw_schema["paths"].items()
    documented = {(m.upper(), p) for p, item in paths for m in item if m in METHODS}
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: (op.method.upper(), op.path) in LAST)
    headers = {"Authorization": f"Bearer {fuzz_site}", "Origin": live_stack.url}
    tally = Tally()
    for operation in operations:
        tally.operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, headers, tally)
    summary = (
        f"{tally.operations} operations, {tally.examples} examples, {len(tally.failures)} failures"
    )
    print(summary)  # the figures of a run (pytest -s)
    # every operation but the document itself, which Schemathesis leaves out (it loaded it)
    assert {(op.method.upper(), op.path) for op in operations} == documented - {
        ("GET", "/openapi.json")
    }
    assert not tally.failures, summary + "\n\n" + "\n\n".join(tally.failures)
    assert requests.get(f"{live_stack.url}/health", timeout=10).status_code == 200
