"""Fixtures of the catalog tests: the sky-testclouds plugin switched on, caches cleared."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from skycore.catalog import query
from skycore.plugins import reset_manager_for_tests

SHARED_V8 = Path(__file__).resolve().parents[2].parent / "shared" / "catalogs" / "v8"


@pytest.fixture
def testclouds(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test clouds enabled, with a fresh plugin manager and fresh catalog tables."""
    pytest.importorskip("sky_testclouds", reason="pip install -e tests/plugin_fixtures/"
                                                 "sky_testclouds")
    monkeypatch.setenv("SKYCORE_TESTCLOUDS", "1")
    reset_manager_for_tests()
    query.clear_cache()
    yield
    query.clear_cache()
    reset_manager_for_tests()


@pytest.fixture
def manager(testclouds: None):  # noqa: ANN201 - the plugin manager
    from skycore.plugins import get_manager

    return get_manager()
