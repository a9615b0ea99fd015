"""Developer helper: ``python -m skycore.state.migrations revision -m "what changed"``.

Autogenerates the next numbered revision by comparing :mod:`skycore.state.models` with a scratch
SQLite database migrated to the current head (never the user's database). Review the file it
writes (autogenerate misses renames and data moves), then bump ``HEAD`` in ``__init__.py``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m skycore.state.migrations")
    sub = parser.add_subparsers(dest="command", required=True)
    rev = sub.add_parser("revision", help="autogenerate the next revision")
    rev.add_argument("-m", "--message", required=True)
    sub.add_parser("heads", help="print the script directory's head")
    args = parser.parse_args(argv)

    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from skycore.state import migrations

    script = ScriptDirectory.from_config(migrations.alembic_config())
    head = script.get_current_head()
    if args.command == "heads":
        print(head)
        return
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'scratch.db'}")
        with engine.begin() as conn:
            cfg = migrations.alembic_config(conn)
            command.upgrade(cfg, "head")
            command.revision(cfg, message=args.message, autogenerate=True,
                             rev_id=f"{int(head or 0) + 1:04d}")
        engine.dispose()


if __name__ == "__main__":
    main()
