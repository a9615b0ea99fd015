"""Parsers of the individual ``resources:`` fields (cpus, memory, accelerators, ports,
autostop, ...), shared by :mod:`skycore.resources` and the task model.

Each parser takes the raw YAML/CLI value and the dotted field path, returns the one normalized
form the core compares, and raises :class:`~skycore.errors.TaskValidationError` naming the path,
the bad value and the fix.
"""

from __future__ import annotations

import contextvars
import dataclasses
import difflib
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from skycore.errors import TaskValidationError
from skycore.infra import canonical_cloud_name

DEFAULT_DISK_SIZE_GB = 256
DEFAULT_AUTOSTOP_IDLE_MINUTES = 5
DISK_TIERS = ("low", "medium", "high", "ultra", "best")
NETWORK_TIERS = ("standard", "best")
AUTOSTOP_WAIT_FOR = ("jobs_and_ssh", "jobs", "none")
DEFAULT_AUTOSTOP_WAIT_FOR = "jobs_and_ssh"
MIN_PRIORITY, MAX_PRIORITY = -1000, 1000
MAX_PORT = 65535
_ZERO_MEMORY_CLOUD = "slurm"

# Keys of one resources mapping (a single candidate, or one any_of/ordered entry).
_LOCATION_KEYS = ("cloud", "region", "zone")
SINGLE_RESOURCE_KEYS: frozenset[str] = frozenset({
    "infra", "cloud", "region", "zone", "cpus", "memory", "accelerators", "gpus",
    "accelerator_args", "instance_type", "use_spot", "job_recovery", "spot_recovery",
    "disk_size", "disk_tier", "network_tier", "local_disk", "max_hourly_cost", "ports",
    "labels", "image_id", "autostop", "priority", "priority_class", "volumes",
})
# Internal keys SkyPilot writes into generated YAML; accepted and carried unchanged.
PRIVATE_RESOURCE_KEYS: frozenset[str] = frozenset({
    "_docker_login_config", "_is_image_managed", "_requires_fuse",
    "_cluster_config_overrides", "_no_missing_accel_warnings",
})
_MULTI_KEYS = ("any_of", "ordered")
RESOURCES_BLOCK_KEYS: frozenset[str] = (
    SINGLE_RESOURCE_KEYS | PRIVATE_RESOURCE_KEYS | frozenset(_MULTI_KEYS)
)

_ACCELERATOR_ARGS_TYPES: dict[str, type] = {
    "runtime_version": str, "tpu_name": str, "tpu_vm": bool, "gcp_queued_resource": bool,
}
_JOB_RECOVERY_KEYS = ("strategy", "max_restarts_on_errors", "recover_on_exit_codes")
_AUTOSTOP_KEYS = ("idle_minutes", "down", "wait_for", "hook", "hook_timeout")
_VOLUME_KEYS = ("path", "name", "disk_size", "disk_tier", "auto_delete", "storage_type",
                "attach_mode")

_CLOUD_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_NUMBER_RE = r"\d+(?:\.\d+)?|\.\d+"
_CPUS_RE = re.compile(rf"^({_NUMBER_RE})\s*(\+?)$")
_MEMORY_RE = re.compile(rf"^({_NUMBER_RE})\s*([KMGTP]i?B?)?\s*(\+|x\+?)?$", re.IGNORECASE)
_SIZE_RE = re.compile(rf"^({_NUMBER_RE})\s*([KMGTP]i?B?)?$", re.IGNORECASE)
_ACC_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
_ACC_MEMORY_RE = re.compile(rf"^({_NUMBER_RE})GB(\+?)$", re.IGNORECASE)
_ACC_COUNT_RE = re.compile(rf"^-?(?:{_NUMBER_RE})$")
_PORT_RANGE_RE = re.compile(r"^(\d+)\s*-\s*(\d+)$")
_LOCAL_DISK_RE = re.compile(rf"^(?:[A-Za-z]+:)?(?:{_NUMBER_RE})\+?$")
_TIME_RE = re.compile(r"^(\d+)\s*([smhdw]?)$", re.IGNORECASE)
_TIME_UNIT_MINUTES = {"s": 1 / 60, "": 1, "m": 1, "h": 60, "d": 24 * 60, "w": 7 * 24 * 60}
# Units are binary multiples, converted to GB (GiB, as the catalogs use).
_UNIT_TO_GB = {"k": 1 / 1024**2, "m": 1 / 1024, "g": 1.0, "t": 1024.0, "p": 1024.0**2}

