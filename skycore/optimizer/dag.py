"""The task graph: tasks plus a dummy source and sink, as index edges or a networkx DiGraph.

Why two forms: a YAML pipeline is always a chain, and the chain path must stay light (importing
networkx alone costs ~250 ms, more than the whole ``sky launch --dryrun`` budget), so chains are
handled with index arithmetic. A general DAG (tasks with explicit ``edges``) is validated and
analysed with networkx before it goes to the ILP.

Node numbering of the planning problem: 0 is the source, tasks are ``1..n`` in list order,
``n + 1`` is the sink. The source feeds every task without a parent (its ``inputs`` egress rides
on that edge); every task without a child feeds the sink.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SOURCE = "source"
SINK = "sink"
Edge = tuple[int, int]


def task_edges(edges: Sequence[Edge] | None, num_tasks: int) -> list[Edge]:
    """Validated, deduplicated edges between task indices; ``None`` means the chain of the
    tasks in list order (what a multi-document YAML means)."""
    if edges is None:
        return [(i, i + 1) for i in range(num_tasks - 1)]
    result = []
    for u, v in edges:
        if not (0 <= u < num_tasks and 0 <= v < num_tasks) or u == v:
            raise ValueError(f"edge {(u, v)} does not join two tasks of the DAG")
        result.append((int(u), int(v)))
    return list(dict.fromkeys(result))


def with_dummies(num_tasks: int, edges: Sequence[Edge]) -> tuple[int, list[Edge]]:
    """(number of nodes, edges) of the planning graph: source 0, tasks 1..n, sink n+1."""
    has_parent = {v for _, v in edges}
    has_child = {u for u, _ in edges}
    shifted = [(u + 1, v + 1) for u, v in edges]
    sink = num_tasks + 1
    sources = [(0, t + 1) for t in range(num_tasks) if t not in has_parent]
    sinks = [(t + 1, sink) for t in range(num_tasks) if t not in has_child]
    return num_tasks + 2, sources + shifted + sinks


def graph(num_tasks: int, edges: Sequence[Edge]) -> Any:
    """A networkx DiGraph of the tasks (nodes ``0..n-1``) with SOURCE and SINK; raises
    ValueError when the edges form a cycle."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(range(num_tasks))
    g.add_edges_from(edges)
    if not nx.is_directed_acyclic_graph(g):
        cycle = nx.find_cycle(g)
        raise ValueError(f"the task graph has a cycle: {cycle}")
    roots = [n for n in range(num_tasks) if g.in_degree(n) == 0]
    leaves = [n for n in range(num_tasks) if g.out_degree(n) == 0]
    g.add_edges_from((SOURCE, n) for n in roots)
    g.add_edges_from((n, SINK) for n in leaves)
    return g


def is_chain(g: Any) -> bool:
    """SkyPilot's ``Dag.is_chain`` on a graph from :func:`graph`: every in/out degree ≤ 1
    (the dummy source and sink included), which makes it one path."""
    return all(g.in_degree(n) <= 1 and g.out_degree(n) <= 1 for n in g.nodes)
