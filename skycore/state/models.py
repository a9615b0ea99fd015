"""SQLAlchemy tables of the server's state: clusters and their history.

Why JSON columns and no pickles: the handle and resources must stay readable by a newer skycore
(and by humans debugging a state DB); a pickled class breaks on every refactor.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, Integer, MetaData, String, Table, Text

metadata = MetaData()

#: bump with a migration in :mod:`skycore.state.engine` when a table changes
SCHEMA_VERSION = 1

schema_version = Table(
    "schema_version", metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
)

clusters = Table(
    "clusters", metadata,
    Column("name", String(255), primary_key=True),
    Column("cluster_hash", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("launched_at", Float, nullable=False),
    Column("status_updated_at", Float, nullable=False),
    Column("owner", String(255), nullable=False),
    Column("cloud", String(64), nullable=False),
    Column("region", String(255)),
    Column("zone", String(255)),
    Column("num_nodes", Integer, nullable=False),
    #: the launched resources (one candidate, as ``Resources.to_yaml_config()`` + instance data)
    Column("launched_resources", JSON, nullable=False),
    #: price per hour of the whole cluster at launch time (all nodes)
    Column("hourly_price", Float, nullable=False, default=0.0),
    #: provider + runtime data needed to reach the nodes again (cluster_name_on_cloud, ips, ports)
    Column("handle", JSON, nullable=False),
    Column("autostop", Float, nullable=False, default=-1.0),
    Column("to_down", Boolean, nullable=False, default=False),
    Column("cluster_ever_up", Boolean, nullable=False, default=False),
    Column("last_use", Text),
    Column("last_creation_yaml", Text),
)

cluster_history = Table(
    "cluster_history", metadata,
    Column("cluster_hash", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("owner", String(255), nullable=False),
    Column("cloud", String(64), nullable=False),
    Column("region", String(255)),
    Column("zone", String(255)),
    Column("num_nodes", Integer, nullable=False),
    Column("requested_resources", JSON),
    Column("launched_resources", JSON, nullable=False),
    Column("hourly_price", Float, nullable=False, default=0.0),
    #: list of [start, end|null] epoch pairs: the intervals the cluster was UP/billed
    Column("usage_intervals", JSON, nullable=False),
    Column("launched_at", Float, nullable=False),
    Column("terminated_at", Float),
)
