"""Imported once by the workers' fork server, so every worker starts with these loaded.

What a request needs in nearly every case: the engine (pipeline, state, plugins, task model).
Plugin discovery runs here too: forked workers inherit the manager instead of scanning entry
points again. Nothing here may start a thread or open a connection (fork would copy it).
"""

from __future__ import annotations

import skycore.core  # noqa: F401
import skycore.server.ops  # noqa: F401
import skycore.server.worker  # noqa: F401
from skycore.plugins import get_manager

get_manager()
