"""``SKY_HOME/config.yaml``: the user's (or the server's) persistent settings.

Small and dependency-light on purpose: the CLI reads it on every call that needs the API
endpoint, so it imports only PyYAML, and only when the file exists.

Keys used today: ``api_server.endpoint`` (where the client sends requests, written by
``sky api login``) and ``db`` (the server's database URL, e.g. ``postgresql://…``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from skycore import paths


def config_path() -> Path:
    return paths.sky_home() / "config.yaml"


def load() -> dict[str, Any]:
    """The whole config (``{}`` when there is none). A malformed file is an error that names it."""
    path = config_path()
    if not path.exists():
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        from skycore import errors

        raise errors.SkyError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        from skycore import errors

        raise errors.SkyError(f"{path} must be a mapping of settings, got {type(data).__name__}.")
    return data


def get_nested(keys: tuple[str, ...], default: Any = None) -> Any:
    value: Any = load()
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return default
        value = value[key]
    return value


def set_nested(keys: tuple[str, ...], value: Any) -> None:
    """Write one setting, keeping the others (atomic replace, so a crash never truncates it)."""
    import yaml

    data = load()
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value
    from skycore.utils import atomic

    atomic.write_text(config_path(), yaml.safe_dump(data, sort_keys=False))
