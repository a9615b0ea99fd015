"""The ``infra`` grammar: the whole from_str / to_str / formatted_str table."""

from __future__ import annotations

import dataclasses

import pytest

from skycore.errors import TaskValidationError
from skycore.infra import InfraInfo, canonical_cloud_name, truncate_middle


@pytest.mark.parametrize("infra, cloud, region, zone", [
    ("aws/us-east-1", "aws", "us-east-1", None),
    ("aws/us-east-1/us-east-1a", "aws", "us-east-1", "us-east-1a"),
    ("gcp/us-central1", "gcp", "us-central1", None),
    ("k8s/my-cluster-ctx", "kubernetes", "my-cluster-ctx", None),
    ("kubernetes/my-cluster-ctx", "kubernetes", "my-cluster-ctx", None),
    ("k8s/my/cluster/ctx", "kubernetes", "my/cluster/ctx", None),
    ("k8s/arn:aws:eks:us-east-1:123:cluster/my-cluster", "kubernetes",
     "arn:aws:eks:us-east-1:123:cluster/my-cluster", None),
    ("k8s", "kubernetes", None, None),
    ("aws/us-east-1/", "aws", "us-east-1", None),
    ("aws", "aws", None, None),
    ("*/us-east-1", None, "us-east-1", None),
    ("aws/*/us-east-1a", "aws", None, "us-east-1a"),
    ("aws/*", "aws", None, None),
    ("*/*/us-east-1a", None, None, "us-east-1a"),
    (None, None, None, None),
    ("", None, None, None),
    ("*", None, None, None),
    ("AWS/US-EAST-1", "aws", "US-EAST-1", None),
    ("GCP/US-CENTRAL1", "gcp", "US-CENTRAL1", None),
    ("K8S/MY-CLUSTER", "kubernetes", "MY-CLUSTER", None),
    ("  aws/us-east-1  ", "aws", "us-east-1", None),
    (" aws / us-east-1 / us-east-1a ", "aws", "us-east-1", "us-east-1a"),
    ("local", "local", None, None),
    ("lambda", "lambda", None, None),
    ("ssh/my-pool", "ssh", "ssh-my-pool", None),
    ("ssh", "ssh", None, None),
])
def test_from_str(infra: str | None, cloud: str | None, region: str | None,
                  zone: str | None) -> None:
    info = InfraInfo.from_str(infra)
    assert (info.cloud, info.region, info.zone) == (cloud, region, zone)


@pytest.mark.parametrize("infra", [
    "aws/us-east-1/us-east-1a/extra",
    "aws//us-east-1",
    "///",
    "aws///us-east-1",
    "/aws",
])
def test_from_str_errors(infra: str) -> None:
    with pytest.raises(TaskValidationError) as e:
        InfraInfo.from_str(infra)
    assert e.value.field == "infra"
    assert "cloud/region/zone" in str(e.value) or "//" in str(e.value)


def test_from_str_error_names_given_field() -> None:
    with pytest.raises(TaskValidationError, match="resources.any_of\\[0\\].infra"):
        InfraInfo.from_str("a//b", field="resources.any_of[0].infra")


def test_from_str_rejects_non_string() -> None:
    with pytest.raises(TaskValidationError, match="must be a string"):
        InfraInfo.from_str(5)  # type: ignore[arg-type]


