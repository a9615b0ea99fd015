"""Placement of a task or a DAG of tasks: candidates per task, then the best plan overall.

The flow (facts §5): candidates per task (:mod:`candidates`), a numeric problem over them with
dummy source/sink and egress on the edges, then the chain DP or, for a general DAG, the ILP.

Why the solvers see one representative per (task, cloud) and not every candidate: egress only
depends on the pair of clouds, so for any choice of clouds each task's best candidate is simply
its best one inside its cloud. Choosing among clouds first keeps the ILP to a handful of
variables per task however many regions and zones the catalogs have, and the answer is the same
(for the time objective with per-candidate estimators the cost tie-break may be approximate).

``plan_task`` is the single-task entry the launch pipeline and failover use; ``plan_dag`` plans a
pipeline or a general DAG and returns a :class:`DagPlan` whose ``plans`` are per-task ``Plan``s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from skycore import errors
from skycore.optimizer import dag as dag_lib
from skycore.optimizer import egress
from skycore.optimizer.candidates import (  # noqa: F401 - Blocked/describe are public here
    Blocked,
    Candidate,
    TaskCandidates,
    describe,
    task_candidates,
)
from skycore.optimizer.problem import Problem, Solution, chain_order, check_minimize

__all__ = ["Blocked", "Candidate", "DagPlan", "Plan", "plan_dag", "plan_task"]


@dataclass
class Plan:
    """Where one task runs (``best``) and what was considered. ``best`` is None for an existing
    cluster (the task runs where the cluster lives)."""

    task: Any
    cluster_name: str | None
    best: Candidate | None
    considered: list[Candidate] = field(default_factory=list)
    existing_cluster: bool = False
    ordered: bool = False
    minimize: str = "cost"
    #: number of candidates the solver could choose from (the "Target:" line needs > 1)
    num_choices: int = 0
    #: totals of a one-task plan, input egress included (None: the candidate's own figures)
    total_cost: float | None = None
    total_hours: float | None = None

    def render(self) -> str:
        from skycore.optimizer.render import render_plan
        return render_plan(self)


@dataclass
class DagPlan:
    """The plan of several tasks: per-task ``plans`` (list order), the task ``edges`` and the
    totals of the chosen placements, egress included."""

    plans: list[Plan]
    edges: list[tuple[int, int]]
    minimize: str
    total_cost: float
    total_hours: float
    cluster_name: str | None = None
    existing_cluster: bool = False

    @property
    def tasks(self) -> list[Any]:
        return [p.task for p in self.plans]

    @property
    def best(self) -> Candidate | None:
        """The first task's placement (what a one-task DAG launches)."""
        return self.plans[0].best if self.plans else None

    @property
    def task(self) -> Any:
        return self.plans[0].task if self.plans else None

    def render(self) -> str:
        from skycore.optimizer.render import render_dag_plan
        return render_dag_plan(self)


def plan_task(task: Any, *, enabled_clouds: list[str], blocked: list[Blocked] | None = None,
              cluster_name: str | None = None, minimize: str = "cost") -> Plan:
    """Choose where ``task`` runs. Raises ResourcesUnavailableError, with the reasons per cloud
    and the nearest offers, when nothing fits."""
    return plan_dag([task], [], enabled_clouds=enabled_clouds, blocked=blocked,
                    cluster_name=cluster_name, minimize=minimize).plans[0]


def plan_dag(tasks: Sequence[Any], edges: Sequence[tuple[int, int]] | None = None, *,
             enabled_clouds: list[str], blocked: list[Blocked] | None = None,
             cluster_name: str | None = None, minimize: str = "cost") -> DagPlan:
    """Plan ``tasks`` joined by ``edges`` (task indices; None = a chain in list order)."""
    from skycore.plugins import get_manager

    check_minimize(minimize)
    manager = get_manager()
    blocked = list(blocked or [])
    tasks = list(tasks)
    edge_list = dag_lib.task_edges(edges, len(tasks))
    memo: dict[Any, Any] = {}
    per_task = [task_candidates(t, enabled_clouds=enabled_clouds, blocked=blocked,
                                manager=manager, memo=memo) for t in tasks]
    for index, (task, found) in enumerate(zip(tasks, per_task, strict=True)):
        if not found.pool:
            _raise_unavailable(task, found, index, len(tasks), enabled_clouds, manager)

    reps = [_representatives(found.pool, minimize) for found in per_task]
    problem = _problem(tasks, edge_list, reps, manager, minimize)
    solution = _solve(problem, len(tasks), edge_list, minimize)
    plans = []
    for index, (task, found) in enumerate(zip(tasks, per_task, strict=True)):
        best = reps[index][solution.choice[index + 1]]
        plans.append(Plan(task=task, cluster_name=cluster_name, best=best,
                          considered=found.considered, ordered=bool(task.resources_ordered),
                          minimize=minimize, num_choices=len(found.pool)))
    if len(plans) == 1:
        plans[0].total_cost, plans[0].total_hours = solution.cost, solution.time
    return DagPlan(plans=plans, edges=edge_list, minimize=minimize,
                   total_cost=solution.cost, total_hours=solution.time,
                   cluster_name=cluster_name)


