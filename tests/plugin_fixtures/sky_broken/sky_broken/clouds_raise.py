"""A registration hook that raises when called."""

from __future__ import annotations

from skycore.plugins import CloudSpec, hookimpl


@hookimpl
def skycore_clouds() -> list[CloudSpec]:
    raise RuntimeError("credentials file is corrupt")
