"""THE plugin contract of skycore: every hook a plugin may implement.

Who reads this: authors of provider packages such as ``sky-aws`` or a third party's ``sky-acme``.

How a plugin is found
---------------------
A plugin is a pip-installable distribution that declares an entry point in the group
``skycore``; the entry name is the plugin's short name and the value is a **light** module of
hook implementations (importing it must not import a cloud SDK)::

    # pyproject.toml of sky-acme
    [project.entry-points.skycore]
    acme = "sky_acme.plugin"

    # sky_acme/plugin.py
    from skycore.plugins import CloudSpec, ProvisionerSpec, CatalogSpec, hookimpl

    SKYCORE_PLUGIN_API = ">=1.0,<2"      # the contract versions this plugin supports

    @hookimpl
    def skycore_clouds():
        return [CloudSpec(name="acme", factory="sky_acme.cloud:AcmeCloud")]

    @hookimpl
    def skycore_provisioners():
        return [ProvisionerSpec(cloud="acme", factory="sky_acme.provision:AcmeProvisioner")]

There are three kinds of extension point:

1. **Registration hooks** (below, ``skycore_clouds`` ... ``skycore_backends``): every plugin is
   asked, results are collected into registries. They are called once per process, lazily, the
   first time the core needs that registry. They return small frozen records from
   :mod:`skycore.plugins`; heavy classes are import strings resolved on first use.
2. **Provider protocols** (:mod:`skycore.interfaces`): the object of the *selected* provider is
   called directly, never broadcast (two clouds must never both answer "terminate").
3. **Event and policy hooks** (``skycore_on_*``, ``skycore_task_policy``): broadcast to every
   plugin. Events are notifications: exceptions raised by an event hook are logged and ignored so
   that a plugin can never break a launch.

Validation: skycore's plugin manager checks every hookimpl against these specs (unknown hook names
or argument names make the plugin *broken*, listed by ``sky plugins`` with the error) and never
lets a broken plugin break the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from skycore.plugin_types import BackendSpec, CatalogSpec, CloudSpec, ProvisionerSpec, StoreSpec

PROJECT_NAME = "skycore"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# ----------------------------------------------------------------------------- registration
@hookspec
def skycore_clouds() -> list[CloudSpec]:
    """Declare the clouds (providers) this plugin offers.

    Called: once per process, when the core first needs the cloud registry (``sky check``,
    ``sky launch``, the optimizer). Runs in the API server / SDK process, never on nodes.

    Return a list of :class:`~skycore.plugins.CloudSpec`. Names must be unique across all installed
    plugins: a second distribution claiming the same name (or alias) is a conflict, and both
    distributions are named in the error. The spec's ``factory`` builds a
    :class:`skycore.interfaces.cloud.Cloud`, which declares features, regions and the credential
    check.

    Example::

        @hookimpl
        def skycore_clouds():
            return [CloudSpec(name="acme", factory="sky_acme.cloud:AcmeCloud",
                              display_name="Acme", aliases=("acme-cloud",))]
    """


@hookspec
def skycore_catalogs() -> list[CatalogSpec]:
    """Declare where the offerings (instance types, prices, regions) of your clouds come from.

    Called: once per process when the optimizer, ``sky gpus list`` or a fit check first needs a
    catalog of that cloud. The loader is called lazily and its rows are indexed by the core.

    Return :class:`~skycore.plugins.CatalogSpec` records. An ``offline`` catalog ships a snapshot
    (a ``vms.csv`` in SkyPilot's v8 format inside your package, named by ``vms_csv``: the core
    parses and caches it); an ``online`` catalog computes rows at call time through ``loader``
    (e.g. the local driver reads this machine's CPUs) or names a ``fetcher`` (URL or callable) that
    the core calls to refresh its copy every ``ttl_hours``, never overwriting a copy the user
    edited. Catalogs with attachable accelerators (GCP's model) name an ``attach`` rule giving the
    host instance types. Prices are USD/hour; several specs of one cloud add up.

    Example::

        @hookimpl
        def skycore_catalogs():
            return [CatalogSpec(cloud="acme", vms_csv="sky_acme.catalog:snapshot_path",
                                fetcher="https://example.com/acme/vms.csv", ttl_hours=7)]
    """


@hookspec
def skycore_provisioners() -> list[ProvisionerSpec]:
    """Declare the provisioner of each of your clouds.

    Called: once per process; the factory is resolved only when a cluster on that cloud is
    launched, refreshed, stopped or torn down. The object implements
    :class:`skycore.interfaces.provision.Provisioner`: bootstrap, run_instances (idempotent:
    create or resume up to ``count``), wait_instances, query_instances, get_cluster_info (head
    first), stop/terminate, ports, and the command runners that reach the nodes. Every call takes a
    deadline and raises the classified errors of :mod:`skycore.errors` so failover stays generic.

    Example::

        @hookimpl
        def skycore_provisioners():
            return [ProvisionerSpec(cloud="acme", factory="sky_acme.provision:AcmeProvisioner")]
    """


@hookspec
def skycore_storage() -> list[StoreSpec]:
    """Declare object stores (buckets) usable in ``file_mounts`` (``s3://``, ``gs://`` ...).

    Called: once per process when a task mounts or copies a bucket URL, or ``sky storage`` runs.
    Return :class:`~skycore.plugins.StoreSpec` records; each URL scheme may be served by one store.

    Example::

        @hookimpl
        def skycore_storage():
            return [StoreSpec(name="acme-blob", schemes=("acme",),
                              factory="sky_acme.store:AcmeStore")]
    """


@hookspec
def skycore_backends() -> list[BackendSpec]:
    """Declare alternative backends (how tasks run on provisioned nodes).

    The default ``ray-skylet`` backend (Ray + the skylet agent) is registered by skycore itself.
    Called once per process when a cluster is launched with a backend name.
    """


# ----------------------------------------------------------------------------- events
@hookspec
def skycore_on_cluster_status_changed(cluster_name: str, old_status: str | None,
                                      new_status: str | None, cloud: str | None) -> None:
    """Notification: a cluster record changed status (``None`` = created / removed).

    Called in the process that changed the state (API server worker or SDK), after the change is
    committed. Statuses are ``INIT``, ``UP``, ``STOPPED``, ``AUTOSTOPPING``. Exceptions are logged
    and ignored; keep it fast (spawn a thread for slow work).
    """


@hookspec
def skycore_on_job_status_changed(cluster_name: str, job_id: int, old_status: str | None,
                                  new_status: str) -> None:
    """Notification: the core observed a job on a cluster change status.

    Called in the process that observed it: right after a job is submitted (``None`` →
    ``PENDING``) and when following its logs ends (``None`` → the terminal status). Statuses are
    skylet's: PENDING, SETTING_UP, RUNNING, SUCCEEDED, FAILED, FAILED_SETUP, FAILED_DRIVER,
    CANCELLED; ``old_status`` is ``None`` when the core does not know it. A job run detached and
    never followed reports only its submission. Exceptions are logged and ignored.
    """


# ----------------------------------------------------------------------------- policy
@hookspec
def skycore_task_policy(task: Any, request: dict[str, Any]) -> Any:
    """Admin policy: inspect, mutate or reject a task before it is optimized and launched.

    Called in order for every plugin (last registered first); each receives the task returned by
    the previous one. Return a new task (or ``None`` to keep it unchanged); raise
    :class:`skycore.errors.TaskValidationError` to reject it with a message the user sees.
    ``request`` holds context: ``{"operation": "launch"|"exec", "cluster_name": ..., "user": ...}``.

    Example: force every task to carry a ``team`` label::

        @hookimpl
        def skycore_task_policy(task, request):
            for r in task.resources:
                if not (r.labels or {}).get("team"):
                    raise TaskValidationError("every task needs a team label",
                                              field="resources.labels")
    """
