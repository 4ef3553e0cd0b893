"""Platform: what every other package may use, and which uses none of them.

Owns: settings (:mod:`.config`), the error classes and their HTTP status (:mod:`.errors`),
HTTP plumbing (:mod:`.web`), the one bounded AWS client factory (:mod:`.clients`), the
deployment secret and keyed hashes (:mod:`.tokens`), input checks at the edge
(:mod:`.validation`), Markdown/HTML sanitising (:mod:`.render`), Atom building
(:mod:`.atom`), static assets (:mod:`.static`), time (:mod:`.clock`), logs and tracing.
"""
