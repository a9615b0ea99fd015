"""Tests of the plugin manager (skycore/plugins.py) against real plugins.

Two kinds of tests:

* fast in-process cases build small module objects (``types.ModuleType``) carrying real
  ``@hookimpl`` functions and hand them to ``PluginManager(extra_modules=...)``;
* install-based cases build wheels of the fixture projects in ``tests/plugin_fixtures/``, install
  them with pip into a temporary ``--target`` directory and run the manager in a subprocess with
  ``PYTHONPATH`` pointing there, so discovery goes through real entry points and installed
  metadata while the test virtualenv is never modified.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib
import json
import logging
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from skycore.errors import PluginConflictError, PluginError, TaskValidationError, UnknownCloudError
from skycore.plugins import (
    PLUGIN_API_VERSION,
    BackendSpec,
    CatalogSpec,
    CloudSpec,
    PluginManager,
    ProvisionerSpec,
    StoreSpec,
    hookimpl,
)

# ``skycore.plugins`` is also a lazy SDK attribute of the package, so ``from skycore import
# plugins`` may return that function: take the module from the import system instead.
plugins_module = importlib.import_module("skycore.plugins")

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "plugin_fixtures"


# ----------------------------------------------------------------------------- helpers
def make_plugin(name: str, **attrs: Any) -> tuple[str, ModuleType]:
    """A (name, module) pair for ``extra_modules``; functions must already carry @hookimpl."""
    module = ModuleType(f"test_plugin_{name.replace('-', '_')}")
    for attr, value in attrs.items():
        setattr(module, attr, value)
    return name, module


def clouds_hook(*specs: CloudSpec) -> Callable[[], list[CloudSpec]]:
    @hookimpl
    def skycore_clouds() -> list[CloudSpec]:
        return list(specs)

    return skycore_clouds


def by_name(manager: PluginManager) -> dict[str, Any]:
    return {info.name: info for info in manager.plugins()}


class FakeCloud:
    built = 0

    def __init__(self) -> None:
        type(self).built += 1


# ----------------------------------------------------------------------------- import cost
def test_import_is_light() -> None:
    """Hook modules import skycore.plugins during discovery: it must not scan or load stevedore."""
    code = ("import sys, skycore.plugins as p; p.PluginManager(); "
            "print(sorted(m for m in ('stevedore', 'packaging.specifiers') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO_ROOT, check=True)
    assert result.stdout.strip() == "[]"


def test_reexports_for_plugin_authors() -> None:
    from skycore import hookspecs, plugin_types

    assert plugins_module.hookimpl is hookspecs.hookimpl
    for name in ("CloudSpec", "CatalogSpec", "ProvisionerSpec", "StoreSpec", "BackendSpec",
                 "PluginInfo", "PLUGIN_API_VERSION", "resolve"):
        assert getattr(plugins_module, name) is getattr(plugin_types, name)


# ----------------------------------------------------------------------------- registries
def test_registries_resolve_lazily_and_cache() -> None:
    FakeCloud.built = 0
    provisioners_built: list[object] = []

    def make_provisioner() -> object:
        provisioners_built.append(object())
        return provisioners_built[-1]

    @hookimpl
    def skycore_catalogs() -> list[CatalogSpec]:
        return [CatalogSpec(cloud="Fake-Cloud", loader=list, mode="online")]

    @hookimpl
    def skycore_provisioners() -> list[ProvisionerSpec]:
        return [ProvisionerSpec(cloud="fake", factory=make_provisioner)]

    @hookimpl
    def skycore_storage() -> list[StoreSpec]:
        return [StoreSpec(name="fake-blob", schemes=("FB", "fb2://"), factory=object)]

    @hookimpl
    def skycore_backends() -> list[BackendSpec]:
        return [BackendSpec(name="slurm", factory=object)]

    manager = PluginManager(load_entry_points=False, extra_modules=[make_plugin(
        "fake", skycore_clouds=clouds_hook(CloudSpec("Fake", FakeCloud, aliases=("fake-cloud",))),
        skycore_catalogs=skycore_catalogs, skycore_provisioners=skycore_provisioners,
        skycore_storage=skycore_storage, skycore_backends=skycore_backends)])
    assert FakeCloud.built == 0 and not provisioners_built

    assert list(manager.cloud_specs()) == ["fake"]
    assert manager.resolve_cloud_name("FAKE") == "fake"
    assert manager.resolve_cloud_name(" Fake-Cloud ") == "fake"
    assert FakeCloud.built == 0, "listing clouds must not build cloud objects"
    assert manager.cloud("fake") is manager.cloud("FAKE-CLOUD")
    assert FakeCloud.built == 1
    assert manager.provisioner("fake-cloud") is manager.provisioner("fake")
    assert len(provisioners_built) == 1
    assert [spec.mode for spec in manager.catalog_specs("FAKE")] == ["online"]
    assert sorted(manager.store_specs()) == ["fb", "fb2"]
    assert manager.store_spec("fb2://").name == "fake-blob"
    assert sorted(manager.backend_specs()) == ["ray-skylet", "slurm"]
    assert manager.backend("SLURM") is manager.backend("slurm")

    info = by_name(manager)["fake"]
    assert (info.status, info.distribution, info.clouds) == ("ok", None, ("fake",))
    assert info.hooks == ("skycore_backends", "skycore_catalogs", "skycore_clouds",
                          "skycore_provisioners", "skycore_storage")
    core = by_name(manager)["skycore"]
    assert core.status == "ok" and core.hooks == ("skycore_backends",)


def test_default_backend_is_builtin() -> None:
    spec = PluginManager(load_entry_points=False).backend_specs()["ray-skylet"]
    assert spec.factory == "skycore.backends.ray_skylet:RaySkyletBackend"


def test_unknown_cloud_names_installed_clouds_and_close_match() -> None:
    manager = PluginManager(load_entry_points=False, extra_modules=[
        make_plugin("k8s", skycore_clouds=clouds_hook(
            CloudSpec("kubernetes", FakeCloud, aliases=("k8s",)), CloudSpec("aws", FakeCloud)))])
    with pytest.raises(UnknownCloudError) as excinfo:
        manager.resolve_cloud_name("kubernets")
    message = str(excinfo.value)
    assert "Installed clouds: aws, kubernetes." in message
    assert "Did you mean 'kubernetes'?" in message
    assert isinstance(excinfo.value, TaskValidationError)


def test_missing_provisioner_and_unknown_store_or_backend() -> None:
    manager = PluginManager(load_entry_points=False, extra_modules=[
        make_plugin("bare", skycore_clouds=clouds_hook(CloudSpec("bare", FakeCloud)))])
    with pytest.raises(PluginError, match="has no provisioner"):
        manager.provisioner("bare")
    with pytest.raises(PluginError, match="No installed plugin serves s3://"):
        manager.store_spec("s3")
    with pytest.raises(PluginError, match="Did you mean 'ray-skylet'"):
        manager.backend("ray-skylt")


def test_factory_failure_names_the_plugin() -> None:
    manager = PluginManager(load_entry_points=False, extra_modules=[make_plugin(
        "ghost", skycore_clouds=clouds_hook(CloudSpec("ghost", "no_such_sdk_module:Cloud")))])
    with pytest.raises(PluginError, match=r"plugin 'ghost'.*ModuleNotFoundError"):
        manager.cloud("ghost")


# ----------------------------------------------------------------------------- broken plugins
def test_broken_and_incompatible_plugins_are_isolated() -> None:
    @hookimpl
    def skycore_cloudz() -> list[CloudSpec]:  # typo of skycore_clouds
        return []

    @hookimpl(optionalhook=True)
    def skycore_maybe_later() -> None:  # optional unknown hooks are allowed
        return None

    @hookimpl
    def raising_clouds() -> list[CloudSpec]:
        raise RuntimeError("token expired")

    @hookimpl
    def job_hook_bad_args(cluster_name: str, job: int) -> None:
        return None

    @hookimpl
    def wrong_return() -> dict[str, str]:
        return {"name": "x"}

    @hookimpl
    def storage_after_clouds() -> list[StoreSpec]:
        raise ValueError("storage exploded")

    manager = PluginManager(load_entry_points=False, extra_modules=[
        make_plugin("good", skycore_clouds=clouds_hook(CloudSpec("good", FakeCloud)),
                    skycore_maybe_later=skycore_maybe_later),
        make_plugin("typo", skycore_cloudz=skycore_cloudz),
        make_plugin("raises", skycore_clouds=raising_clouds),
        make_plugin("bad-args", skycore_on_job_status_changed=job_hook_bad_args),
        make_plugin("wrong-return", skycore_clouds=wrong_return),
        make_plugin("half", skycore_clouds=clouds_hook(CloudSpec("half", FakeCloud)),
                    skycore_storage=storage_after_clouds),
        make_plugin("future", SKYCORE_PLUGIN_API=">=99",
                    skycore_clouds=clouds_hook(CloudSpec("future", FakeCloud))),
        make_plugin("garbled", SKYCORE_PLUGIN_API="one point oh"),
        make_plugin("current", SKYCORE_PLUGIN_API=">=1.0,<2",
                    skycore_clouds=clouds_hook(CloudSpec("current", FakeCloud))),
    ])
    infos = by_name(manager)
    assert {name: info.status for name, info in infos.items()} == {
        "skycore": "ok", "good": "ok", "typo": "broken", "raises": "broken",
        "bad-args": "broken", "wrong-return": "broken", "half": "broken",
        "future": "incompatible", "garbled": "broken", "current": "ok"}
    assert "unknown hook 'skycore_cloudz'" in infos["typo"].error
    assert "did you mean 'skycore_clouds'" in infos["typo"].error
    assert infos["typo"].hooks == ("skycore_cloudz",)
    assert infos["raises"].error == "skycore_clouds() failed: RuntimeError: token expired"
    assert "job" in infos["bad-args"].error and "\n" not in infos["bad-args"].error
    assert "must return a list of CloudSpec" in infos["wrong-return"].error
    assert "storage exploded" in infos["half"].error
    assert ">=99" in infos["future"].error and PLUGIN_API_VERSION in infos["future"].error
    assert "invalid SKYCORE_PLUGIN_API" in infos["garbled"].error
    # a plugin broken by a later registration hook contributes nothing at all
    assert sorted(manager.cloud_specs()) == ["current", "good"]
    with pytest.raises(UnknownCloudError, match="installed but incompatible"):
        manager.resolve_cloud_name("future")


# ----------------------------------------------------------------------------- conflicts
def test_cloud_conflict_blocks_only_the_contested_cloud() -> None:
    manager = PluginManager(load_entry_points=False, extra_modules=[
        make_plugin("one", skycore_clouds=clouds_hook(
            CloudSpec("acme", FakeCloud, aliases=("ac",)), CloudSpec("solo", FakeCloud))),
        make_plugin("two", skycore_clouds=clouds_hook(CloudSpec("other", FakeCloud,
                                                                aliases=("ACME",)))),
        make_plugin("bystander", skycore_clouds=clouds_hook(CloudSpec("calm", FakeCloud))),
    ])
    infos = by_name(manager)
    assert (infos["one"].status, infos["two"].status, infos["bystander"].status) == (
        "conflict", "conflict", "ok")
    assert "'one'" in infos["one"].error and "'two'" in infos["one"].error
    # the whole cloud whose canonical name is contested is withdrawn, aliases included
    for name in ("acme", "Ac"):
        with pytest.raises(PluginConflictError, match="'acme' is provided by more than one"):
            manager.resolve_cloud_name(name)
    # only the contested alias of the other cloud is withdrawn
    assert manager.resolve_cloud_name("other") == "other"
    assert sorted(manager.cloud_specs()) == ["calm", "other", "solo"]
    assert infos["one"].clouds == ("acme", "solo")


def test_same_plugin_repeating_a_record_is_not_a_conflict() -> None:
    spec = CloudSpec("twice", FakeCloud)
    manager = PluginManager(load_entry_points=False, extra_modules=[
        make_plugin("dup", skycore_clouds=clouds_hook(spec, spec))])
    assert manager.resolve_cloud_name("twice") == "twice"
    assert by_name(manager)["dup"].status == "ok"


def test_store_backend_and_provisioner_conflicts() -> None:
    @hookimpl
    def stores_a() -> list[StoreSpec]:
        return [StoreSpec("blob-a", ("s3", "a"), object)]

    @hookimpl
    def stores_b() -> list[StoreSpec]:
        return [StoreSpec("blob-b", ("S3://",), object)]

    @hookimpl
    def backends() -> list[BackendSpec]:
        return [BackendSpec("ray-skylet", object)]

    @hookimpl
    def provisioners() -> list[ProvisionerSpec]:
        return [ProvisionerSpec("base", object)]

    manager = PluginManager(load_entry_points=False, extra_modules=[
        make_plugin("a", skycore_storage=stores_a,
                    skycore_clouds=clouds_hook(CloudSpec("base", FakeCloud))),
        make_plugin("b", skycore_storage=stores_b, skycore_backends=backends,
                    skycore_provisioners=provisioners),
        make_plugin("c", skycore_provisioners=provisioners),
    ])
    assert list(manager.store_specs()) == ["a"]
    with pytest.raises(PluginConflictError, match="Storage URL scheme 's3'"):
        manager.store_spec("s3")
    with pytest.raises(PluginConflictError) as excinfo:
        manager.backend()
    assert "distribution skycore" in str(excinfo.value) and "plugin 'b'" in str(excinfo.value)
    with pytest.raises(PluginConflictError, match="Provisioner of cloud 'base'"):
        manager.provisioner("base")
    assert {i.name: i.status for i in manager.plugins()} == {
        "skycore": "conflict", "a": "conflict", "b": "conflict", "c": "conflict"}
    assert manager.resolve_cloud_name("base") == "base"


def test_entry_name_conflict_loads_neither() -> None:
    manager = PluginManager(load_entry_points=False, extra_modules=[
        make_plugin("acme", skycore_clouds=clouds_hook(CloudSpec("acme", FakeCloud))),
        make_plugin("acme", skycore_clouds=clouds_hook(CloudSpec("acme", FakeCloud))),
        make_plugin("skycore", skycore_clouds=clouds_hook(CloudSpec("imposter", FakeCloud))),
    ])
    statuses = [(i.name, i.status) for i in manager.plugins()]
    assert statuses == [("skycore", "ok"), ("acme", "conflict"), ("acme", "conflict"),
                        ("skycore", "conflict")]
    with pytest.raises(PluginConflictError, match="Plugin name 'acme'"):
        manager.resolve_cloud_name("acme")
    assert manager.cloud_specs() == {}
    assert "ray-skylet" in manager.backend_specs(), "the core cannot be switched off"


def test_same_module_given_twice_is_registered_once() -> None:
    name, module = make_plugin("once", skycore_clouds=clouds_hook(CloudSpec("once", FakeCloud)))
    manager = PluginManager(load_entry_points=False, extra_modules=[(name, module),
                                                                    (name, module)])
    assert [i.name for i in manager.plugins()] == ["skycore", "once"]
    assert manager.resolve_cloud_name("once") == "once"


# ----------------------------------------------------------------------------- events, policy
def test_event_hook_failures_are_logged_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[tuple[str, Any]] = []

    @hookimpl
    def cluster_ok(cluster_name: str, new_status: str | None) -> None:
        seen.append(("cluster", (cluster_name, new_status)))

    @hookimpl
    def cluster_boom(cluster_name: str) -> None:
        raise RuntimeError("webhook down")

    @hookimpl
    def job_ok(cluster_name: str, job_id: int, old_status: str | None, new_status: str) -> None:
        seen.append(("job", (cluster_name, job_id, old_status, new_status)))

    @hookimpl
    def job_boom(job_id: int) -> None:
        raise KeyError(job_id)

    manager = PluginManager(load_entry_points=False, extra_modules=[
        make_plugin("ok", skycore_on_cluster_status_changed=cluster_ok,
                    skycore_on_job_status_changed=job_ok),
        make_plugin("boom", skycore_on_cluster_status_changed=cluster_boom,
                    skycore_on_job_status_changed=job_boom),
    ])
    with caplog.at_level(logging.WARNING, logger="skycore.plugins"):
        manager.notify_cluster_status_changed("c1", None, "INIT", "local")
        manager.notify_job_status_changed("c1", 7, "PENDING", "RUNNING")
    assert seen == [("cluster", ("c1", "INIT")), ("job", ("c1", 7, "PENDING", "RUNNING"))]
    failures = [r for r in caplog.records if r.name == "skycore.plugins"]
    assert len(failures) == 2 and all("plugin 'boom'" in r.getMessage() for r in failures)
    assert by_name(manager)["boom"].status == "ok"


@dataclasses.dataclass(frozen=True)
class _Task:
    labels: tuple[str, ...] = ()


def test_task_policies_chain_in_pluggy_order() -> None:
    calls: list[str] = []

    @hookimpl
    def add_team(task: _Task, request: dict[str, Any]) -> _Task:
        calls.append("team")
        return dataclasses.replace(task, labels=(*task.labels, f"team:{request['user']}"))

    @hookimpl
    def observe(task: _Task) -> None:
        calls.append(f"observe:{','.join(task.labels)}")

    @hookimpl
    def add_cost(task: _Task) -> _Task:
        calls.append("cost")
        return dataclasses.replace(task, labels=(*task.labels, "cost-center:ml"))

    manager = PluginManager(load_entry_points=False, extra_modules=[
        make_plugin("cost", skycore_task_policy=add_cost),
        make_plugin("observe", skycore_task_policy=observe),
        make_plugin("team", skycore_task_policy=add_team),
    ])
    result = manager.apply_task_policy(_Task(), {"operation": "launch", "user": "ada"})
    # last registered runs first, each sees the previous result, None keeps the task
    assert calls == ["team", "observe:team:ada", "cost"]
    assert result == _Task(labels=("team:ada", "cost-center:ml"))
    assert PluginManager(load_entry_points=False).apply_task_policy(result, {}) is result


def test_task_policy_rejection_and_failure() -> None:
    @hookimpl
    def reject(task: Any) -> None:
        raise TaskValidationError("every task needs a team label", field="resources.labels")

    @hookimpl
    def crash(task: Any) -> None:
        raise KeyError("quota-service")

    rejecting = PluginManager(load_entry_points=False,
                              extra_modules=[make_plugin("gate", skycore_task_policy=reject)])
    with pytest.raises(TaskValidationError, match="team label"):
        rejecting.apply_task_policy(object(), {})

    crashing = PluginManager(load_entry_points=False,
                             extra_modules=[make_plugin("quota", skycore_task_policy=crash)])
    with pytest.raises(PluginError, match=r"task policy of plugin 'quota'.*KeyError") as excinfo:
        crashing.apply_task_policy(object(), {})
    assert isinstance(excinfo.value.__cause__, KeyError)


def test_plugins_may_not_reenter_the_manager_from_registration_hooks() -> None:
    holder: dict[str, PluginManager] = {}

    @hookimpl
    def nosy() -> list[CloudSpec]:
        holder["m"].cloud_specs()
        return []

    manager = PluginManager(load_entry_points=False, extra_modules=[
        make_plugin("nosy", skycore_clouds=nosy),
        make_plugin("fine", skycore_clouds=clouds_hook(CloudSpec("fine", FakeCloud)))])
    holder["m"] = manager
    assert manager.resolve_cloud_name("fine") == "fine"
    assert "used the plugin manager from a registration hook" in by_name(manager)["nosy"].error


def test_singleton_and_reset() -> None:
    plugins_module.reset_manager_for_tests()
    try:
        first = plugins_module.get_manager()
        assert plugins_module.get_manager() is first
        plugins_module.reset_manager_for_tests()
        assert plugins_module.get_manager() is not first
    finally:
        plugins_module.reset_manager_for_tests()


# ----------------------------------------------------------------------------- installed plugins
def build_wheel(project: Path, dest: Path) -> Path:
    """Build a pure-Python wheel of a fixture project from its ``pyproject.toml``.

    Why not ``pip install <project>``: the venv's setuptools (65.x) needs the separate ``wheel``
    package to build wheels, which is not installed and cannot be fetched offline. The metadata
    written here (name, version, entry points) is exactly what setuptools would write for these
    projects, and pip still performs the real installation.
    """
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; skycore itself supports 3.10
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    meta = pyproject["project"]
    stem = f"{re.sub(r'[-_.]+', '_', meta['name']).lower()}-{meta['version']}"
    dist_info = f"{stem}.dist-info"
    files: dict[str, bytes] = {}
    for package in pyproject["tool"]["setuptools"]["packages"]:
        for path in sorted((project / package).rglob("*.py")):
            files[path.relative_to(project).as_posix()] = path.read_bytes()
    files[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n"
        f"Summary: {meta.get('description', '')}\n").encode()
    files[f"{dist_info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: skycore-tests\n"
                                   b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    files[f"{dist_info}/entry_points.txt"] = "".join(
        f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in entries.items()) + "\n"
        for group, entries in meta.get("entry-points", {}).items()).encode()
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}\n")
    files[f"{dist_info}/RECORD"] = ("".join(record) + f"{dist_info}/RECORD,,\n").encode()
    wheel = dest / f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


@pytest.fixture(scope="module")
def install(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Install fixture projects (offline, no deps) into a fresh ``--target`` directory."""
    wheels = tmp_path_factory.mktemp("wheels")

    def _install(*projects: str) -> Path:
        target = tmp_path_factory.mktemp("site")
        built = [build_wheel(FIXTURES / project, wheels) for project in projects]
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--no-build-isolation", "--no-index", "--target", str(target),
                        *map(str, built)], check=True, capture_output=True, text=True)
        return target

    return _install


