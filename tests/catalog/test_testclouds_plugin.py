"""The sky-testclouds package itself: deterministic AWS generation and fault injection."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from skycore import errors
from skycore.interfaces.provision import ProvisionConfig

aws_catalog = pytest.importorskip("sky_testclouds.aws_catalog")
provision = pytest.importorskip("sky_testclouds.provision")


def test_aws_generation_is_deterministic_and_follows_the_price_model() -> None:
    first = aws_catalog.generate()
    assert first == aws_catalog.generate()
    rows = list(csv.DictReader(io.StringIO(first)))
    assert {r["Region"] for r in rows} == set(aws_catalog.REGIONS)
    p4d = next(r for r in rows if r["InstanceType"] == "p4d.24xlarge"
               and r["Region"] == "us-east-1")
    # 96 vCPUs, 1152 GiB, 8 x A100: (96*0.0316 + 1152*0.0042 + 8*2.75) * 1.00
    assert float(p4d["Price"]) == pytest.approx(96 * 0.0316 + 1152 * 0.0042 + 8 * 2.75)
    assert p4d["AcceleratorName"] == "A100" and float(p4d["AcceleratorCount"]) == 8
    spot = float(p4d["SpotPrice"]) / float(p4d["Price"])
    assert aws_catalog.SPOT_MIN <= spot <= aws_catalog.SPOT_MIN + aws_catalog.SPOT_SPAN
    assert not any(r["InstanceType"].startswith("mac") for r in rows)


def test_generated_snapshot_is_written_once_under_sky_home(testclouds: None) -> None:
    path = aws_catalog.snapshot_path()
    assert path.exists() and path.read_text() == aws_catalog.generate()
    mtime = path.stat().st_mtime_ns
    assert aws_catalog.snapshot_path() == path and path.stat().st_mtime_ns == mtime


def _config(region: str, zone: str | None) -> ProvisionConfig:
    return ProvisionConfig(cluster_name="c", cluster_name_on_cloud="c-1", region=region,
                           zone=zone, count=1, instance_type="a2-highgpu-8g", resources={})


@pytest.mark.parametrize(("faults", "zone", "expected"), [
    ("gcp:us-central1-a=capacity", "us-central1-a", errors.CapacityError),
    ("gcp:us-central1=quota,gcp:us-central1-b=capacity", "us-central1-a", errors.QuotaError),
    ("gcp:us-central1=quota,gcp:us-central1-b=capacity", "us-central1-b", errors.CapacityError),
    ("gcp=auth", "us-central1-c", errors.AuthError),
    ("*=transient", "us-central1-c", errors.TransientError),
    ("", "us-central1-a", errors.ProviderNotSupportedError),
])
def test_fault_rules_pick_the_most_specific_target(monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
                                                   faults: str, zone: str,
                                                   expected: type[Exception]) -> None:
    log = tmp_path / "attempts.jsonl"
    monkeypatch.setenv("SKYCORE_TESTCLOUDS_FAULTS", faults)
    monkeypatch.setenv("SKYCORE_TESTCLOUDS_LOG", str(log))
    with pytest.raises(expected) as info:
        provision.for_gcp().run_instances(_config("us-central1", zone), deadline=0)
    assert type(info.value) is expected
    assert (info.value.cloud, info.value.region, info.value.zone) == ("gcp", "us-central1", zone)
    assert f'"zone": "{zone}"' in log.read_text()


def test_bad_fault_rule_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKYCORE_TESTCLOUDS_FAULTS", "gcp=meltdown")
    with pytest.raises(errors.TaskValidationError, match="capacity, quota, auth"):
        provision.for_gcp().run_instances(_config("us-central1", None), deadline=0)
