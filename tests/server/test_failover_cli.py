"""Failover as the user sees it: `sky launch` through a real server over the realistic test
catalogs, with the test provider failing every placement. Each attempt is printed as it
happens, and the command ends with one error carrying the whole history."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from skycore.testing.api_server import ApiServer

pytestmark = pytest.mark.skipif(
    shutil.which("sky") is None and not Path(sys.executable).with_name("sky").exists(),
    reason="sky script not installed")
SKY = str(Path(sys.executable).with_name("sky"))


@pytest.fixture
def testclouds_server() -> Iterator[ApiServer]:
    pytest.importorskip("sky_testclouds")
    home = Path(tempfile.mkdtemp(prefix="skyfo-"))
    server = ApiServer(home / "sky_home", env={
        "SKYCORE_TESTCLOUDS": "1",
        "SKYCORE_TESTCLOUDS_FAULTS": "gcp:europe-west4-a=capacity,gcp:europe-west4=quota,"
                                     "lambda=auth,aws=auth"})
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def test_each_attempt_is_shown_and_the_error_has_the_history(
        testclouds_server: ApiServer) -> None:
    env = testclouds_server.client_env(SKYCORE_TESTCLOUDS="1")
    proc = subprocess.run([SKY, "launch", "-y", "-c", "fo", "--gpus", "A100:8", "echo hi"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    attempts = [ln.strip() for ln in proc.stdout.splitlines()
                if ln.strip().startswith("Attempt ")]
    failures = [ln.strip() for ln in proc.stdout.splitlines()
                if ln.strip().startswith("Failed on ")]
    assert len(attempts) >= 3 and len(failures) == len(attempts), proc.stdout
    # the cheapest offer first (Lambda), its failure blocks the whole cloud (auth)
    assert "Lambda" in attempts[0] and "AuthError" in failures[0]
    assert not any("Lambda" in a for a in attempts[1:])
    # GCP's capacity failure in a zone is followed by another zone of the same region, whose
    # quota failure blocks that region
    gcp = [f for f in failures if f.startswith("Failed on GCP")]
    assert "CapacityError" in gcp[0] and "QuotaError" in gcp[1]
    assert "Failed to provision all possible launchable resources" in proc.stderr
    assert proc.stderr.count("AuthError") >= 2  # the history names every attempt
    status = subprocess.run([SKY, "status"], env=env, capture_output=True, text=True)
    assert "No existing clusters." in status.stdout
