"""The plugin manager: finds provider plugins, validates them and serves their registries.

Who uses this module:

* **plugin authors** import the records and the ``hookimpl`` marker from here (see
  :mod:`skycore.hookspecs` for the contract). Their hook modules import this module while they are
  being discovered, so importing it must stay cheap: no entry-point scan, no stevedore and no
  ``packaging`` at import time; all of that happens lazily, on the manager's first use.
* **the core** calls :func:`get_manager` and asks for clouds, provisioners, catalogs, stores and
  backends by name, sends events and applies admin policies.

Why it is built this way (the rules of DESIGN.md §3):

* *A broken plugin never breaks the CLI.* Every step that runs plugin code (import, validation,
  registration hooks, events) is guarded per plugin. A failing plugin is listed by ``sky plugins``
  with status ``broken`` (or ``incompatible`` when its declared ``SKYCORE_PLUGIN_API`` range
  excludes :data:`PLUGIN_API_VERSION`) and contributes nothing; the other plugins keep working.
* *Conflicts never resolve silently.* When two plugins claim the same cloud name or alias, store
  URL scheme, backend name, provisioner of a cloud, or the same entry-point name, both are listed
  with status ``conflict`` and the contested name is withdrawn: using it raises
  :class:`~skycore.errors.PluginConflictError` naming both distributions (picking one by install
  order would make a launch depend on ``pip`` history). Only the contested names are withdrawn
  (plus every name of a cloud whose canonical name is contested), so unrelated clouds and the
  listing keep working. A plugin in conflict over a registry name stays registered for all it
  does not contest (its other clouds, events, admin policy); plugins of different
  distributions sharing one entry-point name are not registered at all. Exception to "neither
  wins": a third party reusing the entry-point name ``skycore`` cannot switch off skycore's core
  plugin; only that third party is marked ``conflict`` and left unloaded.
* *Heavy code is loaded on first use.* Registration hooks return small records whose factories are
  import strings; :meth:`PluginManager.cloud`, :meth:`PluginManager.provisioner` and
  :meth:`PluginManager.backend` resolve them once and cache the objects.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

import pluggy

from skycore import hookspecs
from skycore.errors import (
    PluginConflictError,
    PluginError,
    SkyError,
    TaskValidationError,
    UnknownCloudError,
)
from skycore.hookspecs import hookimpl
from skycore.plugin_types import (
    PLUGIN_API_VERSION,
    BackendSpec,
    CatalogSpec,
    CloudSpec,
    PluginInfo,
    ProvisionerSpec,
    StoreSpec,
    resolve,
)

if TYPE_CHECKING:  # pragma: no cover
    from importlib.metadata import EntryPoint

    from skycore.interfaces.backend import Backend
    from skycore.interfaces.cloud import Cloud
    from skycore.interfaces.provision import Provisioner

__all__ = [
    "BackendSpec",
    "CatalogSpec",
    "CloudSpec",
    "DEFAULT_BACKEND",
    "PLUGIN_API_VERSION",
    "PluginInfo",
    "PluginManager",
    "ProvisionerSpec",
    "StoreSpec",
    "get_manager",
    "hookimpl",
    "reset_manager_for_tests",
    "resolve",
]

logger = logging.getLogger("skycore.plugins")

#: Name of the backend used when a cluster does not ask for another one.
DEFAULT_BACKEND = "ray-skylet"

#: Name and distribution under which skycore's own hook implementations are listed.
_CORE_NAME = "skycore"

Status = Literal["ok", "broken", "conflict", "incompatible"]

#: Registration hooks and the record type each must return; called once, in this order.
_REGISTRATION_HOOKS: dict[str, type] = {
    "skycore_clouds": CloudSpec,
    "skycore_catalogs": CatalogSpec,
    "skycore_provisioners": ProvisionerSpec,
    "skycore_storage": StoreSpec,
    "skycore_backends": BackendSpec,
}

_MAX_ERROR_CHARS = 500


class _CorePlugin:
    """skycore's own hook implementations, registered like any plugin so that a third party that
    claims the same backend name gets a conflict naming ``skycore`` instead of replacing it."""

    @hookimpl
    def skycore_backends(self) -> list[BackendSpec]:
        return [BackendSpec(DEFAULT_BACKEND, "skycore.backends.ray_skylet:RaySkyletBackend",
                            description="Ray + the skylet agent on every node (default).")]


@dataclass
class _Record:
    """Mutable bookkeeping of one discovered plugin; :class:`PluginInfo` is its frozen view."""

    name: str
    module: str
    distribution: str | None
    version: str | None
    source: Literal["core", "entry-point", "extra"]
    plugin: Any = None
    status: Status = "ok"
    error: str | None = None
    hooks: tuple[str, ...] = ()
    clouds: list[str] = field(default_factory=list)
    key: str | None = None  # pluggy registration name while registered
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def owner(self) -> str:
        """Who answers for this plugin: its distribution; without one, each plugin answers for
        itself (two ``extra_modules`` are as independent as two distributions)."""
        return self.distribution or f"<plugin {self.name} #{id(self)}>"

    def describe(self) -> str:
        if self.distribution:
            version = f" {self.version}" if self.version else ""
            return f"plugin {self.name!r} (distribution {self.distribution}{version})"
        return f"plugin {self.name!r} (module {self.module}, no distribution)"


def _one_line(exc: BaseException) -> str:
    """``Type: message`` on one line, for the listing (tracebacks go to the debug log)."""
    text = " ".join(str(exc).split())
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line if len(line) <= _MAX_ERROR_CHARS else line[: _MAX_ERROR_CHARS - 3] + "..."


def _module_name(obj: Any) -> str:
    if isinstance(obj, ModuleType):
        return obj.__name__
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _load_target(value: str) -> Any:
    """Load an entry-point value: ``pkg.module`` or ``pkg.module:attr``."""
    if ":" in value:
        return resolve(value)
    return importlib.import_module(value.strip())


def _join_names(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _conflict_message(kind: str, key: str, claims: list[tuple[_Record, Any]]) -> str:
    ordered = sorted(claims, key=lambda claim: (claim[0].distribution or "", claim[0].name))
    who = _join_names([rec.describe() for rec, _ in ordered])
    owners = sorted({rec.distribution for rec, _ in claims if rec.distribution})
    fix = (f" Uninstall all but one of: {', '.join(owners)}." if len(owners) > 1
           else " Remove one of them.")
    return f"{kind} {key!r} is provided by more than one plugin: {who}.{fix}"


def _distributions_by_entry_point(namespace: str) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Map ``(entry name, value)`` to the ``(distribution, version)`` pairs declaring it.

    Why not ``ep.dist``: stevedore serves entry points from its own cache, which drops the
    distribution. Several distributions may declare the very same entry point; each is kept so
    that the duplicate shows up as a conflict.
    """
    from importlib.metadata import entry_points

    index: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for ep in entry_points(group=namespace):
        dist = ep.dist
        if dist is None:
            continue
        owner = (dist.metadata["Name"] or getattr(dist, "name", "") or "?", dist.version)
        owners = index.setdefault((ep.name, ep.value), [])
        if owner not in owners:
            owners.append(owner)
    return index


