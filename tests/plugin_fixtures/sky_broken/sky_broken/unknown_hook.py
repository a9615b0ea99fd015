"""Implements a hook that does not exist (a typo of ``skycore_clouds``)."""

from __future__ import annotations

from skycore.plugins import CloudSpec, hookimpl


@hookimpl
def skycore_cloudz() -> list[CloudSpec]:
    return [CloudSpec(name="typo", factory="builtins:object")]
