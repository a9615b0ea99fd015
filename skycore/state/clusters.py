"""Cluster records: the server's view of every cluster and its billing history.

Status values follow SkyPilot: INIT (provisioning, or abnormal), UP, STOPPED, AUTOSTOPPING.
Every change of status is broadcast to plugins through ``skycore_on_cluster_status_changed``.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update

from skycore.state import models
from skycore.state.engine import get_engine


class ClusterStatus(str, enum.Enum):
    INIT = "INIT"
    UP = "UP"
    STOPPED = "STOPPED"
    AUTOSTOPPING = "AUTOSTOPPING"


@dataclass
class ClusterRecord:
    name: str
    cluster_hash: str
    status: ClusterStatus
    launched_at: float
    status_updated_at: float
    owner: str
    cloud: str
    region: str | None
    zone: str | None
    num_nodes: int
    launched_resources: dict[str, Any]
    hourly_price: float
    handle: dict[str, Any]
    autostop: float = -1.0
    to_down: bool = False
    cluster_ever_up: bool = False
    last_use: str | None = None
    last_creation_yaml: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)


def _row_to_record(row: Any) -> ClusterRecord:
    data = dict(row._mapping)
    data["status"] = ClusterStatus(data["status"])
    return ClusterRecord(**data)


def get(name: str) -> ClusterRecord | None:
    with get_engine().connect() as conn:
        row = conn.execute(select(models.clusters).where(models.clusters.c.name == name)).first()
    return _row_to_record(row) if row else None


def list_all() -> list[ClusterRecord]:
    with get_engine().connect() as conn:
        rows = conn.execute(select(models.clusters).order_by(models.clusters.c.launched_at))
        return [_row_to_record(r) for r in rows]


def create_or_update(record: ClusterRecord) -> None:
    """Insert the record, or replace every column of an existing one (same name)."""
    values = {c.name: getattr(record, c.name) for c in models.clusters.columns}
    values["status"] = record.status.value
    engine = get_engine()
    with engine.begin() as conn:
        exists = conn.execute(select(models.clusters.c.name)
                              .where(models.clusters.c.name == record.name)).first()
        if exists:
            conn.execute(update(models.clusters).where(models.clusters.c.name == record.name)
                         .values(**values))
        else:
            conn.execute(insert(models.clusters).values(**values))
        _ensure_history(conn, record)


def _ensure_history(conn: Any, record: ClusterRecord) -> None:
    hist = models.cluster_history
    row = conn.execute(select(hist.c.usage_intervals)
                       .where(hist.c.cluster_hash == record.cluster_hash)).first()
    values = dict(name=record.name, owner=record.owner, cloud=record.cloud, region=record.region,
                  zone=record.zone, num_nodes=record.num_nodes,
                  launched_resources=record.launched_resources,
                  hourly_price=record.hourly_price, launched_at=record.launched_at)
    if row is None:
        conn.execute(insert(hist).values(cluster_hash=record.cluster_hash, usage_intervals=[],
                                         **values))
    else:
        conn.execute(update(hist).where(hist.c.cluster_hash == record.cluster_hash)
                     .values(**values))


def _update_intervals(conn: Any, cluster_hash: str, *, up: bool, now: float) -> None:
    """Open a billing interval when the cluster comes UP, close it when it stops or goes away."""
    hist = models.cluster_history
    row = conn.execute(select(hist.c.usage_intervals)
                       .where(hist.c.cluster_hash == cluster_hash)).first()
    if row is None:
        return
    intervals = [list(i) for i in (row.usage_intervals or [])]
    is_open = bool(intervals) and intervals[-1][1] is None
    if up and not is_open:
        intervals.append([now, None])
    elif not up and is_open:
        intervals[-1][1] = now
    else:
        return
    conn.execute(update(hist).where(hist.c.cluster_hash == cluster_hash)
                 .values(usage_intervals=intervals))


def _status_row(conn: Any, name: str) -> Any:
    return conn.execute(select(models.clusters.c.status, models.clusters.c.cluster_hash)
                        .where(models.clusters.c.name == name)).first()


def set_status(name: str, status: ClusterStatus, **changes: Any) -> ClusterStatus | None:
    """Change a cluster's status (and other columns); returns the previous status."""
    now = time.time()
    with get_engine().begin() as conn:
        row = _status_row(conn, name)
        if row is None:
            return None
        values: dict[str, Any] = {"status": status.value, "status_updated_at": now, **changes}
        if status == ClusterStatus.UP:
            values["cluster_ever_up"] = True
        conn.execute(update(models.clusters).where(models.clusters.c.name == name)
                     .values(**values))
        _update_intervals(conn, row.cluster_hash, up=status in (ClusterStatus.UP,
                                                               ClusterStatus.AUTOSTOPPING),
                          now=now)
    return ClusterStatus(row.status)


def update_fields(name: str, **changes: Any) -> None:
    with get_engine().begin() as conn:
        conn.execute(update(models.clusters).where(models.clusters.c.name == name)
                     .values(**changes))


def remove(name: str) -> ClusterStatus | None:
    """Delete the record (the cluster is gone); its history keeps the closed interval."""
    now = time.time()
    with get_engine().begin() as conn:
        row = _status_row(conn, name)
        if row is None:
            return None
        _update_intervals(conn, row.cluster_hash, up=False, now=now)
        conn.execute(update(models.cluster_history)
                     .where(models.cluster_history.c.cluster_hash == row.cluster_hash)
                     .values(terminated_at=now))
        conn.execute(delete(models.clusters).where(models.clusters.c.name == name))
    return ClusterStatus(row.status)


def history() -> list[dict[str, Any]]:
    with get_engine().connect() as conn:
        rows = conn.execute(select(models.cluster_history)
                            .order_by(models.cluster_history.c.launched_at))
        return [dict(r._mapping) for r in rows]
