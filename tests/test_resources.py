"""Resources parsing: every accelerator form, any_of/ordered, cpus/memory/ports, round-trips."""

from __future__ import annotations

import dataclasses

import pytest

from skycore.errors import TaskValidationError
from skycore.resources import (
    AutostopConfig,
    Requirement,
    Resources,
    is_accelerator_memory_spec,
    parse_accelerators,
    parse_autostop,
    parse_ports,
    parse_resources,
    resources_to_yaml_config,
)


def one(config: dict) -> Resources:
    candidates, _ = parse_resources(config)
    assert len(candidates) == 1
    return candidates[0]


# ----------------------------------------------------------------------------- defaults
def test_defaults() -> None:
    r = Resources()
    assert r.cloud is None and r.region is None and r.zone is None
    assert r.disk_size == 256
    assert r.use_spot is False and r.use_spot_specified is False
    assert r.accelerators is None and r.cpus is None and r.memory is None
    assert r.is_empty()
    assert r.to_yaml_config() == {}
    assert parse_resources(None) == ([Resources()], False)
    assert parse_resources({}) == ([Resources()], False)


def test_null_fields_mean_unspecified() -> None:
    r = one({"cloud": None, "region": None, "accelerators": "V100:1", "disk_size": None,
             "use_spot": None, "cpus": 32})
    assert r.cloud is None and r.region is None
    assert r.accelerators == {"V100": 1}
    assert r.disk_size == 256
    assert r.use_spot is False and not r.use_spot_specified
    assert r.cpus == "32"


# ----------------------------------------------------------------------------- cpus / memory
@pytest.mark.parametrize("value, expected", [
    (1, "1"), (1.5, "1.5"), (32, "32"), (32.0, "32"), ("3+", "3+"), ("0.1+", "0.1+"),
    ("4", "4"), (" 8 + ", "8+"), ("2.0", "2"),
])
def test_cpus_forms(value: object, expected: str) -> None:
    assert Resources(cpus=value).cpus == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, -1, "0", "0+", "abc", "4++", "+4", True, [4]])
def test_cpus_errors(value: object) -> None:
    with pytest.raises(TaskValidationError) as e:
        Resources(cpus=value)  # type: ignore[arg-type]
    assert e.value.field == "resources.cpus"


@pytest.mark.parametrize("value, expected", [
    (32, "32"), (1.5, "1.5"), ("3+", "3+"), ("512MB", "0.5"), ("80GB+", "80+"),
    ("1TB", "1024"), ("2048 MB+", "2+"), ("1.5GiB", "1.5"), ("4x", "4x"), ("16G", "16"),
    ("1PB", str(1024 * 1024)), ("1048576KB", "1"),
])
def test_memory_forms(value: object, expected: str) -> None:
    assert Resources(memory=value).memory == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, "0", "-1", "abc", "4xGB", "4 bytes", False])
def test_memory_errors(value: object) -> None:
    with pytest.raises(TaskValidationError) as e:
        Resources(memory=value)  # type: ignore[arg-type]
    assert e.value.field == "resources.memory"


def test_memory_zero_only_on_slurm() -> None:
    assert Resources(cloud="slurm", memory=0).memory == "0"
    assert one({"infra": "slurm", "memory": "0+"}).memory == "0+"
    with pytest.raises(TaskValidationError, match="only accepted with cloud slurm"):
        one({"infra": "aws", "memory": 0})


def test_requirement_helpers() -> None:
    r = Resources(cpus="4+", memory="16")
    assert r.cpus_requirement() == Requirement(4.0, True, False)
    assert r.memory_requirement() == Requirement(16.0, False, False)
    assert r.cpus_requirement().satisfied_by(8)
    assert not r.cpus_requirement().satisfied_by(2)
    assert r.memory_requirement().satisfied_by(16) and not r.memory_requirement().satisfied_by(32)
    per_cpu = Resources(memory="4x").memory_requirement()
    assert per_cpu == Requirement(4.0, True, True)
    assert per_cpu.satisfied_by(32, vcpus=8) and not per_cpu.satisfied_by(16, vcpus=8)
    assert Resources().cpus_requirement() is None


