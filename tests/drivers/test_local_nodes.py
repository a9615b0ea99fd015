"""Loopback address leases and node directories of the local driver."""

from __future__ import annotations

from pathlib import Path

import pytest

from skycore.drivers.local import catalog, nodes


@pytest.fixture
def leases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    lease_dir = tmp_path / "leases"
    monkeypatch.setattr(nodes, "IP_LEASE_DIR", lease_dir)
    return lease_dir


def test_addresses_are_distinct_and_never_127_0_0_1(leases: Path, tmp_path: Path) -> None:
    owner = tmp_path / "owner"
    owner.mkdir()
    ips = [nodes.lease_ip(str(owner)) for _ in range(5)]
    assert len(set(ips)) == 5
    assert "127.0.0.1" not in ips
    assert all(ip.startswith("127.0.") for ip in ips)


def test_released_and_stale_leases_are_reused(leases: Path, tmp_path: Path) -> None:
    owner = tmp_path / "owner"
    owner.mkdir()
    first = nodes.lease_ip(str(owner))
    nodes.release_ip(first, str(owner))
    assert nodes.lease_ip(str(owner)) == first
    gone = tmp_path / "gone"
    gone.mkdir()
    stale = nodes.lease_ip(str(gone))
    gone.rmdir()  # its cluster directory vanished without releasing: the lease is stale
    again = nodes.lease_ip(str(owner))
    assert again == stale


def test_release_by_other_owner_is_ignored(leases: Path, tmp_path: Path) -> None:
    owner = tmp_path / "owner"
    owner.mkdir()
    ip = nodes.lease_ip(str(owner))
    nodes.release_ip(ip, "/somebody/else")
    assert (leases / ip).exists()


def test_cluster_files_round_trip(leases: Path, sky_home: Path) -> None:
    cluster = nodes.new_cluster("roundtrip-1234")
    nodes.add_node(cluster)
    nodes.add_node(cluster)
    loaded = nodes.load("roundtrip-1234")
    assert loaded is not None and [n.rank for n in loaded.nodes] == [0, 1]
    assert all(Path(n.home).is_dir() for n in loaded.nodes)
    assert loaded.node_mark(1) == f"{cluster.uid}-1"
    nodes.remove_cluster_files(loaded)
    assert nodes.load("roundtrip-1234") is None
    assert not any(leases.glob("127.*"))


def test_catalog_is_this_machine_at_price_zero() -> None:
    (offering,) = catalog.load_offerings()
    assert offering.cloud == "local" and offering.price == 0.0
    assert offering.vcpus >= 1 and offering.memory_gib > 0
    assert offering.region == "local" and offering.zone is None


def test_safety_net_deletes_whatever_a_failed_test_left(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from skycore.drivers.local.runner import LocalRunner
    from skycore.testing.api_server import wait_for
    from skycore.testing.isolation import kill_local_clusters, local_cluster_pids

    home = tmp_path / "home"
    monkeypatch.setenv("SKY_HOME", str(home))
    cluster = nodes.new_cluster("leftover-1")
    node = nodes.add_node(cluster)
    runner = LocalRunner(node.node_id, node.ip, node.home, cluster.node_mark(0))
    # a detached process in its own session, as Ray's workers are
    assert runner.run("setsid sleep 300 > /dev/null 2>&1 < /dev/null &").returncode == 0
    Path(cluster.ray_temp_dir).mkdir(parents=True, exist_ok=True)
    # the background child may still be between fork and exec (its environ unreadable for a
    # moment) when bash returns: wait until it is seen, as the assertion needs
    assert wait_for(lambda: local_cluster_pids(cluster.uid), timeout=10,
                    what="the detached process")
    kill_local_clusters(home)
    assert not local_cluster_pids(cluster.uid)
    assert not cluster.directory.exists() and not Path(cluster.ray_temp_dir).exists()
    assert not (nodes.IP_LEASE_DIR / node.ip).exists()
