"""Cluster records and billing history in the state database (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
import uuid

import pytest

from skycore.state import clusters
from skycore.state.clusters import ClusterRecord, ClusterStatus

pytestmark = pytest.mark.usefixtures("state_db")


def _record(name: str) -> ClusterRecord:
    now = time.time()
    return ClusterRecord(
        name=name, cluster_hash=uuid.uuid4().hex, status=ClusterStatus.INIT, launched_at=now,
        status_updated_at=now, owner="alice", cloud="local", region="local", zone=None,
        num_nodes=2, launched_resources={"instance_type": "x", "cpus": 2.0, "memory": 4.0},
        hourly_price=1.5, handle={"cluster_name_on_cloud": f"{name}-1", "provider_config": {}})


def test_create_read_update_remove() -> None:
    name = f"st-{uuid.uuid4().hex[:6]}"
    clusters.create_or_update(_record(name))
    got = clusters.get(name)
    assert got is not None and got.status == ClusterStatus.INIT and got.num_nodes == 2
    assert got.handle["cluster_name_on_cloud"] == f"{name}-1"
    assert clusters.set_status(name, ClusterStatus.UP) == ClusterStatus.INIT
    got = clusters.get(name)
    assert got.status == ClusterStatus.UP and got.cluster_ever_up
    clusters.update_fields(name, autostop=10.0, to_down=True)
    assert clusters.get(name).autostop == 10.0
    assert name in [r.name for r in clusters.list_all()]
    assert clusters.remove(name) == ClusterStatus.UP
    assert clusters.get(name) is None
    assert clusters.set_status(name, ClusterStatus.UP) is None


def test_history_keeps_usage_intervals_and_price() -> None:
    name = f"hist-{uuid.uuid4().hex[:6]}"
    record = _record(name)
    clusters.create_or_update(record)
    clusters.set_status(name, ClusterStatus.UP)
    clusters.set_status(name, ClusterStatus.STOPPED)
    clusters.set_status(name, ClusterStatus.UP)
    clusters.remove(name)
    (row,) = [h for h in clusters.history() if h["cluster_hash"] == record.cluster_hash]
    intervals = row["usage_intervals"]
    assert len(intervals) == 2 and all(end is not None for _, end in intervals)
    assert row["hourly_price"] == 1.5 and row["terminated_at"] is not None


def test_list_all_orders_by_launch_time_and_json_round_trips() -> None:
    first, second = _record("ord-a"), _record("ord-b")
    second.launched_at = first.launched_at - 10
    second.launched_resources = {"accelerators": {"A100": 8}, "nested": [1, {"x": None}]}
    clusters.create_or_update(first)
    clusters.create_or_update(second)
    assert [r.name for r in clusters.list_all()] == ["ord-b", "ord-a"]
    assert clusters.get("ord-b").launched_resources == second.launched_resources
    # create_or_update replaces every column of an existing record
    first.num_nodes, first.status = 5, ClusterStatus.STOPPED
    clusters.create_or_update(first)
    got = clusters.get("ord-a")
    assert got.num_nodes == 5 and got.status == ClusterStatus.STOPPED
