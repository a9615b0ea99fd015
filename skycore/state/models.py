"""SQLAlchemy tables of the server's state: clusters and their history, API requests, users,
service-account tokens and uploads.

Why JSON columns and no pickles: the handle and resources must stay readable by a newer skycore
(and by humans debugging a state DB); a pickled class breaks on every refactor. Request bodies,
results and errors are JSON text for the same reason.

Every change here needs a migration in :mod:`skycore.state.migrations` (the drift test compares
these tables with the migrated schema on SQLite and PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

#: explicit constraint names, so migrations can name what they alter on every backend
metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

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

#: one row per API request (PENDING → RUNNING → SUCCEEDED | FAILED | CANCELLED)
requests = Table(
    "requests", metadata,
    Column("request_id", String(36), primary_key=True),
    Column("name", String(64), nullable=False),
    #: the CLI command line that made the request, for `sky api status`
    Column("entrypoint", Text),
    Column("request_body", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("created_at", Float, nullable=False, index=True),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("cluster_name", String(255), index=True),
    Column("schedule_type", String(8), nullable=False),
    Column("user_id", String(64), nullable=False, index=True),
    Column("user_name", String(255), nullable=False),
    Column("pid", Integer),
    Column("return_value", Text),
    Column("error", Text),
    Column("status_msg", Text),
    Column("log_path", Text),
)

users = Table(
    "users", metadata,
    Column("user_id", String(64), primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("password_hash", Text),
    Column("role", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
)

#: bearer tokens of service accounts; only a hash of the token is stored
service_account_tokens = Table(
    "service_account_tokens", metadata,
    Column("token_id", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("user_id", String(64), ForeignKey("users.user_id"), nullable=False, index=True),
    Column("token_hash", String(128), nullable=False, unique=True, index=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float),
    Column("last_used_at", Float),
    Column("revoked_at", Float),
)

#: chunked, content-addressed uploads of a remote client's workdir and file mounts
uploads = Table(
    "uploads", metadata,
    Column("upload_id", String(64), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("content_hash", String(64), nullable=False, index=True),
    Column("total_chunks", Integer, nullable=False),
    #: JSON list of the chunk indexes received so far (resumable uploads)
    Column("received", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("completed_at", Float),
    Column("path", Text),
)