def run_probe(target: Path, body: str) -> dict[str, Any]:
    """Run ``body`` in a fresh interpreter that sees the plugins installed in ``target``.

    ``body`` fills the dict ``out``; ``m`` is a fresh ``PluginManager()`` and ``attempt(f)``
    returns ``f()`` or ``"ExceptionType: message"``.
    """
    script = textwrap.dedent("""
        import dataclasses, json, sys
        from skycore.plugins import PluginManager
        m = PluginManager()
        out = {}
        def attempt(f):
            try:
                return f()
            except Exception as exc:
                return f"{type(exc).__name__}: {exc}"
    """) + textwrap.dedent(body) + "\nprint(json.dumps(out))\n"
    env = {**os.environ, "XDG_CACHE_HOME": str(target.parent / f"{target.name}-cache"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(target),
                                                       os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=REPO_ROOT, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_installed_plugin_is_discovered_and_loads_lazily(install: Callable[..., Path]) -> None:
    target = install("sky_acme", "sky_broken")
    out = run_probe(target, """
        out["plugins"] = {p.name: dataclasses.asdict(p) for p in m.plugins()}
        out["heavy_after_listing"] = "sky_acme.provision" in sys.modules
        out["names"] = [m.resolve_cloud_name(n) for n in ("ACME", "Acme-Cloud", "acme")]
        out["heavy_after_resolve"] = "sky_acme.provision" in sys.modules
        out["cloud"] = type(m.cloud("acme")).__name__
        out["provisioner"] = type(m.provisioner("acme-cloud")).__name__
        out["heavy_after_provisioner"] = "sky_acme.provision" in sys.modules
        out["catalogs"] = [s.loader for s in m.catalog_specs("ACME")]
        out["stores"] = {k: v.name for k, v in m.store_specs().items()}
        out["unknown"] = attempt(lambda: m.resolve_cloud_name("acmee"))
    """)
    acme = out["plugins"]["acme"]
    assert (acme["distribution"], acme["version"], acme["status"]) == ("sky-acme", "0.3.1", "ok")
    assert acme["module"] == "sky_acme.plugin" and acme["clouds"] == ["acme"]
    assert acme["hooks"] == ["skycore_catalogs", "skycore_clouds", "skycore_provisioners",
                             "skycore_storage"]
    assert out["names"] == ["acme", "acme", "acme"]
    assert out["heavy_after_listing"] is False and out["heavy_after_resolve"] is False
    assert (out["cloud"], out["provisioner"]) == ("AcmeCloud", "AcmeProvisioner")
    assert out["heavy_after_provisioner"] is True
    assert out["catalogs"] == ["sky_acme.cloud:load_offerings"]
    assert out["stores"] == {"acme": "acme-blob"}
    assert out["unknown"].startswith("UnknownCloudError: Unknown cloud 'acmee'")
    assert "Did you mean 'acme'?" in out["unknown"]

    # the broken plugins of the other distribution are listed, none stops discovery
    plugins = out["plugins"]
    for name in ("import-error", "assert-error", "unknown-hook", "bad-args", "clouds-raise",
                 "too-new"):
        assert plugins[name]["distribution"] == "sky-broken-plugins"
        assert plugins[name]["version"] == "0.1.0"
    assert plugins["import-error"]["status"] == "broken"
    assert plugins["import-error"]["error"] == (
        "import failed: ImportError: acme_sdk is not installed (pip install acme-sdk)")
    assert plugins["unknown-hook"]["status"] == "broken"
    assert "unknown hook 'skycore_cloudz'" in plugins["unknown-hook"]["error"]
    assert plugins["bad-args"]["status"] == "broken"
    assert plugins["clouds-raise"]["status"] == "broken"
    assert plugins["clouds-raise"]["error"] == (
        "skycore_clouds() failed: RuntimeError: credentials file is corrupt")
    assert plugins["assert-error"]["status"] == "broken"
    assert plugins["assert-error"]["error"] == "import failed: AssertionError: unsupported platform"
    assert plugins["too-new"]["status"] == "incompatible"
    assert "'>=99'" in plugins["too-new"]["error"]
    # skycore's own built-in driver is discovered too, whatever its state
    assert plugins["local"]["distribution"] == "skycore"
    assert plugins["local"]["extras"]["builtin"] is True


def test_source_checkout_declares_the_builtin_driver() -> None:
    """Run from a checkout that is not pip-installed, skycore's own entry points come from its
    pyproject.toml (the single source of truth for built-in drivers)."""
    declared = plugins_module._source_tree_entry_points("skycore")
    assert declared["local"] == "skycore.drivers.local_plugin"


def test_installed_conflict_names_both_distributions(install: Callable[..., Path]) -> None:
    target = install("sky_acme", "acme_rival")
    out = run_probe(target, """
        out["plugins"] = {p.name: [p.status, p.error] for p in m.plugins()}
        out["acme"] = attempt(lambda: m.resolve_cloud_name("acme"))
        out["alias"] = attempt(lambda: m.provisioner("acme-cloud"))
        out["rival"] = m.resolve_cloud_name("RIVAL")
        out["clouds"] = sorted(m.cloud_specs())
    """)
    assert out["plugins"]["acme"][0] == "conflict"
    assert out["plugins"]["acme-rival"][0] == "conflict"
    for text in (out["acme"], out["alias"], out["plugins"]["acme"][1]):
        assert "sky-acme" in text and "acme-rival" in text
    assert out["acme"].startswith("PluginConflictError: Cloud name 'acme'")
    assert out["alias"].startswith("PluginConflictError")
    assert out["rival"] == "rival"
    assert "acme" not in out["clouds"] and "rival" in out["clouds"]
