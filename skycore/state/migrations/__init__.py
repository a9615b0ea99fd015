"""Alembic migrations of the state database, shipped inside the package.

Why programmatic and not ``alembic.ini``: a user's machine (or a server container) has no
config file to find, and the URL must never be written anywhere. :func:`alembic_config` builds the
configuration in memory and hands env.py an open connection.

Why the head is a constant here: the startup check compares the DB's revision with
:data:`HEAD` without importing alembic (slow: ~0.5 s), so an up-to-date DB costs one query. A test
asserts that :data:`HEAD` is the script directory's real head.

Revisions:
  * ``0001`` -- the pre-Alembic schema (``clusters``, ``cluster_history``). A database created
    before Alembic (it has the old ``schema_version`` table) is stamped here and then upgraded.
  * ``0002`` -- the API server's tables (``requests``, ``users``, ``service_account_tokens``,
    ``uploads``).

To write a new revision: change :mod:`skycore.state.models`, then run
``python -m skycore.state.migrations revision -m "what changed"`` (autogenerates against a scratch
SQLite DB at head), review the file, and bump :data:`HEAD`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config

#: the newest revision this skycore knows (keep equal to the script directory's head)
HEAD = "0002"
#: the revision a pre-Alembic database (``schema_version`` = 1) is adopted as
BASELINE = "0001"
LOCATION = Path(__file__).parent


def alembic_config(connection: Any = None) -> Config:
    """An in-memory Alembic config for this package; ``connection`` is used by env.py."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(LOCATION))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    cfg.attributes["connection"] = connection
    return cfg
