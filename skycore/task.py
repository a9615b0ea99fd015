"""``Task`` and ``Dag``: the SkyPilot-compatible task YAML, parsed and validated.

Parsing follows SkyPilot's order so real task files mean the same thing here:

1. load the YAML strictly (duplicate keys rejected, see :mod:`skycore.utils.yaml_utils`);
2. a multi-document file is a pipeline (a chain); a first document holding only ``name`` names it;
3. ``envs``/``secrets`` keys and values are coerced to str, CLI ``--env``/``--secret`` overrides are
   merged *before* anything else, and a null env is an error (a null secret is a reference to a
   managed secret, resolved at launch);
4. ``$VAR``/``${VAR}`` from envs and inline secrets are substituted into ``file_mounts``,
   ``workdir``, ``service`` and ``volumes`` only (``setup``/``run`` are expanded by the shell);
5. every field is validated with a dotted path, the bad value and a fix; unknown fields get a
   close-match suggestion.

Parsing never touches the filesystem: a task file can be checked on a machine that does not hold
the workdir. :meth:`Task.validate_local_paths` does those checks at launch.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from skycore.errors import TaskValidationError
from skycore.resource_fields import _err
from skycore.resources import (
    Resources,
    check_unknown_keys,
    parse_accelerators,
    parse_resources,
    resources_to_yaml_config,
)
from skycore.utils.yaml_utils import load_yaml_documents

__all__ = [
    "REDACTED",
    "SKY_WORKDIR",
    "Dag",
    "Task",
    "load_dag",
    "substitute_env_vars",
]

REDACTED = "<redacted>"
SKY_WORKDIR = "~/sky_workdir"  # where the workdir is synced and setup/run execute

_NAME_RE = re.compile(r"^[a-zA-Z0-9]+(?:[._-]{1,2}[a-zA-Z0-9]+)*$")
_ENV_KEY_PATTERN = "^[a-zA-Z_][a-zA-Z0-9_]*$"
_ENV_KEY_RE = re.compile(_ENV_KEY_PATTERN)
_VAR_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_URL_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")

TASK_FIELDS: frozenset[str] = frozenset({
    "name", "workdir", "num_nodes", "resources", "envs", "secrets", "managed_secrets",
    "file_mounts", "setup", "run", "service", "pool", "config", "volumes", "inputs", "outputs",
    "event_callback", "api_server_access", "file_mounts_mapping", "volume_mounts", "_metadata",
})
# Sections that receive $VAR substitution (SkyPilot's choice; the shell expands setup/run).
_SUBSTITUTED = ("file_mounts", "workdir", "service", "volumes")

_STORAGE_KEYS = ("name", "source", "store", "persistent", "mode", "mount_options", "type",
                 "config", "_is_sky_managed", "_bucket_sub_path", "_force_delete")
_STORAGE_MODES = ("MOUNT", "COPY", "MOUNT_CACHED")
_VOLUME_KEYS = ("name", "type", "infra", "size", "use_existing", "config", "labels", "sub_path")
_SERVICE_KEYS = ("readiness_probe", "replica_policy", "replicas", "ports",
                 "load_balancing_policy", "tls", "load_balancer", "pool", "workers")
_PROBE_KEYS = ("path", "initial_delay_seconds", "timeout_seconds", "post_data", "headers",
               "endpoint_probe_interval_seconds", "consecutive_failure_threshold_timeout")
_REPLICA_POLICY_KEYS = ("min_replicas", "max_replicas", "num_overprovision",
                        "target_qps_per_replica", "dynamic_ondemand_fallback",
                        "base_ondemand_fallback_replicas", "spot_placer",
                        "upscale_delay_seconds", "downscale_delay_seconds")
_POOL_KEYS = ("workers", "min_workers", "max_workers", "queue_length_threshold",
              "upscale_delay_seconds", "downscale_delay_seconds")
_HOOK_KEYS = ("run", "events", "timeout")
_HOOK_EVENTS = ("stop", "preemption", "down")
_MAX_HOOKS, _MAX_HOOK_RUN_BYTES = 32, 16 * 1024

# Keys of ``~/.sky/config.yaml`` a task may override in its ``config:`` block. A nested set lists
# the allowed sub-keys; None marks a leaf. Plugins may extend it with register_task_config_key().
TASK_CONFIG_KEYS: dict[str, set[str] | None] = {
    "docker": {"run_options"},
    "nvidia_gpus": {"disable_ecc"},
    "ssh": {"pod_config"},
    "kubernetes": {"pod_config", "provision_timeout", "custom_metadata", "dws", "kueue"},
    "gcp": {"managed_instance_group", "enable_gvnic", "enable_gpu_direct", "placement_policy",
            "vpc_name"},
    "active_workspace": None,
    "hooks": None,
}


def register_task_config_key(section: str, key: str | None = None) -> None:
    """Allow ``config.<section>[.<key>]`` in task YAML (for plugins adding config keys)."""
    if key is None:
        TASK_CONFIG_KEYS.setdefault(section, None)
        return
    existing = TASK_CONFIG_KEYS.get(section)
    TASK_CONFIG_KEYS[section] = (existing or set()) | {key}


# ----------------------------------------------------------------------------- helpers


def is_cloud_url(path: str) -> bool:
    """``s3://…``, ``gs://…``, ``https://…``: a remote source, not a local path."""
    return bool(_URL_RE.match(path))


