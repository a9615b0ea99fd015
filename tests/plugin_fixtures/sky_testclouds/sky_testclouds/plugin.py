"""Hook module of the test clouds: light, it only names the modules that do the work."""

from __future__ import annotations

from skycore.plugins import CatalogSpec, CloudSpec, ProvisionerSpec, hookimpl

SKYCORE_PLUGIN_API = ">=1.0,<2"

_CLOUDS = {
    "gcp": ("GcpTestCloud", "GCP", ()),
    "aws": ("AwsTestCloud", "AWS", ()),
    "runpod": ("RunPodTestCloud", "RunPod", ()),
    "lambda": ("LambdaTestCloud", "Lambda", ("lambda-cloud",)),
}


@hookimpl
def skycore_clouds() -> list[CloudSpec]:
    return [CloudSpec(name=name, factory=f"sky_testclouds.clouds:{cls}", display_name=display,
                      aliases=aliases)
            for name, (cls, display, aliases) in _CLOUDS.items()]


@hookimpl
def skycore_catalogs() -> list[CatalogSpec]:
    return [
        CatalogSpec(cloud="gcp", vms_csv="sky_testclouds.data:gcp_csv",
                    attach="sky_testclouds.gcp_hosts:hosts_for"),
        CatalogSpec(cloud="runpod", vms_csv="sky_testclouds.data:runpod_csv"),
        CatalogSpec(cloud="lambda", vms_csv="sky_testclouds.data:lambda_csv"),
        CatalogSpec(cloud="aws", vms_csv="sky_testclouds.aws_catalog:snapshot_path"),
    ]


@hookimpl
def skycore_provisioners() -> list[ProvisionerSpec]:
    return [ProvisionerSpec(cloud=name, factory=f"sky_testclouds.provision:for_{name}")
            for name in _CLOUDS]
