"""Fails an ``assert`` at import (stevedore lets AssertionError escape on its own)."""

from __future__ import annotations

assert False, "unsupported platform"  # noqa: B011
