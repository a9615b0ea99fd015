"""Run the real core against test-only providers registered in-process."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from skycore.catalog import query


@contextlib.contextmanager
def use_plugins(*modules: tuple[str, Any], entry_points: bool = True) -> Iterator[Any]:
    """Swap the process-wide plugin manager for one that also has ``modules`` (name, module);
    restores the previous manager and clears catalog caches on exit."""
    from skycore.plugins import PluginManager, install_manager_for_tests

    manager = PluginManager(extra_modules=modules, load_entry_points=entry_points)
    previous = install_manager_for_tests(manager)
    query.clear_cache()
    try:
        yield manager
    finally:
        install_manager_for_tests(previous)
        query.clear_cache()
