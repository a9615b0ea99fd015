"""General DAGs by an integer program in PuLP, solved by CBC (SkyPilot's ``_optimize_by_ilp``).

Formulation:

- ``c[v][i]`` binary, one-hot per node: candidate ``i`` runs node ``v``;
- ``e[u,v][i][j]`` linearizes ``c[u][i]·c[v][j]``: row sums equal ``c[u][i]``, column sums equal
  ``c[v][j]``. With one-hot margins those constraints force ``e`` to the 0/1 outer product, so
  ``e`` can be continuous in [0, 1] (fewer integer variables for CBC). Edges whose egress is
  zero for every pair get no ``e`` at all: they cannot change any total;
- cost = Σ c·node_cost + Σ e·edge_cost;
- time: ``finish[v] ≥ Σ c[v]·node_time[v] + finish[u] + Σ e[u,v]·edge_time`` per edge,
  ``finish[v] ≥ Σ c[v]·node_time[v]`` for every node, ``makespan ≥ finish[v]``.

The secondary objective (time when minimizing cost, cost when minimizing time) is a second
solve with the primary bounded by its optimum, so ties break the same way as in the DP.
PuLP is imported here only: a single task or a chain never pays for it.
"""

from __future__ import annotations

import warnings
from typing import Any

from skycore.optimizer.problem import Problem, Solution, check_minimize, evaluate

_TOLERANCE = 1e-7


def _nonzero(matrix: Any) -> bool:
    return matrix is not None and any(x != 0 for row in matrix for x in row)


def solve_ilp(problem: Problem, minimize: str = "cost", *, tie_break: bool = True) -> Solution:
    """Optimal plan of any DAG problem (every node needs at least one candidate)."""
    check_minimize(minimize)
    if problem.num_nodes == 0:
        return Solution((), 0.0, 0.0)
    import pulp

    prob = pulp.LpProblem("skycore_placement", pulp.LpMinimize)
    var = _variable_factory(prob)
    c = [[var(f"c_{v}_{i}", cat="Binary") for i in range(len(costs))]
         for v, costs in enumerate(problem.node_cost)]
    for v, row in enumerate(c):
        prob += pulp.lpSum(row) == 1, f"one_hot_{v}"

    needs_time = minimize == "time" or tie_break
    edge_vars: dict[tuple[int, int], list[list[Any]]] = {}
    for u, v in problem.edges:
        matters = _nonzero(problem.edge_cost.get((u, v))) or (
            needs_time and _nonzero(problem.edge_time.get((u, v))))
        if not matters:
            continue
        e = [[var(f"e_{u}_{v}_{i}_{j}", lowBound=0, upBound=1)
              for j in range(len(c[v]))] for i in range(len(c[u]))]
        for i in range(len(c[u])):
            prob += pulp.lpSum(e[i]) == c[u][i], f"row_{u}_{v}_{i}"
        for j in range(len(c[v])):
            prob += pulp.lpSum(e[i][j] for i in range(len(c[u]))) == c[v][j], \
                f"col_{u}_{v}_{j}"
        edge_vars[(u, v)] = e

    def weighted(matrix: Any, e: list[list[Any]]) -> Any:
        return pulp.lpSum(matrix[i][j] * e[i][j] for i in range(len(e))
                          for j in range(len(e[i])) if matrix[i][j])

    cost_expr = pulp.lpSum(problem.node_cost[v][i] * c[v][i]
                           for v in range(len(c)) for i in range(len(c[v])))
    cost_expr += pulp.lpSum(weighted(problem.edge_cost[edge], e)
                            for edge, e in edge_vars.items() if edge in problem.edge_cost)

    time_expr = None
    if needs_time:
        finish = [var(f"finish_{v}", lowBound=0) for v in range(len(c))]
        makespan = var("makespan", lowBound=0)
        own = [pulp.lpSum(problem.node_time[v][i] * c[v][i] for i in range(len(c[v])))
               for v in range(len(c))]
        for v in range(len(c)):
            prob += finish[v] >= own[v], f"start_{v}"
            prob += makespan >= finish[v], f"sink_{v}"
        for u, v in problem.edges:
            egress = 0
            if (u, v) in edge_vars and (u, v) in problem.edge_time:
                egress = weighted(problem.edge_time[(u, v)], edge_vars[(u, v)])
            prob += finish[v] >= own[v] + finish[u] + egress, f"after_{u}_{v}"
        time_expr = makespan

    primary, secondary = ((cost_expr, time_expr) if minimize == "cost"
                          else (time_expr, cost_expr))
    with warnings.catch_warnings():
        # PuLP 3.x deprecates the bundled CBC for 4.0; it is the solver this venv ships
        warnings.simplefilter("ignore", DeprecationWarning)
        solver = pulp.PULP_CBC_CMD(msg=False)
    prob.setObjective(primary)
    _solve(prob, solver)
    if tie_break and secondary is not None:
        optimum = pulp.value(primary) or 0.0
        prob += primary <= optimum + _TOLERANCE * (1 + abs(optimum)), "primary_bound"
        prob.setObjective(secondary)
        _solve(prob, solver)
    choice = [max(range(len(row)), key=lambda i, row=row: row[i].value() or 0.0) for row in c]
    # report exact totals (the LP values carry solver tolerances)
    return evaluate(problem, choice)


def _variable_factory(prob: Any) -> Any:
    """``prob.add_variable`` (PuLP ≥ 3.3) or the classic constructor on older PuLP."""
    if hasattr(prob, "add_variable"):
        return prob.add_variable
    import pulp

    return pulp.LpVariable


def _solve(prob: Any, solver: Any) -> None:
    import pulp

    status = prob.solve(solver)
    if pulp.LpStatus[status] != "Optimal":
        raise RuntimeError(f"the placement ILP ended {pulp.LpStatus[status]!r}")
