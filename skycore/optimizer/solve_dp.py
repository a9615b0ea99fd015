"""Chain DAGs by dynamic programming (SkyPilot's ``_optimize_by_dp``).

On a chain both totals are sums along the chain (the latest finish is the sum of node and
egress times), so ``best[n][j] = own[n][j] + min_i(best[n-1][i] + egress[i][j])`` is exact for
the objective and, ranked as a (primary, secondary) pair, for the tie-break too. O(n·C²) and no
imports beyond the standard library: this is the single-task path, which must stay light.
"""

from __future__ import annotations

from skycore.optimizer.problem import Problem, Solution, chain_order, check_minimize


def solve_chain(problem: Problem, minimize: str = "cost") -> Solution:
    """Optimal plan of a chain problem; raises ValueError when ``problem`` is not a chain."""
    check_minimize(minimize)
    if problem.num_nodes == 0:
        return Solution((), 0.0, 0.0)
    order = chain_order(problem.num_nodes, problem.edges)
    if order is None:
        raise ValueError("solve_chain needs a chain; use the ILP for a general DAG")
    primary_time = minimize == "time"

    def key(cost: float, time: float) -> tuple[float, float]:
        return (time, cost) if primary_time else (cost, time)

    first = order[0]
    # per candidate of the current node: (cost, time) of the best prefix ending there
    best = [(c, t) for c, t in zip(problem.node_cost[first], problem.node_time[first],
                                   strict=True)]
    back: list[list[int]] = []
    for prev, node in zip(order, order[1:], strict=False):
        ecost = problem.edge_cost.get((prev, node))
        etime = problem.edge_time.get((prev, node))
        row: list[tuple[float, float]] = []
        pointers: list[int] = []
        for j, (own_cost, own_time) in enumerate(zip(problem.node_cost[node],
                                                     problem.node_time[node], strict=True)):
            best_i = -1
            best_pair = (0.0, 0.0)
            best_key: tuple[float, float] | None = None
            for i, (cost, time) in enumerate(best):
                cost_ij = cost + (ecost[i][j] if ecost is not None else 0.0)
                time_ij = time + (etime[i][j] if etime is not None else 0.0)
                k = key(cost_ij, time_ij)
                if best_key is None or k < best_key:
                    best_key, best_pair, best_i = k, (cost_ij, time_ij), i
            row.append((best_pair[0] + own_cost, best_pair[1] + own_time))
            pointers.append(best_i)
        best = row
        back.append(pointers)
    last = min(range(len(best)), key=lambda j: key(*best[j]))
    total_cost, total_time = best[last]
    picks = [last]
    for pointers in reversed(back):
        picks.append(pointers[picks[-1]])
    picks.reverse()
    choice = [0] * problem.num_nodes
    for node, pick in zip(order, picks, strict=True):
        choice[node] = pick
    return Solution(tuple(choice), total_cost, total_time)
