"""Alembic environment: runs the migrations on the connection skycore hands over.

skycore always passes an open connection (``config.attributes["connection"]``) from
:mod:`skycore.state.schema`, already serialized by the migration lock. Offline (SQL script)
mode is not supported: migrations run at server start.
"""

from __future__ import annotations

from alembic import context

from skycore.state import models

config = context.config


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=models.metadata,
        # SQLite cannot ALTER most things: batch mode recreates the table, and is a plain
        # ALTER on PostgreSQL, so one migration file serves both
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("skycore migrations run online only (at server start).")

_connection = config.attributes.get("connection")
if _connection is None:
    raise RuntimeError("skycore migrations need a connection: use skycore.state.migrations "
                       "(python -m skycore.state.migrations), not the alembic CLI.")
_run(_connection)
