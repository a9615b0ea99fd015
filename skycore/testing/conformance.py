"""Provider conformance kit: the tests every cloud plugin must pass.

A plugin subclasses the classes below in a few lines and pytest runs them against its real
provisioner (or against the fake API server its tests start)::

    from skycore.testing import conformance

    class TestAcmeCloud(conformance.CloudConformance):
        cloud_name = "acme"

    class TestAcmeProvisioner(conformance.ProvisionerConformance):
        cloud_name = "acme"

Tests of a :class:`~skycore.features.Feature` the cloud does not declare are skipped, so a
declared feature is always a tested one. Each test provisions under a unique cluster name and
terminates it in ``finally`` blocks.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from skycore.features import Feature
from skycore.interfaces.catalog import Offering
from skycore.interfaces.command_runner import CommandRunner
from skycore.interfaces.provision import ClusterInfo, InstanceStatus, ProvisionConfig

DEADLINE_SECONDS = 600.0


def _deadline() -> float:
    return time.monotonic() + DEADLINE_SECONDS


class _Base:
    cloud_name: str = ""

    @pytest.fixture
    def manager(self) -> Any:
        from skycore.plugins import get_manager
        return get_manager()

    @pytest.fixture
    def cloud(self, manager: Any) -> Any:
        return manager.cloud(self.cloud_name)

    def require(self, cloud: Any, feature: Feature) -> None:
        if feature not in cloud.features:
            pytest.skip(f"{self.cloud_name} does not declare {feature.value}")


class CloudConformance(_Base):
    """Registration, identity, catalog rows and credentials."""

    def test_registered_and_resolvable(self, manager: Any) -> None:
        assert manager.resolve_cloud_name(self.cloud_name.upper()) == self.cloud_name

    def test_identity(self, cloud: Any) -> None:
        assert cloud.name == self.cloud_name
        assert all(isinstance(f, Feature) for f in cloud.features)

    def test_catalog_rows_follow_the_contract(self, manager: Any) -> None:
        specs = manager.catalog_specs(self.cloud_name)
        assert specs, f"{self.cloud_name} registers no catalog"
        rows = [row for spec in specs for row in spec.load()]
        assert rows, "the catalog is empty"
        for row in rows[:1000]:
            assert isinstance(row, Offering)
            assert row.cloud == self.cloud_name
            assert row.instance_type and row.region
            assert row.vcpus > 0 and row.memory_gib > 0 and row.price >= 0
            assert (row.accelerator_name is None) == (row.accelerator_count == 0)
            assert row.spot_price is None or row.spot_price >= 0

    def test_regions_cover_the_catalog(self, manager: Any, cloud: Any) -> None:
        regions = {r.name for r in cloud.regions()}
        rows = [row for spec in manager.catalog_specs(self.cloud_name) for row in spec.load()]
        assert {row.region for row in rows} <= regions

    def test_credential_check_never_raises(self, cloud: Any) -> None:
        result = cloud.check_credentials()
        assert isinstance(result.ok, bool)
        assert result.ok or result.reason, "a failed check must say why"


class ProvisionerConformance(_Base):
    """The node lifecycle of the provisioner, node by node."""

    #: nodes for the multi-node test
    multi_node_count = 2

    @pytest.fixture
    def provisioner(self, manager: Any) -> Any:
        return manager.provisioner(self.cloud_name)

    @pytest.fixture
    def offering(self, manager: Any) -> Offering:
        rows = [row for spec in manager.catalog_specs(self.cloud_name) for row in spec.load()]
        return min(rows, key=lambda r: r.price)

    def _config(self, provisioner: Any, offering: Offering, count: int) -> ProvisionConfig:
        name = f"conf-{uuid.uuid4().hex[:8]}"
        config = ProvisionConfig(
            cluster_name=name, cluster_name_on_cloud=name, region=offering.region,
            zone=offering.zone, count=count, instance_type=offering.instance_type,
            resources={"instance_type": offering.instance_type})
        return provisioner.bootstrap(config, _deadline())

    def _up(self, provisioner: Any, config: ProvisionConfig) -> ClusterInfo:
        provisioner.run_instances(config, _deadline())
        provisioner.wait_instances(config.cluster_name_on_cloud, config.provider_config,
                                   InstanceStatus.RUNNING, _deadline())
        return provisioner.get_cluster_info(config.cluster_name_on_cloud,
                                            config.provider_config, _deadline())

    def _terminate(self, provisioner: Any, config: ProvisionConfig) -> None:
        provisioner.terminate_instances(config.cluster_name_on_cloud, config.provider_config,
                                        _deadline())

    def test_single_node_lifecycle(self, provisioner: Any, offering: Offering) -> None:
        config = self._config(provisioner, offering, 1)
        try:
            info = self._up(provisioner, config)
            assert len(info.instances) == 1
            assert info.head.instance_id == info.head_instance_id
            statuses = provisioner.query_instances(config.cluster_name_on_cloud,
                                                   config.provider_config, _deadline())
            assert list(statuses.values()) == [InstanceStatus.RUNNING]
            runners = provisioner.get_command_runners(info)
            assert len(runners) == 1 and isinstance(runners[0], CommandRunner)
            result = runners[0].run("echo conformance-$((6*7))")
            assert result.returncode == 0 and b"conformance-42" in result.stdout
            assert runners[0].run("exit 3").returncode == 3
        finally:
            self._terminate(provisioner, config)
        assert provisioner.query_instances(config.cluster_name_on_cloud, config.provider_config,
                                           _deadline()) == {}

    def test_run_instances_is_idempotent(self, provisioner: Any, offering: Offering) -> None:
        config = self._config(provisioner, offering, 1)
        try:
            self._up(provisioner, config)
            record = provisioner.run_instances(config, _deadline())
            assert record.created_instance_ids == []
            assert len(provisioner.query_instances(config.cluster_name_on_cloud,
                                                   config.provider_config, _deadline())) == 1
        finally:
            self._terminate(provisioner, config)

    def test_terminate_is_idempotent(self, provisioner: Any, offering: Offering) -> None:
        config = self._config(provisioner, offering, 1)
        self._up(provisioner, config)
        self._terminate(provisioner, config)
        self._terminate(provisioner, config)

    def test_multi_node(self, provisioner: Any, cloud: Any, offering: Offering) -> None:
        self.require(cloud, Feature.MULTI_NODE)
        config = self._config(provisioner, offering, self.multi_node_count)
        try:
            info = self._up(provisioner, config)
            assert len(info.instances) == self.multi_node_count
            assert len(set(info.internal_ips)) == self.multi_node_count
            runners = provisioner.get_command_runners(info)
            assert [r.ip for r in runners] == info.internal_ips
        finally:
            self._terminate(provisioner, config)

    def test_stop_and_resume(self, provisioner: Any, cloud: Any, offering: Offering) -> None:
        self.require(cloud, Feature.STOP)
        config = self._config(provisioner, offering, 1)
        try:
            info = self._up(provisioner, config)
            runner = provisioner.get_command_runners(info)[0]
            assert runner.run("echo kept > ~/conformance-file").returncode == 0
            provisioner.stop_instances(config.cluster_name_on_cloud, config.provider_config,
                                       _deadline())
            statuses = provisioner.query_instances(config.cluster_name_on_cloud,
                                                   config.provider_config, _deadline())
            assert set(statuses.values()) == {InstanceStatus.STOPPED}
            record = provisioner.run_instances(config, _deadline())
            assert record.resumed_instance_ids and not record.created_instance_ids
            info = self._up(provisioner, config)
            runner = provisioner.get_command_runners(info)[0]
            assert runner.run("cat ~/conformance-file").stdout.strip() == b"kept"
        finally:
            self._terminate(provisioner, config)

    def test_self_stop_commands(self, provisioner: Any, cloud: Any, offering: Offering) -> None:
        if Feature.AUTOSTOP not in cloud.features and Feature.AUTODOWN not in cloud.features:
            pytest.skip(f"{self.cloud_name} declares neither AUTOSTOP nor AUTODOWN")
        config = self._config(provisioner, offering, 1)
        try:
            self._up(provisioner, config)
            stop_cmd, down_cmd = provisioner.self_stop_commands(config.cluster_name_on_cloud,
                                                                config.provider_config)
            if Feature.AUTOSTOP in cloud.features:
                assert stop_cmd
            if Feature.AUTODOWN in cloud.features:
                assert down_cmd
        finally:
            self._terminate(provisioner, config)

    def test_runner_copies_files(self, provisioner: Any, offering: Offering,
                                 tmp_path: Any) -> None:
        (tmp_path / "src").mkdir()
        (tmp_path / "src" / "a.txt").write_text("payload")
        config = self._config(provisioner, offering, 1)
        try:
            info = self._up(provisioner, config)
            runner = provisioner.get_command_runners(info)[0]
            runner.rsync_up(str(tmp_path / "src") + "/", "~/copied")
            assert runner.run("cat ~/copied/a.txt").stdout == b"payload"
            runner.rsync_down("~/copied/a.txt", str(tmp_path / "back.txt"))
            assert (tmp_path / "back.txt").read_text() == "payload"
        finally:
            self._terminate(provisioner, config)
