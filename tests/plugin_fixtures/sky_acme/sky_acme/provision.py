"""The Acme provisioner. Stands for the heavy module that imports a cloud SDK: the plugin
manager must only import it when a cluster on Acme is actually touched."""

from __future__ import annotations

SDK_LOADED = True


class AcmeProvisioner:
    cloud_name = "acme"
