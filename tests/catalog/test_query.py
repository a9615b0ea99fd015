"""Query semantics over the realistic test catalogs (sky-testclouds, through its entry point)."""

from __future__ import annotations

from typing import Any

import pytest

from skycore import errors
from skycore.catalog import accelerators, query
from skycore.resources import Resources


def _feasible(manager: Any, cloud: str, **fields: Any) -> list[Any]:
    return query.feasible(manager.cloud(cloud), Resources(**fields))


def _key(o: Any, spot: bool = False) -> tuple[float, str, str]:
    return (o.spot_price if spot else o.price, o.region, o.zone or "")


def test_plugin_is_found_through_its_entry_point_with_over_50k_rows(manager: Any) -> None:
    infos = {p.name: p for p in manager.plugins()}
    info = infos["testclouds"]
    assert info.status == "ok" and info.distribution == "sky-testclouds"
    assert set(info.clouds) == {"gcp", "aws", "runpod", "lambda"}
    sizes = {c: len(query.table(c)) for c in ("gcp", "aws", "runpod", "lambda")}
    assert sizes["gcp"] == 30190 and sizes["runpod"] == 12096 and sizes["lambda"] == 408
    assert sizes["aws"] > 10000
    assert sum(sizes.values()) >= 50000


def test_test_clouds_are_disabled_without_the_switch(monkeypatch: pytest.MonkeyPatch,
                                                     manager: Any) -> None:
    from skycore.execution.cluster_ops import enabled_clouds

    assert {"gcp", "aws", "runpod", "lambda", "local"} <= set(enabled_clouds())
    monkeypatch.delenv("SKYCORE_TESTCLOUDS")
    check = manager.cloud("gcp").check_credentials()
    assert not check.ok and "SKYCORE_TESTCLOUDS=1" in check.reason
    assert set(enabled_clouds()) & {"gcp", "aws", "runpod", "lambda"} == set()
    assert "local" in enabled_clouds()


def test_regions_and_zones_agree_with_the_catalog(manager: Any) -> None:
    regions = {r.name: r for r in manager.cloud("gcp").regions()}
    assert "us-central1" in regions
    assert "us-central1-a" in {z.name for z in regions["us-central1"].zones}
    for o in _feasible(manager, "gcp", accelerators={"A100": 8}):
        assert o.zone in {z.name for z in regions[o.region].zones}
    assert [r.zones for r in manager.cloud("lambda").regions()][0] == ()


def test_accelerator_on_gcp_is_attached_to_its_fixed_host(manager: Any) -> None:
    rows = _feasible(manager, "gcp", accelerators={"A100": 8})
    assert rows and {o.instance_type for o in rows} == {"a2-highgpu-8g"}
    assert [_key(o) for o in rows] == sorted(_key(o) for o in rows)
    first = rows[0]
    t = query.table("gcp")
    place = (first.region, first.zone)
    host = next(t.offering(i) for i in t.type_rows("a2-highgpu-8g")
                if (t.offering(i).region, t.offering(i).zone) == place)
    gpus = next(t.offering(i) for i in t.acc_rows["A100"]
                if t.offering(i).accelerator_count == 8
                and (t.offering(i).region, t.offering(i).zone) == place)
    assert gpus.instance_type == ""  # the catalog row is attachable, as GCP publishes it
    assert first.vcpus == 96 and first.memory_gib == 680
    assert first.price == pytest.approx(host.price + gpus.price)
    assert first.spot_price == pytest.approx(host.spot_price + gpus.spot_price)
    assert first.accelerator_memory_gib == 40.0


def test_n1_family_host_uses_cloud_defaults_or_the_request(manager: Any) -> None:
    default = _feasible(manager, "gcp", accelerators={"T4": 1})[0]
    assert default.instance_type == "n1-highmem-8"  # 8+ vCPUs, 4x memory, cheapest
    small = _feasible(manager, "gcp", accelerators={"T4": 1}, cpus="2")[0]
    assert small.instance_type.startswith("n1-") and small.vcpus == 2
    assert small.price < default.price
    tpu = _feasible(manager, "gcp", accelerators={"tpu-v2-8": 1})[0]
    assert tpu.instance_type == "TPU-VM" and tpu.accelerator_name == "tpu-v2-8"


def test_name_is_case_insensitive_and_count_within_a_hundredth(manager: Any) -> None:
    a = _feasible(manager, "runpod", accelerators={"a100-80gb": 2})
    b = _feasible(manager, "runpod", accelerators={"A100-80GB": 2.005})
    assert a and a == b and a[0].accelerator_name == "A100-80GB"
    assert not _feasible(manager, "runpod", accelerators={"A100-80GB": 2.5})