def _key(cand: Candidate, minimize: str) -> tuple:
    primary = (cand.cost, cand.runtime_hours) if minimize == "cost" else (
        cand.runtime_hours, cand.cost)
    return (*primary, cand.request_index, cand.cloud, cand.region, cand.zone or "")


def _representatives(pool: list[Candidate], minimize: str) -> list[Candidate]:
    """The best candidate per cloud, best first (the solvers keep the first of equal plans,
    so ties go to the earlier request entry, then the cloud name)."""
    best: dict[str, Candidate] = {}
    for cand in pool:
        current = best.get(cand.cloud)
        if current is None or _key(cand, minimize) < _key(current, minimize):
            best[cand.cloud] = cand
    return sorted(best.values(), key=lambda c: _key(c, minimize))


def _problem(tasks: list[Any], edges: list[tuple[int, int]], reps: list[list[Candidate]],
             manager: Any, minimize: str) -> Problem:
    """Numbers for the solvers: node 0 = source, 1..n = tasks, n+1 = sink."""
    del minimize  # both totals are always filled; the solver ranks them
    num_nodes, graph_edges = dag_lib.with_dummies(len(tasks), edges)
    node_cost: list[list[float]] = [[0.0]]
    node_time: list[list[float]] = [[0.0]]
    for cands in reps:
        node_cost.append([c.cost for c in cands])
        node_time.append([c.runtime_hours for c in cands])
    node_cost.append([0.0])
    node_time.append([0.0])
    cloud_cache: dict[str, Any] = {}

    def cloud_of(name: str) -> Any:
        if name not in cloud_cache:
            try:
                cloud_cache[name] = manager.cloud(name)
            except errors.SkyError:
                cloud_cache[name] = None
        return cloud_cache[name]

    edge_cost: dict[tuple[int, int], list[list[float]]] = {}
    edge_time: dict[tuple[int, int], list[list[float]]] = {}
    sink = num_nodes - 1
    for u, v in graph_edges:
        if v == sink:
            continue
        if u == 0:
            src_cloud, gigabytes = egress.inputs_source(tasks[v - 1])
            src_clouds: list[str | None] = [src_cloud]
        else:
            gigabytes = egress.outputs_gigabytes(tasks[u - 1])
            src_clouds = [c.cloud for c in reps[u - 1]]
        if gigabytes <= 0:
            continue
        pairs = [[egress.edge_egress(s, d.cloud, gigabytes, cloud_of) for d in reps[v - 1]]
                 for s in src_clouds]
        edge_cost[(u, v)] = [[p[0] for p in row] for row in pairs]
        edge_time[(u, v)] = [[p[1] for p in row] for row in pairs]
    return Problem(node_cost, node_time, graph_edges, edge_cost, edge_time)


def _solve(problem: Problem, num_tasks: int, edges: list[tuple[int, int]],
           minimize: str) -> Solution:
    if chain_order(problem.num_nodes, problem.edges) is not None:
        from skycore.optimizer.solve_dp import solve_chain
        return solve_chain(problem, minimize)
    dag_lib.graph(num_tasks, edges)  # validates: a cycle is the caller's error, not the ILP's
    from skycore.optimizer.solve_ilp import solve_ilp
    return solve_ilp(problem, minimize)


def _raise_unavailable(task: Any, found: TaskCandidates, index: int, num_tasks: int,
                       enabled_clouds: list[str], manager: Any) -> None:
    from skycore.optimizer.suggest import suggestions

    which = ""
    if num_tasks > 1:
        which = f" for task {index + 1} of {num_tasks}" + (
            f" ({task.name!r})" if getattr(task, "name", None) else "")
    headline = "No launchable resources satisfy the request" + which
    if len(task.resources) == 1:
        headline += f" ({describe(task.resources[0])})"
    lines = [headline + "."]
    lines += [f"  - {r}" for r in dict.fromkeys(found.reasons)]
    hints: list[str] = []
    for resources in task.resources:
        names = ([manager.resolve_cloud_name(resources.cloud)] if resources.cloud
                 else enabled_clouds)
        clouds = [manager.cloud(n) for n in names if n in enabled_clouds]
        hints += suggestions(resources, clouds)
    for hint in dict.fromkeys(hints):
        lines.append(f"Hint: {hint}")
    lines.append("To fix: relax the request, or run `sky check` to enable more infra; "
                 "`sky gpus list` lists the accelerators on offer.")
    raise errors.ResourcesUnavailableError("\n".join(lines))
