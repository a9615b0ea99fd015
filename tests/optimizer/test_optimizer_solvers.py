"""The solvers are pure functions over numbers: property tests pit them against each other and
against brute force (no catalogs, no clouds)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skycore.optimizer.problem import (
    Problem,
    brute_force,
    chain_order,
    evaluate,
    topological_order,
)
from skycore.optimizer.solve_dp import solve_chain
from skycore.optimizer.solve_ilp import solve_ilp

SETTINGS = settings(max_examples=60, deadline=None)
# integers keep the optimum exact, so "agree" means equal objectives, not "close"
amount = st.integers(min_value=0, max_value=20).map(float)


@st.composite
def problems(draw: st.DrawFn, *, chain: bool, max_nodes: int, max_cands: int) -> Problem:
    n = draw(st.integers(min_value=1, max_value=max_nodes))
    sizes = [draw(st.integers(min_value=1, max_value=max_cands)) for _ in range(n)]
    node_cost = [[draw(amount) for _ in range(k)] for k in sizes]
    node_time = [[draw(amount) for _ in range(k)] for k in sizes]
    if chain:
        perm = draw(st.permutations(range(n)))
        edges = list(zip(perm, perm[1:], strict=False))
    else:
        pairs = [(u, v) for u in range(n) for v in range(u + 1, n)]
        edges = [p for p in pairs if draw(st.booleans())]
    edge_cost, edge_time = {}, {}
    for u, v in edges:
        if draw(st.booleans()):
            edge_cost[(u, v)] = [[draw(amount) for _ in range(sizes[v])]
                                 for _ in range(sizes[u])]
        if draw(st.booleans()):
            edge_time[(u, v)] = [[draw(amount) for _ in range(sizes[v])]
                                 for _ in range(sizes[u])]
    return Problem(node_cost, node_time, edges, edge_cost, edge_time)


@SETTINGS
@given(problem=problems(chain=True, max_nodes=6, max_cands=4),
       minimize=st.sampled_from(["cost", "time"]))
def test_dp_and_ilp_agree_on_random_chains(problem: Problem, minimize: str) -> None:
    dp = solve_chain(problem, minimize)
    ilp = solve_ilp(problem, minimize)
    assert dp.objective(minimize) == pytest.approx(ilp.objective(minimize))
    # the reported totals are those of the reported choice, and the tie-break agrees too
    assert evaluate(problem, dp.choice) == dp
    other = "time" if minimize == "cost" else "cost"
    assert dp.objective(other) == pytest.approx(ilp.objective(other))


@SETTINGS
@given(problem=problems(chain=False, max_nodes=5, max_cands=3),
       minimize=st.sampled_from(["cost", "time"]))
def test_ilp_matches_brute_force_on_small_dags(problem: Problem, minimize: str) -> None:
    ilp = solve_ilp(problem, minimize)
    best = brute_force(problem, minimize)
    assert ilp.objective(minimize) == pytest.approx(best.objective(minimize))
    assert evaluate(problem, ilp.choice) == ilp


@SETTINGS
@given(problem=problems(chain=True, max_nodes=5, max_cands=3),
       minimize=st.sampled_from(["cost", "time"]))
def test_dp_matches_brute_force_on_chains(problem: Problem, minimize: str) -> None:
    assert solve_chain(problem, minimize).objective(minimize) == pytest.approx(
        brute_force(problem, minimize).objective(minimize))


def test_egress_changes_the_choice() -> None:
    # node 1 alone prefers candidate 0 (cost 1 vs 2), but egress from node 0's only candidate
    # to candidate 0 costs 5: the cheaper total moves node 1 to candidate 1
    problem = Problem(node_cost=[[1.0], [1.0, 2.0]], node_time=[[1.0], [1.0, 1.0]],
                      edges=[(0, 1)], edge_cost={(0, 1): [[5.0, 0.0]]})
    assert solve_chain(problem).choice == (0, 1)
    assert solve_ilp(problem).choice == (0, 1)
    assert solve_chain(Problem([[1.0], [1.0, 2.0]], [[1.0], [1.0, 1.0]], [(0, 1)])).choice \
        == (0, 0)


def test_time_objective_uses_the_critical_path() -> None:
    # diamond 0 → {1, 2} → 3: node 2 is slow unless it takes its expensive candidate
    problem = Problem(node_cost=[[0.0], [1.0], [1.0, 9.0], [0.0]],
                      node_time=[[0.0], [2.0], [10.0, 1.0], [0.0]],
                      edges=[(0, 1), (0, 2), (1, 3), (2, 3)])
    assert solve_ilp(problem, "cost").choice == (0, 0, 0, 0)
    by_time = solve_ilp(problem, "time")
    assert by_time.choice == (0, 0, 1, 0) and by_time.time == 2.0


def test_time_ties_break_by_cost() -> None:
    problem = Problem(node_cost=[[3.0, 1.0, 2.0]], node_time=[[1.0, 1.0, 1.0]])
    assert solve_chain(problem, "time").choice == (1,)
    assert solve_ilp(problem, "time").choice == (1,)


def test_graph_helpers() -> None:
    assert chain_order(3, [(2, 0), (0, 1)]) == [2, 0, 1]
    assert chain_order(3, [(0, 1), (0, 2)]) is None
    assert chain_order(3, [(0, 1)]) is None
    assert chain_order(1, []) == [0]
    assert topological_order(3, [(2, 1), (1, 0)]) == [2, 1, 0]
    with pytest.raises(ValueError, match="cycle"):
        topological_order(2, [(0, 1), (1, 0)])
    with pytest.raises(ValueError, match="chain"):
        solve_chain(Problem([[1.0]] * 3, [[1.0]] * 3, [(0, 1), (0, 2)]))
