"""Where the real public catalogs are: ``<repo>/../shared/catalogs/v8/<cloud>/vms.csv``.

They are read as they are (no copy in this package). The package finds the repository from its
own location (``tests/plugin_fixtures/sky_testclouds/sky_testclouds/``), as the compat-corpus
test does; ``SKYCORE_SHARED_CATALOGS`` overrides the ``v8`` directory (for a wheel installed
elsewhere).
"""

from __future__ import annotations

import os
from pathlib import Path

from sky_testclouds import ENV_SHARED_CATALOGS


def repo_root() -> Path:
    return Path(__file__).resolve().parents[4]


def shared_v8() -> Path:
    override = os.environ.get(ENV_SHARED_CATALOGS)
    if override:
        return Path(override).expanduser()
    return repo_root().parent / "shared" / "catalogs" / "v8"


def shared_csv(cloud: str) -> Path:
    path = shared_v8() / cloud / "vms.csv"
    if not path.exists():
        raise FileNotFoundError(
            f"sky-testclouds: {path} not found. The test catalogs are read from the shared "
            f"public catalogs; set {ENV_SHARED_CATALOGS} to their catalogs/v8 directory.")
    return path


def gcp_csv() -> Path:
    return shared_csv("gcp")


def runpod_csv() -> Path:
    return shared_csv("runpod")


def lambda_csv() -> Path:
    return shared_csv("lambda")
