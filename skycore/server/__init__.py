"""The API server: every SDK call becomes a persisted, cancellable request run by a worker.

Layout: :mod:`constants` (versions, ports, headers), :mod:`payloads` (request bodies, the
OpenAPI schema), :mod:`ops` (body → :mod:`skycore.core` call → JSON), :mod:`requests_store`
(the ``requests`` table), :mod:`executor` + :mod:`worker` (process pools), :mod:`streaming`
(request logs), :mod:`auth`, :mod:`app` (FastAPI routes) and :mod:`main` (``python -m
skycore.server``).
"""
