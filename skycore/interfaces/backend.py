"""The Backend protocol: how a task runs on provisioned nodes (default: Ray + skylet)."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from skycore.interfaces.command_runner import CommandRunner
from skycore.interfaces.provision import NodeRuntime


@dataclass
class ConnectedCluster:
    """A cluster the server can reach now: its persisted handle plus live runners (head first)."""

    name: str
    handle: dict[str, Any]
    runners: list[CommandRunner]
    runtime: NodeRuntime
    extras: dict[str, Any] = field(default_factory=dict)


class Backend(abc.ABC):
    """Everything that happens on the nodes after provisioning.

    Methods receive a :class:`ConnectedCluster`: the persisted handle plus the provisioner's
    command runners, so a backend never needs to know which cloud it runs on.
    """

    name: str = ""

    @abc.abstractmethod
    def setup_runtime(self, cluster: ConnectedCluster, log: Any) -> str:
        """Start the runtime on every node; return the runtime address (persisted)."""

    @abc.abstractmethod
    def runtime_healthy(self, cluster: ConnectedCluster) -> bool:
        """Whether every node's runtime is up."""

    def repair_runtime(self, cluster: ConnectedCluster, log: Any) -> bool:
        """Bring an unhealthy runtime back without restarting the nodes, keeping running jobs
        where the backend can; False means the caller must restart the runtime fully."""
        del cluster, log
        return False

    @abc.abstractmethod
    def sync_workdir(self, cluster: ConnectedCluster, workdir: str) -> None: ...

    @abc.abstractmethod
    def sync_file_mounts(self, cluster: ConnectedCluster, mounts: dict[str, str]) -> None: ...

    @abc.abstractmethod
    def submit(self, cluster: ConnectedCluster, task: Any, *, include_setup: bool) -> int:
        """Queue the task as a job; return its id."""

    @abc.abstractmethod
    def tail_logs(self, cluster: ConnectedCluster, job_id: int | None, *, follow: bool,
                  out: BinaryIO) -> int:
        """Stream a job's log; return skylet's exit code for the job status."""

    @abc.abstractmethod
    def queue(self, cluster: ConnectedCluster, *, skip_finished: bool, all_users: bool
              ) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    def cancel(self, cluster: ConnectedCluster, job_ids: list[int] | None, *, all_jobs: bool
               ) -> list[int]: ...

    @abc.abstractmethod
    def set_autostop(self, cluster: ConnectedCluster, idle_minutes: float, down: bool) -> None: ...