@pytest.mark.parametrize("cloud, region, zone, expected", [
    ("aws", "us-east-1", None, "aws/us-east-1"),
    ("aws", "us-east-1", "us-east-1a", "aws/us-east-1/us-east-1a"),
    ("gcp", "us-central1", None, "gcp/us-central1"),
    ("kubernetes", "my-cluster-ctx", None, "kubernetes/my-cluster-ctx"),
    ("kubernetes", "my/cluster/ctx", None, "kubernetes/my/cluster/ctx"),
    ("kubernetes", "my-cluster-ctx", "some-zone", "kubernetes/my-cluster-ctx/some-zone"),
    ("aws", None, None, "aws"),
    (None, "us-east-1", None, "*/us-east-1"),
    ("aws", "*", "*", "aws"),
    ("gcp", "us-central1", "*", "gcp/us-central1"),
    ("aws", "*", "us-east-1a", "aws/*/us-east-1a"),
    (None, None, None, None),
    ("*", "*", "*", None),
    ("*", "us-east-1", None, "*/us-east-1"),
    (None, None, "us-east-1b", "*/*/us-east-1b"),
    ("aws", "US-EAST-1", "US-EAST-1A", "aws/US-EAST-1/US-EAST-1A"),
    ("local", None, None, "local"),
    ("lambda", "region-name", None, "lambda/region-name"),
    ("AWS", None, None, "aws"),
    ("k8s", "ctx", None, "kubernetes/ctx"),
    ("ssh", "ssh-my-pool", None, "ssh/my-pool"),
])
def test_to_str(cloud: str | None, region: str | None, zone: str | None,
                expected: str | None) -> None:
    assert InfraInfo(cloud, region, zone).to_str() == expected


@pytest.mark.parametrize("cloud, region, zone, truncate, expected", [
    ("aws", "us-east-1", None, True, "aws (us-east-1)"),
    ("aws", "us-east-1", "us-east-1a", True, "aws (us-east-1a)"),
    ("gcp", "us-central1", None, True, "gcp (us-central1)"),
    ("kubernetes", "my-cluster-ctx", None, True, "kubernetes (my-cluster-ctx)"),
    ("kubernetes", "my/cluster/ctx", None, True, "kubernetes (my/cluster/ctx)"),
    ("aws", None, None, True, "aws"),
    (None, "us-east-1", None, True, "-"),
    ("aws", "us-east-1-very-long-region", None, True, "aws (us-east-1-v...long-region)"),
    ("aws", "us-east-1-very-very-very-long-region", None, True,
     "aws (us-east-1-v...long-region)"),
    ("aws", "us-east-1-very-long-region", None, False, "aws (us-east-1-very-long-region)"),
    ("*", "*", "*", True, "-"),
    ("aws", "*", "*", True, "aws"),
    ("aws", "*", "us-east-1a", True, "aws (us-east-1a)"),
    ("*", "us-east-1", None, True, "-"),
    ("aws", "x" * 25, None, True, "aws (" + "x" * 25 + ")"),
    ("aws", "x" * 26, None, True, "aws (" + "x" * 11 + "..." + "x" * 11 + ")"),
    ("aws", "x" * 24, None, True, "aws (" + "x" * 24 + ")"),
    ("aws", "", None, True, "aws"),
    ("aws", "", "", True, "aws"),
    ("local", None, None, True, "local"),
    ("lambda", "region-name", None, True, "lambda (region-name)"),
    ("ssh", "ssh-my-pool", None, True, "ssh (my-pool)"),
])
def test_formatted_str(cloud: str | None, region: str | None, zone: str | None, truncate: bool,
                       expected: str) -> None:
    assert InfraInfo(cloud, region, zone).formatted_str(truncate=truncate) == expected


@pytest.mark.parametrize("infra", ["aws", "aws/us-east-1", "aws/us-east-1/us-east-1a",
                                   "*/us-east-1", "*/*/us-east-1b", "aws/*/us-east-1a",
                                   "kubernetes/a/b/c", "ssh/pool-1", "gcp/us-central1"])
def test_round_trip(infra: str) -> None:
    info = InfraInfo.from_str(infra)
    assert info.to_str() == infra
    assert InfraInfo.from_str(info.to_str()) == info


def test_frozen_and_hashable() -> None:
    info = InfraInfo.from_str("aws/us-east-1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.cloud = "gcp"  # type: ignore[misc]
    assert {info, InfraInfo("AWS", "us-east-1")} == {info}


def test_helpers() -> None:
    assert canonical_cloud_name(" K8s ") == "kubernetes"
    assert canonical_cloud_name("GCP") == "gcp"
    assert truncate_middle("abc") == "abc"
    assert truncate_middle("a" * 30) == "a" * 11 + "..." + "a" * 11
    assert InfraInfo().is_any() and not InfraInfo("aws").is_any()
    assert str(InfraInfo()) == "*"
