"""From a cloud's ``CatalogSpec`` records to its :class:`~skycore.catalog.index.CatalogTable`.

Per spec: the refreshed online copy when the spec names a ``fetcher`` (see
:mod:`skycore.catalog.refresh`), else its ``vms_csv`` snapshot, parsed through the on-disk cache;
plus whatever its ``loader`` computes. Several specs of one cloud add their rows up. A failing
plugin loader becomes a :class:`~skycore.errors.PluginError` naming the spec, never a traceback
from deep inside the optimizer.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from skycore import errors
from skycore.catalog import cache, csv_loader, refresh
from skycore.catalog.columns import Columns, concat
from skycore.catalog.index import AttachRule, CatalogTable

_IMPORT_STRING = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def snapshot_path(value: Any) -> Path:
    """Resolve a spec's ``vms_csv``: a path, a callable returning one, or an import string."""
    from skycore.plugin_types import resolve

    if isinstance(value, str) and _IMPORT_STRING.match(value) and not Path(value).exists():
        value = resolve(value)
    if callable(value):
        value = value()
    return Path(value)


def load_spec(cloud: str, spec: Any) -> tuple[Columns, AttachRule | None]:
    """Rows of one spec and its attach rule."""
    from skycore.plugin_types import resolve

    parts: list[Columns] = []
    where = f"catalog of {cloud!r} ({spec.vms_csv or spec.loader or spec.fetcher!r})"
    try:
        path: Path | None = None
        if getattr(spec, "fetcher", None):
            path = refresh.ensure_fresh(cloud, spec.fetcher, spec.ttl_hours)
        if path is None and getattr(spec, "vms_csv", None):
            path = snapshot_path(spec.vms_csv)
        if path is not None:
            if not path.exists():
                raise errors.PluginError(f"The {where} names {path}, which does not exist.")
            parts.append(cache.load_csv(path))
        if spec.loader is not None:
            parts.append(csv_loader.from_offerings(spec.load()))
        attach = resolve(spec.attach) if getattr(spec, "attach", None) else None
    except errors.SkyError:
        raise
    except Exception as exc:
        raise errors.PluginError(f"Cannot load the {where}: {type(exc).__name__}: {exc}") from exc
    return concat(parts) if parts else Columns(), attach


def build_table(cloud: str) -> CatalogTable:
    """Every spec of ``cloud`` (canonical name), merged and indexed."""
    from skycore.plugins import get_manager

    specs = get_manager().catalog_specs(cloud)
    parts: list[Columns] = []
    rules: list[AttachRule] = []
    for spec in specs:
        columns, attach = load_spec(cloud, spec)
        parts.append(columns)
        if attach is not None:
            rules.append(attach)
    columns = concat(parts) if parts else Columns()
    return CatalogTable(cloud, columns, _first_rule(rules))


def _first_rule(rules: list[AttachRule]) -> AttachRule | None:
    if not rules:
        return None
    if len(rules) == 1:
        return rules[0]

    def combined(name: str, count: float) -> tuple[str, ...]:
        hosts: list[str] = []
        for rule in rules:
            hosts.extend(h for h in (rule(name, count) or ()) if h not in hosts)
        return tuple(hosts)

    return combined
