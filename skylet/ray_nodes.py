"""The Ray nodes as the job host and daemon see them: IP ↔ node id, warm-up, killing job processes.

Why a registry: ranks and log labels are by IP (skycore's stable node list), Ray speaks node ids;
`ray.nodes()` is a GCS round trip, so the map is cached and refreshed on a miss and each tick.
Kills are Ray tasks pinned to each node (zero CPU, so they schedule even on a full node).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from skylet import node_tasks
from skylet.paths import MARKER_KEY

log = logging.getLogger("skylet")


@dataclass(frozen=True)
class Node:
    node_id: str
    ip: str


class RayNodes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, Node] = {}
        self._warmed: set[str] = set()

    def refresh(self) -> list[Node]:
        alive = [Node(n["NodeID"], n["NodeManagerAddress"]) for n in ray.nodes() if n["Alive"]]
        with self._lock:
            self._by_id = {node.node_id: node for node in alive}
        return alive

    def alive(self) -> list[Node]:
        with self._lock:
            return list(self._by_id.values())

    def ip_of(self, node_id: str) -> str:
        with self._lock:
            node = self._by_id.get(node_id)
        if node is None:
            self.refresh()
            with self._lock:
                node = self._by_id.get(node_id)
        return node.ip if node else node_id

    @staticmethod
    def pinned(node_id: str) -> NodeAffinitySchedulingStrategy:
        return NodeAffinitySchedulingStrategy(node_id=node_id, soft=False)

    def warm_new(self, timeout: float) -> None:
        """Run one trivial task on every node not warmed yet, so the first job on it finds a
        Python worker that has already imported ray and skylet (saves ~1 s of worker start)."""
        nodes = [n for n in self.alive() if n.node_id not in self._warmed]
        if not nodes:
            return
        refs = {
            node_tasks.warm_task.options(scheduling_strategy=self.pinned(n.node_id)).remote(): n
            for n in nodes
        }
        ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=timeout)
        for ref in ready:
            try:
                ray.get(ref)
                self._warmed.add(refs[ref].node_id)
            except Exception as exc:  # a node going away must not stop the daemon
                log.warning("warm-up on %s failed: %s", refs[ref].ip, exc)

    def kill(self, markers: list[str], node_ids: list[str] | None = None,
             timeout: float = 12.0, grace: float = 3.0) -> list[int]:
        """Kill the processes of `markers` on `node_ids` (default: all), bounded by `timeout`."""
        if not markers:
            return []
        targets = node_ids if node_ids is not None else [n.node_id for n in self.alive()]
        refs = [node_tasks.kill_markers_task.options(scheduling_strategy=self.pinned(node_id))
                .remote(MARKER_KEY, markers, grace) for node_id in targets]
        deadline = time.monotonic() + timeout
        killed: list[int] = []
        for ref in refs:
            try:
                killed.extend(ray.get(ref, timeout=max(0.1, deadline - time.monotonic())))
            except Exception as exc:
                log.warning("kill of %s on a node failed: %s", markers, exc)
        return killed
