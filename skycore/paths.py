"""Where skycore keeps its files. Everything lives under ``SKY_HOME`` (default ``~/.sky``) so a
test, a CI job or a second user can point the whole system elsewhere with one variable."""

from __future__ import annotations

import os
from pathlib import Path


def sky_home() -> Path:
    path = Path(os.environ.get("SKY_HOME") or Path.home() / ".sky").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def sub_dir(*parts: str) -> Path:
    path = sky_home().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def locks_dir() -> Path:
    return sub_dir("locks")


def logs_dir() -> Path:
    return sub_dir("logs")
