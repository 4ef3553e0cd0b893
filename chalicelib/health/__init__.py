"""Health: what the service says about itself.

Owns the probes (:mod:`.probes`), confirmed states with hysteresis (:mod:`.states`), their
reports, alerts and metrics (:mod:`.reports`), 202/503/5xx outcome counts
(:mod:`.outcomes`), the public status page and feeds (:mod:`.statuspage`), operators'
incident notes (:mod:`.notes`), the daily digest (:mod:`.digest`) and the fast
``/health`` answer (:mod:`.readiness`).
"""