# ----------------------------------------------------------------------------- accelerators
@pytest.mark.parametrize("value, expected", [
    ("V100", {"V100": 1}), ("V100:4", {"V100": 4}), ("V100:0.5", {"V100": 0.5}),
    ("A100-80GB:8", {"A100-80GB": 8}), ({"A100": 8}, {"A100": 8}), ({"A100:8": None}, {"A100": 8}),
    ({"A100": None}, {"A100": 1}), ("tpu-V2-8", {"tpu-v2-8": 1}), ("V100:2.0", {"V100": 2}),
    ("80GB+", {"80GB+": 1}), ("40GB:2", {"40GB": 2}), ("nvidia:80GB:8", {"nvidia:80GB": 8}),
    ({"nvidia:80gb+": 4}, {"nvidia:80GB+": 4}),
])
def test_single_accelerator_forms(value: object, expected: dict) -> None:
    assert one({"accelerators": value}).accelerators == expected


def test_accelerator_count_type() -> None:
    assert isinstance(Resources(accelerators="A100:8").accelerator_count, int)
    assert Resources(accelerators="A100:8").accelerator_name == "A100"
    assert Resources().accelerator_count == 0 and Resources().accelerator_name is None


@pytest.mark.parametrize("value", ["A100:abc", "A100:8:9", ":8", "A100:", "A 100", "a,b",
                                   "nvidia:A100:8", 3])
def test_malformed_accelerator_string(value: object) -> None:
    with pytest.raises(TaskValidationError, match='The "accelerators" field as a str'):
        parse_resources({"accelerators": value})


@pytest.mark.parametrize("value", ["V100:0", "V100:-1", {"V100": 0}, {"V100": -2}])
def test_accelerator_count_must_be_positive(value: object) -> None:
    with pytest.raises(TaskValidationError, match="positive"):
        parse_resources({"accelerators": value})


def test_accelerator_count_given_twice() -> None:
    with pytest.raises(TaskValidationError, match="both in the name and as the value"):
        parse_resources({"accelerators": {"A100:8": 2}})


def test_gpus_alias() -> None:
    assert one({"gpus": "V100:1"}).accelerators == {"V100": 1}


def test_gpus_and_accelerators_both_is_an_error_with_skypilot_text() -> None:
    with pytest.raises(TaskValidationError) as e:
        parse_resources({"accelerators": "V100:1", "gpus": ["T4:4", "V100:8"]})
    assert e.value.args[0] == "Cannot specify both gpus and accelerators in config."
    assert e.value.field == "resources.accelerators"


def test_accelerator_list_is_ordered() -> None:
    candidates, ordered = parse_resources({"accelerators": ["A100-40GB:1", "T4:1", "V100:1"]})
    assert ordered is True
    assert [c.accelerators for c in candidates] == [{"A100-40GB": 1}, {"T4": 1}, {"V100": 1}]


def test_accelerator_set_literal_is_any_of() -> None:
    candidates, ordered = parse_resources({"accelerators": {"A100:1": None, "T4:1": None}})
    assert ordered is False
    assert [c.accelerators for c in candidates] == [{"A100": 1}, {"T4": 1}]


def test_multi_key_dict_is_any_of_and_keeps_base_fields() -> None:
    candidates, ordered = parse_resources({"accelerators": {"L4": 8, "A100": 4, "A100-80GB": 2},
                                           "cpus": "32+", "use_spot": True, "disk_size": 512})
    assert not ordered
    assert [c.accelerators for c in candidates] == [{"L4": 8}, {"A100": 4}, {"A100-80GB": 2}]
    assert all(c.cpus == "32+" and c.use_spot and c.disk_size == 512 for c in candidates)


def test_python_set_and_cli_spellings() -> None:
    choices, ordered = parse_accelerators({"V100", "A100"})
    assert ordered is False and len(choices) == 2
    assert parse_accelerators("[A100:8, V100:8]") == ([{"A100": 8}, {"V100": 8}], True)
    assert parse_accelerators("{A100, V100}") == ([{"A100": 1}, {"V100": 1}], False)
    assert parse_accelerators(None) == ([None], None)
    assert parse_accelerators([]) == ([None], None)


def test_one_resources_holds_one_accelerator() -> None:
    with pytest.raises(TaskValidationError, match="at most one accelerator"):
        Resources(accelerators={"A100": 1, "V100": 1})


def test_memory_spec_helpers() -> None:
    assert is_accelerator_memory_spec("80GB+") and is_accelerator_memory_spec("nvidia:40GB")
    assert not is_accelerator_memory_spec("A100-80GB")
    assert Resources(accelerators="nvidia:80GB+:8").accelerator_memory_filter() == (
        "nvidia", 80.0, True)
    assert Resources(accelerators="40GB:2").accelerator_memory_filter() == (None, 40.0, False)
    assert Resources(accelerators="A100").accelerator_memory_filter() is None