def substitute_env_vars(obj: Any, values: Mapping[str, str]) -> Any:
    """Replace ``$NAME``/``${NAME}`` for *known* names in every str (keys too) of ``obj``.

    Unknown names are left untouched, so ``$HOME`` in a mount path still reaches the remote shell.
    Works on the structure, not on a JSON dump, so values with quotes cannot break anything.
    """
    if not values:
        return obj

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return values[name] if name in values else match.group(0)

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return _VAR_RE.sub(replace, node) if "$" in node else node
        if isinstance(node, Mapping):
            return {walk(k): walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(obj)


def _as_pairs(overrides: Mapping[str, Any] | Iterable[tuple[str, Any]] | None,
              what: str) -> dict[str, Any]:
    if overrides is None:
        return {}
    if isinstance(overrides, Mapping):
        return dict(overrides)
    pairs = list(overrides)
    names = [k for k, _ in pairs]
    if len(set(names)) != len(names):
        raise _err(what, names, "the same name is given twice.")
    return dict(pairs)


def _env_mapping(value: Any, path: str, *, allow_null: bool) -> dict[str, str | None]:
    """Coerce an envs/secrets mapping to ``{str: str}`` (SkyPilot's ``PORT: 8080`` → ``'8080'``)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _err(path, value, f"{value!r} is not of type 'dict': {path} must be a mapping of "
                   "NAME: value.", hint=f"e.g. {path}:\\n  MY_VAR: value")
    out: dict[str, str | None] = {}
    for raw_key, raw_value in value.items():
        key = str(raw_key)
        if not _ENV_KEY_RE.match(key):
            raise _err(f"{path}.{key}", raw_key,
                       f"{key!r} does not match any of the regexes: '{_ENV_KEY_PATTERN}' "
                       "(letters, digits and '_', not starting with a digit).")
        if raw_value is None:
            if not allow_null:
                raise _err(f"{path}.{key}", None, f"Environment variable {key!r} is None.",
                           hint=f"Pass a value with `--env {key}=value`, or set it to \"\" "
                           "in the YAML.")
            out[key] = None
        elif isinstance(raw_value, (Mapping, list)):
            raise _err(f"{path}.{key}", raw_value, "must be a string, not a "
                       f"{type(raw_value).__name__}.", hint="quote the value in YAML.")
        else:
            out[key] = str(raw_value)
    return out


def _secret_mapping(value: Any) -> dict[str, str | None]:
    """``secrets`` as a mapping (null = managed reference) or a list of names."""
    if isinstance(value, list):
        out: dict[str, str | None] = {}
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise _err(f"secrets[{i}]", item, "must be a secret name.")
            name = item.split(":", 1)[1] if item.startswith("secrets:") else item
            if not _ENV_KEY_RE.match(name):
                raise _err(f"secrets[{i}]", item, f"{name!r} does not match any of the "
                           f"regexes: '{_ENV_KEY_PATTERN}'.")
            out[name] = None
        return out
    return _env_mapping(value, "secrets", allow_null=True)


def _opt_str(value: Any, path: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise _err(path, value, "must be a string.", hint="quote it in YAML.")
    return value


def _script(value: Any, path: str) -> str | None:
    """``setup``/``run``: a str, or a list of str joined by newlines."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "\n".join(value)
    raise _err(path, value, "must be a shell script (a string), or a list of command strings.",
               hint=f"use a YAML block: '{path}: |' followed by indented lines.")


def _check_type(value: Any, types: type | tuple[type, ...], path: str, what: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise _err(path, value, f"must be {what}.")
    if not isinstance(value, types):
        raise _err(path, value, f"must be {what}.")


def _check_nonneg_int(value: Any, path: str) -> None:
    _check_type(value, int, path, "an integer")
    if value is not None and value < 0:
        raise _err(path, value, "must be >= 0.")


# ----------------------------------------------------------------------------- field validators
def _validate_name(value: Any, path: str = "name") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _err(path, value, "must be a string.", hint=f"quote it: {path}: '{value}'")
    if not _NAME_RE.match(value):
        raise _err(path, value, "must be letters and digits, optionally joined by one or two of "
                   "'.', '_', '-' (regex [a-zA-Z0-9]+(?:[._-]{1,2}[a-zA-Z0-9]+)*).",
                   hint="e.g. my-task or train_v2")
    return value


def _validate_workdir(value: Any) -> str | dict[str, str] | None:
    if value is None or (isinstance(value, str) and value):
        return value
    if isinstance(value, Mapping):
        check_unknown_keys(value, ("url", "ref"), "workdir", "workdir")
        url, ref = value.get("url"), value.get("ref")
        if not isinstance(url, str) or not url:
            raise _err("workdir.url", url, "a git workdir needs a url string.",
                       hint="workdir: {url: https://github.com/org/repo.git, ref: main}")
        out = {"url": url}
        if ref is not None:
            out["ref"] = str(_opt_str(ref, "workdir.ref"))
        return out
    raise _err("workdir", value, "must be a local directory path or {url, ref} for a git "
               "repository.")


def _validate_num_nodes(value: Any) -> int:
    if value is None:
        return 1
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _err("num_nodes", value, "num_nodes should be a positive int.")
    return value


def _validate_storage(spec: Mapping[str, Any], path: str) -> dict[str, Any]:
    check_unknown_keys(spec, _STORAGE_KEYS, path, "storage")
    out = {k: v for k, v in spec.items() if v is not None}
    for key in ("name", "mount_options", "type", "_bucket_sub_path"):
        _check_type(out.get(key), str, f"{path}.{key}", "a string")
    for key in ("persistent", "_is_sky_managed", "_force_delete"):
        _check_type(out.get(key), bool, f"{path}.{key}", "true or false")
    _check_type(out.get("config"), dict, f"{path}.config", "a mapping")
    source = out.get("source")
    if source is not None:
        ok = isinstance(source, str) and source or (
            isinstance(source, list) and source and all(isinstance(s, str) for s in source))
        if not ok:
            raise _err(f"{path}.source", source, "must be a path/URL or a non-empty list of "
                       "local paths.")
    if "store" in out:
        _check_type(out["store"], str, f"{path}.store", "a store name such as s3 or gcs")
        out["store"] = out["store"].strip().lower()
    if "mode" in out:
        mode = out["mode"]
        if not isinstance(mode, str) or mode.strip().upper() not in _STORAGE_MODES:
            raise _err(f"{path}.mode", mode, f"must be one of {', '.join(_STORAGE_MODES)}.")
        out["mode"] = mode.strip().upper()
    if out.get("name") is None and out.get("source") is None:
        raise _err(path, dict(spec), "a storage mount needs a name (bucket) or a source.",
                   hint="e.g. {name: my-bucket, mode: MOUNT} or {source: s3://bucket}")
    return out


def _split_file_mounts(value: Any) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Plain ``dst: src`` mounts and ``dst: {storage}`` mounts, validated (no filesystem)."""
    if value is None:
        return {}, {}
    if not isinstance(value, Mapping):
        raise _err("file_mounts", value, "must be a mapping of destination: source.",
                   hint="e.g. file_mounts:\\n  /data: ~/data")
    mounts: dict[str, str] = {}
    storage: dict[str, dict[str, Any]] = {}
    for dst, src in value.items():
        path = f"file_mounts.{dst}"
        if not isinstance(dst, str) or not dst:
            raise _err("file_mounts", dst, "destinations must be non-empty path strings.")
        if is_cloud_url(dst):
            raise _err(path, dst, "the destination must be a path on the cluster, not a cloud "
                       "URL.", hint=f"swap them: '/mnt/data: {dst}'")
        if isinstance(src, str) and src:
            mounts[dst] = src
        elif isinstance(src, Mapping):
            storage[dst] = _validate_storage(src, path)
        else:
            raise _err(path, src, "the source must be a local path, a cloud URL, or a storage "
                       "mapping {name, source, store, mode}.")
    return mounts, storage


def _validate_service(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _err("service", value, "must be a mapping (SkyServe spec).")
    check_unknown_keys(value, _SERVICE_KEYS, "service", "service")
    probe = value.get("readiness_probe")
    if isinstance(probe, Mapping):
        check_unknown_keys(probe, _PROBE_KEYS, "service.readiness_probe", "readiness_probe")
        _check_type(probe.get("path"), str, "service.readiness_probe.path", "a URL path")
        if probe.get("path") is None:
            raise _err("service.readiness_probe.path", None, "is required.",
                       hint="e.g. readiness_probe: {path: /health}")
        for key in ("initial_delay_seconds", "timeout_seconds"):
            _check_type(probe.get(key), (int, float), f"service.readiness_probe.{key}",
                        "a number of seconds")
    elif probe is not None and not isinstance(probe, str):
        raise _err("service.readiness_probe", probe, "must be a path or a mapping {path, ...}.")
    policy = value.get("replica_policy")
    if policy is not None:
        if not isinstance(policy, Mapping):
            raise _err("service.replica_policy", policy, "must be a mapping.")
        check_unknown_keys(policy, _REPLICA_POLICY_KEYS, "service.replica_policy",
                           "replica_policy")
        for key in ("min_replicas", "max_replicas", "num_overprovision",
                    "base_ondemand_fallback_replicas"):
            _check_nonneg_int(policy.get(key), f"service.replica_policy.{key}")
        if value.get("replicas") is not None:
            raise _err("service.replicas", value["replicas"], "cannot be combined with "
                       "replica_policy.", hint="set replica_policy.min_replicas instead.")
    for key in ("replicas", "ports", "workers"):
        _check_nonneg_int(value.get(key), f"service.{key}")
    return copy.deepcopy(dict(value))


def _validate_pool(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _err("pool", value, "must be a mapping such as {workers: 4}.")
    check_unknown_keys(value, _POOL_KEYS, "pool", "pool")
    for key in ("workers", "min_workers", "max_workers"):
        _check_nonneg_int(value.get(key), f"pool.{key}")
    return copy.deepcopy(dict(value))


def _validate_hooks(value: Any) -> None:
    if not isinstance(value, list) or len(value) > _MAX_HOOKS:
        raise _err("config.hooks", value, f"must be a list of at most {_MAX_HOOKS} hooks "
                   "{run, events, timeout}.")
    for i, hook in enumerate(value):
        path = f"config.hooks[{i}]"
        if not isinstance(hook, Mapping):
            raise _err(path, hook, "must be a mapping {run, events, timeout}.")
        check_unknown_keys(hook, _HOOK_KEYS, path, "hook")
        run = hook.get("run")
        if not isinstance(run, str) or not run or len(run.encode()) > _MAX_HOOK_RUN_BYTES:
            raise _err(f"{path}.run", run, "must be a non-empty script of at most 16 KiB.")
        events = hook.get("events")
        if events is not None and (
                not isinstance(events, list) or not events or len(set(events)) != len(events)
                or any(e not in _HOOK_EVENTS for e in events)):
            raise _err(f"{path}.events", events, "must be a non-empty list of distinct events "
                       f"from {', '.join(_HOOK_EVENTS)}.")
        timeout = hook.get("timeout")
        if timeout is not None and (not isinstance(timeout, int) or isinstance(timeout, bool)
                                    or timeout < 1):
            raise _err(f"{path}.timeout", timeout, "must be an integer >= 1 (seconds).")


def _validate_config(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _err("config", value, "must be a mapping of config overrides.")
    check_unknown_keys(value, TASK_CONFIG_KEYS, "config", "task config")
    for section, sub in value.items():
        allowed = TASK_CONFIG_KEYS[section]
        if section == "hooks":
            _validate_hooks(sub)
        elif allowed is not None and sub is not None:
            if not isinstance(sub, Mapping):
                raise _err(f"config.{section}", sub, "must be a mapping.")
            check_unknown_keys(sub, allowed, f"config.{section}", f"config.{section}")
    return copy.deepcopy(dict(value))


def _validate_volumes(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _err("volumes", value, "must be a mapping of mount path: volume name or config.")
    out: dict[str, Any] = {}
    for mount, spec in value.items():
        path = f"volumes.{mount}"
        if not isinstance(mount, str) or not mount:
            raise _err("volumes", mount, "mount paths must be strings.")
        if isinstance(spec, str) and spec:
            out[mount] = spec
        elif isinstance(spec, Mapping):
            check_unknown_keys(spec, _VOLUME_KEYS, path, "volume")
            for key in ("name", "type", "infra", "size", "sub_path"):
                _check_type(spec.get(key), str, f"{path}.{key}", "a string")
            _check_type(spec.get("use_existing"), bool, f"{path}.use_existing", "true or false")
            out[mount] = copy.deepcopy(dict(spec))
        else:
            raise _err(path, spec, "must be a volume name or a volume mapping {name, size, ...}.")
    return out


def _validate_io(value: Any, path: str) -> dict[str, float] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or len(value) > 1:
        raise _err(path, value, "must be a mapping with one entry {location: size_in_GB}.")
    out = {}
    for key, size in value.items():
        if not isinstance(size, (int, float)) or isinstance(size, bool):
            raise _err(f"{path}.{key}", size, "must be a size in GB (a number).")
        out[str(key)] = size
    return out


def _validate_managed_secrets(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _err("managed_secrets", value, "must be a list of secret names or "
                   "{name: {mount_path}} mappings.")
    for i, item in enumerate(value):
        path = f"managed_secrets[{i}]"
        if isinstance(item, str):
            continue
        if isinstance(item, Mapping) and len(item) == 1:
            ((name, opts),) = item.items()
            if isinstance(name, str) and (opts is None or isinstance(opts, Mapping)):
                if opts:
                    check_unknown_keys(opts, ("mount_path",), f"{path}.{name}",
                                       "managed secret")
                continue
        raise _err(path, item, "must be a secret name or {name: {mount_path: ...}}.")
    return copy.deepcopy(value)


# ----------------------------------------------------------------------------- Task
@dataclasses.dataclass(repr=False)
class Task:
    """One unit of work: where it may run (``resources`` candidates) and what it runs.

    Build from YAML with :meth:`from_yaml_config` / :func:`load_dag`; build in code with the
    constructor (validated the same way). ``file_mounts`` holds ``dst → local path or URL``;
    dict-valued (bucket) mounts live in ``storage_mounts``. ``secrets`` values of ``None`` are
    references to managed secrets, resolved at launch.
    """

    name: str | None = None
    run: str | None = None
    setup: str | None = None
    workdir: str | dict[str, str] | None = None
    num_nodes: int = 1
    resources: list[Resources] = dataclasses.field(default_factory=lambda: [Resources()])
    resources_ordered: bool = False
    envs: dict[str, str] = dataclasses.field(default_factory=dict)
    secrets: dict[str, str | None] = dataclasses.field(default_factory=dict)
    managed_secrets: list[Any] | None = None
    file_mounts: dict[str, str] = dataclasses.field(default_factory=dict)
    storage_mounts: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    service: dict[str, Any] | None = None
    pool: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    volumes: dict[str, Any] | None = None
    inputs: dict[str, float] | None = None
    outputs: dict[str, float] | None = None
    event_callback: str | None = None
    api_server_access: bool | None = None
    file_mounts_mapping: dict[str, Any] | None = None
    volume_mounts: list[Any] | None = None
    metadata: dict[str, Any] | None = None
    # The substituted sections as written, before $VAR substitution, so that with_overrides(envs=)
    # can substitute the new values instead of the old ones.
    _unsubstituted: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.name = _validate_name(self.name)
        self.run = _script(self.run, "run")
        self.setup = _script(self.setup, "setup")
        self.workdir = _validate_workdir(self.workdir)
        self.num_nodes = _validate_num_nodes(self.num_nodes)
        if self.resources is None:
            self.resources = [Resources()]
        elif isinstance(self.resources, Resources):
            self.resources = [self.resources]
        else:
            self.resources = list(self.resources)
            if not self.resources or not all(isinstance(r, Resources) for r in self.resources):
                raise _err("resources", self.resources, "must be a non-empty list of Resources.")
        if len({r.autostop for r in self.resources}) > 1:
            # Autostop is a property of the cluster, whichever candidate ends up launched.
            raise _err("resources.autostop", [r.autostop for r in self.resources],
                       "all resource candidates of a task must share the same autostop.",
                       hint="set autostop once in the base resources, not per any_of entry.")
        envs = _env_mapping(self.envs, "envs", allow_null=False)
        self.envs = {k: v for k, v in envs.items() if v is not None}
        self.secrets = _secret_mapping(self.secrets)
        self.managed_secrets = _validate_managed_secrets(self.managed_secrets)
        mounts, storage = _split_file_mounts(self.file_mounts)
        _, extra_storage = _split_file_mounts(
            {k: v for k, v in (self.storage_mounts or {}).items()})
        if set(storage) & set(extra_storage) or set(mounts) & set(extra_storage):
            raise _err("file_mounts", sorted(set(extra_storage) & (set(storage) | set(mounts))),
                       "the same destination is mounted twice.")
        self.file_mounts = mounts
        self.storage_mounts = {**storage, **extra_storage}
        self.service = _validate_service(self.service)
        self.pool = _validate_pool(self.pool)
        if self.service is not None and self.pool is not None:
            raise _err("pool", self.pool, "a task cannot have both service and pool.",
                       hint="service runs a SkyServe service; pool a worker pool for managed "
                       "jobs. Keep one.")
        self.config = _validate_config(self.config)
        self.volumes = _validate_volumes(self.volumes)
        self.inputs = _validate_io(self.inputs, "inputs")
        self.outputs = _validate_io(self.outputs, "outputs")
        self.event_callback = _opt_str(self.event_callback, "event_callback")
        _check_type(self.api_server_access, bool, "api_server_access", "true or false")
        _check_type(self.file_mounts_mapping, dict, "file_mounts_mapping", "a mapping")
        _check_type(self.volume_mounts, list, "volume_mounts", "a list")
        _check_type(self.metadata, dict, "_metadata", "a mapping")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_yaml_config(cls, config: Mapping[str, Any] | None, *,
                         env_overrides: Mapping[str, str] | None = None,
                         secret_overrides: Mapping[str, str] | None = None) -> Task:
        """Build a task from one parsed YAML document (None = an empty task)."""
        if config is None:
            config = {}
        if not isinstance(config, Mapping):
            raise _err("task", config, "a task must be a YAML mapping.")
        check_unknown_keys(config, TASK_FIELDS, "", "task")
        # A bare `key:` is null and means "not specified" (SkyPilot strips these too).
        fields = {k: v for k, v in config.items() if v is not None}

        envs = _env_mapping(fields.get("envs"), "envs", allow_null=True)
        envs.update(_env_mapping(_as_pairs(env_overrides, "envs"), "envs", allow_null=True))
        _env_mapping(envs, "envs", allow_null=False)  # now a null env is an error
        secrets = _secret_mapping(fields.get("secrets"))
        secrets.update(_env_mapping(_as_pairs(secret_overrides, "secrets"), "secrets",
                                    allow_null=True))

        unsubstituted = {k: copy.deepcopy(fields[k]) for k in _SUBSTITUTED if k in fields}
        values = _substitution_values(envs, secrets)
        substituted = {k: substitute_env_vars(v, values) for k, v in unsubstituted.items()}

        candidates, ordered = parse_resources(fields.get("resources"), "resources")
        return cls(
            name=fields.get("name"),
            run=fields.get("run"),
            setup=fields.get("setup"),
            workdir=substituted.get("workdir"),
            num_nodes=fields.get("num_nodes", 1),
            resources=candidates,
            resources_ordered=ordered,
            envs=envs,  # type: ignore[arg-type]  # nulls were rejected above
            secrets=secrets,
            managed_secrets=fields.get("managed_secrets"),
            file_mounts=substituted.get("file_mounts"),  # type: ignore[arg-type]
            service=substituted.get("service"),
            pool=fields.get("pool"),
            config=fields.get("config"),
            volumes=substituted.get("volumes"),
            inputs=fields.get("inputs"),
            outputs=fields.get("outputs"),
            event_callback=fields.get("event_callback"),
            api_server_access=fields.get("api_server_access"),
            file_mounts_mapping=fields.get("file_mounts_mapping"),
            volume_mounts=fields.get("volume_mounts"),
            metadata=fields.get("_metadata"),
            _unsubstituted=unsubstituted,
        )

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str], *,
                  env_overrides: Mapping[str, str] | None = None,
                  secret_overrides: Mapping[str, str] | None = None) -> Task:
        """Load a single-task YAML file (a pipeline file is an error; use :func:`load_dag`)."""
        dag = load_dag(path, env_overrides=env_overrides, secret_overrides=secret_overrides)
        if len(dag.tasks) != 1:
            raise TaskValidationError(f"{os.fspath(path)} holds a pipeline of "
                                      f"{len(dag.tasks)} tasks, not one task.",
                                      hint="load it with load_dag().")
        return dag.tasks[0]

    @classmethod
    def from_command(cls, cmd: str) -> Task:
        """The task behind ``sky launch 'echo hi'``: run a command, nothing else."""
        return cls(name="sky-cmd", run=cmd)

    # ------------------------------------------------------------------ views
    @property
    def envs_and_secrets(self) -> dict[str, str]:
        """What the job's environment gets: envs, overridden by inline secrets."""
        return _substitution_values(self.envs, self.secrets)

    @property
    def managed_secret_refs(self) -> list[str]:
        """Names of secrets without an inline value (resolved by a secrets provider)."""
        names = [k for k, v in self.secrets.items() if v is None]
        for item in self.managed_secrets or []:
            name = item if isinstance(item, str) else next(iter(item))
            if name not in names:
                names.append(name)
        return names

    def unbuilt_capabilities(self) -> list[str]:
        """Human names of parsed features the runtime cannot run yet (launch refuses them)."""
        found: list[str] = []
        if self.service is not None:
            found.append("service")
        if self.pool is not None:
            found.append("pool")
        if self.storage_mounts:
            found.append("storage file_mounts (bucket mounts)")
        if any(is_cloud_url(src) for src in self.file_mounts.values()):
            found.append("cloud-URL file_mount sources")
        if self.volumes or any(r.volumes for r in self.resources):
            found.append("volumes")
        if any(r.job_recovery is not None for r in self.resources):
            found.append("job_recovery")
        if isinstance(self.workdir, dict):
            found.append("git-url workdir")
        if self.managed_secret_refs:
            found.append("managed_secrets")
        return found

    # ------------------------------------------------------------------ overrides
    def with_overrides(self, *, name: str | None = None,
                       workdir: str | dict[str, str] | None = None,
                       num_nodes: int | None = None, cpus: Any = None, memory: Any = None,
                       gpus: Any = None, infra: str | None = None, use_spot: bool | None = None,
                       disk_size: Any = None, instance_type: str | None = None,
                       ports: Any = None, image_id: Any = None,
                       envs: Mapping[str, str] | None = None) -> Task:
        """A copy with CLI overrides applied; resource overrides apply to every candidate.

        ``gpus`` takes every accelerator form (``'A100:8'``, ``'{A100,V100}'``, ``[...]``);
        several accelerators multiply the candidates. ``infra`` replaces cloud/region/zone.
        ``envs`` are merged and re-substituted into file_mounts/workdir/service/volumes, so call
        this before :meth:`validate_local_paths`.
        """
        task = copy.deepcopy(self)
        if envs:
            task._apply_env_overrides(envs)
        if name is not None:
            task.name = _validate_name(name)
        if workdir is not None:
            task.workdir = _validate_workdir(workdir)
            task._unsubstituted.pop("workdir", None)
        if num_nodes is not None:
            task.num_nodes = _validate_num_nodes(num_nodes)
        changes: dict[str, Any] = {}
        for key, value in (("cpus", cpus), ("memory", memory), ("infra", infra),
                           ("use_spot", use_spot), ("disk_size", disk_size),
                           ("instance_type", instance_type), ("ports", ports),
                           ("image_id", image_id)):
            if value is not None:
                changes[key] = value
        if gpus is None and not changes:
            return task
        accelerator_choices: list[Any] = [None]
        if gpus is not None:
            accelerator_choices, gpus_ordered = parse_accelerators(gpus, "resources.accelerators")
            if gpus_ordered is not None:
                task.resources_ordered = gpus_ordered
        candidates: list[Resources] = []
        for candidate in task.resources:
            for accelerator in accelerator_choices:
                extra = dict(changes)
                if gpus is not None:
                    extra["accelerators"] = accelerator
                new = candidate.copy(**extra)
                if new not in candidates:
                    candidates.append(new)
        task.resources = candidates
        return task

    def _apply_env_overrides(self, overrides: Mapping[str, str]) -> None:
        envs = dict(self.envs)
        envs.update(_env_mapping(dict(overrides), "envs", allow_null=False))  # type: ignore[arg-type]
        self.envs = envs  # type: ignore[assignment]
        values = _substitution_values(self.envs, self.secrets)
        template = self._unsubstituted
        if "workdir" in template:
            self.workdir = _validate_workdir(substitute_env_vars(template["workdir"], values))
        if "file_mounts" in template:
            mounts, storage = _split_file_mounts(
                substitute_env_vars(template["file_mounts"], values))
            self.file_mounts, self.storage_mounts = mounts, storage
        if "service" in template:
            self.service = _validate_service(substitute_env_vars(template["service"], values))
        if "volumes" in template:
            self.volumes = _validate_volumes(substitute_env_vars(template["volumes"], values))

    # ------------------------------------------------------------------ launch-time checks
    def validate_local_paths(self) -> None:
        """Check and expand local paths; called at launch (parsing never reads the disk).

        The workdir must be an existing directory and becomes absolute; local mount sources must
        exist and become absolute; no mount path may end with '/'; relative destinations resolve
        against ``~/sky_workdir``; nothing may be mounted onto ``~/sky_workdir`` when a workdir
        is synced there.
        """
        if isinstance(self.workdir, str):
            path = os.path.abspath(os.path.expanduser(self.workdir))
            if not os.path.exists(path):
                raise _err("workdir", self.workdir, f"the directory {path} does not exist.")
            if not os.path.isdir(path):
                raise _err("workdir", self.workdir, f"{path} is not a directory.",
                           hint="workdir must be a directory; use file_mounts for a file.")
            self.workdir = path
        mounts: dict[str, str] = {}
        for dst, src in self.file_mounts.items():
            target = self._checked_destination(dst, src)
            if src.endswith("/") and src.rstrip("/"):
                raise _err(f"file_mounts.{dst}", src, "File mount paths cannot end with a "
                           "slash.", hint=f"write '{src.rstrip('/')}'")
            if is_cloud_url(src):
                mounts[target] = src
                continue
            local = os.path.abspath(os.path.expanduser(src))
            if not os.path.exists(local):
                raise _err(f"file_mounts.{dst}", src, f"the local source {local} does not "
                           "exist.")
            mounts[target] = local
        self.file_mounts = mounts
        self.storage_mounts = {self._checked_destination(dst, spec): spec
                               for dst, spec in self.storage_mounts.items()}

    def _checked_destination(self, dst: str, src: Any) -> str:
        if dst.endswith("/") and dst != "/":
            raise _err(f"file_mounts.{dst}", src, "File mount paths cannot end with a slash.",
                       hint=f"write '{dst.rstrip('/')}: ...'")
        if dst.startswith(("/", "~")):
            target = dst
        else:
            target = posixpath.normpath(posixpath.join(SKY_WORKDIR, dst))
        if self.workdir is not None and posixpath.normpath(target) == SKY_WORKDIR:
            raise _err(f"file_mounts.{dst}", src, f"cannot mount onto {SKY_WORKDIR}: the "
                       "workdir is synced there.", hint="mount it elsewhere, or drop workdir.")
        return target

    # ------------------------------------------------------------------ serialization
    def to_yaml_config(self, redact_secrets: bool = True) -> dict[str, Any]:
        """The YAML mapping of this task; parses back to an equal task when not redacted."""
        out: dict[str, Any] = {}
        if self.name is not None:
            out["name"] = self.name
        if self.workdir is not None:
            out["workdir"] = copy.deepcopy(self.workdir)
        if self.num_nodes != 1:
            out["num_nodes"] = self.num_nodes
        resources = resources_to_yaml_config(self.resources, self.resources_ordered)
        if resources:
            out["resources"] = resources
        if self.envs:
            out["envs"] = dict(self.envs)
        if self.secrets:
            out["secrets"] = ({k: REDACTED for k in self.secrets} if redact_secrets
                              else dict(self.secrets))
        mounts: dict[str, Any] = dict(self.file_mounts)
        mounts.update(copy.deepcopy(self.storage_mounts))
        optional = (
            ("managed_secrets", self.managed_secrets), ("file_mounts", mounts or None),
            ("volumes", self.volumes), ("setup", self.setup), ("run", self.run),
            ("service", self.service), ("pool", self.pool), ("config", self.config),
            ("inputs", self.inputs), ("outputs", self.outputs),
            ("event_callback", self.event_callback),
            ("api_server_access", self.api_server_access),
            ("file_mounts_mapping", self.file_mounts_mapping),
            ("volume_mounts", self.volume_mounts), ("_metadata", self.metadata),
        )
        for key, value in optional:
            if value is not None:
                out[key] = copy.deepcopy(value)
        return out

    def __repr__(self) -> str:
        parts = [f"name={self.name!r}"]
        if self.run is not None:
            run = self.run if len(self.run) <= 40 else self.run[:37] + "..."
            parts.append(f"run={run!r}")
        if self.num_nodes != 1:
            parts.append(f"num_nodes={self.num_nodes}")
        parts.append(f"resources=[{', '.join(str(r) for r in self.resources)}]")
        if self.envs:
            parts.append(f"envs={self.envs!r}")
        if self.secrets:
            parts.append(f"secrets={ {k: REDACTED for k in self.secrets} !r}")
        return f"Task({', '.join(parts)})"

    __str__ = __repr__


def _substitution_values(envs: Mapping[str, str | None],
                         secrets: Mapping[str, str | None]) -> dict[str, str]:
    values = {k: v for k, v in envs.items() if v is not None}
    values.update({k: v for k, v in secrets.items() if v is not None})
    return values


# ----------------------------------------------------------------------------- Dag
@dataclasses.dataclass
class Dag:
    """A pipeline: tasks run one after another, in list order (a chain)."""

    name: str | None = None
    tasks: list[Task] = dataclasses.field(default_factory=list)

    def add(self, task: Task) -> None:
        self.tasks.append(task)

    def is_chain(self) -> bool:
        """Always true today: a YAML pipeline is a chain, each task after the previous one."""
        return True

    def __len__(self) -> int:
        return len(self.tasks)

    def __iter__(self) -> Iterator[Task]:
        return iter(self.tasks)

    def to_yaml_documents(self, redact_secrets: bool = True) -> list[dict[str, Any]]:
        """Documents for a pipeline file: a name-only header when there are several tasks."""
        docs = [t.to_yaml_config(redact_secrets=redact_secrets) for t in self.tasks]
        if len(docs) > 1 and self.name is not None:
            docs.insert(0, {"name": self.name})
        return docs


def load_dag(source: str | os.PathLike[str], *, env_overrides: Mapping[str, str] | None = None,
             secret_overrides: Mapping[str, str] | None = None, is_text: bool = False) -> Dag:
    """Load a task or pipeline YAML file (or text, with ``is_text=True``) into a :class:`Dag`.

    Several documents (``---``) form a chain; a first document holding only ``name`` names the
    pipeline. ``env_overrides``/``secret_overrides`` (``--env``/``--secret``) apply to every task.
    """
    if is_text:
        label = "<string>"
        data: str | bytes = os.fspath(source)
    else:
        path = Path(os.fspath(source)).expanduser()
        label = str(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise TaskValidationError(f"Task YAML file {label} does not exist.") from None
        except IsADirectoryError:
            raise TaskValidationError(f"{label} is a directory, not a task YAML file.") from None
    docs = load_yaml_documents(data, label)
    if len(docs) > 1:
        docs = [d for d in docs if d is not None] or [None]
    dag_name = None
    if len(docs) > 1 and isinstance(docs[0], dict) and set(docs[0]) == {"name"}:
        dag_name = _validate_name(docs[0]["name"])
        docs = docs[1:]
    tasks = []
    for index, doc in enumerate(docs):
        try:
            tasks.append(Task.from_yaml_config(doc, env_overrides=env_overrides,
                                               secret_overrides=secret_overrides))
        except TaskValidationError as e:
            if len(docs) > 1:  # say which task of the pipeline is wrong
                e.args = (f"{label}, task {index + 1} of {len(docs)}: {e.args[0]}",)
            raise
    if dag_name is None and len(tasks) == 1:
        dag_name = tasks[0].name
    return Dag(name=dag_name, tasks=tasks)