def test_cpus_and_memory_forms(manager: Any) -> None:
    exact = _feasible(manager, "aws", cpus="4", memory="16")
    assert exact and all(o.vcpus == 4 and o.memory_gib == 16 for o in exact)
    at_least = _feasible(manager, "aws", cpus="96+")
    assert at_least and all(o.vcpus >= 96 for o in at_least)
    per_cpu = _feasible(manager, "aws", cpus="8", memory="8x")
    assert per_cpu and all(o.memory_gib >= 64 for o in per_cpu)
    assert not any(o.accelerator_name for o in per_cpu)  # CPU task: CPU machines first


def test_region_zone_spot_and_max_cost(manager: Any) -> None:
    zone = _feasible(manager, "gcp", accelerators={"H100": 8}, zone="us-central1-a")
    assert zone and {o.zone for o in zone} == {"us-central1-a"}
    region = _feasible(manager, "aws", cpus="8", region="us-west-2")
    assert region and {o.region for o in region} == {"us-west-2"}
    spot = _feasible(manager, "aws", accelerators={"H100": 8}, use_spot=True)
    assert spot and all(o.spot_price is not None for o in spot)
    assert [_key(o, spot=True) for o in spot] == sorted(_key(o, spot=True) for o in spot)
    assert _feasible(manager, "lambda", accelerators={"A100": 8}) != []
    assert _feasible(manager, "lambda", accelerators={"A100": 8}, use_spot=True) == []
    capped = _feasible(manager, "aws", cpus="8", max_hourly_cost=0.3)
    assert capped and all(o.price <= 0.3 for o in capped)


def test_device_memory_request(manager: Any) -> None:
    rows = _feasible(manager, "aws", accelerators={"80GB+": 8})
    names = {o.accelerator_name for o in rows}
    assert {"H100", "A100-80GB"} <= names and "A100" not in names
    assert all(o.accelerator_memory_gib >= 79.5 for o in rows)
    exact = _feasible(manager, "aws", accelerators={"nvidia:40GB": 8})
    assert {o.accelerator_name for o in exact} == {"A100"}


def test_instance_type_lookup_and_limit_types(manager: Any) -> None:
    rows = _feasible(manager, "aws", instance_type="p4d.24xlarge")
    assert rows and {o.instance_type for o in rows} == {"p4d.24xlarge"}
    assert {o.region for o in rows} <= {"us-east-1", "us-east-2", "us-west-2"}
    full = _feasible(manager, "gcp", cpus="8+")
    one = query.feasible(manager.cloud("gcp"), Resources(cpus="8+"), limit_types=1)
    assert one == [o for o in full if o.instance_type == full[0].instance_type]


def test_fuzzy_suggestions_like_skypilot(manager: Any) -> None:
    cloud = manager.cloud("runpod")
    request = Resources(accelerators={"A100": 8})
    assert query.feasible(cloud, request) == []
    assert query.suggest(cloud, request) == ["A100-80GB:8", "A100-80GB-SXM:8"]
    assert any("A100-80GB:8" in h for h in query.hints(cloud, request))
    # a request that matches by name and count gets no fuzzy list
    assert query.suggest(cloud, Resources(accelerators={"A100-80GB": 8})) == []


def test_unknown_names_get_close_matches(manager: Any) -> None:
    cloud = manager.cloud("aws")
    hints = query.hints(cloud, Resources(accelerators={"H10": 1}))
    assert any("Did you mean 'H100'?" in h or "'H100'" in h for h in hints)
    query.table("gcp")
    assert accelerators.canonical("a100-80gb") == "A100-80GB"
    assert accelerators.canonical("TPU-V2-8") == "tpu-v2-8"
    with pytest.raises(errors.TaskValidationError, match="A100"):
        accelerators.validate("A10O")


def test_plus_hint_for_exact_cpu_miss(manager: Any) -> None:
    cloud = manager.cloud("aws")
    request = Resources(cpus="3")
    assert query.feasible(cloud, request) == []
    assert any("add `+`" in h and "cpus: 3+" in h for h in query.hints(cloud, request))


def test_offerings_lists_launchable_rows_only(manager: Any) -> None:
    rows = query.offerings("lambda")
    assert len(rows) == 408 and all(o.instance_type for o in rows)
    assert [o.price for o in rows] == sorted(o.price for o in rows)


def test_price_of_and_parse_amount() -> None:
    assert query.parse_amount("4+", "cpus") == (4.0, "min")
    assert query.parse_amount("2x", "memory") == (2.0, "per_cpu")
    with pytest.raises(errors.TaskValidationError):
        query.parse_amount("lots", "cpus")
