"""How the server reaches a node: run a shell command, copy files.

Why a protocol: the same backend code drives a local process group, an SSH host or a pod; only
the runner differs. Runners are created by the provisioner from a ``ClusterInfo``.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True)
class RunResult:
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def text(self) -> str:
        return self.stdout.decode(errors="replace")


class CommandRunner(abc.ABC):
    """Runs commands on one node. ``~`` in commands is the node user's home."""

    #: identifies the node in messages (instance id)
    node_id: str
    #: the address other nodes of the cluster reach it on
    ip: str

    @abc.abstractmethod
    def run(self, command: str, *, env: dict[str, str] | None = None, stdin: bytes | None = None,
            stream_to: BinaryIO | None = None, timeout: float | None = None) -> RunResult:
        """Run ``command`` with ``bash -c`` on the node and wait.

        With ``stream_to`` the command's stdout is copied there as it arrives (not captured).
        A command still running at ``timeout`` is killed and ``returncode`` is 124.
        """

    @abc.abstractmethod
    def rsync_up(self, source: str, target: str, *, excludes: tuple[str, ...] = ()) -> None:
        """Copy a local file or directory to ``target`` on the node (``~`` allowed); a trailing
        ``/`` on a directory source copies its contents, like rsync."""

    @abc.abstractmethod
    def rsync_down(self, source: str, target: str) -> None:
        """Copy ``source`` on the node to the local ``target``."""
