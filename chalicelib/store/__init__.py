"""Store: the only package that touches DynamoDB tables.

One gateway per table — :mod:`.comments` (threads, comments, counters, day figures,
canaries), :mod:`.sites` (sites, bans, moderator keys, known authors, audit log, read-only
switch), :mod:`.ephemeral` (idempotency, rate windows, health records, notes, digests,
notification windows) — over the PynamoDB declarations in :mod:`.models`, which nothing
outside this package imports (an import-linter contract). :mod:`.replicas` routes calls to
this region's replica or a fallback region's; :mod:`.provisioning` and :mod:`.tables` create
and check the tables.
"""
