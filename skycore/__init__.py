"""skycore: run AI and batch workloads on any infrastructure behind one task YAML.

The package root is a *lazy facade*: ``import skycore`` must stay instant, so the SDK functions
(``skycore.launch``, ``skycore.status``, ...) are only imported on first attribute access. They
are the HTTP client's: each returns a request id; ``skycore.get(id)`` waits for the result.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SDK_NAMES = frozenset({
    "launch", "exec", "status", "queue", "tail_logs", "job_status", "cancel", "stop", "start",
    "down", "autostop", "check", "optimize", "get", "stream_and_get", "api_status",
    "api_cancel", "api_info", "api_start", "api_stop", "api_login",
})
_TASK_NAMES = {"Task": "skycore.task", "Dag": "skycore.task", "load_dag": "skycore.task",
               "Resources": "skycore.resources"}

__all__ = sorted(_SDK_NAMES | set(_TASK_NAMES) | {"__version__"})


def __getattr__(name: str) -> Any:
    if name in _SDK_NAMES:
        module = importlib.import_module("skycore.client.sdk")
    elif name in _TASK_NAMES:
        module = importlib.import_module(_TASK_NAMES[name])
    else:
        raise AttributeError(f"module 'skycore' has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value
    return value
