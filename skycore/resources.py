"""``Resources``: what one candidate placement of a task asks for.

A task's ``resources:`` block expands into one or more candidates (``parse_resources``): several
accelerator types, ``any_of`` or ``ordered`` each give one ``Resources`` per alternative, and the
optimizer picks among them (the cheapest for "any of", the first launchable for "ordered").

Why a frozen dataclass with hand-written normalizers rather than a JSON schema: every value is
normalized exactly once, to the one form the rest of the core compares (``cpus`` ``"4+"``,
``ports`` as merged ranges, one accelerator per candidate), and every error names the dotted field
path (``resources.any_of[1].cpus``), the bad value and the fix.

Nothing here needs a catalog. Checks that do (instance types, accelerator names, regions, labels
per cloud, whether a cloud can open ports) belong to the catalog and the optimizer, which see the
installed cloud plugins.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from skycore.errors import TaskValidationError
from skycore.infra import InfraInfo

# the field parsers live in their own module; the names below are part of this module's API
# and the private ones are shared helpers of the two modules
from skycore.resource_fields import (  # noqa: F401
    _ACC_MEMORY_RE,
    _FIELD_PREFIX,
    _LOCATION_KEYS,
    _MULTI_KEYS,
    _NORMALIZERS,
    _ZERO_MEMORY_CLOUD,
    DEFAULT_AUTOSTOP_IDLE_MINUTES,
    DEFAULT_DISK_SIZE_GB,
    PRIVATE_RESOURCE_KEYS,
    RESOURCES_BLOCK_KEYS,
    SINGLE_RESOURCE_KEYS,
    AutostopConfig,
    Requirement,
    _err,
    _requirement,
    check_unknown_keys,
    format_number,
    is_accelerator_memory_spec,
    parse_accelerators,
    parse_autostop,
    parse_ports,
    suggest_field,
)

__all__ = [
    "DEFAULT_AUTOSTOP_IDLE_MINUTES",
    "DEFAULT_DISK_SIZE_GB",
    "AutostopConfig",
    "Requirement",
    "Resources",
    "is_accelerator_memory_spec",
    "parse_accelerators",
    "parse_ports",
    "parse_resources",
]

# ----------------------------------------------------------------------------- Resources
@dataclasses.dataclass(frozen=True, repr=False)
class Resources:
    """One candidate: location, machine shape, accelerator, disk, network and lifecycle.

    Immutable; derive variants with :meth:`copy`. Fields are normalized on construction, so two
    requests that mean the same thing compare equal. ``None`` means "not specified" (any).
    Treat the dict/list fields as read-only.
    """

    cloud: str | None = None
    region: str | None = None
    zone: str | None = None
    cpus: str | None = None
    memory: str | None = None
    accelerators: dict[str, int | float] | None = None
    accelerator_args: dict[str, Any] | None = None
    instance_type: str | None = None
    use_spot: bool = False
    use_spot_specified: bool = False
    disk_size: int = DEFAULT_DISK_SIZE_GB
    disk_tier: str | None = None
    network_tier: str | None = None
    ports: list[str] | None = None
    labels: dict[str, str] | None = None
    image_id: str | dict[str, str] | None = None
    autostop: AutostopConfig | None = None
    job_recovery: dict[str, Any] | None = None
    priority: int | None = None
    priority_class: str | None = None
    local_disk: str | None = None
    max_hourly_cost: float | None = None
    volumes: list[dict[str, Any]] | None = None
    # Internal SkyPilot keys (``_docker_login_config``, ``_cluster_config_overrides``, ...).
    private: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        prefix = _FIELD_PREFIX.get()
        for f in dataclasses.fields(self):
            normalizer = _NORMALIZERS[f.name]
            value = normalizer(getattr(self, f.name), f"{prefix}.{f.name}")
            object.__setattr__(self, f.name, value)
        if self.use_spot and not self.use_spot_specified:
            object.__setattr__(self, "use_spot_specified", True)
        if self.memory is not None and float(self.memory.rstrip("+x")) == 0 and (
                self.cloud != _ZERO_MEMORY_CLOUD):
            # Slurm reads memory 0 as "all of the node's memory"; elsewhere it is a mistake.
            raise _err(f"{prefix}.memory", self.memory, "must be positive (0 is only "
                       f"accepted with cloud {_ZERO_MEMORY_CLOUD}).")

    def __repr__(self) -> str:
        """Only the fields that differ from the defaults, so logs stay readable."""
        default = _DEFAULT_FIELD_VALUES
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self)
                 if getattr(self, f.name) != default[f.name]]
        return f"Resources({', '.join(shown)})"

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_yaml_config(cls, config: Mapping[str, Any] | None,
                         field_prefix: str = "resources") -> Resources:
        """Build exactly one candidate from a resources mapping (no alternatives allowed)."""
        candidates, _ordered = parse_resources(config, field_prefix)
        if len(candidates) != 1:
            raise _err(field_prefix, config, f"describes {len(candidates)} alternatives where "
                       "one candidate was expected.")
        return candidates[0]

    def copy(self, **changes: Any) -> Resources:
        """A validated copy with ``changes`` applied.

        Accepts every field name, plus ``infra`` (replaces cloud/region/zone together) and
        ``gpus`` (alias of ``accelerators``). ``use_spot`` marks the choice as specified.
        """
        if "gpus" in changes:
            if "accelerators" in changes:
                raise TaskValidationError("Cannot specify both gpus and accelerators.")
            changes["accelerators"] = changes.pop("gpus")
        if "infra" in changes:
            if any(k in changes for k in _LOCATION_KEYS):
                raise _err("infra", changes["infra"], "cannot be combined with cloud/region/zone.")
            info = InfraInfo.from_str(changes.pop("infra"))
            changes.update(cloud=info.cloud, region=info.region, zone=info.zone)
        if changes.get("use_spot") is not None:
            changes["use_spot_specified"] = True
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            name = sorted(unknown)[0]
            raise TaskValidationError(f"unknown resources field {name!r}.", field=name,
                                      hint=suggest_field(name, _NORMALIZERS))
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ views
    @property
    def infra_info(self) -> InfraInfo:
        return InfraInfo(self.cloud, self.region, self.zone)

    @property
    def accelerator_name(self) -> str | None:
        return next(iter(self.accelerators)) if self.accelerators else None

    @property
    def accelerator_count(self) -> int | float:
        """Accelerators per node (0 when none; may be fractional, e.g. 0.5)."""
        return next(iter(self.accelerators.values())) if self.accelerators else 0

    def cpus_requirement(self) -> Requirement | None:
        """``cpus`` as (amount, at_least); None when not specified."""
        return _requirement(self.cpus, allow_per_vcpu=False)

    def memory_requirement(self) -> Requirement | None:
        """``memory`` as (GB, at_least, per_vcpu); None when not specified."""
        return _requirement(self.memory, allow_per_vcpu=True)

    def accelerator_memory_filter(self) -> tuple[str | None, float, bool] | None:
        """For GPU-memory requests (``'nvidia:80GB+'``): (manufacturer, GB, at_least)."""
        name = self.accelerator_name
        if not name or not is_accelerator_memory_spec(name):
            return None
        maker, _, memory = name.rpartition(":")
        m = _ACC_MEMORY_RE.match(memory)
        assert m is not None
        return (maker or None), float(m.group(1)), m.group(2) == "+"

    def is_empty(self) -> bool:
        """True when nothing was asked for (every field at its default)."""
        return self == Resources()

    # ------------------------------------------------------------------ serialization
    def to_yaml_config(self) -> dict[str, Any]:
        """The YAML mapping that parses back to an equal ``Resources`` (defaults omitted)."""
        out: dict[str, Any] = {}
        infra = self.infra_info.to_str()
        if infra:
            out["infra"] = infra
        simple = ("instance_type", "cpus", "memory")
        for key in simple:
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.accelerators:
            out["accelerators"] = dict(self.accelerators)
        if self.accelerator_args:
            out["accelerator_args"] = dict(self.accelerator_args)
        if self.use_spot_specified:
            out["use_spot"] = self.use_spot
        if self.job_recovery is not None:
            out["job_recovery"] = json.loads(json.dumps(self.job_recovery))
        if self.disk_size != DEFAULT_DISK_SIZE_GB:
            out["disk_size"] = self.disk_size
        for key in ("disk_tier", "network_tier", "local_disk", "max_hourly_cost"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.ports:
            out["ports"] = list(self.ports)
        if self.labels:
            out["labels"] = dict(self.labels)
        if self.image_id is not None:
            out["image_id"] = (dict(self.image_id) if isinstance(self.image_id, dict)
                               else self.image_id)
        if self.autostop is not None:
            out["autostop"] = self.autostop.to_yaml_config()
        if self.priority is not None:
            out["priority"] = self.priority
        if self.priority_class is not None:
            out["priority_class"] = self.priority_class
        if self.volumes:
            out["volumes"] = [dict(v) for v in self.volumes]
        for key, value in self.private.items():
            out[key] = value
        return out

    def __hash__(self) -> int:
        cached = self.__dict__.get("_hash")
        if cached is None:
            key = (self.use_spot_specified, json.dumps(self.to_yaml_config(), sort_keys=True,
                                                       default=str))
            cached = hash(key)
            object.__setattr__(self, "_hash", cached)
        return cached

    def __str__(self) -> str:
        parts: list[str] = []
        if self.instance_type:
            parts.append(self.instance_type)
        if self.cpus:
            parts.append(f"cpus={self.cpus}")
        if self.memory:
            parts.append(f"mem={self.memory}")
        if self.accelerators:
            parts.append(f"{self.accelerator_name}:{format_number(self.accelerator_count)}")
        if self.use_spot:
            parts.append("spot")
        if self.disk_size != DEFAULT_DISK_SIZE_GB:
            parts.append(f"disk={self.disk_size}")
        if self.disk_tier:
            parts.append(f"disk_tier={self.disk_tier}")
        if self.network_tier:
            parts.append(f"network_tier={self.network_tier}")
        if self.ports:
            parts.append(f"ports={','.join(self.ports)}")
        if isinstance(self.image_id, str):
            parts.append(f"image={self.image_id}")
        return f"{self.infra_info.to_str() or '*'}({', '.join(parts)})"


_DEFAULT_FIELD_VALUES: dict[str, Any] = {
    f.name: getattr(Resources(), f.name) for f in dataclasses.fields(Resources)
}


# ----------------------------------------------------------------------------- parse_resources
def _location_kwargs(config: dict[str, Any], path: str) -> dict[str, Any]:
    """Turn ``infra`` (or legacy cloud/region/zone) into cloud/region/zone kwargs."""
    legacy = [k for k in _LOCATION_KEYS if config.get(k) is not None]
    infra = config.get("infra")
    if infra is not None:
        if legacy:
            raise _err(f"{path}.infra", infra, f"cannot be combined with {', '.join(legacy)}.",
                       hint=f"use only infra, e.g. infra: {_legacy_as_infra(config)}")
        info = InfraInfo.from_str(infra, field=f"{path}.infra")
        return {"cloud": info.cloud, "region": info.region, "zone": info.zone}
    return {k: config.get(k) for k in _LOCATION_KEYS}


def _legacy_as_infra(config: Mapping[str, Any]) -> str:
    parts = [str(config.get(k) or "*") for k in _LOCATION_KEYS]
    while len(parts) > 1 and parts[-1] == "*":
        parts.pop()
    return "/".join(parts)


def _resolve_alias(config: dict[str, Any], alias: str, canonical: str, path: str,
                   deprecated: bool = False) -> None:
    if alias not in config:
        return
    if canonical in config:
        if alias == "gpus":
            err = TaskValidationError("Cannot specify both gpus and accelerators in config.")
            err.field = f"{path}.accelerators"
            raise err
        raise _err(f"{path}.{alias}", config[alias],
                   f"cannot be combined with {canonical} (it is an alias).",
                   hint=f"keep only {canonical}.")
    if deprecated:
        warnings.warn(f"{path}.{alias} is deprecated; use {path}.{canonical} instead.",
                      FutureWarning, stacklevel=4)
    config[canonical] = config.pop(alias)


# Resources fields filled straight from the YAML key of the same name.
_PLAIN_FIELDS = frozenset(SINGLE_RESOURCE_KEYS - {"infra", "gpus", "spot_recovery",
                                                  "accelerators", *_LOCATION_KEYS})


def _build(config: dict[str, Any], accelerator: dict[str, int | float] | None,
           path: str) -> Resources:
    """One Resources from an already-merged mapping whose accelerators are resolved."""
    kwargs: dict[str, Any] = {k: v for k, v in config.items() if k in _PLAIN_FIELDS}
    kwargs.update(_location_kwargs(config, path))
    kwargs["accelerators"] = accelerator
    if config.get("use_spot") is not None:
        kwargs["use_spot_specified"] = True
    private = {k: v for k, v in config.items() if k in PRIVATE_RESOURCE_KEYS}
    if private:
        kwargs["private"] = private
    token = _FIELD_PREFIX.set(path)
    try:
        return Resources(**kwargs)
    finally:
        _FIELD_PREFIX.reset(token)


def _clean_mapping(config: Any, path: str, allowed: Iterable[str]) -> dict[str, Any]:
    """Check keys, drop null values (a bare ``key:`` means "not specified")."""
    if not isinstance(config, Mapping):
        raise _err(path, config, "must be a mapping of resource fields.",
                   hint="e.g. resources: {cpus: 4, accelerators: A100:1}")
    check_unknown_keys(config, allowed, path, "resources")
    return {k: v for k, v in config.items() if v is not None}


def _merge(base: dict[str, Any], entry: dict[str, Any], path: str) -> dict[str, Any]:
    """Overlay an any_of/ordered entry on the base fields (labels are merged key by key)."""
    merged = dict(base)
    if "infra" in entry:
        for key in _LOCATION_KEYS:
            merged.pop(key, None)
    elif any(k in entry for k in _LOCATION_KEYS) and "infra" in merged:
        raise _err(path, entry, "uses cloud/region/zone while the base resources use infra.",
                   hint="write the entry's location as infra too, e.g. infra: aws/us-east-1")
    if "accelerators" in entry or "gpus" in entry:
        merged.pop("accelerators", None)
        merged.pop("gpus", None)
    for key, value in entry.items():
        if key == "labels" and isinstance(value, Mapping) and isinstance(merged.get(key),
                                                                          Mapping):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _dedup(candidates: list[Resources]) -> list[Resources]:
    out: list[Resources] = []
    for candidate in candidates:
        if candidate not in out:
            out.append(candidate)
    return out


def parse_resources(config: Mapping[str, Any] | None,
                    field_prefix: str = "resources") -> tuple[list[Resources], bool]:
    """Expand a task's ``resources:`` block into candidates.

    Returns ``(candidates, ordered)``. ``ordered`` is True when the YAML gave a preference order
    (a list of accelerators, or ``ordered:``): the first launchable candidate wins. Otherwise the
    candidates are alternatives and the optimizer picks the cheapest.
    """
    if config is None:
        return [Resources()], False
    block = _clean_mapping(config, field_prefix, RESOURCES_BLOCK_KEYS)
    _resolve_alias(block, "gpus", "accelerators", field_prefix)
    _resolve_alias(block, "spot_recovery", "job_recovery", field_prefix, deprecated=True)
    any_of = block.pop("any_of", None)
    ordered_entries = block.pop("ordered", None)
    if any_of is not None and ordered_entries is not None:
        raise _err(field_prefix, None, "cannot use both any_of and ordered.",
                   hint="any_of lists alternatives (cheapest wins); ordered lists preferences "
                   "(first launchable wins). Pick one.")
    acc_path = f"{field_prefix}.accelerators"
    acc_choices, acc_ordered = parse_accelerators(block.pop("accelerators", None), acc_path)

    if any_of is None and ordered_entries is None:
        candidates = [_build(block, acc, field_prefix) for acc in acc_choices]
        return _dedup(candidates), acc_ordered is True

    kind = "any_of" if any_of is not None else "ordered"
    entries = any_of if any_of is not None else ordered_entries
    kind_path = f"{field_prefix}.{kind}"
    if not isinstance(entries, list) or not entries:
        raise _err(kind_path, entries, "must be a non-empty list of resource mappings.")
    if kind == "ordered" and len(acc_choices) > 1:
        raise _err(acc_path, config.get("accelerators", config.get("gpus")),
                   "cannot list several accelerators together with ordered.",
                   hint="put one accelerator in each ordered entry instead.")
    if kind == "any_of" and acc_ordered is True:
        raise _err(acc_path, config.get("accelerators", config.get("gpus")),
                   "a list of accelerators (a preference order) cannot be combined with any_of.",
                   hint="use a set {A100, V100} for alternatives, or ordered: for preferences.")
    candidates = []
    allowed_in_entry = SINGLE_RESOURCE_KEYS | PRIVATE_RESOURCE_KEYS
    for i, raw_entry in enumerate(entries):
        entry_path = f"{kind_path}[{i}]"
        if isinstance(raw_entry, Mapping):
            for nested in _MULTI_KEYS:
                if nested in raw_entry:
                    raise _err(f"{entry_path}.{nested}", raw_entry[nested],
                               "any_of/ordered cannot be nested inside an entry.")
        entry = _clean_mapping(raw_entry, entry_path, allowed_in_entry)
        _resolve_alias(entry, "gpus", "accelerators", entry_path)
        _resolve_alias(entry, "spot_recovery", "job_recovery", entry_path, deprecated=True)
        choices = acc_choices
        if "accelerators" in entry:
            entry_acc = entry["accelerators"]
            choices, entry_ordered = parse_accelerators(entry_acc, f"{entry_path}.accelerators")
            if len(choices) != 1:
                raise _err(f"{entry_path}.accelerators", entry_acc,
                           "each entry takes one accelerator type.",
                           hint=f"split it into several {kind} entries.")
        merged = _merge(block, entry, entry_path)
        merged.pop("accelerators", None)
        for acc in choices:
            candidates.append(_build(merged, acc, entry_path))
    return _dedup(candidates), kind == "ordered"


def resources_to_yaml_config(candidates: list[Resources], ordered: bool) -> dict[str, Any] | None:
    """Inverse of :func:`parse_resources`; None for a single empty candidate."""
    if not candidates:
        return None
    if len(candidates) == 1 and not ordered:
        config = candidates[0].to_yaml_config()
        return config or None
    key = "ordered" if ordered else "any_of"
    return {key: [c.to_yaml_config() for c in candidates]}