_ACCELERATOR_STR_HELP = (
    "The \"accelerators\" field as a str should be '<name>' or '<name>:<count>' "
    "(e.g. 'A100', 'A100:8', 'V100:0.5'), or a GPU-memory filter such as '80GB+', "
    "'40GB:2' or 'nvidia:80GB:8'"
)

# Set by parse_resources while it builds candidates, so that errors raised while normalizing
# name the real path (``resources.any_of[1].cpus``) rather than the default ``resources``.
_FIELD_PREFIX: contextvars.ContextVar[str] = contextvars.ContextVar(
    "skycore_resources_prefix", default="resources"
)


# ----------------------------------------------------------------------------- small helpers
def _err(path: str, value: Any, message: str, hint: str | None = None) -> TaskValidationError:
    return TaskValidationError(message, field=path, value=value, hint=hint)


def suggest_field(name: Any, choices: Iterable[str]) -> str | None:
    """``Did you mean 'x'?`` for a misspelled key, or None when nothing is close."""
    if not isinstance(name, str):
        return None
    visible = sorted(c for c in choices if not c.startswith("_"))
    matches = difflib.get_close_matches(name, visible, n=1, cutoff=0.6)
    return f"Did you mean {matches[0]!r}?" if matches else None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def check_unknown_keys(config: Mapping[Any, Any], allowed: Iterable[str], path: str,
                       what: str) -> None:
    """Raise for the first key not in ``allowed``, suggesting the closest valid name."""
    allowed = set(allowed)
    for key in config:
        if key not in allowed:
            visible = ", ".join(sorted(a for a in allowed if not a.startswith("_")))
            suggestion = suggest_field(key, allowed)
            hint = f"{suggestion} Valid {what} fields: {visible}." if suggestion else (
                f"Valid {what} fields: {visible}.")
            field = _join(path, key) if isinstance(key, str) else (path or None)
            raise TaskValidationError(f"unknown {what} field {key!r}.", field=field, hint=hint)


