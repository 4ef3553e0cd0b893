"""``sidenote``: the operators' command line (tables, queues, switches, sites, moderator
keys, status notes, probes, digests, the secret, migration in and out).

Run as ``sidenote …`` (installed into the venv by the Makefile) or ``python -m sidenote_cli``.
Where DynamoDB is comes from the environment (``DYNAMODB_ENDPOINT``, ``AWS_REGION``,
``SIDENOTE_TABLE_PREFIX``) or from the global options, which override it. Never shipped in
the Lambda package; its own dependencies are in ``requirements-cli.txt``.
"""

from sidenote_cli import health, operations, sites  # noqa: F401 (each registers its groups)
from sidenote_cli.migrate.commands import export_command, import_command
from sidenote_cli.root import main
from sidenote_cli.secret import secret

main.add_command(secret)
main.add_command(import_command)
main.add_command(export_command)

__all__ = ["main"]
