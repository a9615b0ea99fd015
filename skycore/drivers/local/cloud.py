"""The local cloud: one region (``local``), no zones, price 0."""

from __future__ import annotations

from skycore.features import Feature
from skycore.interfaces.cloud import Cloud, CredentialCheck, Region

LOCAL_REGION = "local"


class LocalCloud(Cloud):
    name = "local"
    display_name = "Local"
    # Only what the driver really does: nodes on loopback have no firewall to open, no images,
    # no spot market.
    features = frozenset({Feature.MULTI_NODE, Feature.STOP, Feature.AUTOSTOP, Feature.AUTODOWN})
    has_zones = False

    def regions(self) -> list[Region]:
        return [Region(LOCAL_REGION)]

    def check_credentials(self) -> CredentialCheck:
        return CredentialCheck(True, "Nodes run as process groups on this machine.")
