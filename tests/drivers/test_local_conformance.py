"""The built-in local driver passes the provider conformance kit like any plugin."""

from __future__ import annotations

from skycore.testing import conformance


class TestLocalCloud(conformance.CloudConformance):
    cloud_name = "local"


class TestLocalProvisioner(conformance.ProvisionerConformance):
    cloud_name = "local"
