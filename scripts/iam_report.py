"""The IAM figures: calls checked, calls refused by the roles of an older revision and by
today's, and the grants removed since.

    python scripts/iam_report.py                      # tests/test_iam.py only (the tour)
    python scripts/iam_report.py --before REV tests/  # the whole in-process suite as well

It runs pytest in this process with ``tests/iam_recorder.py`` recording (conftest installs
it), then holds the recorded calls against the policies in ``.chalice/`` and against those
of ``--before`` (``git archive`` of that revision's ``.chalice/``). Both use today's code
and configuration (settings, merge templates): the question is what the old roles would
refuse of what the code does now.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The last revision before the IAM work (its policies: one role for every function).
DEFAULT_BEFORE = "bd536a8^"


def _chalice_dir_at(revision: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", revision, ".chalice"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / ".chalice"


def _grants(verdict_grants: set) -> set[tuple[str, str, str]]:
    """(stage of the file, action, resource) of every grant."""
    found = set()
    for grant in verdict_grants:
        stage = grant.file.removeprefix("policy-").removesuffix(".json")
        found.add((stage.removesuffix("-authorizer"), grant.action, grant.resource))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=DEFAULT_BEFORE, help="git revision to compare with")
    parser.add_argument("paths", nargs="*", default=["tests/test_iam.py"])
    args = parser.parse_args()

    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    import pytest

    code = pytest.main(["-q", "-p", "no:cacheprovider", "-m", "not e2e and not browser",
                        *args.paths])  # fmt: skip
    from tests import iam_recorder

    calls = iam_recorder.RECORDER.snapshot()
    now = iam_recorder.verdict(calls)
    with tempfile.TemporaryDirectory() as tmp:
        before = iam_recorder.verdict(calls, _chalice_dir_at(args.before, Path(tmp)))

    distinct = {(r.stage, r.function, r.action, r.resource) for r in now.checked}
    print("\nIAM, proven against the code")
    print(f"  recorded calls (under a Lambda handler): {sum(calls.values())}"
          f" ({len(calls)} distinct call sites and targets)")  # fmt: skip
    print(f"  IAM requests checked (stage x function x action x resource): {len(distinct)}")
    for label, result in ((f"before ({args.before})", before), ("now", now)):
        refused = {(r.stage, r.function, r.action, r.resource) for r, _ in result.refused}
        print(f"  refused {label}: {len(refused)}")
    print("\nRefused before:")
    print(iam_recorder.table(before) or "  (none)")
    print("\nRefused now:")
    print(iam_recorder.table(now) or "  (none)")

    removed = _grants(before.granted) - _grants(now.granted)
    added = _grants(now.granted) - _grants(before.granted)
    print(f"\nGrants (action x resource pairs) removed: {len(removed)}, added: {len(added)}")
    by_kind = Counter((stage, action) for stage, action, _ in removed)
    print("| stage | action | pairs removed |")
    print("|---|---|---|")
    for (stage, action), n in sorted(by_kind.items()):
        print(f"| {stage} | {action} | {n} |")
    print("\nRemoved:")
    for stage, action, resource in sorted(removed):
        print(f"  {stage}  {action}  {resource}")
    print("\nAdded:")
    for stage, action, resource in sorted(added):
        print(f"  {stage}  {action}  {resource}")
    print(f"\nStill unused now: {len(now.unused)}")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
