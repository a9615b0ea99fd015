"""Baseline: the pre-Alembic schema (cluster records and their billing history).

A database created before Alembic (it has the old ``schema_version`` table at version 1) already
holds exactly these tables and is stamped at this revision instead of running it.

Revision ID: 0001
Revises:
Create Date: 2025-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clusters",
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("cluster_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("launched_at", sa.Float(), nullable=False),
        sa.Column("status_updated_at", sa.Float(), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("cloud", sa.String(64), nullable=False),
        sa.Column("region", sa.String(255), nullable=True),
        sa.Column("zone", sa.String(255), nullable=True),
        sa.Column("num_nodes", sa.Integer(), nullable=False),
        sa.Column("launched_resources", sa.JSON(), nullable=False),
        sa.Column("hourly_price", sa.Float(), nullable=False),
        sa.Column("handle", sa.JSON(), nullable=False),
        sa.Column("autostop", sa.Float(), nullable=False),
        sa.Column("to_down", sa.Boolean(), nullable=False),
        sa.Column("cluster_ever_up", sa.Boolean(), nullable=False),
        sa.Column("last_use", sa.Text(), nullable=True),
        sa.Column("last_creation_yaml", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_clusters")),
    )
    op.create_table(
        "cluster_history",
        sa.Column("cluster_hash", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("cloud", sa.String(64), nullable=False),
        sa.Column("region", sa.String(255), nullable=True),
        sa.Column("zone", sa.String(255), nullable=True),
        sa.Column("num_nodes", sa.Integer(), nullable=False),
        sa.Column("requested_resources", sa.JSON(), nullable=True),
        sa.Column("launched_resources", sa.JSON(), nullable=False),
        sa.Column("hourly_price", sa.Float(), nullable=False),
        sa.Column("usage_intervals", sa.JSON(), nullable=False),
        sa.Column("launched_at", sa.Float(), nullable=False),
        sa.Column("terminated_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("cluster_hash", name=op.f("pk_cluster_history")),
    )


def downgrade() -> None:
    op.drop_table("cluster_history")
    op.drop_table("clusters")
