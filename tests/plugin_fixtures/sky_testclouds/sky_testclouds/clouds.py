"""Cloud objects of the test clouds: geography from their own catalogs, credentials from an
environment switch.

Why the switch: the package is installed in the development virtualenv so tests can discover
it through its entry point, but a developer's ``sky launch`` (and the e2e tests) must keep
choosing the local driver; a test cloud is only *enabled* when ``SKYCORE_TESTCLOUDS=1``.
"""

from __future__ import annotations

from sky_testclouds import ENV_ENABLE, enabled
from skycore.features import Feature
from skycore.interfaces.cloud import Cloud, CredentialCheck, Region, Zone


class _TestCloud(Cloud):
    """Regions and zones are read from the cloud's catalog, so they always agree with it."""

    def regions(self) -> list[Region]:
        from skycore.catalog import query

        found = query.table(self.name).regions()
        return [Region(region, tuple(Zone(z, region) for z in zones))
                for region, zones in found.items()]

    def check_credentials(self) -> CredentialCheck:
        if enabled():
            return CredentialCheck(True, "test cloud of sky-testclouds (catalog only)")
        return CredentialCheck(False, f"{self.display_name} here is a test-only cloud of the "
                                      f"sky-testclouds package; set {ENV_ENABLE}=1 to enable it.")


class GcpTestCloud(_TestCloud):
    name = "gcp"
    display_name = "GCP"
    has_zones = True
    egress_cost_per_gb = 0.12
    default_cpus = "8+"
    default_memory = "4x"
    features = frozenset({Feature.STOP, Feature.MULTI_NODE, Feature.SPOT_INSTANCE,
                          Feature.OPEN_PORTS, Feature.AUTOSTOP, Feature.IMAGE_ID})


class AwsTestCloud(_TestCloud):
    name = "aws"
    display_name = "AWS"
    has_zones = True
    egress_cost_per_gb = 0.09
    default_cpus = "8+"
    default_memory = "4x"
    features = frozenset({Feature.STOP, Feature.MULTI_NODE, Feature.SPOT_INSTANCE,
                          Feature.OPEN_PORTS, Feature.AUTOSTOP, Feature.IMAGE_ID})


class RunPodTestCloud(_TestCloud):
    name = "runpod"
    display_name = "RunPod"
    has_zones = True
    egress_cost_per_gb = 0.0
    features = frozenset({Feature.STOP, Feature.SPOT_INSTANCE, Feature.OPEN_PORTS,
                          Feature.DOCKER_IMAGE})


class LambdaTestCloud(_TestCloud):
    name = "lambda"
    display_name = "Lambda"
    has_zones = False
    egress_cost_per_gb = 0.0
    features = frozenset({Feature.MULTI_NODE, Feature.OPEN_PORTS})