def _source_tree_entry_points(namespace: str) -> dict[str, str]:
    """Entry points skycore declares in its own ``pyproject.toml`` when run from a checkout.

    Why: in a source checkout that is not pip-installed (``PYTHONPATH=.``), no ``skycore``
    distribution exists, so its built-in drivers (``local``) would be invisible. Reading the
    checkout's pyproject keeps a single source of truth for them.
    """
    try:
        import tomllib
    except ImportError:  # Python 3.10: only installed skycore has built-in entry points
        return {}
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    project = data.get("project", {})
    if project.get("name") != _CORE_NAME:
        return {}
    group = project.get("entry-points", {}).get(namespace, {})
    return {str(k): str(v) for k, v in group.items()}


def _builtin_extras(distribution: str | None) -> dict[str, Any]:
    """Drivers shipped inside skycore are flagged so ``sky plugins`` can tell them apart."""
    return {"builtin": True} if distribution == _CORE_NAME else {}


def _core_version() -> str | None:
    return getattr(sys.modules.get("skycore"), "__version__", None)


class PluginManager:
    """Discovers plugins and serves the registries built from their registration hooks.

    Nothing happens at construction: discovery runs on first use so that creating the manager
    (e.g. in ``sky --help``) costs nothing. All public methods are thread-safe.
    """

    def __init__(self, *, namespace: str = "skycore",
                 extra_modules: Sequence[tuple[str, ModuleType | object]] = (),
                 load_entry_points: bool = True) -> None:
        self._namespace = namespace
        self._extra_modules = list(extra_modules)
        self._load_entry_points = load_entry_points
        self._lock = threading.RLock()
        self._pm: pluggy.PluginManager | None = None
        self._records: list[_Record] = []
        self._by_key: dict[str, _Record] = {}
        self._name_conflicts: dict[str, str] = {}
        self._registries_built = False
        self._busy = False  # discovery or registry building in progress (re-entrancy guard)
        # registries (filled by _build_registries)
        self._clouds: dict[str, tuple[_Record, CloudSpec]] = {}
        self._cloud_names: dict[str, str] = {}  # any accepted name -> canonical name
        self._cloud_conflicts: dict[str, str] = {}  # withdrawn name -> conflict message
        self._catalogs: dict[str, list[tuple[_Record, CatalogSpec]]] = {}
        self._provisioner_specs: dict[str, tuple[_Record, ProvisionerSpec]] = {}
        self._provisioner_conflicts: dict[str, str] = {}
        self._stores: dict[str, tuple[_Record, StoreSpec]] = {}
        self._store_conflicts: dict[str, str] = {}
        self._backend_specs: dict[str, tuple[_Record, BackendSpec]] = {}
        self._backend_conflicts: dict[str, str] = {}
        # objects built from factories, one per name
        self._cloud_objs: dict[str, Any] = {}
        self._provisioner_objs: dict[str, Any] = {}
        self._backend_objs: dict[str, Any] = {}

    # ------------------------------------------------------------------------- discovery
    def _ensure_discovered(self) -> pluggy.PluginManager:
        with self._lock:
            if self._pm is None:
                if self._busy:
                    raise PluginError("A plugin used the plugin manager while plugins were being "
                                      "discovered; hook modules must only declare hooks.")
                self._busy = True
                try:
                    self._pm = self._discover()
                finally:
                    self._busy = False
            return self._pm

    def _discover(self) -> pluggy.PluginManager:
        """Core plugin, then entry points, then ``extra_modules``; each validated on its own."""
        pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        pm.add_hookspecs(hookspecs)
        records = [_Record(_CORE_NAME, f"{__name__}._CorePlugin", _CORE_NAME, _core_version(),
                           "core", plugin=_CorePlugin(), extras={"builtin": True})]
        if self._load_entry_points:
            records += self._entry_point_records()
        records += self._extra_records(records)
        self._flag_entry_name_conflicts(records)
        self._records = records
        for rec in records:
            if rec.status == "ok":
                self._register(pm, rec)
        return pm

    def _entry_point_records(self) -> list[_Record]:
        """Load the entry points of our group through stevedore, one record per distribution."""
        try:
            extensions, failures = self._load_with_stevedore()
            owners_index = _distributions_by_entry_point(self._namespace)
        except Exception as exc:  # a corrupt environment must not take the CLI down
            logger.warning("Could not scan entry points of group %r: %s", self._namespace,
                           _one_line(exc), exc_info=True)
            return []

        def owners(ep: EntryPoint) -> list[tuple[str | None, str | None]]:
            found = owners_index.get((ep.name, ep.value))
            if found:
                return list(found)
            dist = getattr(ep, "dist", None)
            if dist is not None:
                return [(dist.metadata["Name"], dist.version)]
            return [(None, None)]

        records: list[_Record] = []
        for ep, plugin in extensions:
            for dist, version in owners(ep):
                records.append(_Record(ep.name, ep.value, dist, version, "entry-point",
                                       plugin=plugin, extras=_builtin_extras(dist)))
        for ep, exc in failures:
            for dist, version in owners(ep):
                records.append(_Record(ep.name, ep.value, dist, version, "entry-point",
                                       status="broken", error=f"import failed: {_one_line(exc)}",
                                       extras=_builtin_extras(dist)))
        if not any(rec.distribution == _CORE_NAME for rec in records):
            records += self._source_tree_records({rec.name for rec in records})
        return records

    def _load_with_stevedore(self) -> tuple[list[tuple[EntryPoint, Any]],
                                            list[tuple[EntryPoint, BaseException]]]:
        from stevedore import ExtensionManager

        class _GuardedExtensionManager(ExtensionManager):  # type: ignore[type-arg]
            """stevedore re-raises ``AssertionError`` (and ``SystemExit`` is no ``Exception``);
            a plugin's failed ``assert`` at import must still only break that plugin."""

            def _load_one_plugin(self, ep: Any, *args: Any, **kwargs: Any) -> Any:
                try:
                    return super()._load_one_plugin(ep, *args, **kwargs)
                except (AssertionError, SystemExit) as exc:
                    raise _ImportFailure(exc) from exc

        failures: list[tuple[EntryPoint, BaseException]] = []

        def on_failure(_manager: Any, ep: EntryPoint, exc: BaseException) -> None:
            failures.append((ep, exc.original if isinstance(exc, _ImportFailure) else exc))
            logger.debug("Plugin %r failed to import", ep.name, exc_info=exc)

        manager = _GuardedExtensionManager(self._namespace, invoke_on_load=False,
                                           on_load_failure_callback=on_failure)
        return [(ext.entry_point, ext.plugin) for ext in manager.extensions], failures

    def _source_tree_records(self, taken: set[str]) -> list[_Record]:
        records = []
        for name, value in _source_tree_entry_points(self._namespace).items():
            if name in taken:
                continue
            rec = _Record(name, value, _CORE_NAME, _core_version(), "entry-point",
                          extras={"builtin": True})
            try:
                rec.plugin = _load_target(value)
            except (Exception, SystemExit) as exc:
                rec.status, rec.error = "broken", f"import failed: {_one_line(exc)}"
                logger.debug("Built-in plugin %r failed to import", name, exc_info=True)
            records.append(rec)
        return records

    def _extra_records(self, discovered: list[_Record]) -> list[_Record]:
        records = []
        for name, obj in self._extra_modules:
            if any(rec.plugin is obj for rec in discovered + records):
                continue  # the same module was found through its entry point already
            records.append(_Record(name, _module_name(obj), None, None, "extra", plugin=obj))
        return records

    def _flag_entry_name_conflicts(self, records: list[_Record]) -> None:
        """Two distributions using one entry-point name: neither is loaded (the core stays)."""
        by_name: dict[str, list[_Record]] = {}
        for rec in records:
            by_name.setdefault(rec.name.lower(), []).append(rec)
        for name, recs in by_name.items():
            if len({rec.owner for rec in recs}) < 2:
                continue
            message = _conflict_message("Plugin name", name, [(rec, None) for rec in recs])
            self._name_conflicts[name] = message
            for rec in recs:
                if rec.source != "core":
                    self._mark(rec, "conflict", message)

    def _register(self, pm: pluggy.PluginManager, rec: _Record) -> None:
        """Validate one plugin and register it; any problem marks only this plugin."""
        obj = rec.plugin
        try:
            hooks = set()
            for attr in dir(obj):
                opts = pm.parse_hookimpl_opts(obj, attr)
                if opts is not None:
                    hooks.add(opts.get("specname") or attr)
            rec.hooks = tuple(sorted(hooks))
        except Exception as exc:
            self._mark(rec, "broken", f"cannot inspect hooks: {_one_line(exc)}")
            return
        if not self._api_compatible(rec):
            return
        if pm.is_registered(obj):
            # Two entry points of one distribution naming the same module: register it once.
            rec.extras["same_module_as"] = pm.get_name(obj)
            return
        key, n = rec.name, 1
        while pm.has_plugin(key):
            n += 1
            key = f"{rec.name}#{n}"
        try:
            pm.register(obj, name=key)
        except Exception as exc:  # pluggy.PluginValidationError: argument names, wrappers
            self._mark(rec, "broken", f"invalid hook implementation: {_one_line(exc)}")
            return
        rec.key = key
        self._by_key[key] = rec
        problem = self._validate_registered(pm, rec)
        if problem:
            self._break(pm, rec, problem)

    def _validate_registered(self, pm: pluggy.PluginManager, rec: _Record) -> str | None:
        """``check_pending`` for one plugin: unknown hook names, and wrappers (we call each
        implementation ourselves so that one plugin's failure stays its own)."""
        for caller in pm.get_hookcallers(rec.plugin) or []:
            for impl in caller.get_hookimpls():
                if impl.plugin is not rec.plugin:
                    continue
                if not caller.has_spec() and not impl.optionalhook:
                    known = [name for name in dir(hookspecs) if name.startswith("skycore_")]
                    close = difflib.get_close_matches(caller.name, known, n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    return f"unknown hook {caller.name!r}{hint}"
                if impl.hookwrapper or impl.wrapper:
                    return f"hook wrappers are not supported (hook {caller.name!r})"
        return None

    def _api_compatible(self, rec: _Record) -> bool:
        declared = getattr(rec.plugin, "SKYCORE_PLUGIN_API", None)
        if declared is None:
            return True  # no declaration: assume the plugin follows the current contract
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            if not isinstance(declared, str):
                raise TypeError(f"expected a str such as '>=1.0,<2', got {declared!r}")
            supported = SpecifierSet(declared)
        except (InvalidSpecifier, TypeError) as exc:
            self._mark(rec, "broken", f"invalid SKYCORE_PLUGIN_API: {_one_line(exc)}")
            return False
        if supported.contains(PLUGIN_API_VERSION, prereleases=True):
            return True
        self._mark(rec, "incompatible",
                   f"{rec.describe()} supports skycore plugin API {declared!r}, but this skycore "
                   f"provides plugin API {PLUGIN_API_VERSION}; install a release of the plugin "
                   f"made for plugin API {PLUGIN_API_VERSION}.")
        return False

    def _mark(self, rec: _Record, status: Status, error: str) -> None:
        """Record a problem; broken/incompatible outrank conflict, conflicts accumulate."""
        if rec.status in ("broken", "incompatible"):
            return
        if status == "conflict" and rec.status == "conflict" and rec.error:
            if error not in rec.error:
                rec.error = f"{rec.error}; {error}"
            return
        rec.status, rec.error = status, error

    def _break(self, pm: pluggy.PluginManager, rec: _Record, error: str) -> None:
        """Mark broken and unregister, so the plugin receives no event or policy call."""
        self._mark(rec, "broken", error)
        if rec.key and pm.has_plugin(rec.key):
            pm.unregister(name=rec.key)
        self._by_key.pop(rec.key or "", None)
        rec.key = None
        logger.info("Plugin disabled: %s: %s", rec.describe(), error)

    # ------------------------------------------------------------------------- registries
    def _ensure_registries(self) -> pluggy.PluginManager:
        pm = self._ensure_discovered()
        with self._lock:
            if not self._registries_built:
                if self._busy:
                    raise PluginError("A plugin used the plugin manager from a registration "
                                      "hook; registration hooks must only return records.")
                self._busy = True
                try:
                    self._build_registries(pm)
                finally:
                    self._busy = False
                self._registries_built = True
        return pm

    def _collect(self, pm: pluggy.PluginManager) -> dict[str, list[tuple[_Record, Any]]]:
        """Call every registration hook of every plugin, one implementation at a time."""
        collected: dict[str, list[tuple[_Record, Any]]] = {h: [] for h in _REGISTRATION_HOOKS}
        for hook_name, record_type in _REGISTRATION_HOOKS.items():
            for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls()):
                rec = self._by_key.get(impl.plugin_name)
                if rec is None:  # broken by an earlier registration hook
                    continue
                try:
                    items = _check_records(impl.function(), record_type, hook_name)
                except Exception as exc:
                    logger.debug("%s of %s failed", hook_name, rec.describe(), exc_info=True)
                    self._break(pm, rec, f"{hook_name}() failed: {_one_line(exc)}")
                    continue
                collected[hook_name].extend((rec, item) for item in items)
        # A plugin broken by a later hook contributes nothing at all.
        return {hook: [(rec, item) for rec, item in items if rec.status != "broken"]
                for hook, items in collected.items()}

    def _build_registries(self, pm: pluggy.PluginManager) -> None:
        collected = self._collect(pm)

        # clouds: canonical names and aliases share one namespace
        claims: dict[str, list[tuple[_Record, CloudSpec]]] = {}
        for rec, spec in collected["skycore_clouds"]:
            canonical = spec.name.strip().lower()
            if canonical not in rec.clouds:
                rec.clouds.append(canonical)
            for name in dict.fromkeys([canonical, *(a.strip().lower() for a in spec.aliases)]):
                claims.setdefault(name, []).append((rec, spec))
        winners, self._cloud_conflicts = self._arbitrate("Cloud name", claims)
        for name, (rec, spec) in winners.items():
            canonical = spec.name.strip().lower()
            if canonical in self._cloud_conflicts:
                # the cloud itself is contested: none of its names may reach either plugin
                self._cloud_conflicts[name] = self._cloud_conflicts[canonical]
                continue
            self._cloud_names[name] = canonical
            self._clouds[canonical] = (rec, spec)

        for rec, spec in collected["skycore_catalogs"]:
            cloud = self._canonical(spec.cloud)
            self._catalogs.setdefault(cloud, []).append((rec, spec))

        provisioner_claims: dict[str, list[tuple[_Record, ProvisionerSpec]]] = {}
        for rec, spec in collected["skycore_provisioners"]:
            provisioner_claims.setdefault(self._canonical(spec.cloud), []).append((rec, spec))
        self._provisioner_specs, self._provisioner_conflicts = self._arbitrate(
            "Provisioner of cloud", provisioner_claims)

        store_claims: dict[str, list[tuple[_Record, StoreSpec]]] = {}
        for rec, spec in collected["skycore_storage"]:
            for scheme in dict.fromkeys(_normalize_scheme(s) for s in spec.schemes):
                store_claims.setdefault(scheme, []).append((rec, spec))
        self._stores, self._store_conflicts = self._arbitrate("Storage URL scheme", store_claims)

        backend_claims: dict[str, list[tuple[_Record, BackendSpec]]] = {}
        for rec, spec in collected["skycore_backends"]:
            backend_claims.setdefault(spec.name.strip().lower(), []).append((rec, spec))
        self._backend_specs, self._backend_conflicts = self._arbitrate("Backend", backend_claims)

    def _arbitrate(self, kind: str, claims: dict[str, list[tuple[_Record, Any]]]
                   ) -> tuple[dict[str, tuple[_Record, Any]], dict[str, str]]:
        """Split claims into unique winners and conflicts; mark every conflicting plugin.

        The same record repeated by one owner is not a conflict (a plugin listing a cloud twice);
        anything else claimed twice is, even within one distribution, because the core could
        only pick one by registration order.
        """
        winners: dict[str, tuple[_Record, Any]] = {}
        conflicts: dict[str, str] = {}
        for key, found in claims.items():
            distinct: list[tuple[_Record, Any]] = []
            for rec, spec in found:
                if not any(r.owner == rec.owner and s == spec for r, s in distinct):
                    distinct.append((rec, spec))
            if len(distinct) == 1:
                winners[key] = distinct[0]
                continue
            message = _conflict_message(kind, key, distinct)
            conflicts[key] = message
            for rec, _ in distinct:
                self._mark(rec, "conflict", message)
        return winners, conflicts

    def _canonical(self, name: str) -> str:
        key = name.strip().lower()
        return self._cloud_names.get(key, key)

    # ------------------------------------------------------------------------- clouds
    def cloud_specs(self) -> dict[str, CloudSpec]:
        """Usable clouds by canonical lower-case name (contested clouds are left out)."""
        self._ensure_registries()
        return {name: spec for name, (_, spec) in sorted(self._clouds.items())}

    def resolve_cloud_name(self, name: str) -> str:
        """Canonical name of a cloud written in any case or as an alias.

        Raises :class:`UnknownCloudError` (with a close match and the installed clouds) or
        :class:`PluginConflictError` when two plugins claim the name.
        """
        self._ensure_registries()
        key = str(name).strip().lower()
        if key in self._cloud_conflicts:
            raise PluginConflictError(self._cloud_conflicts[key])
        if key in self._cloud_names:
            return self._cloud_names[key]
        if key in self._name_conflicts:
            raise PluginConflictError(self._name_conflicts[key])
        installed = sorted(self._clouds)
        message = (f"Unknown cloud {name!r}. Installed clouds: "
                   f"{', '.join(installed) if installed else 'none'}.")
        for rec in self._records:
            if rec.name.lower() == key and rec.status in ("broken", "incompatible"):
                message += f" The {rec.describe()} is installed but {rec.status}: {rec.error}"
        close = difflib.get_close_matches(key, list(self._cloud_names), n=1, cutoff=0.6)
        raise UnknownCloudError(message, value=name,
                                hint=f"Did you mean {close[0]!r}?" if close else None)

    def cloud(self, name: str) -> Cloud:
        """The cloud object of ``name``; its factory is called once per manager."""
        canonical = self.resolve_cloud_name(name)
        with self._lock:
            if canonical not in self._cloud_objs:
                rec, spec = self._clouds[canonical]
                self._cloud_objs[canonical] = _build(rec, spec, f"cloud {canonical!r}")
            return self._cloud_objs[canonical]

    def provisioner(self, cloud_name: str) -> Provisioner:
        """The provisioner of a cloud, imported and built on first use, then cached."""
        canonical = self.resolve_cloud_name(cloud_name)
        with self._lock:
            if canonical in self._provisioner_conflicts:
                raise PluginConflictError(self._provisioner_conflicts[canonical])
            if canonical not in self._provisioner_objs:
                if canonical not in self._provisioner_specs:
                    owner = self._clouds[canonical][0]
                    raise PluginError(f"Cloud {canonical!r} of {owner.describe()} has no "
                                      "provisioner: no plugin answers skycore_provisioners "
                                      "for it.")
                rec, spec = self._provisioner_specs[canonical]
                self._provisioner_objs[canonical] = _build(rec, spec,
                                                           f"provisioner of {canonical!r}")
            return self._provisioner_objs[canonical]

    def catalog_specs(self, cloud_name: str) -> list[CatalogSpec]:
        """Catalog sources of a cloud, in registration order (several plugins may add rows)."""
        canonical = self.resolve_cloud_name(cloud_name)
        return [spec for _, spec in self._catalogs.get(canonical, [])]

    # ------------------------------------------------------------------------- stores, backends
    def store_specs(self) -> dict[str, StoreSpec]:
        """Usable stores by lower-case URL scheme (``s3``), contested schemes left out."""
        self._ensure_registries()
        return {scheme: spec for scheme, (_, spec) in sorted(self._stores.items())}

    def store_spec(self, scheme: str) -> StoreSpec:
        """The store serving a URL scheme (``s3`` or ``s3://``); raises on conflict/unknown."""
        self._ensure_registries()
        key = _normalize_scheme(scheme)
        if key in self._store_conflicts:
            raise PluginConflictError(self._store_conflicts[key])
        if key not in self._stores:
            known = ", ".join(sorted(self._stores)) or "none"
            raise PluginError(f"No installed plugin serves {key}:// URLs. Installed schemes: "
                              f"{known}.")
        return self._stores[key][1]

    def backend_specs(self) -> dict[str, BackendSpec]:
        """Usable backends by lower-case name, including skycore's ``ray-skylet``."""
        self._ensure_registries()
        return {name: spec for name, (_, spec) in sorted(self._backend_specs.items())}

    def backend(self, name: str = DEFAULT_BACKEND) -> Backend:
        """The backend object of ``name``, built on first use and cached."""
        self._ensure_registries()
        key = name.strip().lower()
        with self._lock:
            if key in self._backend_conflicts:
                raise PluginConflictError(self._backend_conflicts[key])
            if key not in self._backend_specs:
                close = difflib.get_close_matches(key, list(self._backend_specs), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise PluginError(f"Unknown backend {name!r}. Installed backends: "
                                  f"{', '.join(sorted(self._backend_specs)) or 'none'}.{hint}")
            if key not in self._backend_objs:
                rec, spec = self._backend_specs[key]
                self._backend_objs[key] = _build(rec, spec, f"backend {key!r}")
            return self._backend_objs[key]

    # ------------------------------------------------------------------------- listing
    def plugins(self) -> list[PluginInfo]:
        """Every discovered plugin with its status, for ``sky plugins``; never raises for a
        plugin's fault."""
        self._ensure_registries()
        with self._lock:
            records = sorted(self._records, key=lambda r: (r.source != "core", r.name.lower(),
                                                           r.distribution or ""))
            return [PluginInfo(name=r.name, distribution=r.distribution, version=r.version,
                               module=r.module, status=r.status, error=r.error, hooks=r.hooks,
                               clouds=tuple(sorted(r.clouds)),
                               extras={"source": r.source, **r.extras})
                    for r in records]

    # ------------------------------------------------------------------------- events, policy
    def notify_cluster_status_changed(self, cluster_name: str, old_status: str | None,
                                      new_status: str | None, cloud: str | None) -> None:
        """Tell every plugin a cluster changed status; plugin errors are logged and ignored."""
        self._broadcast("skycore_on_cluster_status_changed", cluster_name=cluster_name,
                        old_status=old_status, new_status=new_status, cloud=cloud)

    def notify_job_status_changed(self, cluster_name: str, job_id: int, old_status: str | None,
                                  new_status: str) -> None:
        """Tell every plugin a job changed status; plugin errors are logged and ignored."""
        self._broadcast("skycore_on_job_status_changed", cluster_name=cluster_name,
                        job_id=job_id, old_status=old_status, new_status=new_status)

    def has_listeners(self, hook_name: str) -> bool:
        """Whether any plugin implements ``hook_name`` (lets callers skip work that only
        serves an event nobody listens to)."""
        return bool(self._impls(hook_name))

    def _broadcast(self, hook_name: str, **kwargs: Any) -> None:
        for rec, function, argnames in self._impls(hook_name):
            try:
                function(*[kwargs[name] for name in argnames])
            except Exception:
                logger.warning("Ignoring a failure of %s in %s.", hook_name, rec.describe(),
                               exc_info=True)

    def apply_task_policy(self, task: Any, request: dict[str, Any]) -> Any:
        """Run the admin policies in pluggy order, each on the previous one's result.

        A policy returning ``None`` keeps the task. :class:`TaskValidationError` (a rejection)
        propagates; any other error becomes a :class:`PluginError` naming the plugin, because a
        failing admin policy must stop the task rather than silently let it through.
        """
        for rec, function, argnames in self._impls("skycore_task_policy"):
            arguments = {"task": task, "request": request}
            try:
                result = function(*[arguments[name] for name in argnames])
            except TaskValidationError:
                raise
            except Exception as exc:
                raise PluginError(f"The task policy of {rec.describe()} failed: "
                                  f"{_one_line(exc)}") from exc
            if result is not None:
                task = result
        return task

    def _impls(self, hook_name: str
               ) -> list[tuple[_Record, Callable[..., Any], tuple[str, ...]]]:
        """Implementations of a broadcast hook in pluggy's call order (last registered first).

        Why not ``pm.hook.<name>(...)``: pluggy stops at the first exception, and one plugin's
        failing event hook must not keep the others from being notified.
        """
        pm = self._ensure_registries()
        with self._lock:
            impls = list(reversed(getattr(pm.hook, hook_name).get_hookimpls()))
            return [(self._by_key[impl.plugin_name], impl.function, tuple(impl.argnames))
                    for impl in impls if impl.plugin_name in self._by_key]


class _ImportFailure(Exception):
    """Carries an ``AssertionError``/``SystemExit`` raised at import past stevedore."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


def _normalize_scheme(scheme: str) -> str:
    return scheme.strip().lower().removesuffix("://").removesuffix(":")


def _check_records(result: Any, record_type: type, hook_name: str) -> list[Any]:
    """Validate what a registration hook returned: a list of ``record_type`` with names."""
    if result is None:
        return []
    if isinstance(result, record_type):
        result = [result]
    if isinstance(result, (str, bytes, dict)) or not hasattr(result, "__iter__"):
        raise PluginError(f"{hook_name} must return a list of {record_type.__name__}, "
                          f"got {type(result).__name__}")
    items = list(result)
    for item in items:
        if not isinstance(item, record_type):
            raise PluginError(f"{hook_name} must return {record_type.__name__} records, "
                              f"got {type(item).__name__}")
        names = [getattr(item, "cloud", None) if record_type in (CatalogSpec, ProvisionerSpec)
                 else item.name]
        if isinstance(item, CloudSpec):
            names += list(item.aliases)
        if isinstance(item, StoreSpec):
            if isinstance(item.schemes, str) or not item.schemes:
                raise PluginError(f"{hook_name}: store {item.name!r} needs a tuple of schemes")
            names += list(item.schemes)
        if not all(isinstance(n, str) and n.strip() for n in names):
            raise PluginError(f"{hook_name} returned {item!r} with an empty or non-str name")
    return items


def _build(rec: _Record, spec: Any, what: str) -> Any:
    """Call a record's factory; a plugin bug becomes a PluginError naming the plugin."""
    try:
        return spec.load()
    except SkyError:
        raise
    except Exception as exc:
        target = getattr(spec, "factory", None) or getattr(spec, "loader", None)
        raise PluginError(f"Cannot load the {what} of {rec.describe()} from {target!r}: "
                          f"{_one_line(exc)}") from exc


# ----------------------------------------------------------------------------- process singleton
_manager: PluginManager | None = None
_manager_lock = threading.Lock()


def get_manager() -> PluginManager:
    """The process-wide manager (discovery still waits for its first use)."""
    global _manager
    with _manager_lock:
        if _manager is None:
            _manager = PluginManager()
        return _manager


def reset_manager_for_tests() -> None:
    """Forget the process-wide manager so the next :func:`get_manager` rediscovers plugins
    (after a test changed ``sys.path`` or installed a plugin)."""
    global _manager
    with _manager_lock:
        _manager = None
    stevedore_extension = sys.modules.get("stevedore.extension")
    if stevedore_extension is not None:  # stevedore keeps its own per-process entry-point list
        stevedore_extension.ExtensionManager.ENTRY_POINT_CACHE.clear()


def install_manager_for_tests(manager: PluginManager | None) -> PluginManager | None:
    """Make ``manager`` the process-wide one (``None`` resets); returns the previous one.

    Used by :mod:`skycore.testing.plugins` to run the real core against test-only providers."""
    global _manager
    with _manager_lock:
        previous, _manager = _manager, manager
    return previous
