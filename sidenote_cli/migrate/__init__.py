"""Migration in and out: ``sidenote import FORMAT FILE`` and ``sidenote export``.

Parsers (:mod:`.formats`) turn an export of another comment system into a stream of
:class:`~sidenote_cli.migrate.source.SourceComment`; the importer stores them through the
same path as new comments (``chalicelib.threads.posting``), so counts, statuses and
sanitising follow the same rules. Runs on an operator's machine; never shipped to Lambda.
"""