# ----------------------------------------------------------------------------- any_of / ordered
def test_any_of_gives_alternatives_merged_over_base() -> None:
    candidates, ordered = parse_resources({
        "cpus": "2+", "use_spot": True, "accelerators": "A100:1",
        "any_of": [{"cloud": "aws"}, {"cloud": "gcp", "cpus": "4+"}],
    })
    assert ordered is False
    assert [(c.cloud, c.cpus, c.accelerators, c.use_spot) for c in candidates] == [
        ("aws", "2+", {"A100": 1}, True), ("gcp", "4+", {"A100": 1}, True)]


def test_ordered_keeps_order() -> None:
    candidates, ordered = parse_resources({
        "ordered": [{"accelerators": "V100"}, {"accelerators": "T4"}, {"accelerators": "A10"}],
        "ports": 8081, "cpus": "2+",
    })
    assert ordered is True
    assert [c.accelerator_name for c in candidates] == ["V100", "T4", "A10"]
    assert all(c.ports == ["8081"] for c in candidates)


def test_any_of_with_accelerator_set_is_cross_product() -> None:
    candidates, ordered = parse_resources({
        "accelerators": {"A100:1": None, "T4:1": None, "V100:1": None}, "use_spot": True,
        "any_of": [{"cloud": "aws"}, {"cloud": "gcp"}],
    })
    assert not ordered and len(candidates) == 6
    assert {(c.cloud, c.accelerator_name) for c in candidates} == {
        (cl, a) for cl in ("aws", "gcp") for a in ("A100", "T4", "V100")}


def test_any_of_merges_over_base_infra_cpus_accelerators() -> None:
    candidates, _ = parse_resources({
        "infra": "aws", "cpus": 4, "accelerators": "A100:1",
        "any_of": [{"infra": "gcp/us-central1"}, {"cpus": 8}, {"accelerators": "H100:8"}],
    })
    assert [(c.cloud, c.region, c.cpus, c.accelerators) for c in candidates] == [
        ("gcp", "us-central1", "4", {"A100": 1}), ("aws", None, "8", {"A100": 1}),
        ("aws", None, "4", {"H100": 8})]


def test_any_of_labels_dict_merge() -> None:
    candidates, _ = parse_resources({"labels": {"team": "ml", "env": "dev"},
                                     "any_of": [{"labels": {"env": "prod"}}, {"cloud": "aws"}]})
    assert candidates[0].labels == {"team": "ml", "env": "prod"}
    assert candidates[1].labels == {"team": "ml", "env": "dev"}


def test_any_of_duplicates_collapse() -> None:
    candidates, _ = parse_resources({"any_of": [{"cloud": "aws"}, {"cloud": "AWS"}]})
    assert len(candidates) == 1


def test_any_of_and_ordered_together_is_an_error() -> None:
    with pytest.raises(TaskValidationError, match="both any_of and ordered"):
        parse_resources({"any_of": [{"cloud": "aws"}], "ordered": [{"cloud": "gcp"}]})


@pytest.mark.parametrize("kind", ["any_of", "ordered"])
def test_nesting_is_an_error(kind: str) -> None:
    with pytest.raises(TaskValidationError, match="cannot be nested"):
        parse_resources({kind: [{"any_of": [{"cloud": "aws"}]}]})


def test_ordered_with_several_accelerators_is_an_error() -> None:
    with pytest.raises(TaskValidationError, match="ordered"):
        parse_resources({"accelerators": {"A100": 1, "V100": 1},
                         "ordered": [{"cloud": "aws"}, {"cloud": "gcp"}]})


def test_any_of_with_accelerator_list_is_an_error() -> None:
    with pytest.raises(TaskValidationError, match="any_of"):
        parse_resources({"accelerators": ["A100", "V100"], "any_of": [{"cloud": "aws"}]})


def test_entry_with_several_accelerators_is_an_error() -> None:
    with pytest.raises(TaskValidationError, match="one accelerator type"):
        parse_resources({"any_of": [{"accelerators": {"A100": 1, "V100": 1}}]})


def test_entry_errors_name_the_entry_path() -> None:
    with pytest.raises(TaskValidationError) as e:
        parse_resources({"any_of": [{"cpus": 2}, {"cpus": "lots"}]})
    assert e.value.field == "resources.any_of[1].cpus"


