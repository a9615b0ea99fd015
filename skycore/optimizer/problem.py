"""The placement problem as plain numbers, so the solvers are pure functions.

Why abstract: the chain DP and the ILP must agree with each other and with brute force on any
input, and that is only checkable (with hypothesis) when a problem is just numbers: per node a
list of candidates with their cost and time, per edge matrices of egress cost and time. Nothing
here knows about catalogs, clouds or tasks; :mod:`skycore.optimizer.plan` builds problems from
them.

Semantics shared by every solver (and by :func:`evaluate`):

- total cost = Σ chosen node costs + Σ egress cost of every edge for the chosen endpoints;
- finish(v) = node time + max over in-edges (finish(u) + egress time), 0 without in-edges;
  total time = the latest finish (what a dummy sink node would see);
- ``minimize="cost"`` ranks plans by (cost, time), ``"time"`` by (time, cost).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Matrix = Sequence[Sequence[float]]
Edge = tuple[int, int]
MINIMIZE = ("cost", "time")


@dataclass(frozen=True)
class Problem:
    """Nodes ``0..n-1``; ``node_cost[v][i]`` / ``node_time[v][i]`` for candidate ``i`` of
    ``v``; ``edges`` (u, v) form a DAG; ``edge_cost[(u, v)][i][j]`` and ``edge_time`` give the
    egress between candidate ``i`` of ``u`` and ``j`` of ``v`` (a missing edge key = zeros)."""

    node_cost: Sequence[Sequence[float]]
    node_time: Sequence[Sequence[float]]
    edges: Sequence[Edge] = ()
    edge_cost: Mapping[Edge, Matrix] = field(default_factory=dict)
    edge_time: Mapping[Edge, Matrix] = field(default_factory=dict)

    @property
    def num_nodes(self) -> int:
        return len(self.node_cost)


@dataclass(frozen=True)
class Solution:
    """The chosen candidate index per node and the plan's totals."""

    choice: tuple[int, ...]
    cost: float
    time: float

    def objective(self, minimize: str) -> float:
        return self.cost if minimize == "cost" else self.time


def check_minimize(minimize: str) -> None:
    if minimize not in MINIMIZE:
        raise ValueError(f"minimize must be one of {MINIMIZE}, not {minimize!r}")


def evaluate(problem: Problem, choice: Sequence[int]) -> Solution:
    """Totals of one assignment (the reference every solver is tested against)."""
    cost = sum(problem.node_cost[v][i] for v, i in enumerate(choice))
    parents: dict[int, list[Edge]] = {}
    for u, v in problem.edges:
        parents.setdefault(v, []).append((u, v))
        matrix = problem.edge_cost.get((u, v))
        if matrix is not None:
            cost += matrix[choice[u]][choice[v]]
    finish: dict[int, float] = {}
    for v in topological_order(problem.num_nodes, problem.edges):
        start = 0.0
        for edge in parents.get(v, ()):
            u = edge[0]
            matrix = problem.edge_time.get(edge)
            egress = matrix[choice[u]][choice[v]] if matrix is not None else 0.0
            start = max(start, finish[u] + egress)
        finish[v] = start + problem.node_time[v][choice[v]]
    return Solution(tuple(choice), cost, max(finish.values(), default=0.0))


def rank(solution: Solution, minimize: str) -> tuple[float, float]:
    return ((solution.cost, solution.time) if minimize == "cost"
            else (solution.time, solution.cost))


def brute_force(problem: Problem, minimize: str = "cost") -> Solution:
    """Every assignment, best by (objective, other). Exponential: for tests and tiny DAGs."""
    check_minimize(minimize)
    best: Solution | None = None
    for choice in itertools.product(*(range(len(c)) for c in problem.node_cost)):
        sol = evaluate(problem, choice)
        if best is None or rank(sol, minimize) < rank(best, minimize):
            best = sol
    assert best is not None
    return best


def topological_order(num_nodes: int, edges: Sequence[Edge]) -> list[int]:
    """Kahn's algorithm (stable: lowest index first). Raises ValueError on a cycle."""
    indeg = [0] * num_nodes
    children: list[list[int]] = [[] for _ in range(num_nodes)]
    for u, v in edges:
        children[u].append(v)
        indeg[v] += 1
    ready = [v for v in range(num_nodes) if indeg[v] == 0]
    order: list[int] = []
    while ready:
        v = ready.pop(0)
        order.append(v)
        for w in children[v]:
            indeg[w] -= 1
            if indeg[w] == 0:
                ready.append(w)
    if len(order) != num_nodes:
        raise ValueError("the task graph has a cycle")
    return order


def chain_order(num_nodes: int, edges: Sequence[Edge]) -> list[int] | None:
    """The nodes in order when the graph is one chain (every in/out degree ≤ 1, connected,
    one source); ``None`` otherwise. Pure Python: the chain path never imports networkx."""
    if len(set(edges)) != num_nodes - 1 or len(edges) != num_nodes - 1:
        return None
    nxt: dict[int, int] = {}
    has_parent: set[int] = set()
    for u, v in edges:
        if u in nxt or v in has_parent:
            return None
        nxt[u] = v
        has_parent.add(v)
    heads = [v for v in range(num_nodes) if v not in has_parent]
    if len(heads) != 1:
        return None
    order = [heads[0]]
    while order[-1] in nxt and len(order) <= num_nodes:
        order.append(nxt[order[-1]])
    return order if len(order) == num_nodes else None
