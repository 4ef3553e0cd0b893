"""sidenote's Lambda entry point: create the app, register middleware and blueprints.

Importing this module needs no AWS access and no environment variable.
"""

from __future__ import annotations

from chalice import Chalice

from chalicelib.platform import tracing
from chalicelib.routes import health, linkbacks, moderation, pages, resilience, threads
from chalicelib.routes.middleware import MIDDLEWARE

app = Chalice(app_name="sidenote")

for middleware, event_type in MIDDLEWARE:
    app.register_middleware(middleware, event_type)

for blueprint in (threads.bp, linkbacks.bp, moderation.bp, health.bp, resilience.bp, pages.bp):
    app.register_blueprint(blueprint)

tracing.start()
