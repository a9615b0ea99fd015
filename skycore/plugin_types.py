"""The small frozen records that plugins hand to the core through registration hooks.

Why records and import strings instead of objects: `sky --help`, `sky status` and the plugin
listing must stay instant however many providers are installed. A plugin's hook module is imported
at discovery time, so it must be light; the heavy class that talks to a cloud SDK is named by an
import string ("pkg.module:Class") and only imported when that provider is actually used.

These types are re-exported by :mod:`skycore.plugins`; third-party plugins should import them from
there.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Literal

#: Version of the plugin contract (hookspecs + interfaces). A plugin declares the range it
#: supports with a module attribute ``SKYCORE_PLUGIN_API = ">=1.0,<2"`` in its hook module.
PLUGIN_API_VERSION = "1.0"


def resolve(target: str | Any) -> Any:
    """Import ``"package.module:attr"`` (or return ``target`` unchanged if it is not a str)."""
    if not isinstance(target, str):
        return target
    module_name, _, attr = target.partition(":")
    if not attr:
        raise ValueError(f"Import string {target!r} must look like 'package.module:attribute'.")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class CloudSpec:
    """A cloud (provider) a plugin offers.

    ``factory`` builds the :class:`skycore.interfaces.cloud.Cloud` object (import string or
    zero-argument callable). ``aliases`` are other names users may write in ``infra:``
    (e.g. ``k8s`` for ``kubernetes``); all names are matched case-insensitively.
    """

    name: str
    factory: str | Any
    display_name: str = ""
    aliases: tuple[str, ...] = ()

    def load(self) -> Any:
        return resolve(self.factory)()


@dataclass(frozen=True)
class CatalogSpec:
    """Where a cloud's offerings come from.

    Two ways to give rows (a spec may use either, or both):

    * ``vms_csv``: a catalog in SkyPilot's v8 ``vms.csv`` format (columns read by header name:
      InstanceType, AcceleratorName, AcceleratorCount, vCPUs, MemoryGiB, GpuInfo, Price, SpotPrice,
      Region, AvailabilityZone). A path (``str``/``Path``), a zero-argument callable returning one,
      or an import string ``"pkg.module:function"`` of such a callable. The core parses it with
      its own fast reader and keeps a compact cache of the parsed columns, so a 30k-row catalog
      loads in milliseconds; prefer this for snapshots shipped in a package.
    * ``loader``: an import string (or callable) returning an iterable of
      :class:`skycore.interfaces.catalog.Offering`, for rows computed at call time (the local
      driver reads this machine's CPUs). Not cached on disk.

    ``mode`` is ``offline`` (a snapshot) or ``online`` (fetched or computed when needed).

    Online refresh (optional): ``fetcher`` is an ``http(s)://`` URL of a ``vms.csv``, or an import
    string / callable returning its bytes. The core keeps the downloaded copy under
    ``SKY_HOME/catalogs/v8/<cloud>/vms.csv`` with a freshness stamp and an md5 in ``.meta/``,
    downloads again when the copy is older than ``ttl_hours`` (``None``: download once), never
    overwrites a copy the user edited (md5 mismatch), and falls back to ``vms_csv`` while no copy
    could be downloaded.

    ``attach``: for catalogs with *attachable* accelerator rows (an AcceleratorName with an empty
    InstanceType, as in GCP's catalog), an import string or callable
    ``(accelerator_name, accelerator_count) -> tuple[str, ...]`` naming the host instance types
    that can carry them. The core offers host + accelerator (prices added, same region and zone).
    One host means a fixed machine (``a2-highgpu-8g`` for 8 A100s); several mean a family whose
    cheapest member fitting the request is chosen (the cloud's default cpus/memory apply when the
    request names none). A host with no catalog row is free and shapeless (GCP's ``TPU-VM``).
    """

    cloud: str
    loader: str | Any = None
    mode: Literal["offline", "online"] = "offline"
    ttl_hours: float | None = None
    vms_csv: str | Any = None
    fetcher: str | Any = None
    attach: str | Any = None

    def load(self) -> Any:
        """Rows from ``loader`` (an empty list when the spec only names ``vms_csv``)."""
        if self.loader is None:
            return []
        return resolve(self.loader)()


@dataclass(frozen=True)
class ProvisionerSpec:
    """The provisioner of a cloud: ``factory`` builds a
    :class:`skycore.interfaces.provision.Provisioner`."""

    cloud: str
    factory: str | Any

    def load(self) -> Any:
        return resolve(self.factory)()


@dataclass(frozen=True)
class StoreSpec:
    """An object store (bucket) type: URL ``schemes`` it serves (``s3``, ``gs``, ...), the
    mount ``modes`` it supports, and a ``factory`` of :class:`skycore.interfaces.storage.Store`."""

    name: str
    schemes: tuple[str, ...]
    factory: str | Any
    modes: tuple[str, ...] = ("MOUNT", "COPY")

    def load(self) -> Any:
        return resolve(self.factory)()


@dataclass(frozen=True)
class BackendSpec:
    """A backend that runs tasks on provisioned nodes; ``ray-skylet`` is the default."""

    name: str
    factory: str | Any
    description: str = ""

    def load(self) -> Any:
        return resolve(self.factory)()


@dataclass(frozen=True)
class PluginInfo:
    """One discovered plugin, as `sky plugins` shows it."""

    name: str
    distribution: str | None
    version: str | None
    module: str
    status: Literal["ok", "broken", "conflict", "incompatible"]
    error: str | None = None
    hooks: tuple[str, ...] = ()
    clouds: tuple[str, ...] = ()
    extras: dict[str, Any] = field(default_factory=dict)