def format_number(value: float) -> str:
    """``32`` → ``'32'``, ``32.0`` → ``'32'``, ``1.5`` → ``'1.5'`` (no float noise)."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_int_or_float(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


# ----------------------------------------------------------------------------- requirements
class Requirement(NamedTuple):
    """A parsed ``cpus``/``memory`` request.

    ``amount`` is in vCPUs or GB; ``at_least`` is the ``+`` suffix; ``per_vcpu`` is memory's
    ``Nx`` form (N GB per vCPU of the chosen instance).
    """

    amount: float
    at_least: bool
    per_vcpu: bool = False

    def satisfied_by(self, offered: float, vcpus: float | None = None) -> bool:
        """Whether an instance offering ``offered`` (and ``vcpus``, for ``Nx``) fits.

        An ``Nx`` request cannot be judged without the instance's vCPUs; it then passes.
        """
        wanted = self.amount
        if self.per_vcpu:
            if vcpus is None:
                return True
            wanted = self.amount * vcpus
            return offered >= wanted - 1e-9
        if self.at_least:
            return offered >= wanted - 1e-9
        return math.isclose(offered, wanted, rel_tol=1e-9, abs_tol=1e-9)


def _parse_cpus(value: Any, path: str) -> str | None:
    if value is None:
        return None
    if _is_number(value):
        text, plus = format_number(value), ""
        amount = float(value)
    elif isinstance(value, str):
        m = _CPUS_RE.match(value.strip())
        if not m:
            raise _err(path, value, "must be a number of vCPUs, 'N' (exactly N) or 'N+' "
                       "(at least N).", hint="e.g. cpus: 4 or cpus: '8+'")
        amount = float(m.group(1))
        text, plus = format_number(amount), m.group(2)
    else:
        raise _err(path, value, "must be a number or a string like '4' or '4+'.")
    if amount <= 0:
        raise _err(path, value, "must be positive.")
    return text + plus


def _split_size(amount: float, unit: str | None) -> float:
    if not unit:
        return amount
    return amount * _UNIT_TO_GB[unit[0].lower()]


def _parse_memory(value: Any, path: str) -> str | None:
    if value is None:
        return None
    if _is_number(value):
        if value < 0:
            raise _err(path, value, "must be positive.")
        return format_number(value)
    if not isinstance(value, str):
        raise _err(path, value, "must be a number of GB or a string like '16', '16+', "
                   "'512MB' or '4x'.")
    m = _MEMORY_RE.match(value.strip())
    if not m:
        raise _err(path, value, "must be 'N' (exactly N GB), 'N+' (at least N GB) or 'Nx' "
                   "(N GB per vCPU); units KB/MB/GB/TB/PB are accepted.",
                   hint="e.g. memory: 32 or memory: '64+' or memory: '512GB+'")
    amount, unit, suffix = float(m.group(1)), m.group(2), (m.group(3) or "").lower()
    if suffix.startswith("x") and unit:
        raise _err(path, value, "the 'Nx' form (GB per vCPU) takes no unit.")
    gb = _split_size(amount, unit)
    if gb < 0 or (gb == 0 and suffix.startswith("x")):
        raise _err(path, value, "must be positive.")
    return format_number(gb) + suffix


def _requirement(text: str | None, allow_per_vcpu: bool) -> Requirement | None:
    if text is None:
        return None
    per_vcpu = allow_per_vcpu and "x" in text
    at_least = text.endswith("+") or per_vcpu
    return Requirement(float(text.rstrip("+x")), at_least, per_vcpu)


def _parse_disk_size(value: Any, path: str) -> int:
    if value is None:
        return DEFAULT_DISK_SIZE_GB
    if _is_number(value):
        gb = float(value)
    elif isinstance(value, str):
        m = _SIZE_RE.match(value.strip())
        if not m:
            raise _err(path, value, "must be a whole number of GB or a size like '512GB' "
                       "or '1TB'.")
        gb = _split_size(float(m.group(1)), m.group(2))
    else:
        raise _err(path, value, "must be an integer number of GB.")
    if gb <= 0:
        raise _err(path, value, "must be positive (a disk size in GB).")
    if not float(gb).is_integer():
        raise _err(path, value, "must be a whole number of GB.", hint=f"use {math.ceil(gb)}")
    return int(gb)


def _parse_choice(value: Any, path: str, choices: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value.strip().lower() not in choices:
        raise _err(path, value, f"must be one of {', '.join(choices)}.")
    return value.strip().lower()


def _parse_str(value: Any, path: str, what: str = "a string") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _err(path, value, f"must be {what}.")
    return value.strip()


def _parse_bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _err(path, value, "must be true or false.")
    return value


# ----------------------------------------------------------------------------- accelerators
def is_accelerator_memory_spec(name: str) -> bool:
    """True for GPU-memory filters (``'80GB+'``, ``'nvidia:40GB'``) rather than GPU names.

    These cannot be expanded into GPU names without the catalog's GPU metadata, so the parser
    keeps them as the accelerator "name" and the catalog/optimizer expands them.
    """
    last = name.rsplit(":", 1)[-1]
    return bool(_ACC_MEMORY_RE.match(last))


def _canonical_accelerator_name(name: str) -> str:
    # TPU names are lower-case by convention; other names are canonicalized (case-insensitively)
    # against the catalog later, which knows the installed GPUs.
    return name.lower() if name.lower().startswith("tpu-") else name


def _parse_count(value: Any, path: str, raw: Any) -> int | float:
    if isinstance(value, str):
        if not _ACC_COUNT_RE.match(value.strip()):
            raise _err(path, raw, f"{_ACCELERATOR_STR_HELP}.")
        value = float(value)
    if not _is_number(value):
        raise _err(path, raw, "accelerator count must be a number.")
    if value <= 0:
        raise _err(path, raw, "accelerator count must be positive.")
    return _as_int_or_float(value)


def _parse_accelerator_name(parts: list[str], path: str, raw: Any) -> str:
    if len(parts) == 1:
        name = parts[0].strip()
        if not _ACC_NAME_RE.match(name):
            raise _err(path, raw, f"{_ACCELERATOR_STR_HELP}.")
        if _ACC_MEMORY_RE.match(name):
            return name.upper()
        return _canonical_accelerator_name(name)
    if len(parts) == 2:
        maker, memory = parts[0].strip(), parts[1].strip()
        if maker.isalpha() and _ACC_MEMORY_RE.match(memory):
            return f"{maker.lower()}:{memory.upper()}"
    raise _err(path, raw, f"{_ACCELERATOR_STR_HELP}.")


def _parse_accelerator_str(text: str, path: str, count: Any = None) -> dict[str, int | float]:
    """``'A100'``, ``'A100:8'``, ``'V100:0.5'``, ``'nvidia:80GB:8'`` → ``{name: count}``."""
    raw = text
    parts = text.strip().split(":")
    if any(not p.strip() for p in parts):
        raise _err(path, raw, f"{_ACCELERATOR_STR_HELP}.")
    last = parts[-1].strip()
    if len(parts) > 1 and _ACC_COUNT_RE.match(last):
        if count is not None:
            raise _err(path, raw, "the count is given both in the name and as the value.",
                       hint=f"write {{{':'.join(parts[:-1])}: {last}}} or '{text}'")
        count = last
        parts = parts[:-1]
    name = _parse_accelerator_name(parts, path, raw)
    return {name: _parse_count(1 if count is None else count, path, raw)}


def _parse_single_accelerator(value: Any, path: str) -> dict[str, int | float] | None:
    """One accelerator request in any YAML form, or None."""
    if value is None:
        return None
    if isinstance(value, str):
        return _parse_accelerator_str(value, path)
    if isinstance(value, Mapping):
        if not value:
            return None
        if len(value) > 1:
            raise _err(path, value, "one candidate holds at most one accelerator type.",
                       hint="list alternatives in the task's resources block (a set, a list "
                       "or any_of/ordered), which expands into one candidate per type.")
        ((name, count),) = value.items()
        if not isinstance(name, str):
            raise _err(path, value, "accelerator names must be strings.")
        if count is None:
            return _parse_accelerator_str(name, path)
        if not _is_number(count):
            raise _err(path, value, "accelerator count must be a number.")
        return _parse_accelerator_str(name, path, count=count)
    raise _err(path, value, f"{_ACCELERATOR_STR_HELP}, or a mapping like {{A100: 8}}.")


def parse_accelerators(value: Any, path: str = "resources.accelerators"
                       ) -> tuple[list[dict[str, int | float] | None], bool | None]:
    """Expand an ``accelerators`` value into per-candidate choices.

    Returns ``(choices, ordered)``: ``ordered`` is True for a list (preference order), False for
    a set or a multi-key mapping (any of), None for a single accelerator or none.
    Null mapping values are accepted because the YAML set literal ``{A100:8, V100:8}`` parses
    to ``{'A100:8': None, 'V100:8': None}``.
    """
    if value is None:
        return [None], None
    if isinstance(value, str):
        text = value.strip()
        if len(text) < 2 or text[0] + text[-1] not in ("[]", "{}"):
            return [_parse_accelerator_str(text, path)], None
        # CLI spellings of a list / set: '[A100:8, V100:8]', '{A100, V100}'.
        items = [i.strip().strip("'\"") for i in text[1:-1].split(",") if i.strip()]
        value = items if text[0] == "[" else dict.fromkeys(items)
    if isinstance(value, (set, frozenset)):
        choices = [_parse_accelerator_str(str(i), path) for i in sorted(value, key=str)]
        return (choices, False) if len(choices) > 1 else (choices or [None], None)
    if isinstance(value, Mapping):
        if len(value) <= 1:
            return [_parse_single_accelerator(value, path)], None
        return [_parse_single_accelerator({k: v}, f"{path}[{k!r}]")
                for k, v in value.items()], False
    if isinstance(value, (list, tuple)):
        if not value:
            return [None], None
        choices = []
        for i, item in enumerate(value):
            if isinstance(item, (str, Mapping)):
                choices.append(_parse_single_accelerator(item, f"{path}[{i}]"))
            else:
                raise _err(f"{path}[{i}]", item, f"{_ACCELERATOR_STR_HELP}.")
        return choices, True
    raise _err(path, value, f"{_ACCELERATOR_STR_HELP}, a mapping like {{A100: 8}}, a set "
               "or a list of those.")


def _normalize_accelerators(value: Any, path: str) -> dict[str, int | float] | None:
    choices, _ordered = parse_accelerators(value, path)
    if len(choices) != 1:
        raise _err(path, value, "one candidate holds at most one accelerator type.",
                   hint="use parse_resources() (or the task's resources block) to expand "
                   "alternatives into several candidates.")
    return choices[0]


# ----------------------------------------------------------------------------- ports
def parse_ports(value: Any, path: str = "resources.ports") -> list[str] | None:
    """Ports as sorted, merged ranges of str: ``'8000,9000'`` → ``['8000', '9000']``.

    Accepts an int, a str (comma-separated, ranges ``'10022-10040'``) or a list of those.
    """
    if value is None:
        return None
    items = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
    ranges: list[tuple[int, int]] = []
    for item in items:
        if _is_number(item):
            if not float(item).is_integer():
                raise _err(path, value, "ports must be whole numbers.")
            tokens: list[Any] = [int(item)]
        elif isinstance(item, str):
            tokens = [t.strip() for t in item.split(",")]
        else:
            raise _err(path, value, "must be a port number, a range like '10022-10040', or "
                       "a list of those.")
        for token in tokens:
            ranges.append(_parse_port_token(token, path, value))
    if not ranges:
        return None
    ranges.sort()
    merged: list[list[int]] = [list(ranges[0])]
    for lo, hi in ranges[1:]:
        if lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in merged]


def _parse_port_token(token: Any, path: str, whole: Any) -> tuple[int, int]:
    if isinstance(token, int):
        lo = hi = token
    else:
        m = _PORT_RANGE_RE.match(token)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
        elif token.isdigit():
            lo = hi = int(token)
        else:
            raise _err(path, whole, f"invalid port {token!r}; use a number or a range like "
                       "'10022-10040'.")
    if not (1 <= lo <= MAX_PORT and 1 <= hi <= MAX_PORT):
        raise _err(path, whole, f"ports must be between 1 and {MAX_PORT}.")
    if lo > hi:
        raise _err(path, whole, f"port range {token!r} ends before it starts.")
    return lo, hi


# ----------------------------------------------------------------------------- autostop
@dataclasses.dataclass(frozen=True)
class AutostopConfig:
    """Idle stop (or teardown, ``down``) of a cluster, enforced by skylet on the cluster.

    ``autostop: false`` in YAML is kept as an explicit *cancel* (``idle_minutes == -1``, the
    value SkyPilot's CLI uses for "cancel"), because "no autostop" must override an autostop set
    earlier on an existing cluster, which "not specified" (``None``) would not.
    """

    idle_minutes: int = DEFAULT_AUTOSTOP_IDLE_MINUTES
    down: bool = False
    wait_for: str = DEFAULT_AUTOSTOP_WAIT_FOR
    hook: str | None = None
    hook_timeout: int | None = None

    CANCEL_MINUTES = -1

    @classmethod
    def cancel(cls) -> AutostopConfig:
        """The config meaning "no autostop" (``autostop: false``)."""
        return cls(idle_minutes=cls.CANCEL_MINUTES)

    @property
    def enabled(self) -> bool:
        return self.idle_minutes >= 0

    def to_yaml_config(self) -> bool | dict[str, Any]:
        if not self.enabled:
            return False
        out: dict[str, Any] = {"idle_minutes": self.idle_minutes}
        if self.down:
            out["down"] = True
        if self.wait_for != DEFAULT_AUTOSTOP_WAIT_FOR:
            out["wait_for"] = self.wait_for
        if self.hook is not None:
            out["hook"] = self.hook
        if self.hook_timeout is not None:
            out["hook_timeout"] = self.hook_timeout
        return out


def _parse_minutes(value: Any, path: str) -> int:
    if _is_number(value):
        if not float(value).is_integer():
            raise _err(path, value, "must be an integer number of minutes.")
        minutes = int(value)
    elif isinstance(value, str):
        m = _TIME_RE.match(value.strip())
        if not m:
            raise _err(path, value, "must be an integer number of minutes or a duration "
                       "like '30m', '2h', '1d'.")
        minutes = math.ceil(int(m.group(1)) * _TIME_UNIT_MINUTES[m.group(2).lower()])
    else:
        raise _err(path, value, "must be an integer number of minutes.")
    if minutes < 0:
        raise _err(path, value, "must be >= 0.", hint="use 'autostop: false' to disable "
                   "autostop.")
    return minutes


def parse_autostop(value: Any, path: str = "resources.autostop") -> AutostopConfig | None:
    """``false`` | ``true`` | minutes | ``'2h'`` | ``{idle_minutes, down, wait_for}``."""
    if value is None or isinstance(value, AutostopConfig):
        return value
    if isinstance(value, bool):
        return AutostopConfig() if value else AutostopConfig.cancel()
    if isinstance(value, (int, float, str)):
        return AutostopConfig(idle_minutes=_parse_minutes(value, path))
    if not isinstance(value, Mapping):
        raise _err(path, value, "must be false, a number of idle minutes, a duration like "
                   "'2h', or a mapping {idle_minutes, down, wait_for}.")
    check_unknown_keys(value, _AUTOSTOP_KEYS, path, "autostop")
    kwargs: dict[str, Any] = {}
    idle = value.get("idle_minutes")
    if idle is not None:
        if not isinstance(idle, int) or isinstance(idle, bool):
            raise _err(f"{path}.idle_minutes", idle, "must be an integer number of minutes.")
        if idle < 0:
            raise _err(f"{path}.idle_minutes", idle, "must be >= 0.")
        kwargs["idle_minutes"] = idle
    if value.get("down") is not None:
        kwargs["down"] = _parse_bool(value["down"], f"{path}.down")
    if value.get("wait_for") is not None:
        kwargs["wait_for"] = _parse_choice(value["wait_for"], f"{path}.wait_for",
                                           AUTOSTOP_WAIT_FOR)
    if value.get("hook") is not None:
        kwargs["hook"] = _parse_str(value["hook"], f"{path}.hook", "a shell command")
    timeout = value.get("hook_timeout")
    if timeout is not None:
        if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 1:
            raise _err(f"{path}.hook_timeout", timeout, "must be an integer >= 1 (seconds).")
        kwargs["hook_timeout"] = timeout
    return AutostopConfig(**kwargs)


# ----------------------------------------------------------------------------- other fields
def _parse_job_recovery(value: Any, path: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"strategy": value.strip().upper()}
    if not isinstance(value, Mapping):
        raise _err(path, value, "must be a strategy name or a mapping {strategy, "
                   "max_restarts_on_errors, recover_on_exit_codes}.")
    check_unknown_keys(value, _JOB_RECOVERY_KEYS, path, "job_recovery")
    out: dict[str, Any] = {}
    strategy = value.get("strategy")
    if strategy is not None:
        if not isinstance(strategy, str):
            raise _err(f"{path}.strategy", strategy, "must be a strategy name such as "
                       "EAGER_NEXT_REGION, FAILOVER or none.")
        out["strategy"] = strategy.strip().upper()
    restarts = value.get("max_restarts_on_errors")
    if restarts is not None:
        if not isinstance(restarts, int) or isinstance(restarts, bool) or restarts < 0:
            raise _err(f"{path}.max_restarts_on_errors", restarts, "must be an integer >= 0.")
        out["max_restarts_on_errors"] = restarts
    codes = value.get("recover_on_exit_codes")
    if codes is not None:
        code_list = codes if isinstance(codes, list) else [codes]
        for code in code_list:
            if not isinstance(code, int) or isinstance(code, bool) or not 0 <= code <= 255:
                raise _err(f"{path}.recover_on_exit_codes", codes,
                           "exit codes must be integers in 0..255.")
        if len(set(code_list)) != len(code_list):
            raise _err(f"{path}.recover_on_exit_codes", codes, "exit codes must be unique.")
        out["recover_on_exit_codes"] = list(code_list)
    return out


def _parse_str_mapping(value: Any, path: str, what: str) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _err(path, value, f"must be a mapping of {what}.")
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise _err(f"{path}.{key}", item, f"{what} keys and values must be strings.",
                       hint="quote numbers and booleans, e.g. '\"123\"'.")
        out[key] = item
    return out


def _parse_image_id(value: Any, path: str) -> str | dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _parse_str(value, path, "an image id")
    if isinstance(value, Mapping):
        if not value:
            return None
        return _parse_str_mapping(value, path, "region → image id")
    raise _err(path, value, "must be an image id or a mapping {region: image id} (a 'docker' "
               "key gives a container image).")


def _parse_accelerator_args(value: Any, path: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _err(path, value, "must be a mapping.")
    check_unknown_keys(value, _ACCELERATOR_ARGS_TYPES, path, "accelerator_args")
    out: dict[str, Any] = {}
    for key, item in value.items():
        if item is None:
            continue
        if not isinstance(item, _ACCELERATOR_ARGS_TYPES[key]):
            raise _err(f"{path}.{key}", item,
                       f"must be a {_ACCELERATOR_ARGS_TYPES[key].__name__}.")
        out[key] = item
    return out or None


def _parse_volumes(value: Any, path: str) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _err(path, value, "must be a list of {path, name, disk_size, ...} mappings.")
    out = []
    for i, item in enumerate(value):
        item_path = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            raise _err(item_path, item, "must be a mapping.")
        check_unknown_keys(item, _VOLUME_KEYS, item_path, "volume")
        entry = {k: v for k, v in item.items() if v is not None}
        if "disk_size" in entry:
            entry["disk_size"] = _parse_disk_size(entry["disk_size"], f"{item_path}.disk_size")
        if "auto_delete" in entry:
            _parse_bool(entry["auto_delete"], f"{item_path}.auto_delete")
        for key in ("path", "name", "disk_tier", "storage_type", "attach_mode"):
            if key in entry:
                _parse_str(entry[key], f"{item_path}.{key}")
        out.append(entry)
    return out or None


def _parse_priority(value: Any, path: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _err(path, value, "must be an integer.")
    if not MIN_PRIORITY <= value <= MAX_PRIORITY:
        raise _err(path, value, f"must be between {MIN_PRIORITY} and {MAX_PRIORITY}.")
    return value


def _parse_max_hourly_cost(value: Any, path: str) -> float | None:
    if value is None:
        return None
    if not _is_number(value) or value <= 0:
        raise _err(path, value, "must be a positive number (dollars per hour).")
    return float(value)


def _parse_local_disk(value: Any, path: str) -> str | None:
    if value is None:
        return None
    if _is_number(value):
        value = format_number(value)
    if not isinstance(value, str) or not _LOCAL_DISK_RE.match(value.strip()):
        raise _err(path, value, "must look like 'nvme:300+' (type:size-in-GB, '+' = at least).")
    return value.strip()


def _parse_cloud(value: Any, path: str) -> str | None:
    name = _parse_str(value, path, "a cloud name")
    if name is None or name == "*":
        return None
    canonical = canonical_cloud_name(name)
    if not _CLOUD_RE.match(canonical):
        raise _err(path, value, "is not a valid cloud name.", hint="e.g. aws, gcp, kubernetes")
    return canonical


def _parse_place(value: Any, path: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise _err(path, value, "must be a string.", hint="quote it in YAML")
    name = _parse_str(value, path)
    return None if name == "*" else name


def _parse_private(value: Any, path: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _err(path, value, "internal fields must be a mapping.")
    check_unknown_keys(value, PRIVATE_RESOURCE_KEYS, path, "internal resources")
    return {k: v for k, v in value.items() if v is not None}


_NORMALIZERS: dict[str, Any] = {
    "cloud": _parse_cloud,
    "region": _parse_place,
    "zone": _parse_place,
    "cpus": _parse_cpus,
    "memory": _parse_memory,
    "accelerators": _normalize_accelerators,
    "accelerator_args": _parse_accelerator_args,
    "instance_type": lambda v, p: _parse_str(v, p, "an instance type name"),
    "use_spot": lambda v, p: False if v is None else _parse_bool(v, p),
    "use_spot_specified": _parse_bool,
    "disk_size": _parse_disk_size,
    "disk_tier": lambda v, p: _parse_choice(v, p, DISK_TIERS),
    "network_tier": lambda v, p: _parse_choice(v, p, NETWORK_TIERS),
    "ports": parse_ports,
    "labels": lambda v, p: _parse_str_mapping(v, p, "labels"),
    "image_id": _parse_image_id,
    "autostop": parse_autostop,
    "job_recovery": _parse_job_recovery,
    "priority": _parse_priority,
    "priority_class": lambda v, p: _parse_str(v, p),
    "local_disk": _parse_local_disk,
    "max_hourly_cost": _parse_max_hourly_cost,
    "volumes": _parse_volumes,
    "private": _parse_private,
}
