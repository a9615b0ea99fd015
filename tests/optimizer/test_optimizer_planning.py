"""Planning over real (in-process) cloud plugins: candidates, objectives, egress, tables and the
errors' suggestions. The clouds are described in conftest.py."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from skycore import errors
from skycore.optimizer.plan import Blocked, plan_dag, plan_task
from skycore.task import Task

BOTH = ["alpha", "beta"]


def _task(name: str | None = None, **config: Any) -> Task:
    resources = config.pop("resources", {})
    return Task.from_yaml_config({"name": name, "run": "true", "resources": resources,
                                  **config})


def test_cheapest_cloud_wins_and_regions_expand(clouds: Any) -> None:
    plan = plan_task(_task(resources={"cpus": 2}), enabled_clouds=BOTH)
    assert (plan.best.cloud, plan.best.region) == ("beta", "b1")
    # alpha's a.small costs the same in both zones of a1: one candidate for the region
    wheres = sorted((c.cloud, c.where) for c in plan.considered)
    assert wheres == [("alpha", "a1"), ("alpha", "a2"), ("beta", "b1"), ("beta", "b2")]


def test_spot_expands_per_zone_and_so_do_zone_prices(clouds: Any) -> None:
    spot = plan_task(_task(resources={"cpus": 2, "use_spot": True}), enabled_clouds=BOTH)
    assert [c.cloud for c in spot.considered] == ["alpha"] * 3, "beta has no spot feature"
    assert spot.best.where == "a1-y" and spot.best.hourly_cost == pytest.approx(0.04)
    big = plan_task(_task(resources={"cpus": 8, "infra": "alpha"}), enabled_clouds=BOTH)
    # a.big: a2's zones differ in price (per zone), a1 has one zone (per region)
    assert sorted(c.where for c in big.considered) == ["a1", "a2-x", "a2-y"]
    assert big.best.where == "a2-x"


def test_ordered_tries_entries_in_order_and_any_of_takes_the_cheapest(clouds: Any) -> None:
    ordered = _task(resources={"accelerators": ["T4", "A100:8"]})
    plan = plan_task(ordered, enabled_clouds=BOTH)
    assert plan.best.offering.accelerator_name == "T4"
    assert {c.request_index for c in plan.considered} == {0, 1}, "the table shows every entry"
    any_of = _task(resources={"any_of": [{"accelerators": "A100:8"},
                                         {"accelerators": "T4:1"}]})
    assert plan_task(any_of, enabled_clouds=BOTH).best.offering.accelerator_name == "T4"
    # the first entry with no candidate at all is skipped
    skip = _task(resources={"accelerators": ["H100:1", "A100:8"]})
    assert plan_task(skip, enabled_clouds=BOTH).best.offering.instance_type == "b.a100x8"


def test_blocked_zone_region_cloud(clouds: Any) -> None:
    task = _task(resources={"cpus": 2, "infra": "alpha"})
    assert plan_task(task, enabled_clouds=BOTH).best.zone == "a1-x"
    # a blocked zone moves the region's candidate to its next zone
    assert plan_task(task, enabled_clouds=BOTH,
                     blocked=[Blocked("alpha", "a1", "a1-x")]).best.zone == "a1-y"
    assert plan_task(task, enabled_clouds=BOTH,
                     blocked=[Blocked("alpha", "a1")]).best.region == "a2"
    with pytest.raises(errors.ResourcesUnavailableError, match="blocked by earlier failures"):
        plan_task(task, enabled_clouds=BOTH, blocked=[Blocked("alpha")])


def test_cheapest_type_blocked_everywhere_falls_back_to_the_next_type(clouds: Any) -> None:
    task = _task(resources={"cpus": "2+", "infra": "alpha"})
    blocked = [Blocked("alpha", "a1"), Blocked("alpha", "a2", "a2-x")]
    plan = plan_task(task, enabled_clouds=BOTH, blocked=blocked)
    assert (plan.best.offering.instance_type, plan.best.zone) == ("a.big", "a2-y")


def test_features_filter_clouds(clouds: Any) -> None:
    plan = plan_task(_task(resources={"cpus": 2, "ports": 8080}), enabled_clouds=BOTH)
    assert plan.best.cloud == "alpha"
    with pytest.raises(errors.ResourcesUnavailableError, match="does not support"):
        plan_task(_task(resources={"cpus": 2, "ports": 8080, "infra": "beta"}),
                  enabled_clouds=BOTH)


def test_zero_cost_driver_wins_unless_infeasible(clouds: Any) -> None:
    plan = plan_task(_task(resources={"cpus": "1+"}), enabled_clouds=[*BOTH, "local"])
    assert plan.best.cloud == "local" and plan.best.hourly_cost == 0
    gpu = plan_task(_task(resources={"accelerators": "A100:8"}),
                    enabled_clouds=[*BOTH, "local"])
    assert gpu.best.cloud == "beta", "the local machine has no A100s"


def test_egress_changes_the_choice(clouds: Any) -> None:
    def chain(outputs_gb: float) -> Any:
        first = _task("prep", resources={"cpus": 2, "infra": "alpha"},
                      outputs={"s3://bucket/out": outputs_gb} if outputs_gb else None)
        second = _task("train", resources={"cpus": 2})
        return plan_dag([first, second], enabled_clouds=BOTH)

    assert chain(0).plans[1].best.cloud == "beta", "beta is cheaper without data to move"
    heavy = chain(100)  # 100 GB out of alpha: $9 of egress, more than beta saves
    assert heavy.plans[1].best.cloud == "alpha"
    assert heavy.total_cost == pytest.approx(0.20 + 0.20)


def test_time_objective_uses_the_estimator(clouds: Any) -> None:
    task = _task(resources={"cpus": 2})
    # alpha runs it in 45 min at $0.20/h ($0.15), beta in 1 h at $0.10/h ($0.10)
    task.time_estimator_func = lambda cand: 2700 if cand.cloud == "alpha" else 3600
    cheap = plan_task(task, enabled_clouds=BOTH)
    assert cheap.best.cloud == "beta" and cheap.total_cost == pytest.approx(0.10)
    fast = plan_task(task, enabled_clouds=BOTH, minimize="time")
    assert fast.best.cloud == "alpha" and fast.best.runtime_hours == 0.75
    assert fast.total_cost == pytest.approx(0.15)
    text = fast.render()
    assert "Target: minimizing run time" in text and "TIME (hr)" in text
    assert "Estimated total runtime: 0.8 hours\nEstimated total cost: $0.15" in text


def test_general_dag_goes_through_the_ilp(clouds: Any) -> None:
    # diamond: prep → {a, b} → merge, prep pinned to alpha with outputs
    tasks = [_task("prep", resources={"cpus": 2, "infra": "alpha"},
                   outputs={"gs://x/out": 100}),
             _task("a", resources={"cpus": 2}), _task("b", resources={"cpus": 2}),
             _task("merge", resources={"cpus": 2})]
    plan = plan_dag(tasks, [(0, 1), (0, 2), (1, 3), (2, 3)], enabled_clouds=BOTH)
    assert [p.best.cloud for p in plan.plans] == ["alpha", "alpha", "alpha", "beta"]
    with pytest.raises(ValueError, match="cycle"):
        plan_dag(tasks[:2], [(0, 1), (1, 0)], enabled_clouds=BOTH)


def test_rendered_tables(clouds: Any) -> None:
    spot = plan_task(_task(resources={"cpus": 2, "use_spot": True}), enabled_clouds=BOTH)
    text = spot.render()
    assert text.startswith("Target: minimizing cost\nEstimated cost: $0.04 / hour\n")
    assert "Considered resources (1 node):" in text
    assert " INFRA  " in text and "COST ($)  CHOSEN" in text
    chosen = [line for line in text.splitlines() if "✔" in line]
    assert chosen == [" Alpha (a1-y)  a.small [Spot]  2      8        -     0.04      ✔"]
    multi = plan_task(_task(num_nodes=2, resources={"accelerators": "A100:8"}),
                      enabled_clouds=BOTH).render()
    assert "Considered resources (2 nodes):" in multi and "A100:8" in multi
    assert "Estimated cost: $50.00 / hour" in multi
    dag = plan_dag([_task("one", resources={"cpus": 2}), _task("two", resources={"cpus": 8})],
                   enabled_clouds=BOTH).render()
    assert "Best plan:" in dag
    assert " TASK  #NODES  INFRA" in dag and "vCPUs  Mem(GB)  GPUS" in dag
    assert "Considered resources for task 'one' (1 node):" in dag
    assert "Estimated total cost: $0.90" in dag  # b.small in b1 + a.big in a2-x
    assert dag.count("✔") == 2


def test_errors_suggest_the_nearest_offers(clouds: Any) -> None:
    with pytest.raises(errors.ResourcesUnavailableError) as info:
        plan_task(_task(resources={"accelerators": "A100:4"}), enabled_clouds=BOTH)
    assert "Did you mean: A100:8" in str(info.value)
    assert "Alpha: no offering satisfies accelerators=A100:4" in str(info.value)
    with pytest.raises(errors.ResourcesUnavailableError, match=r"add `\+` \(cpus: 3\+\)"):
        plan_task(_task(resources={"cpus": 3}), enabled_clouds=BOTH)
    with pytest.raises(errors.ResourcesUnavailableError, match="Did you mean.*A100"):
        plan_task(_task(resources={"accelerators": "A10O:8"}), enabled_clouds=BOTH)
    with pytest.raises(errors.ResourcesUnavailableError, match="drop use_spot"):
        plan_task(_task(resources={"accelerators": "A100-80GB:2", "use_spot": True}),
                  enabled_clouds=["beta"])
    with pytest.raises(errors.ResourcesUnavailableError, match="task 2 of 2 .'b'."):
        plan_dag([_task("a"), _task("b", resources={"accelerators": "A100:4"})],
                 enabled_clouds=BOTH)


def test_single_task_path_imports_neither_pulp_nor_networkx() -> None:
    code = ("import sys\n"
            "from skycore.optimizer.plan import plan_task\n"
            "from skycore.task import Task\n"
            "plan = plan_task(Task.from_command('true'), enabled_clouds=['local'])\n"
            "assert plan.best.cloud == 'local'\n"
            "print(sorted(m for m in ('pulp', 'networkx') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_errors_suggest_relaxing_location_and_price(clouds: Any) -> None:
    with pytest.raises(errors.ResourcesUnavailableError, match="try another zone"):
        plan_task(_task(resources={"accelerators": "T4:1", "infra": "alpha/a1/a1-x"}),
                  enabled_clouds=BOTH)
    with pytest.raises(errors.ResourcesUnavailableError, match="raise it"):
        plan_task(_task(resources={"accelerators": "A100:8", "max_hourly_cost": 5}),
                  enabled_clouds=BOTH)