@pytest.mark.parametrize("entries", [[], "aws", [["cloud"]], None])
def test_bad_any_of_shapes(entries: object) -> None:
    config = {"any_of": entries}
    if entries is None:
        assert parse_resources(config) == ([Resources()], False)
        return
    with pytest.raises(TaskValidationError):
        parse_resources(config)


# ----------------------------------------------------------------------------- location
def test_infra_and_legacy_fields() -> None:
    r = one({"infra": "aws/us-east-1/us-east-1a"})
    assert (r.cloud, r.region, r.zone) == ("aws", "us-east-1", "us-east-1a")
    legacy = one({"cloud": "AWS", "region": "us-east-1", "zone": "us-east-1a"})
    assert legacy == r
    assert one({"cloud": "k8s"}).cloud == "kubernetes"


def test_infra_mixed_with_legacy_is_an_error() -> None:
    with pytest.raises(TaskValidationError, match="cannot be combined with cloud"):
        parse_resources({"infra": "aws", "cloud": "aws"})


def test_entry_legacy_over_base_infra_is_an_error() -> None:
    with pytest.raises(TaskValidationError, match="infra"):
        parse_resources({"infra": "aws", "any_of": [{"region": "us-east-1"}]})


def test_infra_round_trip_zone_only() -> None:
    r = Resources.from_yaml_config({"infra": "*/*/us-east-1b"})
    assert (r.cloud, r.region, r.zone) == (None, None, "us-east-1b")
    assert r.to_yaml_config() == {"infra": "*/*/us-east-1b"}
    assert Resources.from_yaml_config(r.to_yaml_config()) == r


def test_infra_info_property() -> None:
    assert Resources(cloud="gcp", region="us-central1").infra_info.to_str() == "gcp/us-central1"


@pytest.mark.parametrize("config, field", [
    ({"infra": "aws//x"}, "resources.infra"),
    ({"region": 5}, "resources.region"),
    ({"cloud": "not a cloud!"}, "resources.cloud"),
])
def test_location_errors(config: dict, field: str) -> None:
    with pytest.raises(TaskValidationError) as e:
        parse_resources(config)
    assert e.value.field == field


# ----------------------------------------------------------------------------- ports
@pytest.mark.parametrize("value, expected", [
    ("8000,9000", ["8000", "9000"]), (8080, ["8080"]), ("10022-10040", ["10022-10040"]),
    ([8080, "8081", "9000-9002"], ["8080-8081", "9000-9002"]), (["9000", 8000], ["8000", "9000"]),
    ([8000, 8000], ["8000"]), (["8000-8010", "8005-8020"], ["8000-8020"]), (None, None),
    ([], None),
])
def test_ports(value: object, expected: list[str] | None) -> None:
    assert parse_ports(value) == expected


@pytest.mark.parametrize("value", [0, 65536, "abc", "9000-8000", "80-", True, [1.5], {"a": 1}])
def test_port_errors(value: object) -> None:
    with pytest.raises(TaskValidationError) as e:
        Resources(ports=value)  # type: ignore[arg-type]
    assert e.value.field == "resources.ports"


# ----------------------------------------------------------------------------- other fields
def test_disk_size() -> None:
    assert Resources(disk_size=512).disk_size == 512
    assert Resources(disk_size="1TB").disk_size == 1024  # type: ignore[arg-type]
    assert Resources(disk_size="100GB").disk_size == 100  # type: ignore[arg-type]
    for bad in (0, -5, "0GB"):
        with pytest.raises(TaskValidationError, match="positive"):
            Resources(disk_size=bad)  # type: ignore[arg-type]
    with pytest.raises(TaskValidationError, match="whole number"):
        Resources(disk_size=10.5)  # type: ignore[arg-type]


def test_tiers_lower_cased_and_checked() -> None:
    r = Resources(disk_tier="BEST", network_tier="Best")
    assert (r.disk_tier, r.network_tier) == ("best", "best")
    with pytest.raises(TaskValidationError, match="low, medium, high, ultra, best"):
        Resources(disk_tier="fast")
    with pytest.raises(TaskValidationError, match="standard, best"):
        Resources(network_tier="premium")


def test_use_spot_specified_tracking() -> None:
    assert one({"use_spot": False}).use_spot_specified is True
    assert one({}).use_spot_specified is False
    assert Resources(use_spot=True).use_spot_specified is True
    with pytest.raises(TaskValidationError, match="true or false"):
        Resources(use_spot="yes")  # type: ignore[arg-type]


