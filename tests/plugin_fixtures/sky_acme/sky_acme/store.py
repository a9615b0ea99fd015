"""The Acme object store (only named by the plugin, never built in the tests)."""

from __future__ import annotations


class AcmeStore:
    name = "acme-blob"
