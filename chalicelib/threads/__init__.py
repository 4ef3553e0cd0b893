"""Threads: what readers and authors do.

Owns the one posting path (:mod:`.posting`: prepare → store → queue fallback), the one place
a comment's status is decided (:mod:`.status`), the built-in spam checks (:mod:`.spam`), an
author's own edit and delete (:mod:`.authoring`) and the comment feeds (:mod:`.feed`).
Reading threads and counts goes straight to the comments gateway.
"""
