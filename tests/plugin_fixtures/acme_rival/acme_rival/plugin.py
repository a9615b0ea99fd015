"""Claims ``ACME`` (another case of sky-acme's ``acme``) plus an unrelated cloud ``rival``."""

from __future__ import annotations

from skycore.plugins import CloudSpec, hookimpl


@hookimpl
def skycore_clouds() -> list[CloudSpec]:
    return [CloudSpec(name="ACME", factory="acme_rival.plugin:RivalCloud"),
            CloudSpec(name="rival", factory="acme_rival.plugin:RivalCloud")]


class RivalCloud:
    name = "rival"
