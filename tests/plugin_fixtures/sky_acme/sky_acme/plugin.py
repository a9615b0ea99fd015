"""Hook module of the Acme plugin: light on purpose, it only names the heavy modules."""

from __future__ import annotations

from skycore.plugins import CatalogSpec, CloudSpec, ProvisionerSpec, StoreSpec, hookimpl

SKYCORE_PLUGIN_API = ">=1.0,<2"


@hookimpl
def skycore_clouds() -> list[CloudSpec]:
    return [CloudSpec(name="acme", factory="sky_acme.cloud:AcmeCloud", display_name="Acme",
                      aliases=("acme-cloud",))]


@hookimpl
def skycore_catalogs() -> list[CatalogSpec]:
    return [CatalogSpec(cloud="acme-cloud", loader="sky_acme.cloud:load_offerings")]


@hookimpl
def skycore_provisioners() -> list[ProvisionerSpec]:
    return [ProvisionerSpec(cloud="acme", factory="sky_acme.provision:AcmeProvisioner")]


@hookimpl
def skycore_storage() -> list[StoreSpec]:
    return [StoreSpec(name="acme-blob", schemes=("acme",), factory="sky_acme.store:AcmeStore")]