def test_labels_image_id_and_args() -> None:
    r = one({"labels": {"a": "b"}, "image_id": {"us-east-1": "ami-1", "docker": "ubuntu"},
             "accelerator_args": {"runtime_version": "tpu-vm-base", "tpu_vm": True}})
    assert r.labels == {"a": "b"}
    assert r.image_id == {"us-east-1": "ami-1", "docker": "ubuntu"}
    assert r.accelerator_args == {"runtime_version": "tpu-vm-base", "tpu_vm": True}
    with pytest.raises(TaskValidationError, match="strings"):
        Resources(labels={"a": 1})  # type: ignore[dict-item]
    with pytest.raises(TaskValidationError, match="resources.accelerator_args.tpu_vm"):
        parse_resources({"accelerator_args": {"tpu_vm": "yes"}})
    with pytest.raises(TaskValidationError, match="Did you mean 'tpu_name'"):
        parse_resources({"accelerator_args": {"tpu_nam": "x"}})


def test_job_recovery_and_deprecated_alias() -> None:
    assert one({"job_recovery": "failover"}).job_recovery == {"strategy": "FAILOVER"}
    r = one({"job_recovery": {"strategy": "eager_next_region", "max_restarts_on_errors": 3,
                              "recover_on_exit_codes": 33}})
    assert r.job_recovery == {"strategy": "EAGER_NEXT_REGION", "max_restarts_on_errors": 3,
                              "recover_on_exit_codes": [33]}
    with pytest.warns(FutureWarning, match="spot_recovery is deprecated"):
        assert one({"spot_recovery": "none"}).job_recovery == {"strategy": "NONE"}
    with pytest.raises(TaskValidationError, match="alias"):
        parse_resources({"spot_recovery": "a", "job_recovery": "b"})
    with pytest.raises(TaskValidationError, match="0..255"):
        parse_resources({"job_recovery": {"recover_on_exit_codes": [256]}})
    with pytest.raises(TaskValidationError, match=">= 0"):
        parse_resources({"job_recovery": {"max_restarts_on_errors": -1}})


def test_priority_cost_local_disk_volumes() -> None:
    r = one({"priority": 10, "max_hourly_cost": 3, "local_disk": "nvme:300+",
             "volumes": [{"path": "/mnt", "name": "v", "disk_size": "100GB"}]})
    assert (r.priority, r.max_hourly_cost, r.local_disk) == (10, 3.0, "nvme:300+")
    assert r.volumes == [{"path": "/mnt", "name": "v", "disk_size": 100}]
    for config in ({"priority": 1001}, {"max_hourly_cost": 0}, {"local_disk": "big"},
                   {"volumes": [{"pth": "/x"}]}):
        with pytest.raises(TaskValidationError):
            parse_resources(config)


# ----------------------------------------------------------------------------- autostop
@pytest.mark.parametrize("value, expected", [
    (False, AutostopConfig.cancel()), (True, AutostopConfig(5)), (10, AutostopConfig(10)),
    ("2h", AutostopConfig(120)), ("30m", AutostopConfig(30)), ("1d", AutostopConfig(1440)),
    ({"idle_minutes": 5}, AutostopConfig(5)),
    ({"idle_minutes": 3, "down": True, "wait_for": "JOBS"}, AutostopConfig(3, True, "jobs")),
    ({}, AutostopConfig()),
])
def test_autostop_forms(value: object, expected: AutostopConfig) -> None:
    assert parse_autostop(value) == expected


def test_autostop_false_means_cancel() -> None:
    config = AutostopConfig.cancel()
    assert not config.enabled and config.idle_minutes == -1
    assert config.to_yaml_config() is False
    assert one({"autostop": False}).autostop == config


def test_autostop_inner_type_error_mentions_integer() -> None:
    with pytest.raises(TaskValidationError) as e:
        parse_resources({"autostop": {"idle_minutes": "ten"}})
    assert "integer" in str(e.value)
    assert e.value.field == "resources.autostop.idle_minutes"


@pytest.mark.parametrize("value", [{"idle": 5}, {"wait_for": "never"}, -3, "soon", [5],
                                   {"down": "yes"}])
def test_autostop_errors(value: object) -> None:
    with pytest.raises(TaskValidationError):
        parse_autostop(value)


