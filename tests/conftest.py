"""Test-wide isolation: every test session gets its own SKY_HOME and fast skylet ticks, and
whatever local clusters it leaves are ended by PID at the end."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from skycore.testing.isolation import kill_local_clusters

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="skytest-"))
os.environ["SKY_HOME"] = str(_SESSION_HOME / "sky_home")
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
# skylet checks autostop every tick; 1 s keeps autostop tests short
os.environ.setdefault("SKYLET_TICK_SECONDS", "1")


@pytest.fixture(scope="session")
def sky_home() -> Path:
    path = Path(os.environ["SKY_HOME"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    kill_local_clusters(Path(os.environ["SKY_HOME"]))
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)
