"""Resilience: what keeps sidenote answering when a database or a region fails.

Owns the storage guard every table-touching route wears (:mod:`.guard`: fallback-replica
reads marked degraded, 503 instead of 500), the durable write queue (:mod:`.writequeue`:
202 while the table refuses writes, stored later with the same id) and the operator's
read-only switch (:mod:`.switches`).
"""