# ----------------------------------------------------------------------------- unknown fields
def test_unknown_field_named_with_suggestion() -> None:
    with pytest.raises(TaskValidationError) as e:
        parse_resources({"cloud": "aws", "acelerators": "A100"})
    assert e.value.field == "resources.acelerators"
    assert "Did you mean 'accelerators'" in str(e.value)


def test_unknown_field_with_null_value_still_rejected() -> None:
    with pytest.raises(TaskValidationError, match="not_a_valid_field"):
        parse_resources({"cloud": "aws", "not_a_valid_field": None})


def test_resources_block_must_be_mapping() -> None:
    with pytest.raises(TaskValidationError, match="mapping"):
        parse_resources(["cpus"])  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- API
def test_immutable_and_copy_validates() -> None:
    r = Resources(cpus=4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.cpus = "8"  # type: ignore[misc]
    r2 = r.copy(cpus="8+", infra="aws/us-east-1", gpus="A100:2", use_spot=False)
    assert (r2.cpus, r2.cloud, r2.region, r2.accelerators) == ("8+", "aws", "us-east-1",
                                                               {"A100": 2})
    assert r2.use_spot_specified
    assert r.cpus == "4"
    with pytest.raises(TaskValidationError):
        r.copy(cpus="many")
    with pytest.raises(TaskValidationError, match="Did you mean 'cpus'"):
        r.copy(cpu=3)
    assert r2.copy(infra="*").infra_info.is_any()


def test_hash_and_equality() -> None:
    a = Resources(cloud="aws", accelerators="A100:8", labels={"x": "y"})
    b = Resources(cloud="AWS", accelerators={"A100": 8}, labels={"x": "y"})
    assert a == b and hash(a) == hash(b)
    assert len({a, b, Resources()}) == 2


def test_repr_shows_only_non_defaults() -> None:
    assert repr(Resources()) == "Resources()"
    assert repr(Resources(cpus=4, accelerators="A100:8")) == (
        "Resources(cpus='4', accelerators={'A100': 8})")


def test_str_is_short() -> None:
    r = Resources(cloud="aws", region="us-east-1", cpus="4+", accelerators="A100:8",
                  use_spot=True, disk_size=512, ports=8080)
    assert str(r) == "aws/us-east-1(cpus=4+, A100:8, spot, disk=512, ports=8080)"
    assert str(Resources()) == "*()"


@pytest.mark.parametrize("config", [
    {"infra": "*/*/us-east-1b"},
    {"infra": "k8s/my/ctx", "cpus": "2+", "memory": "4x"},
    {"cloud": "aws", "region": "us-east-2", "image_id": "ami-1", "accelerators": "V100"},
    {"accelerators": {"A100": 8}, "disk_size": 1024, "disk_tier": "best", "ports": [8080, 8081]},
    {"use_spot": False, "job_recovery": {"max_restarts_on_errors": 1}},
    {"autostop": {"idle_minutes": 5, "down": True}, "priority": 3, "labels": {"a": "b"}},
    {"autostop": False, "_cluster_config_overrides": {"kubernetes": {"pod_config": {}}}},
    {"disk_size": 256, "cpus": 1.5, "memory": "512MB+"},
])
def test_to_yaml_config_round_trips(config: dict) -> None:
    r = Resources.from_yaml_config(config)
    dumped = r.to_yaml_config()
    assert "disk_size" not in dumped or dumped["disk_size"] != 256
    assert Resources.from_yaml_config(dumped) == r
    assert Resources.from_yaml_config(dumped).to_yaml_config() == dumped


@pytest.mark.parametrize("config", [
    {"accelerators": ["A100:1", "T4:1"]},
    {"accelerators": {"A100": 1, "V100": 1}, "any_of": [{"cloud": "aws"}, {"cloud": "gcp"}]},
    {"ordered": [{"accelerators": "V100"}, {"accelerators": "T4"}], "cpus": "2+"},
    {"accelerators": ["A100:1"]},
    {"cpus": 4},
])
def test_block_round_trips(config: dict) -> None:
    candidates, ordered = parse_resources(config)
    dumped = resources_to_yaml_config(candidates, ordered)
    assert parse_resources(dumped) == (candidates, ordered)


def test_from_yaml_config_rejects_alternatives() -> None:
    with pytest.raises(TaskValidationError, match="2 alternatives"):
        Resources.from_yaml_config({"accelerators": ["A100", "V100"]})
