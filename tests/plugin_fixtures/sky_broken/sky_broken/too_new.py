"""Written for a future plugin API this skycore does not provide."""

from __future__ import annotations

from skycore.plugins import CloudSpec, hookimpl

SKYCORE_PLUGIN_API = ">=99"


@hookimpl
def skycore_clouds() -> list[CloudSpec]:
    return [CloudSpec(name="future", factory="builtins:object")]
