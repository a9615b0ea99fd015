"""Hook module of the built-in ``local`` driver, registered through skycore's own entry point
exactly like a third-party plugin. Light on purpose: it only names the heavy modules."""

from __future__ import annotations

from skycore.plugins import CatalogSpec, CloudSpec, ProvisionerSpec, hookimpl

SKYCORE_PLUGIN_API = ">=1.0,<2"


@hookimpl
def skycore_clouds() -> list[CloudSpec]:
    return [CloudSpec(name="local", factory="skycore.drivers.local.cloud:LocalCloud",
                      display_name="Local")]


@hookimpl
def skycore_catalogs() -> list[CatalogSpec]:
    return [CatalogSpec(cloud="local", loader="skycore.drivers.local.catalog:load_offerings",
                        mode="online")]


@hookimpl
def skycore_provisioners() -> list[ProvisionerSpec]:
    return [ProvisionerSpec(cloud="local",
                            factory="skycore.drivers.local.provisioner:LocalProvisioner")]
