"""A hook module whose SDK is missing: fails at import."""

from __future__ import annotations

raise ImportError("acme_sdk is not installed (pip install acme-sdk)")
