"""Entry points: HTTP routes, schedules and the queue handler, as Chalice Blueprints.

Owns: parsing the request (path, query, headers, body) and shaping the response. Each
blueprint calls one domain (threads, moderation, health, resilience); none touches a table.
``app.py`` registers each blueprint's ``bp`` and the middleware in :mod:`.middleware`.
"""
